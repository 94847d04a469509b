// The artist's money and audience: earnings per month and per track (charts), plays and
// listened time per track and day, local and from other nodes, and withdrawals.
import type { ArtistStats, Earnings, TrackPage, Wallet } from '../../../shared/api/index.js';
import { api } from '../api.js';
import { myChannels } from '../channels.js';
import { barChart, stackedChart } from '../charts.js';
import { field, h } from '../dom.js';
import { daysBetween } from '../lib/chart.js';
import { formatListening, formatMoney, monthName, parseMinor } from '../lib/money.js';
import type { PageContext } from '../router.js';
import { facts, failure, gate, inlineForm, section, shortDate, table } from '../ui.js';

async function trackTitles(signal: AbortSignal): Promise<Map<string, string>> {
  const titles = new Map<string, string>();
  try {
    for (const c of await myChannels()) {
      const page = await api<TrackPage>('GET', `/api/v1/tracks?channel=${encodeURIComponent(c.name)}&limit=100`, { signal });
      for (const t of page.data) titles.set(t.id, t.title);
    }
  } catch {
    /* titles are a nicety: ids are shown instead */
  }
  return titles;
}

export async function earningsPage({ main, signal }: PageContext): Promise<void> {
  if (!gate(main, 'Earnings', ['artist'])) return;
  main.append(h('h1', null, 'Earnings'));
  const titles = await trackTitles(signal);
  const name = (id: string) => h('a', { href: `/tracks/${id}` }, titles.get(id) ?? id.slice(0, 8));
  const money = section('Earnings per month');
  const perTrack = section('Earnings per track');
  const stats = section('Plays per track and day');
  const withdrawals = section('Withdrawals');
  main.append(money, perTrack, stats, withdrawals);

  let currency = 'USD';
  try {
    const e = await api<Earnings>('GET', '/api/v1/me/earnings', { signal });
    currency = e.currency;
    const months = [...e.months].reverse();
    money.append(
      facts([['Wallet balance', h('strong', { id: 'artist-balance' }, formatMoney(e.balance, e.currency))], ['Earned in all', formatMoney(e.total, e.currency)]]),
      months.length ? barChart('Earnings per month', months.map((m) => ({ label: m.month, value: m.amount })), (v) => formatMoney(Math.round(v), e.currency)) : '',
      table('Earnings per month', ['Month', { text: 'Paid', num: true }, { text: 'Held', num: true }, { text: 'Listened', num: true }, { text: 'Listeners', num: true }, 'Payout'],
        e.months.map((m) => [monthName(m.month), formatMoney(m.amount, e.currency), m.held ? formatMoney(m.held, e.currency) : '–', formatListening(m.seconds), m.listeners, m.payout ? `${m.payout.status}${m.payout.paidAt ? ` ${m.payout.paidAt.slice(0, 10)}` : ''}` : 'not closed']),
        'No closed month has paid you yet. Earnings appear after a month closes.'),
    );
    const byTrack = new Map<string, number>();
    for (const t of e.tracks) byTrack.set(t.trackId, (byTrack.get(t.trackId) ?? 0) + t.amount);
    perTrack.append(
      byTrack.size ? barChart('Earnings per track, all months', [...byTrack].map(([id, v]) => ({ label: (titles.get(id) ?? id).slice(0, 12), value: v })), (v) => formatMoney(Math.round(v), e.currency)) : '',
      table('Earnings per track and month', ['Month', 'Track', { text: 'Paid', num: true }, { text: 'Listened', num: true }, { text: 'Listeners', num: true }],
        e.tracks.map((t) => [t.month, name(t.trackId), formatMoney(t.amount, e.currency), formatListening(t.seconds), t.listeners]), 'No track earnings yet.'),
    );
  } catch (err) {
    money.append(failure('Could not load your earnings', err));
  }

  try {
    const s = await api<ArtistStats>('GET', '/api/v1/me/stats', { signal });
    const days = daysBetween(s.from, s.to);
    const perDay = new Map(days.map((d) => [d, [0, 0]]));
    for (const t of s.tracks) for (const d of t.days) {
      const v = perDay.get(d.day);
      if (v) {
        v[0] += d.localPlays;
        v[1] += d.remotePlays;
      }
    }
    stats.append(
      h('p', { class: 'muted' }, `${s.from} to ${s.to}: ${s.totals.plays} plays (${s.totals.localPlays} here, ${s.totals.remotePlays} from other nodes), ${formatListening(s.totals.seconds)} listened${s.totals.heldPlays ? `, ${s.totals.heldPlays} held for review` : ''}.`),
      s.totals.plays === 0 ? '' : stackedChart('Plays per day, local and remote', ['here', 'other nodes'], days.map((d) => ({ label: d, values: perDay.get(d)! })), (v) => String(Math.round(v))),
      table('Plays per track', ['Track', { text: 'Plays', num: true }, { text: 'Here', num: true }, { text: 'Other nodes', num: true }, { text: 'Listened', num: true }, { text: 'Held', num: true }],
        s.tracks.map((t) => [name(t.trackId), t.plays, t.localPlays, t.remotePlays, formatListening(t.seconds), t.heldPlays || '–']), 'No plays in these 30 days.'),
    );
  } catch (err) {
    stats.append(failure('Could not load your statistics', err));
  }

  const amount = h('input', { name: 'amount', inputmode: 'decimal', required: true, pattern: '\\d+([.,]\\d{1,2})?' });
  const destination = h('input', { name: 'destination', maxlength: '500', placeholder: 'IBAN, PayPal address…' });
  const list = h('div');
  const loadList = async () => {
    try {
      const w = await api<Wallet>('GET', '/api/v1/me/wallet?limit=100', { signal });
      const rows = w.entries.data.filter((x) => x.kind.startsWith('withdrawal.'));
      list.replaceChildren(table('My withdrawals', ['Date', 'What', { text: 'Amount', num: true }, 'Reference'],
        rows.map((x) => [shortDate(x.createdAt), x.kind === 'withdrawal.request' ? 'Requested' : 'Paid', formatMoney(-x.amount, w.currency), x.reference ?? '–']), 'No withdrawals yet.'));
    } catch (err) {
      list.replaceChildren(failure('Could not load your withdrawals', err));
    }
  };
  withdrawals.append(
    h('p', { class: 'muted' }, 'Ask for money from your wallet; an admin of this node pays it and marks it settled.'),
    inlineForm('Request a withdrawal', [field('Amount', amount, 'e.g. 12.50'), field('Pay to (optional)', destination)], 'Request withdrawal', async () => {
      const minor = parseMinor(amount.value);
      if (!minor) throw new Error('Enter an amount such as 12.50');
      await api('POST', '/api/v1/me/withdrawals', { body: { amount: minor, destination: destination.value.trim() || undefined }, headers: { 'idempotency-key': `w-${Date.now()}` } });
      amount.value = '';
      await loadList();
      return `Requested ${formatMoney(minor, currency)}.`;
    }),
    list,
  );
  await loadList();
}
