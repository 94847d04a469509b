// The auditor's desk: the ledger's transactions (paged, by function), the hash chain check,
// a node's monthly statement, an artist's payouts, a dispute's history, and recomputing a
// closed month to compare with what was recorded. Every list exports as CSV.
import type {
  LedgerDisputeHistory, LedgerNode, LedgerNodeList, LedgerPayouts, LedgerRecomputeReport, LedgerStatement, LedgerTransactionPage, LedgerVerifyReport,
} from '../../../shared/api/index.js';
import { api } from '../api.js';
import { field, h } from '../dom.js';
import { actorLabel, formatMoney, monthOf, previousMonth } from '../lib/money.js';
import type { PageContext } from '../router.js';
import { csvButton, facts, failure, gate, inlineForm, jsonBlock, section, shortDate, table } from '../ui.js';

const functions = ['', 'NodeRegistryContract', 'ReportContract', 'SubscriptionContract', 'MonthCloseContract', 'DisputeContract'];
const pageSize = 50;

export async function auditPage({ main, query, signal }: PageContext): Promise<void> {
  if (!gate(main, 'Audit', ['auditor'])) return;
  main.append(h('h1', null, 'Audit'));
  const verify = section('Verify the chain');
  const txs = section('Ledger transactions');
  const statement = section('A node’s monthly statement');
  const payouts = section('An artist’s payouts');
  const dispute = section('A dispute’s history');
  const recompute = section('Recompute a month and compare');
  main.append(verify, txs, statement, payouts, dispute, recompute);

  // --- verify
  const verifyResult = h('div', { 'aria-live': 'polite' });
  const run = h('button', { type: 'button' }, 'Verify');
  run.addEventListener('click', async () => {
    run.disabled = true;
    verifyResult.replaceChildren(h('p', { class: 'muted' }, 'Recomputing every block’s hash…'));
    try {
      const v = await api<LedgerVerifyReport>('GET', '/api/v1/ledger/verify');
      verifyResult.replaceChildren(
        v.ok
          ? h('p', { class: 'message ok', role: 'status', id: 'verify-result', 'data-ok': 'true' }, `Chain verified: ${v.blocks} blocks, every hash links to the one before.`)
          : h('p', { class: 'message error', role: 'alert', id: 'verify-result', 'data-ok': 'false' }, `Broken at block ${v.brokenAt}: ${v.reason}`),
        facts([['Blocks checked', v.blocks], ['Last good hash', h('code', null, v.lastHash)], ...(v.ok ? [] : ([['First broken transaction', h('code', null, v.txId ?? '–')]] as [string, Node][]))]),
      );
    } catch (err) {
      verifyResult.replaceChildren(failure('Could not verify', err));
    } finally {
      run.disabled = false;
    }
  });
  verify.append(h('p', { class: 'muted' }, 'Recomputes the hash chain of the ledger and reports the first broken link, if any.'), h('div', { class: 'actions' }, run), verifyResult);

  // --- transactions
  const fn = query.get('fn') ?? '';
  const pageNo = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const fnSelect = h('select', { name: 'fn' }, functions.map((f) => h('option', { value: f, selected: f === fn }, f || 'All functions')));
  const filter = h('form', { class: 'inline', method: 'get', action: '/audit' }, field('Function', fnSelect), h('button', { type: 'submit', class: 'secondary' }, 'Filter'));
  const txPath = `/api/v1/ledger/transactions?limit=${pageSize}&page=${pageNo}${fn ? `&fn=${encodeURIComponent(fn)}` : ''}`;
  txs.append(filter);
  let nodes: LedgerNode[] = [];
  try {
    const [page, reg] = await Promise.all([
      api<LedgerTransactionPage>('GET', txPath, { signal }),
      api<LedgerNodeList>('GET', '/api/v1/ledger/nodes', { signal }).catch((): LedgerNodeList => ({ data: [] })),
    ]);
    nodes = reg.data;
    const link = (p: number, text: string) => h('a', { href: `/audit?page=${p}${fn ? `&fn=${encodeURIComponent(fn)}` : ''}` }, text);
    txs.append(
      h('p', { class: 'muted' }, `${page.total} transactions.`),
      table('Ledger transactions', [{ text: 'Block', num: true }, 'Function', 'Creator', 'Time', 'Transaction'], page.data.map((t) => [
        t.blockNumber, t.fn, `${t.creatorMsp} ${t.creatorId}`, shortDate(t.timestamp), h('details', null, h('summary', null, h('code', null, t.txId.slice(0, 12))), h('pre', null, t.args.join('\n'))),
      ]), 'No transactions.'),
      h('div', { class: 'actions' },
        h('nav', { class: 'pager', 'aria-label': 'Transaction pages' }, pageNo > 1 ? link(pageNo - 1, 'Previous') : null, pageNo * pageSize < page.total ? link(pageNo + 1, 'Next') : null),
        csvButton(txPath, 'ledger-transactions')),
    );
  } catch (err) {
    txs.append(failure('Could not load transactions', err));
  }

  const nodeInput = () => {
    const el = h('input', { name: 'node', required: true, list: 'ledger-nodes', value: nodes[0]?.nodeId ?? '' });
    return el;
  };
  main.append(h('datalist', { id: 'ledger-nodes' }, nodes.map((n) => h('option', { value: n.nodeId }, n.organisation ?? n.actorUrl ?? ''))));
  const lastMonth = previousMonth(monthOf(new Date()));
  /** A node and a closed month to look up; `show` answers what goes under the form. */
  const nodeMonthForm = (label: string, submitText: string, show: (node: string, month: string) => Promise<(Node | string)[]>) => {
    const node = nodeInput();
    const month = h('input', { name: 'month', type: 'month', required: true, value: lastMonth });
    const out = h('div');
    return [inlineForm(label, [field('Node', node), field('Month', month)], submitText, async () => out.replaceChildren(...(await show(node.value, month.value)))), out];
  };

  // --- statement
  statement.append(...nodeMonthForm('Statement', 'Show statement', async (node, month) => {
    const path = `/api/v1/ledger/statements?node=${encodeURIComponent(node)}&month=${month}`;
    const st = await api<LedgerStatement>('GET', path);
    const m = (v: number) => formatMoney(v, st.currency ?? 'USD');
    return [
      facts([['Node fee', m(st.nodeFee)], ['No-listening policy', st.policy], ['Days reported', st.days?.length ?? 0], ['Statement hash', h('code', null, st.hash)], ['Transaction', h('code', null, st.txId)]]),
      table('Statement payouts', ['Artist', { text: 'Amount', num: true }], (st.payouts ?? []).map((p) => [actorLabel(p.artist), m(p.amount)]), 'No payouts.'),
      csvButton(path, `statement-${month}`),
    ];
  }));

  // --- payouts
  const artist = h('input', { name: 'artist', required: true, placeholder: 'https://node.example/ap/channels/name' });
  const pOut = h('div');
  payouts.append(inlineForm('Payouts', [field('Artist (actor URL)', artist)], 'Show payouts', async () => {
    const path = `/api/v1/ledger/payouts?artist=${encodeURIComponent(artist.value.trim())}`;
    const p = await api<LedgerPayouts>('GET', path);
    pOut.replaceChildren(
      h('p', null, 'Total ', h('strong', null, formatMoney(p.total, p.data[0]?.currency ?? 'USD'))),
      table('Payouts', ['Node', 'Month', { text: 'Amount', num: true }, 'Due by'], p.data.map((x) => [x.nodeId, x.month, formatMoney(x.amount, x.currency ?? undefined), x.dueBy?.slice(0, 10) ?? '–']), 'No payouts recorded for this artist.'),
      csvButton(path, 'payouts'),
    );
  }), pOut);

  // --- dispute history
  const disputeId = h('input', { name: 'dispute', required: true, autocomplete: 'off' });
  const dOut = h('div');
  dispute.append(inlineForm('Dispute history', [field('Dispute id', disputeId)], 'Show history', async () => {
    const path = `/api/v1/ledger/disputes/${encodeURIComponent(disputeId.value.trim())}`;
    const d = await api<LedgerDisputeHistory>('GET', path);
    dOut.replaceChildren(
      facts([['Status', String(d.dispute.status ?? '–')], ['Decision', String(d.dispute.decision ?? '–')], ['Steps', d.history.length]]),
      table('Dispute history', ['Time', 'Transaction', 'Record'], d.history.map((x) => [shortDate(x.at), h('code', null, x.txId.slice(0, 12)), jsonBlock(x, 'Record')])),
      jsonBlock(d.dispute, 'The dispute on the ledger'),
      csvButton(path, `dispute-${disputeId.value.trim()}`),
    );
  }), dOut);

  // --- recompute
  recompute.append(...nodeMonthForm('Recompute', 'Recompute', async (node, month) => {
    const path = `/api/v1/ledger/recompute?node=${encodeURIComponent(node)}&month=${month}`;
    const r = await api<LedgerRecomputeReport>('GET', path);
    return [
      h('p', { class: `message ${r.matches ? 'ok' : 'error'}`, role: r.matches ? 'status' : 'alert' }, r.matches ? 'The recomputation matches the statement and the payout records.' : 'The recomputation differs from what was recorded.'),
      r.problems.length ? h('ul', null, r.problems.map((p) => h('li', null, p))) : '',
      table('Recomputed payouts', ['Artist', { text: 'Statement', num: true }, { text: 'Payout record', num: true }, { text: 'Recomputed', num: true }, 'Match'],
        r.artists.map((a) => [actorLabel(a.artist), a.recorded, a.payoutRecord ?? '–', a.recomputed, a.matches ? '✓' : '✗ differs'])),
      csvButton(path, `recompute-${month}`),
    ];
  }));
}
