// The investment campaigns on a channel page (loaded with it, as a chunk of its own): the open
// campaign (raised against the goal, time left, the terms in plain words, the pledge form), the
// public repayment record of every closed campaign, and for the channel's artist their figures,
// the open-a-campaign form and Cancel. Repayment rests on the artist's reputation, not on
// enforcement, so the record is shown to everyone.
import type { Campaign, Channel, Pledge } from '../../../shared/api/index.js';
import { api, ApiError, session } from '../api.js';
import { ownsChannel } from '../channels.js';
import { errorText, field, h, messageBox, type MessageBox } from '../dom.js';
import {
  artistTotals, campaignLimits, campaignStateText, checkCampaign, fundedPercent, multipleText, parseMultiple, parseShare, percentText, termsText, timeLeft,
  type CampaignDraft, type DraftField,
} from '../lib/campaigns.js';
import { formatMinor, formatMoney, parseMinor } from '../lib/money.js';
import { facts, failure, section, shortDate, table, walletCurrency } from '../ui.js';

export interface CampaignSlots {
  /** Above the tracks: the open campaign, and the artist's own panel. */
  current: HTMLElement;
  /** Below the tracks: the repayment record. */
  record: HTMLElement;
}

/** A deadline in the reader's own time: "Jun 1, 2026, 12:00 PM". */
const localTime = (iso: string): string => new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });

/** A fresh key for a request the node must not apply twice (a double click, a retried network call). */
const requestKey = (what: string): string => `${what}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function showCampaigns(channel: Channel, slots: CampaignSlots, signal: AbortSignal): Promise<void> {
  const owner = await ownsChannel(channel.id);
  const mayCancel = owner || session()?.user.role === 'admin';
  // A status line that survives reloads of the panel (pledged, opened, cancelled).
  const notice = messageBox();
  let stopCountdown = () => {};
  signal.addEventListener('abort', () => stopCountdown());
  let currency: string | null = null;

  const load = async (): Promise<void> => {
    stopCountdown();
    let list: Campaign[];
    try {
      list = await api<Campaign[]>('GET', `/api/v1/channels/${encodeURIComponent(channel.name)}/campaigns`, { signal });
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 404) {
        // A node without campaigns: nothing to show.
        slots.current.replaceChildren();
        slots.record.replaceChildren();
        return;
      }
      slots.current.replaceChildren(failure('Could not load the campaigns', err));
      return;
    }
    currency ??= list[0]?.currency ?? (owner ? await walletCurrency(signal) : 'USD');
    const open = list.find((c) => c.status === 'open');
    const parts: HTMLElement[] = [];
    if (open) {
      const card = openCampaignCard(open, { owner, mayCancel, notice, reload: load });
      stopCountdown = card.stop;
      parts.push(card.el);
    }
    if (owner) parts.push(artistPanel(channel, list, !!open, currency, notice, load));
    if (!open && !owner) parts.push(notice);
    slots.current.replaceChildren(...parts);
    slots.record.replaceChildren(recordCard(channel, list.filter((c) => c.status !== 'open')));
  };
  await load();
}

interface CardContext {
  owner: boolean;
  mayCancel: boolean;
  notice: MessageBox;
  reload: () => Promise<void>;
}

function openCampaignCard(c: Campaign, ctx: CardContext): { el: HTMLElement; stop: () => void } {
  const money = (v: number) => formatMoney(v, c.currency);
  const pct = fundedPercent(c.raised, c.goal);
  const deadline = Date.parse(c.deadline);
  const countdown = h('strong', { class: 'countdown', id: 'campaign-time-left' });
  const tick = () => {
    const left = timeLeft(deadline, Date.now());
    countdown.textContent = left ? `${left} left` : 'Deadline passed: settling';
  };
  tick();
  const timer = setInterval(tick, 1000);

  let action: HTMLElement;
  if (ctx.owner) {
    action = h('p', { class: 'muted' }, 'This is your campaign: share this page with your fans. You cannot pledge to it yourself.');
  } else if (!session()) {
    action = h('p', null, h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in'), ' or ', h('a', { href: '/signup' }, 'sign up'), ' to pledge from your wallet.');
  } else {
    action = pledgeForm(c, ctx);
  }
  const cancel = ctx.mayCancel ? cancelButton(c, ctx) : null;

  const el = h(
    'section',
    { class: 'card campaign', id: 'open-campaign', 'data-campaign': c.id, 'aria-labelledby': 'campaign-title' },
    h('p', { class: 'muted' }, 'Invest in this artist'),
    h('h2', { id: 'campaign-title' }, c.title),
    c.description ? h('p', { class: 'description' }, c.description) : null,
    h('div', { class: 'progress-line' }, h('span', { id: 'campaign-raised', 'data-amount': String(c.raised) }, `${money(c.raised)} raised`), h('span', null, `of ${money(c.goal)}`)),
    h('progress', { max: String(c.goal), value: Math.min(c.raised, c.goal), 'aria-label': `${pct} % of the goal raised` }),
    h('p', { class: 'campaign-figures' },
      h('span', null, `${pct} % funded`),
      h('span', null, plural(c.investors, 'investor')),
      h('span', null, countdown),
      h('span', null, `closes ${localTime(c.deadline)}`),
    ),
    h('p', { class: 'terms' }, `Investors get ${termsText(c)}.`),
    facts([
      ['Smallest pledge', money(c.minPledge)],
      ['Each investor gets back', `up to ${multipleText(c.capMultiple)} what they put in (${money(100)} pledged pays back up to ${money(Math.floor(100 * c.capMultiple))})`],
      ...(c.nodeCutBasisPoints > 0 ? ([["This node's cut", `${percentText(c.nodeCutBasisPoints)} of what is raised, if the goal is met`]] as [string, string][]) : []),
    ]),
    h(
      'p',
      { class: 'muted' },
      'Your pledge waits in the campaign’s escrow until the deadline. If the goal is met by then, the artist receives the money and pays investors back from their income (payouts, tips, sales) as it comes in; if not, or if the artist cancels, every pledge goes back to its wallet. Nothing but the artist’s reputation makes them keep earning and repaying: see their record below.',
    ),
    ctx.notice,
    action,
    cancel,
  );
  return { el, stop: () => clearInterval(timer) };
}

/** The node's refusals of a pledge, in the campaign's money. */
function pledgeRefusal(err: unknown, c: Campaign): (Node | string)[] {
  const money = (v: number) => formatMoney(v, c.currency);
  if (!(err instanceof ApiError)) return [`Could not pledge: ${errorText(err)}`];
  const body = (err.body && typeof err.body === 'object' ? err.body : {}) as Record<string, unknown>;
  const num = (k: string) => (typeof body[k] === 'number' ? (body[k] as number) : null);
  switch (err.code) {
    case 'pledge_too_small':
      return [`The smallest pledge to this campaign is ${money(num('minPledge') ?? c.minPledge)}.`];
    case 'insufficient_funds': {
      const has = num('available');
      return [`Your wallet holds ${has !== null ? money(has) : 'too little'}; this pledge needs ${money(num('needed') ?? 0)}. `, h('a', { href: '/me' }, 'Add money to your wallet'), '.'];
    }
    case 'campaign_closed':
      return [`${err.message}.`];
    case 'invalid_recipient':
      return ['You cannot invest in your own campaign.'];
    default:
      return [`Could not pledge: ${errorText(err)}`];
  }
}

function pledgeForm(c: Campaign, ctx: CardContext): HTMLFormElement {
  const money = (v: number) => formatMoney(v, c.currency);
  const amount = h('input', { name: 'amount', inputmode: 'decimal', autocomplete: 'off', required: true, placeholder: formatMinor(c.minPledge) });
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, 'Pledge');
  // One key per amount typed: a double click or a retry pledges once; a new amount is a new pledge.
  let key: string | null = null;
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Pledge to this campaign', novalidate: true, oninput: () => (key = null) },
    h('div', { class: 'row' }, field(`Pledge (${c.currency})`, amount, `At least ${money(c.minPledge)}, from your wallet.`)),
    h('div', { class: 'actions' }, submit),
    msg,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.hide();
    ctx.notice.hide();
    const minor = parseMinor(amount.value);
    if (!minor) {
      amount.setAttribute('aria-invalid', 'true');
      msg.show(`Enter an amount such as ${formatMinor(c.minPledge)}.`);
      return;
    }
    amount.removeAttribute('aria-invalid');
    key ??= requestKey('pledge');
    submit.disabled = true;
    try {
      const p = await api<Pledge>('POST', `/api/v1/campaigns/${encodeURIComponent(c.id)}/pledges`, { body: { amount: minor }, headers: { 'Idempotency-Key': key } });
      key = null;
      await ctx.reload();
      ctx.notice.show(`Pledged ${money(p.amount)}. Thank you! It waits in the campaign’s escrow until the deadline. `, 'ok');
      ctx.notice.append(h('a', { href: '/investments' }, 'My investments'));
    } catch (err) {
      const refusal = pledgeRefusal(err, c);
      // A closed campaign is shown again as it is now (without this form), the reason above it.
      const box = err instanceof ApiError && err.code === 'campaign_closed' ? (await ctx.reload(), ctx.notice) : msg;
      box.show('');
      box.replaceChildren(...refusal);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function cancelButton(c: Campaign, ctx: CardContext): HTMLElement {
  const money = (v: number) => formatMoney(v, c.currency);
  const button = h('button', { type: 'button', class: 'secondary' }, 'Cancel this campaign');
  const msg = messageBox();
  button.addEventListener('click', async () => {
    const refunds = c.raised ? `every pledge (${money(c.raised)} in all) goes back to its investor` : 'nobody has pledged yet';
    if (!confirm(`Cancel “${c.title}”? It closes now and ${refunds}. The cancellation stays on your public record.`)) return;
    button.disabled = true;
    msg.hide();
    try {
      await api<Campaign>('POST', `/api/v1/campaigns/${encodeURIComponent(c.id)}/cancel`);
      await ctx.reload();
      ctx.notice.show(`“${c.title}” is cancelled${c.raised ? `: ${money(c.raised)} went back to the investors` : ''}.`, 'ok');
    } catch (err) {
      msg.show(`Could not cancel: ${errorText(err)}`);
      button.disabled = false;
    }
  });
  return h('div', { class: 'actions' }, button, msg);
}

/** The channel's artist: what their campaigns raised, repaid and still owe, and the open-a-campaign form. */
function artistPanel(channel: Channel, list: Campaign[], hasOpen: boolean, currency: string, notice: MessageBox, reload: () => Promise<void>): HTMLElement {
  const money = (v: number) => formatMoney(v, currency);
  const t = artistTotals(list);
  return section(
    'Your campaigns',
    facts([
      ['Raised', h('strong', { id: 'artist-raised', 'data-amount': String(t.raised) }, money(t.raised))],
      ['Repaid to investors', h('span', { id: 'artist-repaid', 'data-amount': String(t.repaid) }, money(t.repaid))],
      ['Still owed (at most)', h('span', { id: 'artist-owed', 'data-amount': String(t.owed) }, money(t.owed))],
      ['Share of your income promised', `${percentText(t.promisedBasisPoints)} (this channel)`],
    ]),
    h('p', { class: 'muted' }, `Raised counts funded campaigns (${plural(t.funded, 'campaign')}, ${t.repaidInFull} repaid in full). A funded campaign takes its share of every income credited to you until each investor reaches the cap; investors and everyone else see this record on your channel.`),
    hasOpen ? h('p', { class: 'muted' }, 'One campaign at a time: open the next one once this one closes.') : openCampaignForm(channel, currency, notice, reload),
    hasOpen ? null : notice,
  );
}

/** A `datetime-local` value in the browser's time zone. */
const localInput = (ms: number): string => {
  const d = new Date(ms);
  return new Date(ms - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function openCampaignForm(channel: Channel, currency: string, notice: MessageBox, reload: () => Promise<void>): HTMLFormElement {
  const money = (v: number) => formatMoney(v, currency);
  const L = campaignLimits;
  const controls: Record<DraftField, HTMLInputElement | HTMLTextAreaElement> = {
    title: h('input', { name: 'title', required: true, maxlength: String(L.titleMax) }),
    description: h('textarea', { name: 'description', rows: '3', maxlength: String(L.descriptionMax) }),
    goal: h('input', { name: 'goal', inputmode: 'decimal', required: true, placeholder: '500.00' }),
    minPledge: h('input', { name: 'minPledge', inputmode: 'decimal', required: true, placeholder: '5.00' }),
    deadline: h('input', { name: 'deadline', type: 'datetime-local', required: true, value: localInput(Date.now() + 30 * 86_400_000) }),
    share: h('input', { name: 'share', inputmode: 'decimal', required: true, value: '5' }),
    cap: h('input', { name: 'cap', inputmode: 'decimal', required: true, value: '1.5' }),
  };
  const preview = h('p', { class: 'terms', 'aria-live': 'polite' });
  const showPreview = () => {
    const share = parseShare(controls.share.value);
    const cap = parseMultiple(controls.cap.value);
    preview.textContent = share && cap ? `Investors get ${termsText({ shareBasisPoints: share, capMultiple: cap }, 'your')}.` : '';
  };
  showPreview();
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, 'Open campaign');
  let key: string | null = null;
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Open a campaign', novalidate: true, oninput: () => ((key = null), showPreview()) },
    h('h3', null, 'Open a campaign'),
    field('Title', controls.title),
    field('Description (optional)', controls.description, 'What the money is for.'),
    h('div', { class: 'row' },
      field(`Goal (${currency})`, controls.goal, 'Raised by the deadline, or every pledge is refunded.'),
      field(`Smallest pledge (${currency})`, controls.minPledge),
    ),
    h('div', { class: 'row' },
      field('Deadline', controls.deadline, `At least a minute away, at most ${L.maxDays} days.`),
      field('Share of your income (%)', controls.share, 'Paid to investors from every income credited to you.'),
      field('Investors get back at most (× what they put in)', controls.cap, `From ${L.minCapMultiple} to ${L.maxCapMultiple}.`),
    ),
    preview,
    h('div', { class: 'actions' }, submit),
    msg,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.hide();
    notice.hide();
    const draft = Object.fromEntries(Object.entries(controls).map(([k, c]) => [k, c.value])) as unknown as CampaignDraft;
    const { body, problems } = checkCampaign(draft, Date.now(), money);
    for (const [name, control] of Object.entries(controls)) {
      if (problems.some((p) => p.field === name)) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    }
    if (!body) {
      msg.show(problems.length === 1 ? problems[0].message : 'Check the form:');
      if (problems.length > 1) msg.append(h('ul', { class: 'problems' }, problems.map((p) => h('li', null, p.message))));
      controls[problems[0].field].focus();
      return;
    }
    key ??= requestKey('campaign');
    submit.disabled = true;
    try {
      const made = await api<Campaign>('POST', `/api/v1/channels/${encodeURIComponent(channel.name)}/campaigns`, { body, headers: { 'Idempotency-Key': key } });
      key = null;
      await reload();
      notice.show(`“${made.title}” is open until ${localTime(made.deadline)}. Share this page with your fans.`, 'ok');
    } catch (err) {
      msg.show(`Could not open the campaign: ${errorText(err)}`);
      submit.disabled = false;
    }
  });
  return form;
}

/** Every closed campaign of the channel: what it raised, repaid and still owes. Public. */
function recordCard(channel: Channel, closed: Campaign[]): HTMLElement {
  const currency = closed[0]?.currency ?? 'USD';
  const money = (v: number) => formatMoney(v, currency);
  const t = artistTotals(closed);
  const now = Date.now();
  const rows = closed.map((c) => {
    const funded = c.status === 'funded';
    return [
      c.title,
      h('span', { class: 'campaign-state', 'data-status': c.status }, campaignStateText(c, now)),
      `${percentText(c.shareBasisPoints)} until ${multipleText(c.capMultiple)}`,
      money(c.raised),
      money(c.goal),
      funded ? money(c.repaid) : '–',
      funded ? money(c.owed) : '–',
      shortDate(c.settledAt),
      funded ? (c.repaidAt ? shortDate(c.repaidAt) : 'not yet') : '–',
    ];
  });
  return section(
    'Repayment record',
    h('p', { class: 'muted' }, `Every campaign @${channel.name} has closed, and what it paid back. The node does not force repayment; this public record is what investors go by.`),
    t.funded ? h('p', { id: 'record-summary' }, `${plural(t.funded, 'funded campaign')}, ${t.repaidInFull} repaid in full: ${money(t.repaid)} paid back, ${money(t.owed)} still owed at most.`) : null,
    table(
      `Repayment record of @${channel.name}`,
      ['Campaign', 'Outcome', 'Terms', { text: 'Raised', num: true }, { text: 'Goal', num: true }, { text: 'Repaid', num: true }, { text: 'Still owed', num: true }, 'Closed', 'Repaid in full'],
      rows,
      'No campaign has closed yet.',
    ),
  );
}
