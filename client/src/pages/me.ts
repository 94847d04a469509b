// The listener's account: wallet, subscription, "where my money went" this month, their
// listening, and redeeming a gift link.
import type { Allocation, ApiKeyList, MyListening, NewApiKey, SubscriptionWithCharges, Wallet } from '../../../shared/api/index.js';
import { api, ApiError } from '../api.js';
import { errorText, field, h } from '../dom.js';
import { actorLabel, formatListening, formatMoney, isMonth, monthName, monthOf, percentages, previousMonth, subscriptionStateText } from '../lib/money.js';
import { navigate, type PageContext } from '../router.js';
import { facts, failure, inlineForm, section, shortDate, table } from '../ui.js';
import { gate } from '../ui.js';

const entryKinds: Record<string, string> = {
  'top-up': 'Money added (top-up, credit or gift)',
  'gift-link.fund': 'Gift link funded',
  'subscription.charge': 'Subscription',
  'withdrawal.request': 'Withdrawal requested',
  'withdrawal.settle': 'Withdrawal paid',
  'payout': 'Payout from listeners',
  'hold.release': 'Held listening released',
  'hold.void': 'Held listening voided',
  'close.refund': 'Refund of an unlistened month',
};
export const entryKind = (k: string): string => entryKinds[k] ?? k;

const pageSize = 20;

export async function mePage({ main, query, signal }: PageContext): Promise<void> {
  const signedIn = gate(main, 'My account', 'any');
  if (!signedIn) return;
  main.append(h('h1', null, 'My account'));
  const month = isMonth(query.get('month')) ? query.get('month')! : monthOf(new Date());
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);

  const walletBox = section('Wallet');
  const subBox = section('Subscription');
  const allocBox = section(`Where my money went: ${monthName(month)}`);
  const listensBox = section(`My listening: ${monthName(month)}`);
  const giftBox = section('Redeem a gift link');
  const keysBox = section('Apps (API keys)');
  main.append(walletBox, subBox, allocBox, listensBox, giftBox, keysBox);
  main.append(
    h('p', null, h('a', { href: '/notifications/settings' }, 'Notification settings'), ' · ', h('a', { href: '/me/reports' }, 'My reports'), ' · ', h('a', { href: '/me/data' }, 'Export my data or delete my account')),
  );
  void import('./account-email.js').then((m) => main.append(m.emailSection(signedIn.user)));

  const loadWallet = async () => {
    walletBox.querySelectorAll(':scope > :not(h2)').forEach((n) => n.remove());
    try {
      const w = await api<Wallet>('GET', `/api/v1/me/wallet?limit=${pageSize}&offset=${offset}`, { signal });
      walletBox.append(
        h('p', { class: 'balance' }, 'Balance ', h('strong', { id: 'wallet-balance', 'data-amount': String(w.balance) }, formatMoney(w.balance, w.currency))),
        table('Wallet entries, newest first', ['Date', 'What', { text: 'Amount', num: true }],
          w.entries.data.map((e) => [shortDate(e.createdAt), entryKind(e.kind), formatMoney(e.amount, w.currency)]), 'No entries yet.'),
        pager(w.entries.total, offset, month) ?? '',
      );
    } catch (err) {
      walletBox.append(failure('Could not load your wallet', err));
    }
  };

  const loadSubscription = async () => {
    subBox.querySelectorAll(':scope > :not(h2)').forEach((n) => n.remove());
    let sub: SubscriptionWithCharges | null = null;
    try {
      sub = await api<SubscriptionWithCharges>('GET', '/api/v1/me/subscription', { signal });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        subBox.append(failure('Could not load your subscription', err));
        return;
      }
    }
    const status = h('p', { class: 'message', role: 'status', 'aria-live': 'polite', hidden: true });
    const act = async (method: 'POST' | 'DELETE', done: string) => {
      try {
        await api(method, '/api/v1/me/subscription');
        await Promise.all([loadSubscription(), loadWallet(), loadAllocation()]);
        const s = subBox.querySelector<HTMLElement>('.message');
        if (s) {
          s.hidden = false;
          s.className = 'message ok';
          s.textContent = done;
        }
      } catch (err) {
        status.hidden = false;
        status.className = 'message error';
        status.setAttribute('role', 'alert');
        status.textContent = `Could not ${method === 'POST' ? 'subscribe' : 'cancel'}: ${errorText(err)}`;
      }
    };
    const state = sub?.status ?? 'none';
    const buttons: HTMLElement[] = [];
    if (!sub || sub.status === 'canceled' || sub.status === 'lapsed') {
      const b = h('button', { type: 'button' }, 'Subscribe');
      b.addEventListener('click', () => void act('POST', 'Subscribed. Thank you!'));
      buttons.push(b);
    } else if (sub.status === 'active' && sub.cancelAtPeriodEnd) {
      const b = h('button', { type: 'button' }, 'Resume renewal');
      b.addEventListener('click', () => void act('POST', 'Renewal resumed.'));
      buttons.push(b);
    } else {
      if (sub.status === 'past_due') {
        const b = h('button', { type: 'button' }, 'Pay now');
        b.addEventListener('click', () => void act('POST', 'Paid.'));
        buttons.push(b);
      }
      const c = h('button', { type: 'button', class: 'secondary' }, 'Cancel renewal');
      c.addEventListener('click', () => void act('DELETE', 'Renewal canceled; you keep listening until the end of the paid month.'));
      buttons.push(c);
    }
    subBox.append(
      h('p', null, 'State ', h('strong', { id: 'subscription-state', 'data-state': state }, state === 'none' ? 'not subscribed' : state.replace('_', ' '))),
      h('p', null, subscriptionStateText(sub)),
      sub ? h('p', { class: 'muted' }, `${formatMoney(sub.amount, sub.currency)} a month, paid from your wallet.`) : h('p', { class: 'muted' }, 'The subscription is paid from your wallet each month; most of it goes to the artists you listen to.'),
      h('div', { class: 'actions' }, buttons),
      status,
      sub?.charges?.length ? table('Charges', ['Month', { text: 'Amount', num: true }], sub.charges.map((c) => [c.month, formatMoney(c.amount, sub!.currency)])) : '',
    );
  };

  const loadAllocation = async () => {
    allocBox.querySelectorAll(':scope > :not(h2)').forEach((n) => n.remove());
    try {
      const a = await api<Allocation>('GET', `/api/v1/me/subscription/allocation?month=${month}`, { signal });
      allocBox.append(allocationView(a), monthNav(month));
    } catch (err) {
      allocBox.append(failure('Could not load where your money went', err), monthNav(month));
    }
  };

  const loadListens = async () => {
    try {
      const l = await api<MyListening>('GET', `/api/v1/me/listens?month=${month}`, { signal });
      listensBox.append(
        table('My listening per artist', ['Artist', { text: 'Counted', num: true }, { text: 'Plays', num: true }, { text: 'Held', num: true }],
          l.artists.map((a) => [actorLabel(a.artist), formatListening(a.seconds), a.plays, a.heldPlays ? `${a.heldPlays} (${formatListening(a.heldSeconds)})` : '–']),
          'No qualified listening this month yet (a listen counts after 30 s of played audio).'),
        l.listens.length
          ? h('details', null, h('summary', null, `My ${l.listens.length} latest listens`),
              table('My listens', ['When', 'Track', 'Artist', { text: 'Seconds', num: true }, 'Status'],
                l.listens.map((x) => [shortDate(x.qualifiedAt), h('a', { href: `/tracks/${x.trackId}` }, 'track'), actorLabel(x.artist), x.qualifiedSeconds, x.status + (x.heldReason ? ` (${x.heldReason})` : '')])))
          : '',
      );
    } catch (err) {
      listensBox.append(failure('Could not load your listening', err));
    }
  };

  const code = h('input', { name: 'gift', required: true, autocomplete: 'off', spellcheck: 'false' });
  giftBox.append(
    inlineForm('Redeem a gift link', [field('Gift link or code', code)], 'Open gift', async () => {
      const value = code.value.trim();
      const m = /\/gift\/([A-Za-z0-9_-]+)/.exec(value);
      navigate(`/gift/${encodeURIComponent(m ? m[1] : value)}`);
    }),
  );

  await Promise.all([loadWallet(), loadSubscription(), loadAllocation(), loadListens(), apiKeys(keysBox, signal)]);
}

/**
 * API keys for listeners' apps (Subsonic players, ListenBrainz scrobblers; docs/apps.md): make
 * one per app, see the key once, revoke it when the app or device is gone.
 */
async function apiKeys(box: HTMLElement, signal: AbortSignal): Promise<void> {
  const list = h('div', { id: 'api-keys' });
  const shown = h('div', { class: 'message ok', role: 'status', 'aria-live': 'polite', hidden: true });
  const name = h('input', { name: 'api-key-name', required: true, maxlength: '100', autocomplete: 'off', placeholder: 'e.g. Symfonium on my phone' });
  const server = location.origin;

  const load = async () => {
    list.replaceChildren();
    try {
      const keys = await api<ApiKeyList>('GET', '/api/v1/me/api-keys', { signal });
      list.append(
        table('My API keys', ['Name', 'Made', 'Last used', ''],
          keys.data.map((k) => {
            const revoke = h('button', { type: 'button', class: 'secondary', 'aria-label': `Revoke ${k.name}` }, 'Revoke');
            revoke.addEventListener('click', async () => {
              if (!confirm(`Revoke "${k.name}"? Apps using it are signed out at once.`)) return;
              try {
                await api('DELETE', `/api/v1/me/api-keys/${k.id}`);
                await load();
              } catch (err) {
                list.append(failure('Could not revoke the key', err));
              }
            });
            return [k.name, shortDate(k.createdAt), shortDate(k.lastUsedAt), revoke];
          }),
          'No keys yet.'),
      );
    } catch (err) {
      list.append(failure('Could not load your API keys', err));
    }
  };

  box.append(
    h('p', { class: 'muted' },
      'Subsonic apps (Symfonium, DSub, substreamer, Feishin, Tempo…) and ListenBrainz scrobblers sign in with a key, never with your password. ',
      `In a Subsonic app enter the server ${server}, your user name, and the key as the password; a ListenBrainz client takes the key as its token with the API URL ${server}. `,
      'Plays in apps count for the artists like plays here: by what this node really streamed to you.'),
    inlineForm('Make an API key', [field('Name of the app or device', name)], 'Make key', async () => {
      const made = await api<NewApiKey>('POST', '/api/v1/me/api-keys', { body: { name: name.value.trim() } });
      name.value = '';
      shown.hidden = false;
      shown.replaceChildren(
        h('p', null, `Key for "${made.name}": copy it now, it is not shown again.`),
        h('code', { id: 'api-key-value', class: 'secret' }, made.key),
      );
      await load();
    }),
    shown,
    list,
  );
  await load();
}

function pager(total: number, offset: number, month: string): HTMLElement | null {
  if (total <= pageSize) return null;
  const link = (o: number, text: string) => h('a', { href: `/me?month=${month}&offset=${o}` }, text);
  return h('nav', { class: 'pager', 'aria-label': 'Wallet pages' }, offset > 0 ? link(Math.max(0, offset - pageSize), 'Newer') : null, offset + pageSize < total ? link(offset + pageSize, 'Older') : null);
}

function monthNav(month: string): HTMLElement {
  const now = monthOf(new Date());
  const next = (() => {
    const [y, m] = month.split('-').map(Number);
    return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  })();
  return h('nav', { class: 'pager', 'aria-label': 'Months' }, h('a', { href: `/me?month=${previousMonth(month)}` }, `← ${monthName(previousMonth(month))}`), month < now ? h('a', { href: `/me?month=${next}` }, `${monthName(next)} →`) : null);
}

function allocationView(a: Allocation): HTMLElement {
  if (a.status === 'none') return h('p', { class: 'empty' }, 'No subscription was charged this month, so nothing went to artists.');
  const shares = percentages(a.artists.map((x) => x.amount + x.held));
  const rows = a.artists.map((x, i) => [
    actorLabel(x.artist),
    formatListening(x.seconds),
    h('span', { class: 'share' }, h('span', { class: 'share-bar', style: `width:${shares[i]}%`, 'aria-hidden': 'true' }), `${shares[i]} %`),
    formatMoney(x.amount, a.currency),
    x.held ? formatMoney(x.held, a.currency) : '–',
  ]);
  return h(
    'div',
    null,
    h('p', { class: 'muted' }, a.status === 'closed' ? 'This month is closed: these are the final amounts.' : 'Provisional: the month closes after it ends, with every listen counted.'),
    facts([
      ['Charged', formatMoney(a.charged, a.currency)],
      ['Node fee', formatMoney(a.nodeFee, a.currency)],
      ...(a.carriedIn ? ([['Carried in', formatMoney(a.carriedIn, a.currency)]] as [string, string][]) : []),
      ['To artists', formatMoney(a.artists.reduce((s, x) => s + x.amount + x.held, 0), a.currency)],
      ...(a.unallocated ? ([['Not listened (' + (a.outcome ?? '') + ')', formatMoney(a.unallocated, a.currency)]] as [string, string][]) : []),
    ]),
    table('Artists I paid this month', ['Artist', { text: 'Listened', num: true }, 'Share', { text: 'Paid', num: true }, { text: 'Held', num: true }], rows, 'No qualified listening yet this month.'),
  );
}
