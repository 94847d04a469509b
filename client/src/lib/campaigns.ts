// Investment campaigns in words and numbers, for the channel page and "My investments": the
// terms in plain words, the time left, the open-a-campaign form's checks (the node's own
// rules, so most mistakes are caught before a round trip), cumulative repayments for the chart.
// Pure: no DOM, integer minor units for money.
import type { Campaign, NewCampaign, Pledge } from '../../../shared/api/index.js';
import { parseMinor } from './money.js';

/** The node's limits (server/money/campaigns.ts and amounts.ts). */
export const campaignLimits = {
  titleMax: 200,
  descriptionMax: 5000,
  minSeconds: 60,
  maxDays: 365,
  maxShareBasisPoints: 10_000,
  minCapMultiple: 1,
  maxCapMultiple: 10,
  maxAmount: 1_000_000_000_000,
} as const;

/** 150 → "1.5 %", 1000 → "10 %", 1 → "0.01 %" (basis points: 100 = 1 %). */
export function percentText(basisPoints: number): string {
  const whole = Math.trunc(basisPoints / 100);
  const rest = Math.abs(basisPoints % 100);
  const decimals = rest === 0 ? '' : `.${String(rest).padStart(2, '0').replace(/0$/, '')}`;
  return `${whole}${decimals} %`;
}

/** 1.5 → "1.5×", 2 → "2×", 1.25 → "1.25×". */
export function multipleText(multiple: number): string {
  return `${Number(multiple.toFixed(4))}×`;
}

/** "1.5 % of this artist's income until each investor has 1.5× back". */
export function termsText(c: Pick<Campaign, 'shareBasisPoints' | 'capMultiple'>, whose = "this artist's"): string {
  return `${percentText(c.shareBasisPoints)} of ${whose} income until each investor has ${multipleText(c.capMultiple)} back`;
}

/** Time to the deadline: "12 days 4 h", "5 h 12 min", "12 min 30 s", "45 s"; null once it passed. */
export function timeLeft(deadlineMs: number, nowMs: number): string | null {
  const s = Math.floor((deadlineMs - nowMs) / 1000);
  if (s <= 0) return null;
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (days > 0) return hours ? `${plural(days, 'day')} ${hours} h` : plural(days, 'day');
  if (hours > 0) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  if (minutes > 0) return s % 60 ? `${minutes} min ${s % 60} s` : `${minutes} min`;
  return `${s} s`;
}

/** Whole percent of the goal raised (may pass 100). */
export const fundedPercent = (raised: number, goal: number): number => (goal > 0 ? Math.floor((raised * 100) / goal) : 0);

/** "1.5" (percent, up to two decimals) → 150 basis points; null when not such a number. */
export function parseShare(text: string): number | null {
  const m = /^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*%?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** "1.5" or "1.5x" → 1.5 (up to two decimals); null otherwise. */
export function parseMultiple(text: string): number | null {
  const m = /^\s*(\d{1,2})(?:[.,](\d{1,2}))?\s*[x×]?\s*$/i.exec(text);
  if (!m) return null;
  return Number(m[1]) + Number((m[2] ?? '').padEnd(2, '0')) / 100;
}

/** The open-a-campaign form as typed: amounts like "12.50", the share in percent, the cap as a multiple. */
export interface CampaignDraft {
  title: string;
  description: string;
  goal: string;
  minPledge: string;
  /** A `datetime-local` value (the browser's time zone) or any date `Date.parse` reads. */
  deadline: string;
  share: string;
  cap: string;
}

export type DraftField = keyof CampaignDraft;

export interface DraftCheck {
  /** The request body, when every field is right. */
  body: NewCampaign | null;
  problems: { field: DraftField; message: string }[];
}

/** Checks a draft the way the node will (its messages, in the form's units), and builds the body. */
export function checkCampaign(draft: CampaignDraft, nowMs: number, money: (minor: number) => string): DraftCheck {
  const problems: DraftCheck['problems'] = [];
  const L = campaignLimits;
  const title = draft.title.trim();
  if (!title) problems.push({ field: 'title', message: 'Give the campaign a title.' });
  else if (title.length > L.titleMax) problems.push({ field: 'title', message: `The title is at most ${L.titleMax} characters.` });
  if (draft.description.length > L.descriptionMax) problems.push({ field: 'description', message: `The description is at most ${L.descriptionMax} characters.` });
  const amount = (text: string, field: DraftField, what: string): number | null => {
    const minor = parseMinor(text);
    if (minor === null || minor <= 0) problems.push({ field, message: `Enter the ${what} as an amount such as 250.00.` });
    else if (minor > L.maxAmount) problems.push({ field, message: `The ${what} is at most ${money(L.maxAmount)}.` });
    else return minor;
    return null;
  };
  const goal = amount(draft.goal, 'goal', 'goal');
  const minPledge = amount(draft.minPledge, 'minPledge', 'minimum pledge');
  if (goal !== null && minPledge !== null && minPledge > goal) problems.push({ field: 'minPledge', message: `The minimum pledge cannot be more than the goal (${money(goal)}).` });
  const deadline = Date.parse(draft.deadline);
  if (!Number.isFinite(deadline)) problems.push({ field: 'deadline', message: 'Choose the deadline: a date and time.' });
  else if (deadline < nowMs + L.minSeconds * 1000) problems.push({ field: 'deadline', message: 'The deadline must be in the future (at least a minute away).' });
  else if (deadline > nowMs + L.maxDays * 86_400_000) problems.push({ field: 'deadline', message: `A campaign runs at most ${L.maxDays} days.` });
  const share = parseShare(draft.share);
  if (share === null || share < 1 || share > L.maxShareBasisPoints) problems.push({ field: 'share', message: 'The share of your income is a percentage from 0.01 to 100, such as 5 or 1.5.' });
  const cap = parseMultiple(draft.cap);
  if (cap === null || cap < L.minCapMultiple || cap > L.maxCapMultiple) problems.push({ field: 'cap', message: `What investors get back at most is a multiple of what they put in, from ${L.minCapMultiple} to ${L.maxCapMultiple}, such as 1.5.` });
  if (problems.length) return { body: null, problems };
  const description = draft.description.trim();
  return {
    body: { title, ...(description ? { description } : {}), goal: goal!, minPledge: minPledge!, deadline: new Date(deadline).toISOString(), shareBasisPoints: share!, capMultiple: cap! },
    problems,
  };
}

/** A campaign's outcome in words, for the public repayment record. */
export function campaignStateText(c: Pick<Campaign, 'status' | 'repaidAt' | 'deadline'>, nowMs: number): string {
  switch (c.status) {
    case 'open':
      return Date.parse(c.deadline) <= nowMs ? 'Deadline passed, settling' : 'Open for pledges';
    case 'funded':
      return c.repaidAt ? 'Funded, repaid in full' : 'Funded, repaying';
    case 'failed':
      return 'Missed its goal, refunded';
    case 'cancelled':
      return 'Cancelled, refunded';
    default:
      return c.status;
  }
}

/** What the artist's campaigns add up to: raised (funded ones), repaid, still owed, and the share of income promised now. */
export function artistTotals(campaigns: Campaign[]): { raised: number; repaid: number; owed: number; funded: number; repaidInFull: number; promisedBasisPoints: number } {
  const out = { raised: 0, repaid: 0, owed: 0, funded: 0, repaidInFull: 0, promisedBasisPoints: 0 };
  for (const c of campaigns) {
    if (c.status === 'funded') {
      out.funded++;
      out.raised += c.raised;
      out.repaid += c.repaid;
      out.owed += c.owed;
      if (c.repaidAt) out.repaidInFull++;
      else out.promisedBasisPoints += c.shareBasisPoints;
    } else if (c.status === 'open') out.promisedBasisPoints += c.shareBasisPoints;
  }
  return out;
}

/** Repayments (oldest first) as a running total: one point per repayment. */
export function cumulative(repayments: { at: string; amount: number }[]): { t: number; value: number }[] {
  let total = 0;
  return repayments.map((r) => ({ t: Date.parse(r.at), value: (total += r.amount) }));
}

/** Where a pledge's money is now. */
export function pledgeStateText(p: Pick<Pledge, 'refunded'>, c: Pick<Campaign, 'status'> | undefined): string {
  if (p.refunded) return 'Refunded';
  if (!c) return 'Pledged';
  if (c.status === 'funded') return 'Invested';
  if (c.status === 'open') return 'In escrow until the deadline';
  return 'Being refunded';
}

const incomeKinds: Record<string, string> = {
  payout: 'Monthly payout',
  'hold.release': 'Released listening',
  tip: 'Tip',
  metered: 'Pay-as-you-play sale',
  'stream.withdraw': 'Payment stream',
};
/** The artist's income a repayment came from, in words. */
export const incomeKindText = (kind: string): string => incomeKinds[kind] ?? kind;
