// "My investments": what I put into funded campaigns, what came back and what may still come
// (up to each cap), a chart of repayments received over time, and my pledges (refunded ones marked).
import type { Campaign, Investment, Pledge, Repayment } from '../../../shared/api/index.js';
import { api } from '../api.js';
import { stepChart } from '../charts.js';
import { h } from '../dom.js';
import { campaignStateText, cumulative, incomeKindText, pledgeStateText } from '../lib/campaigns.js';
import { formatMoney } from '../lib/money.js';
import type { PageContext } from '../router.js';
import { facts, failure, gate, section, shortDate, table, walletCurrency } from '../ui.js';

/** The newest repayments listed under the chart (the chart has them all). */
const listed = 20;

export async function investmentsPage({ main, signal }: PageContext): Promise<void> {
  if (!gate(main, 'My investments', 'any')) return;
  main.append(h('h1', null, 'My investments'));
  const [investments, history, pledges] = await Promise.allSettled([
    api<Investment[]>('GET', '/api/v1/me/investments', { signal }),
    api<Repayment[]>('GET', '/api/v1/me/investments/history', { signal }),
    api<Pledge[]>('GET', '/api/v1/me/pledges', { signal }),
  ]);
  if (signal.aborted) return;
  // The campaigns behind them: their channel, currency and state.
  const ids = [...new Set([...(investments.status === 'fulfilled' ? investments.value.map((i) => i.campaignId) : []), ...(pledges.status === 'fulfilled' ? pledges.value.map((p) => p.campaignId) : [])])].slice(0, 100);
  const campaigns = new Map<string, Campaign>();
  for (const r of await Promise.allSettled(ids.map((id) => api<Campaign>('GET', `/api/v1/campaigns/${encodeURIComponent(id)}`, { signal })))) {
    if (r.status === 'fulfilled') campaigns.set(r.value.id, r.value);
  }
  const currency = campaigns.values().next().value?.currency ?? (await walletCurrency(signal));
  const money = (v: number) => formatMoney(v, currency);
  const campaignLink = (id: string, title?: string) => {
    const c = campaigns.get(id);
    const name = title ?? c?.title ?? id.slice(0, 8);
    return c ? h('a', { href: `/channels/${encodeURIComponent(c.channel.name)}` }, name) : name;
  };

  const overview = section('Overview');
  const chart = section('Repayments over time');
  const perCampaign = section('Per campaign');
  const mine = section('My pledges');
  main.append(overview, chart, perCampaign, mine);

  if (investments.status === 'rejected') {
    overview.append(failure('Could not load your investments', investments.reason));
  } else {
    const list = investments.value;
    const sum = (f: (i: Investment) => number) => list.reduce((s, i) => s + f(i), 0);
    const inEscrow = pledges.status === 'fulfilled' ? pledges.value.filter((p) => !p.refunded && campaigns.get(p.campaignId)?.status === 'open').reduce((s, p) => s + p.amount, 0) : 0;
    overview.append(
      facts([
        ['Invested', h('strong', { id: 'invested-total', 'data-amount': String(sum((i) => i.invested)) }, money(sum((i) => i.invested)))],
        ['Received', h('strong', { id: 'received-total', 'data-amount': String(sum((i) => i.received)) }, money(sum((i) => i.received)))],
        ['Still to come at most', h('span', { id: 'remaining-total', 'data-amount': String(sum((i) => i.remaining)) }, money(sum((i) => i.remaining)))],
        ['Pledged, waiting for a deadline', money(inEscrow)],
      ]),
      h('p', { class: 'muted' }, 'Invested counts campaigns that met their goal. Each pays you its share of the artist’s income as it comes in, until you have your cap; nothing but the artist’s reputation guarantees it. A campaign that misses its goal or is cancelled refunds your pledge.'),
    );
    perCampaign.append(
      table(
        'My investments per campaign',
        ['Campaign', 'Artist', { text: 'Invested', num: true }, { text: 'Received', num: true }, { text: 'Remaining to the cap', num: true }, { text: 'Cap', num: true }, 'Repaid'],
        list.map((i) => {
          const c = campaigns.get(i.campaignId);
          const part = i.cap > 0 ? Math.min(100, Math.floor((i.received * 100) / i.cap)) : 0;
          return [
            campaignLink(i.campaignId, i.title),
            c ? c.channel.displayName || c.channel.name : '–',
            money(i.invested),
            money(i.received),
            money(i.remaining),
            money(i.cap),
            h('span', { class: 'share', 'data-done': String(i.done) }, h('span', { class: 'share-bar', style: `width:${part}%`, 'aria-hidden': 'true' }), i.done ? 'Repaid in full' : `${part} % of the cap`),
          ];
        }),
        'No funded investment yet. Pledge to a campaign on an artist’s channel page.',
      ),
    );
    if (history.status === 'rejected') {
      chart.append(failure('Could not load your repayments', history.reason));
    } else {
      const points = cumulative(history.value);
      const caps = sum((i) => i.cap);
      chart.append(
        points.length
          ? stepChart('Repayments received, in all', points, (v) => money(Math.round(v)), { end: Date.now(), ceiling: caps ? { value: caps, label: 'all caps' } : undefined })
          : h('p', { class: 'empty' }, 'No repayment yet: they come as the artists you invested in receive income.'),
        points.length ? h('p', { class: 'muted' }, `${history.value.length} repayments; the newest ${Math.min(listed, history.value.length)} below.`) : '',
        points.length
          ? table(
              'Repayments, newest first',
              ['Date', 'Campaign', 'From', { text: 'Amount', num: true }, { text: 'Received in all', num: true }],
              history.value.map((r, n) => [shortDate(r.at), campaignLink(r.campaignId), incomeKindText(r.incomeKind), money(r.amount), money(points[n].value)]).reverse().slice(0, listed),
            )
          :'',
      );
    }
  }

  if (pledges.status === 'rejected') {
    mine.append(failure('Could not load your pledges', pledges.reason));
  } else {
    mine.append(
      table(
        'My pledges, newest first',
        ['Date', 'Campaign', { text: 'Amount', num: true }, 'Campaign state', 'My money'],
        pledges.value.map((p) => {
          const c = campaigns.get(p.campaignId);
          return [
            shortDate(p.createdAt),
            campaignLink(p.campaignId),
            money(p.amount),
            c ? campaignStateText(c, Date.now()) : '–',
            h('span', { class: p.refunded ? 'status-badge refunded' : undefined, 'data-refunded': String(p.refunded) }, pledgeStateText(p, c)),
          ];
        }),
        'No pledges yet.',
      ),
    );
  }
}
