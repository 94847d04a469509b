// The node's administration: users, money (health, statement, credits, withdrawals, gift
// links), listening flags, the dispute review queue, and federation (instance follows, dead
// letters, blocks).
import type {
  AccountDeletion, AccountStandingResult, BooksHealth, DeadLetterPage, FederationBlockList, GiftLinkCreated, ListeningFlagPage, MoneyStatement, ReviewQueue, Role, User, UserPage, VoteResult, WalletCredit, WithdrawalPage,
} from '../../../shared/api/index.js';
import { api } from '../api.js';
import { field, h } from '../dom.js';
import { actorLabel, formatListening, formatMoney, isMonth, monthName, monthOf, parseMinor, previousMonth } from '../lib/money.js';
import { navigate, type PageContext } from '../router.js';
import { facts, failure, gate, inlineForm, jsonBlock, section, shortDate, table } from '../ui.js';
import { instanceFollowsSection } from './admin-instance-follows.js';
import { outcomeText } from './disputes.js';
import { archiveButton } from './account-data.js';

const tabs: [string, string][] = [
  ['/admin', 'Users'],
  ['/admin/money', 'Money'],
  ['/admin/listening', 'Listening flags'],
  ['/admin/disputes', 'Disputes'],
  ['/admin/federation', 'Federation'],
  ['/admin/moderation', 'Moderation'],
  ['/admin/machine', 'Machine'],
  ['/admin/mail', 'Mail'],
];

function start(main: HTMLElement, title: string): boolean {
  if (!gate(main, title, ['admin'])) return false;
  main.append(
    h('h1', null, title),
    h('nav', { class: 'tabs', 'aria-label': 'Administration' }, tabs.map(([href, text]) => h('a', { href, 'aria-current': location.pathname === href ? 'page' : undefined }, text))),
  );
  return true;
}

const roles: Role[] = ['listener', 'artist', 'moderator', 'auditor', 'admin'];
const pageSize = 50;

export async function adminUsersPage({ main, query, signal }: PageContext): Promise<void> {
  if (!start(main, 'Administration')) return;
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const filter = query.get('role') ?? '';
  const box = section('Users');
  const credit = section('Credit a wallet');
  main.append(box, credit);
  let users: User[] = [];
  try {
    const page = await api<UserPage>('GET', `/api/v1/admin/users?limit=${pageSize}&offset=${offset}${filter ? `&role=${filter}` : ''}`, { signal });
    users = page.data;
    const roleFilter = h('select', { name: 'role' }, h('option', { value: '' }, 'All roles'), roles.map((r) => h('option', { value: r, selected: r === filter }, r)));
    roleFilter.addEventListener('change', () => navigate(roleFilter.value ? `/admin?role=${roleFilter.value}` : '/admin'));
    box.append(
      field('Show', roleFilter),
      table(`Users ${offset + 1}–${offset + page.data.length} of ${page.total}`, ['User', 'Role', 'Joined', 'State', 'Account', 'Data'], page.data.map(userRow), 'No users.'),
      h('p', { class: 'muted' }, `${page.total} users.`),
      page.total > pageSize
        ? h('nav', { class: 'pager', 'aria-label': 'User pages' },
            offset > 0 ? h('a', { href: `/admin?offset=${Math.max(0, offset - pageSize)}&role=${filter}` }, 'Previous') : null,
            offset + pageSize < page.total ? h('a', { href: `/admin?offset=${offset + pageSize}&role=${filter}` }, 'Next') : null)
        : '',
    );
  } catch (err) {
    box.append(failure('Could not load users', err));
  }
  const who = h('select', { name: 'user', required: true }, h('option', { value: '' }, 'Choose…'), users.map((u) => h('option', { value: u.id }, `${u.username} (${u.role})`)));
  const amount = h('input', { name: 'amount', inputmode: 'decimal', required: true });
  const reference = h('input', { name: 'reference', maxlength: '200' });
  credit.append(
    h('p', { class: 'muted' }, 'Adds money to a user’s wallet from outside the node (cash, bank transfer). It is recorded in the books with your name.'),
    inlineForm('Credit a wallet', [field('User', who), field('Amount', amount, 'e.g. 20.00'), field('Reference (optional)', reference)], 'Credit wallet', async () => {
      const minor = parseMinor(amount.value);
      if (!minor) throw new Error('Enter an amount such as 20.00');
      if (!who.value) throw new Error('Choose a user');
      const out = await api<WalletCredit>('POST', `/api/v1/admin/wallets/${who.value}/credit`, {
        body: { amount: minor, reference: reference.value.trim() || undefined }, headers: { 'idempotency-key': `ui-${Date.now()}-${Math.random().toString(36).slice(2, 8)}` },
      });
      amount.value = '';
      return `Credited ${formatMoney(minor)} to ${who.selectedOptions[0]?.textContent}; their balance is ${formatMoney(out.balance)}.`;
    }),
  );
}

function userRow(u: User): (Node | string)[] {
  const status = h('span', { role: 'status', class: 'row-status' });
  // An account deleted or being deleted is closed for good: nothing here changes it (the node answers 409 account_deleted).
  const closed = u.deleted;
  const role = h('select', { 'aria-label': `Role of ${u.username}`, disabled: closed }, roles.map((r) => h('option', { value: r, selected: r === u.role }, r)));
  role.addEventListener('change', async () => {
    try {
      await api('PATCH', `/api/v1/admin/users/${u.id}`, { body: { role: role.value } });
      u.role = role.value as Role;
      status.textContent = 'Saved';
    } catch (err) {
      role.value = u.role;
      status.replaceChildren(failure('Not saved', err));
    }
  });
  const state = h('span', { 'data-testid': 'user-state' }, stateOf(u));
  const actions = h('span', { class: 'row-actions' });
  const actionStatus = h('span', { role: 'status', 'aria-live': 'polite', class: 'row-status' });
  const render = () => {
    state.textContent = stateOf(u);
    actions.replaceChildren(...accountActions(u, actionStatus, render), actionStatus);
  };
  render();
  return [
    h('span', null, h('strong', null, u.username), u.displayName ? h('span', { class: 'muted' }, ` ${u.displayName}`) : null, u.email ? h('span', { class: 'muted' }, ` · ${u.email}`) : null),
    h('span', null, role, ' ', status),
    shortDate(u.createdAt).slice(0, 10),
    state,
    closed ? '' : actions,
    dataActions(u),
  ];
}

function stateOf(u: User): string {
  if (u.deleted) return u.username.startsWith('deleted-') ? 'deleted' : 'being deleted';
  const marks = [u.disabled ? 'suspended' : '', u.silenced ? 'silenced' : '', u.email && !u.emailVerified ? 'address unconfirmed' : ''].filter(Boolean);
  return marks.length ? marks.join(', ') : 'active';
}

type Measure = 'suspended' | 'silenced';
const measureText: Record<Measure, { take: string; lift: string; done: string; lifted: string }> = {
  suspended: { take: 'Suspend', lift: 'Lift suspension', done: 'Suspended: their sessions ended.', lifted: 'They can sign in again.' },
  silenced: { take: 'Silence', lift: 'Lift silence', done: 'Silenced: they publish nothing.', lifted: 'They can publish again.' },
};

/**
 * Suspending or silencing (and lifting it) goes through moderation, with a note, so the log says
 * who did it and why. An admin's account is not moderated: an admin's row only shows how to
 * enable it again when it was disabled some other way.
 */
function accountActions(u: User, status: HTMLElement, changed: () => void): HTMLElement[] {
  const out: HTMLElement[] = [];
  const measure = (m: Measure) => {
    const on = m === 'suspended' ? u.disabled : u.silenced;
    const t = measureText[m];
    const b = h('button', { type: 'button', class: on ? 'secondary' : 'danger', 'aria-label': `${on ? t.lift : t.take} ${u.username}` }, on ? t.lift : t.take);
    b.addEventListener('click', async () => {
      const note = prompt(`${on ? t.lift : t.take}: ${u.username}. Why? (kept in the moderation log)`);
      if (note === null) return;
      if (!note.trim()) {
        status.replaceChildren('Not changed: say why (the note is kept in the moderation log).');
        return;
      }
      b.disabled = true;
      try {
        const done = await api<AccountStandingResult>('PUT', `/api/v1/admin/moderation/accounts/${u.id}/standing`, { body: { [m]: !on, note: note.trim() } });
        u.disabled = done.account.suspended;
        u.silenced = done.account.silenced;
        changed();
        status.replaceChildren(on ? t.lifted : t.done);
      } catch (err) {
        status.replaceChildren(failure('Not changed', err));
        b.disabled = false;
      }
    });
    return b;
  };
  if (u.role !== 'admin') out.push(measure('suspended'), measure('silenced'));
  else if (u.disabled) {
    const enable = h('button', { type: 'button', class: 'secondary', 'aria-label': `Enable ${u.username}` }, 'Enable');
    enable.addEventListener('click', async () => {
      enable.disabled = true;
      try {
        u.disabled = (await api<User>('PATCH', `/api/v1/admin/users/${u.id}`, { body: { disabled: false } })).disabled;
        changed();
      } catch (err) {
        status.replaceChildren(failure('Not enabled', err));
        enable.disabled = false;
      }
    });
    out.push(enable);
  }
  if (u.email && !u.emailVerified) {
    const confirm = h('button', { type: 'button', class: 'secondary', 'aria-label': `Confirm the address of ${u.username}` }, 'Confirm address');
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        u.emailVerified = (await api<User>('PATCH', `/api/v1/admin/users/${u.id}`, { body: { emailVerified: true } })).emailVerified;
        changed();
        status.replaceChildren(`${u.email} is confirmed.`);
      } catch (err) {
        status.replaceChildren(failure('Not confirmed', err));
        confirm.disabled = false;
      }
    });
    out.push(confirm);
  }
  out.push(passwordForm(u, status));
  return out;
}

/** A new password for someone locked out (the way back in when the node sends no mail). */
function passwordForm(u: User, status: HTMLElement): HTMLElement {
  const input = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: '8', maxlength: '200', 'aria-label': `New password for ${u.username}` });
  const form = h('form', { class: 'row' }, input, h('button', { type: 'submit', class: 'secondary' }, 'Set'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api<User>('PATCH', `/api/v1/admin/users/${u.id}`, { body: { password: input.value } });
      input.value = '';
      status.replaceChildren('Password set: their sessions and app keys ended.');
    } catch (err) {
      status.replaceChildren(failure('Password not set', err));
    }
  });
  return h('details', { class: 'inline' }, h('summary', { 'aria-label': `Set a password for ${u.username}` }, 'Set password'), form);
}

/** Export a user's data, delete their account, or see how far its deletion got. */
function dataActions(u: User): HTMLElement {
  const status = h('span', { role: 'status', 'aria-live': 'polite', class: 'row-status' });
  const show = (d: AccountDeletion) => {
    const progress = `${d.stepsDone}/${d.stepsTotal} steps`;
    status.replaceChildren(d.state === 'done' ? 'Deleted.' : d.state === 'failed' ? `Deletion failed (${progress}; retried): ${d.lastError ?? ''}` : `Deletion ${d.state} (${progress}).`);
  };
  const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete the account of ${u.username}` }, 'Delete');
  remove.addEventListener('click', async () => {
    const typed = prompt(`Delete the account ${u.username} with its tracks, channels, playlists and personal data? Money records stay, detached. Type the username to confirm.`);
    if (typed === null) return;
    if (typed.trim().toLowerCase() !== u.username.toLowerCase()) {
      status.replaceChildren('Not deleted: the username typed did not match.');
      return;
    }
    remove.disabled = true;
    try {
      show(await api<AccountDeletion>('DELETE', `/api/v1/admin/users/${u.id}`));
    } catch (err) {
      status.replaceChildren(failure('Not deleted', err));
      remove.disabled = false;
    }
  });
  const check = h('button', { type: 'button', class: 'link', 'aria-label': `Deletion of ${u.username}` }, 'Deletion state');
  check.addEventListener('click', async () => {
    try {
      show(await api<AccountDeletion>('GET', `/api/v1/admin/users/${u.id}/deletion`));
    } catch (err) {
      status.replaceChildren(failure('No deletion', err));
    }
  });
  // A deleted account keeps its row under a made-up name: its data can still be exported (what money kept).
  const deleted = u.username.startsWith('deleted-');
  return h('span', null, archiveButton(`/api/v1/admin/users/${u.id}/export`, 'Export'), ' ', deleted ? check : h('span', null, remove, ' ', check), ' ', status);
}

export async function adminMoneyPage({ main, query, signal }: PageContext): Promise<void> {
  if (!start(main, 'Money')) return;
  const month = isMonth(query.get('month')) ? query.get('month')! : monthOf(new Date());
  const health = section('Health of the books');
  const statement = section(`Statement: ${monthName(month)}`);
  const withdrawals = section('Withdrawals to settle');
  const gifts = section('Create a gift link');
  main.append(health, statement, withdrawals, gifts);

  try {
    const hl = await api<BooksHealth>('GET', '/api/v1/admin/money/health', { signal });
    health.append(
      h('p', { class: `message ${hl.balanced ? 'ok' : 'error'}`, id: 'money-health', 'data-balanced': String(hl.balanced), role: hl.balanced ? 'status' : 'alert' },
        hl.balanced ? 'Balanced: every account sums to zero and matches its entries.' : 'NOT balanced: look at the numbers below.'),
      facts([['Accounts', hl.accounts], ['Sum of balances', hl.sum], ['Accounts drifted from their entries', hl.drifted], ['Unbalanced transactions', hl.unbalancedTransactions]]),
    );
  } catch (err) {
    health.append(failure('Could not check the books', err));
  }

  try {
    const s = await api<MoneyStatement>('GET', `/api/v1/admin/money/statements/${month}`, { signal });
    const m = (v: number) => formatMoney(v, s.currency);
    statement.append(
      facts([
        ['Close', s.close ? `${s.close.status}${s.close.paidAt ? `, paid ${s.close.paidAt.slice(0, 10)}` : ''}` : 'not closed (the month closes after it ends)'],
        ['Subscriptions', `${s.subscriptions.count} · ${m(s.subscriptions.amount)}`],
        ['Carried in', m(s.carriedIn)], ['Node fee', m(s.nodeFee)], ['To artists', m(s.artists.total)], ['Held', m(s.held)],
        ['No listening', `rolled over ${m(s.noListening.rolledOver)}, to the node ${m(s.noListening.toNode)}, refunded ${m(s.noListening.refunded)}`],
        ['Pool balance', m(s.balances.pool)], ['Payouts due', m(s.balances.payoutDue)],
      ]),
      table('Payouts', ['Artist', { text: 'Amount', num: true }, 'State'], s.artists.payouts.map((p) => [actorLabel(p.artist), m(p.amount), p.status ?? '–']), 'No payouts for this month.'),
      h('nav', { class: 'pager', 'aria-label': 'Months' }, h('a', { href: `/admin/money?month=${previousMonth(month)}` }, `← ${monthName(previousMonth(month))}`)),
    );
  } catch (err) {
    statement.append(failure('Could not load the statement', err));
  }

  const loadWithdrawals = async () => {
    try {
      const w = await api<WithdrawalPage>('GET', '/api/v1/admin/withdrawals?status=requested&limit=200', { signal });
      withdrawals.querySelectorAll(':scope > :not(h2)').forEach((n) => n.remove());
      withdrawals.append(table('Withdrawals to settle', ['Requested', 'User', { text: 'Amount', num: true }, 'Pay to', 'Settle'], w.data.map((x) => {
        const ref = h('input', { 'aria-label': `Payment reference for ${formatMoney(x.amount, x.currency)} to ${x.userId}`, required: true, size: '14' });
        const form = h('form', { class: 'inline' }, ref, h('button', { type: 'submit' }, 'Settle'));
        form.addEventListener('submit', async (e) => {
          e.preventDefault();
          try {
            await api('POST', `/api/v1/admin/withdrawals/${x.id}/settle`, { body: { reference: ref.value.trim() } });
            await loadWithdrawals();
          } catch (err) {
            form.append(failure('Not settled', err));
          }
        });
        return [shortDate(x.createdAt), h('code', null, x.userId.slice(0, 8)), formatMoney(x.amount, x.currency), x.destination ?? '–', form];
      }), 'Nothing to settle.'));
    } catch (err) {
      withdrawals.append(failure('Could not load withdrawals', err));
    }
  };
  await loadWithdrawals();

  const amount = h('input', { name: 'amount', inputmode: 'decimal', required: true });
  const message = h('input', { name: 'message', maxlength: '500' });
  const from = h('select', { name: 'fundFrom' }, h('option', { value: 'node' }, 'the node'), h('option', { value: 'wallet' }, 'my wallet'));
  const result = h('div', { class: 'gift-result' });
  gifts.append(
    inlineForm('Create a gift link', [field('Amount', amount, 'e.g. 9.00'), field('Message (optional)', message), field('Funded from', from)], 'Create gift link', async () => {
      const minor = parseMinor(amount.value);
      if (!minor) throw new Error('Enter an amount such as 9.00');
      const link = await api<GiftLinkCreated>('POST', '/api/v1/gift-links', {
        body: { amount: minor, message: message.value.trim() || undefined, fundFrom: from.value }, headers: { 'idempotency-key': `gift-${Date.now()}` },
      });
      result.replaceChildren(
        h('figure', { class: 'qr' }, h('img', { src: link.qr.png, alt: `QR code for the gift link ${link.url}`, width: '200', height: '200' }), h('figcaption', null, h('a', { href: link.url }, link.url))),
      );
      return `Gift link for ${formatMoney(link.amount, link.currency)} created. Share the link or the QR code.`;
    }),
    result,
  );
}

export async function adminListeningPage({ main, query, signal }: PageContext): Promise<void> {
  if (!start(main, 'Listening flags')) return;
  const status = query.get('status') ?? 'held';
  const box = section('Listening held by the anomaly rules');
  main.append(box);
  box.append(h('nav', { class: 'pager', 'aria-label': 'Flag state' }, ['held', 'counted', 'rejected'].map((s) => h('a', { href: `/admin/listening?status=${s}`, 'aria-current': s === status ? 'true' : undefined }, s))));
  try {
    const { total, items } = await api<ListeningFlagPage>('GET', `/api/v1/admin/listening/flags?status=${status}&limit=100`, { signal });
    box.append(
      h('p', { class: 'muted' }, `${total} flags.`),
      table('Flags', ['Flagged', 'Rule', 'Listener', 'Track', { text: 'Seconds', num: true }, 'State', 'Evidence'], items.map((f) => [
        shortDate(f.createdAt), f.rule, f.listen.username ?? f.listen.pseudonym, h('a', { href: `/tracks/${f.listen.trackId}` }, actorLabel(f.listen.artist)), formatListening(f.listen.qualifiedSeconds),
        f.listen.status + (f.listen.heldReason ? ` (${f.listen.heldReason})` : ''), jsonBlock(f.evidence, 'Evidence'),
      ]), 'No flags.'),
      h('p', { class: 'muted' }, 'Held listening is settled by a dispute: open one from the disputes page for the month.'),
    );
  } catch (err) {
    box.append(failure('Could not load the flags', err));
  }
}

export async function adminDisputesPage({ main, query, signal }: PageContext): Promise<void> {
  if (!start(main, 'Disputes to review')) return;
  const state = query.get('state') === 'all' ? 'all' : 'pending';
  const box = section(state === 'all' ? 'Every dispute this node reviews' : 'Waiting for this node’s vote');
  main.append(box);
  box.append(h('nav', { class: 'pager', 'aria-label': 'Queue' }, h('a', { href: '/admin/disputes', 'aria-current': state === 'pending' ? 'true' : undefined }, 'Pending'), h('a', { href: '/admin/disputes?state=all', 'aria-current': state === 'all' ? 'true' : undefined }, 'All')));
  try {
    const { items } = await api<ReviewQueue>('GET', `/api/v1/admin/disputes/reviews?state=${state}`, { signal });
    if (!items.length) box.append(h('p', { class: 'empty' }, 'Nothing to review.'));
    for (const d of items) {
      const art = h('article', { class: 'review', 'aria-label': `Dispute ${d.id}` },
        h('h3', null, `${d.month} · ${d.artist ? actorLabel(d.artist) : d.subject.type} · ${formatMoney(d.amount, d.currency)}`),
        facts([['From node', d.reportingNode], ['Opened by', d.openedBy], ['Status', d.status], ['Deadline', shortDate(d.deadline)], ['Outcome', outcomeText(d)], ['My vote', d.myVote ?? 'not yet']]),
        jsonBlock(d.evidence, 'Evidence'),
        h('p', null, h('a', { href: `/disputes/${d.id}` }, 'Details and ledger history')),
      );
      if (!d.myVote && (d.status === 'open' || d.status === 'opening')) {
        const decision = h('select', { name: 'decision' }, h('option', { value: 'release' }, 'Release: the listening is genuine, pay it'), h('option', { value: 'void' }, 'Void: the listening does not count'));
        const reason = h('textarea', { name: 'reason', rows: '2', required: true, minlength: '3', maxlength: '4096' });
        art.append(inlineForm('Vote', [field('Decision', decision), field('Reason', reason)], 'Cast vote', async () => {
          const out = await api<VoteResult>('POST', `/api/v1/admin/disputes/${d.id}/vote`, { body: { decision: decision.value, reason: reason.value.trim() } });
          return out.status === 'recorded' ? 'Vote recorded on the ledger.' : 'Vote queued; it is recorded on the ledger shortly.';
        }));
      }
      box.append(art);
    }
  } catch (err) {
    box.append(failure('Could not load the review queue', err));
  }
}

export async function adminFederationPage({ main, signal }: PageContext): Promise<void> {
  if (!start(main, 'Federation')) return;
  const instances = instanceFollowsSection(signal);
  const dead = section('Dead letters');
  const blocks = section('Blocks');
  main.append(instances.box, dead, blocks);
  const loadDead = async () => {
    dead.querySelectorAll(':scope > :not(h2)').forEach((n) => n.remove());
    try {
      const { total, data } = await api<DeadLetterPage>('GET', '/api/v1/federation/admin/dead-letters?limit=100', { signal });
      dead.append(h('p', { class: 'muted' }, `${total} deliveries failed for good or were skipped.`), table('Dead letters', ['When', 'Activity', 'Inbox', 'State', 'Last error', ''], data.map((d) => {
        const retry = h('button', { type: 'button', class: 'secondary', 'aria-label': `Retry ${d.activityType} to ${d.inbox}` }, 'Retry');
        retry.addEventListener('click', async () => {
          retry.disabled = true;
          try {
            await api('POST', `/api/v1/federation/admin/dead-letters/${d.id}/retry`);
            retry.textContent = 'Queued';
          } catch (err) {
            retry.after(failure('Not queued', err));
            retry.disabled = false;
          }
        });
        return [shortDate(d.updatedAt), d.activityType, d.inbox, `${d.state} (${d.attempts} tries)`, [d.lastStatus, d.lastError].filter(Boolean).join(' ') || '–', retry];
      }), 'No dead letters.'));
    } catch (err) {
      dead.append(failure('Could not load dead letters', err));
    }
  };
  const kind = h('select', { name: 'kind' }, h('option', { value: 'domain' }, 'a domain'), h('option', { value: 'actor' }, 'an actor (URL)'));
  const value = h('input', { name: 'value', required: true, placeholder: 'spam.example' });
  const reason = h('input', { name: 'reason', maxlength: '1000' });
  const list = h('div');
  const loadBlocks = async () => {
    try {
      const { data } = await api<FederationBlockList>('GET', '/api/v1/federation/admin/blocks', { signal });
      list.replaceChildren(table('Blocks', ['Blocked', 'Kind', 'Reason', 'Since', ''], data.map((b) => {
        const lift = h('button', { type: 'button', class: 'secondary', 'aria-label': `Lift the block of ${b.value}` }, 'Lift');
        lift.addEventListener('click', async () => {
          try {
            await api('DELETE', `/api/v1/federation/admin/blocks/${b.id}`);
            await loadBlocks();
          } catch (err) {
            lift.after(failure('Not lifted', err));
          }
        });
        return [b.value, b.kind, b.reason ?? '–', shortDate(b.createdAt), lift];
      }), 'Nothing is blocked.'));
    } catch (err) {
      list.replaceChildren(failure('Could not load blocks', err));
    }
  };
  blocks.append(
    inlineForm('Block', [field('Block', kind), field('Domain or actor URL', value), field('Reason (optional)', reason)], 'Add block', async () => {
      await api('POST', '/api/v1/federation/admin/blocks', { body: { kind: kind.value, value: value.value.trim(), reason: reason.value.trim() || undefined } });
      value.value = '';
      await loadBlocks();
      return 'Blocked: its inbox deliveries are refused and follows end.';
    }),
    list,
  );
  await Promise.all([instances.load(), loadDead(), loadBlocks()]);
}
