// Money and time formatting for the wallet, earnings, statements and audits. Amounts are
// integer minor units (cents); nothing here uses floating point for money.
import { isMonth, monthOf as monthIn, previousMonth } from '../../../shared/month.js';

/** 1234 → "12.34", -5 → "-0.05" (two decimals, integers only). */
export function formatMinor(amount: number): string {
  if (!Number.isInteger(amount)) return String(amount);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const units = Math.floor(abs / 100);
  const cents = abs % 100;
  return `${sign}${units.toLocaleString('en-US')}.${String(cents).padStart(2, '0')}`;
}

const symbols: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', CAD: 'CA$', AUD: 'A$' };

/** 900 USD → "$9.00"; an unknown currency is written after: "9.00 XYZ". */
export function formatMoney(amount: number, currency = 'USD'): string {
  const text = formatMinor(amount);
  const sym = symbols[currency.toUpperCase()];
  if (!sym) return `${text} ${currency}`;
  return text.startsWith('-') ? `-${sym}${text.slice(1)}` : `${sym}${text}`;
}

/** "12.34" / "12" / "12.3" → 1234 minor units; null for anything else (negative, 3 decimals…). */
export function parseMinor(text: string): number | null {
  const m = /^\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** Listening time: 59 → "59 s", 125 → "2 min 5 s", 3725 → "1 h 2 min". */
export function formatListening(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  const rest = s % 60;
  return rest ? `${m} min ${rest} s` : `${m} min`;
}

/** "YYYY-MM" of a date in UTC. */
export const monthOf = (d: Date): string => monthIn(d, 'UTC');

export { isMonth, previousMonth };

/** "2026-11" → "November 2026". */
export function monthName(month: string): string {
  const [y, m] = month.split('-').map(Number);
  if (!y || !m || m < 1 || m > 12) return month;
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** Shares of a whole in percent with one decimal that add up to 100.0 (largest remainder). */
export function percentages(values: number[]): number[] {
  const total = values.reduce((a, v) => a + Math.max(0, v), 0);
  if (total === 0) return values.map(() => 0);
  const tenths = values.map((v) => (Math.max(0, v) * 1000) / total);
  const floors = tenths.map(Math.floor);
  let left = 1000 - floors.reduce((a, v) => a + v, 0);
  const order = tenths.map((t, i) => ({ i, r: t - Math.floor(t) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i]++;
    left--;
  }
  return floors.map((f) => f / 10);
}

/** A short label for an actor URI: "https://a.example/ap/channels/tone" → "tone@a.example". */
export function actorLabel(uri: string): string {
  try {
    const u = new URL(uri);
    const name = decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? '').replace(/^@/, '');
    return name ? `${name}@${u.host}` : u.host;
  } catch {
    return uri;
  }
}

/** Subscription state in words, for the listener. */
export function subscriptionStateText(sub: { status: string; cancelAtPeriodEnd: boolean; currentMonth: string | null; pastDueMonth: string | null; graceEndsAt: string | null } | null): string {
  if (!sub) return 'You are not subscribed.';
  switch (sub.status) {
    case 'active':
      return sub.cancelAtPeriodEnd
        ? `Active until the end of ${sub.currentMonth ? monthName(sub.currentMonth) : 'this month'}; it will not renew.`
        : `Active${sub.currentMonth ? ` (paid for ${monthName(sub.currentMonth)})` : ''}; renews every month from your wallet.`;
    case 'past_due':
      return `Past due: ${sub.pastDueMonth ? monthName(sub.pastDueMonth) : 'this month'} could not be paid from your wallet. Add money before ${sub.graceEndsAt ? sub.graceEndsAt.slice(0, 10) : 'the grace period ends'} or it lapses.`;
    case 'lapsed':
      return 'Lapsed: a month went unpaid past its grace period. Subscribe again to resume.';
    case 'canceled':
      return 'Canceled. Subscribe again whenever you like.';
    default:
      return sub.status;
  }
}
