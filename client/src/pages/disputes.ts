// Disputes for their parties: the status and outcome of mine, and opening one (an artist
// contests a month's payout; a listener asks where their money went).
import type { Dispute, DisputeList, DisputeSummary } from '../../../shared/api/index.js';
import { api, session } from '../api.js';
import { field, h } from '../dom.js';
import { actorLabel, formatMoney, monthOf, previousMonth } from '../lib/money.js';
import { navigate, type PageContext } from '../router.js';
import { facts, failure, gate, jsonBlock, section, shortDate, table } from '../ui.js';
import { inlineForm } from '../ui.js';

export const outcomeText = (d: Pick<DisputeSummary, 'status' | 'decision'>): string =>
  d.decision === 'release' ? 'Released: the held money is paid as listened.' : d.decision === 'void' ? 'Voided: the held listening does not count; the money goes back.' : d.status === 'refused' ? 'Refused.' : 'Waiting for the reviewers.';

export async function disputesPage({ main, signal }: PageContext): Promise<void> {
  const s = gate(main, 'Disputes', 'any');
  if (!s) return;
  main.append(h('h1', null, 'Disputes'));
  const list = section('My disputes');
  main.append(list);
  try {
    const { items } = await api<DisputeList>('GET', '/api/v1/me/disputes', { signal });
    list.append(table('My disputes', ['Opened', 'Month', 'About', { text: 'Amount', num: true }, 'Status', 'Outcome'],
      items.map((d) => [h('a', { href: `/disputes/${d.id}` }, shortDate(d.createdAt)), d.month, d.artist ? actorLabel(d.artist) : d.subject.type, formatMoney(d.amount, d.currency), d.status, outcomeText(d)]),
      'No disputes concern you.'));
  } catch (err) {
    list.append(failure('Could not load your disputes', err));
  }
  if (s.user.role === 'auditor') return;

  const month = h('input', { name: 'month', type: 'month', required: true, value: previousMonth(monthOf(new Date())) });
  const reason = h('textarea', { name: 'reason', rows: '3', maxlength: '4096' });
  const as = h('select', { name: 'as' }, ...(s.user.role === 'listener' ? ['listener'] : ['artist', 'listener']).map((r) => h('option', { value: r }, r === 'artist' ? 'Contest my payout (artist)' : 'Where did my money go? (listener)')));
  const artist = h('input', { name: 'artist', type: 'url', placeholder: 'https://…/ap/channels/…' });
  main.append(section('Open a dispute',
    h('p', { class: 'muted' }, 'An artist contests a month’s payout; a listener asks where their subscription went. Reviewers on other nodes look at the evidence and decide.'),
    inlineForm('Open a dispute', [field('Month', month), field('Kind', as), ...(s.user.role !== 'listener' ? [field('Channel (actor URL, if you have several)', artist)] : []), field('Reason', reason)], 'Open dispute', async () => {
      const d = await api<Dispute>('POST', '/api/v1/disputes', { body: { month: month.value, as: as.value, artist: artist.value.trim() || undefined, reason: reason.value.trim() } });
      navigate(`/disputes/${d.id}`);
    })));
}

export async function disputePage({ main, params, signal }: PageContext): Promise<void> {
  if (!gate(main, 'Dispute', 'any')) return;
  main.append(h('h1', null, 'Dispute'));
  try {
    const d = await api<Dispute>('GET', `/api/v1/disputes/${encodeURIComponent(params.id)}`, { signal });
    main.append(section('Status', facts([
      ['Month', d.month], ['About', d.artist ? actorLabel(d.artist) : d.subject.type], ['Amount', formatMoney(d.amount, d.currency)], ['Opened by', d.openedBy],
      ['Opened', shortDate(d.createdAt)], ['Status', h('strong', { 'data-status': d.status }, d.status)], ['Outcome', outcomeText(d)], ['Deadline', shortDate(d.deadline)],
      ['Reviewers', d.reviewers.map((r) => `${r.nodeId}${r.voted ? ' ✓' : ''}`).join(', ') || '–'], ['Evidence hash', h('code', null, d.evidenceHash)],
    ]), d.error ? h('p', { class: 'message info' }, d.error) : null));
    if (d.evidence) main.append(section('Evidence', jsonBlock(d.evidence, 'Evidence (anonymized)')));
    if (d.history?.length) main.append(section('Ledger history', jsonBlock(d.history, `${d.history.length} steps on the ledger`)));
    if (session()?.user.role === 'admin') main.append(h('p', null, h('a', { href: '/admin/disputes' }, 'Review queue')));
  } catch (err) {
    main.append(failure('Could not load this dispute', err));
  }
}
