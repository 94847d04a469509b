// The budget agent of metered tracks: shows the price before playing, keeps the listener's
// budget (per hour or per month), caps the quality at the dearest rendition whose next span fits
// what is left (hls.js's ABR then picks by bandwidth below that cap), buys each span (a minute
// of the track) when hls.js first asks for one of its segments, which is ahead of the playhead
// by the buffer, and sends the span's L402 credential with each segment. It stops with a clear
// message when the budget or the wallet runs out, and shows spending as it happens.
// Subscribers play metered tracks free: for them the agent stands aside.
import type Hls from 'hls.js';
import { api, ApiError, session } from './api.js';
import { ownsChannel } from './channels.js';
import { errorText, h } from './dom.js';
import { affordable, pruneSpends, remaining, segmentOf, spentIn, trackCost, type Budget, type BudgetPeriod, type PricedRendition, type Spend } from './lib/budget.js';
import { formatMoney, parseMinor } from './lib/money.js';
import type { MeteredOffer, MeteredPaid, Subscription, Track } from '../../shared/api/index.js';

// Per signed-in user: one browser may be shared.
const budgetKey = () => `9ten.budget.${session()?.user.id ?? 'anonymous'}`;
const spendsKey = () => `9ten.metered-spends.${session()?.user.id ?? 'anonymous'}`;
const defaultBudget: Budget = { amount: 100, period: 'hour' };

interface Held {
  renditions: Set<string>;
  from: number;
  to: number;
  expiresAt: number;
  authorization: string;
}

function loadBudget(): Budget {
  try {
    const b = JSON.parse(localStorage.getItem(budgetKey()) ?? 'null') as Budget | null;
    if (b && Number.isSafeInteger(b.amount) && b.amount >= 0 && (b.period === 'hour' || b.period === 'month')) return b;
  } catch {
    /* the default */
  }
  return defaultBudget;
}

function loadSpends(): Spend[] {
  try {
    const s = JSON.parse(localStorage.getItem(spendsKey()) ?? '[]') as Spend[];
    return Array.isArray(s) ? s.filter((x) => Number.isFinite(x.at) && Number.isSafeInteger(x.amount)) : [];
  } catch {
    return [];
  }
}

export type StopReason = 'budget' | 'wallet' | 'signed-out' | 'error';

export class MeteredAgent {
  readonly element: HTMLElement;
  private budget = loadBudget();
  private held: Held[] = [];
  /** Purchases run one at a time: two segments of one minute, or a seek mid-purchase, never buy it twice. */
  private queue: Promise<unknown> = Promise.resolve();
  private spentOnTrack = 0;
  /** Subscribers, the track's owner and admins play it free: the agent stands aside. */
  private free: Promise<boolean>;
  private stopped: StopReason | null = null;
  private hls: Hls | null = null;
  private readonly status = h('p', { class: 'metered-status', role: 'status', 'aria-live': 'polite' });
  private readonly spent = h('p', { id: 'metered-spent', 'data-amount': '0' });
  private readonly currency: string;
  private readonly prices: PricedRendition[];

  constructor(
    private readonly track: Pick<Track, 'id' | 'durationSeconds'> & { access: Track['access']; channelId?: string },
    /** Called once when playing has to stop (the player stops loading; what is paid plays out). */
    private readonly onStop: (reason: StopReason) => void,
    /** Called when a stopped agent may buy again (a higher budget): the player loads again. */
    private readonly onResume: () => void,
    private readonly signal: AbortSignal,
  ) {
    this.currency = track.access.currency ?? 'USD';
    this.prices = Object.entries(track.access.pricesPerMinute ?? {})
      .map(([name, pricePerMinute]) => ({ name, pricePerMinute }))
      .sort((a, b) => a.pricePerMinute - b.pricePerMinute);
    const s = session();
    const owner = s && track.channelId ? ownsChannel(track.channelId) : Promise.resolve(false);
    const subscribed = s ? api<Subscription>('GET', '/api/v1/me/subscription', { signal }).then((x) => x.status === 'active', () => false) : Promise.resolve(false);
    this.free = Promise.all([owner, subscribed]).then(([own, sub]) => {
      if (s?.user.role === 'admin' || own) this.say('Your own track (or you administer this node): it plays free for you.');
      else if (sub) this.say('Included in your subscription: you pay nothing more for this track.');
      else if (!s) this.say('Sign in to play this track: it is paid as you play, from your wallet.');
      return s?.user.role === 'admin' || own || sub;
    });
    this.element = this.render();
  }

  private money(n: number): string {
    return formatMoney(n, this.currency);
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  private render(): HTMLElement {
    const duration = this.track.durationSeconds ?? 0;
    const prices = h('ul', { class: 'metered-prices', 'aria-label': 'Prices per minute' }, this.prices.map((p) => h('li', null, `${p.name}: ${this.money(p.pricePerMinute)} per minute`)));
    const cheapest = this.prices[0];
    const dearest = this.prices[this.prices.length - 1];
    const cost = cheapest && duration ? h('p', { id: 'metered-cost' }, `The whole track (${Math.round(duration)} s) costs ${this.money(trackCost(cheapest.pricePerMinute, duration))}`, dearest !== cheapest ? ` to ${this.money(trackCost(dearest.pricePerMinute, duration))}, by quality.` : '.') : null;
    const amount = h('input', { id: 'budget-amount', inputmode: 'decimal', value: (this.budget.amount / 100).toFixed(2), size: '8' });
    const period = h('select', { id: 'budget-period' }, h('option', { value: 'hour', selected: this.budget.period === 'hour' }, 'per hour'), h('option', { value: 'month', selected: this.budget.period === 'month' }, 'per month'));
    const form = h(
      'form',
      { class: 'budget-form' },
      h('label', { for: 'budget-amount' }, 'Budget'),
      amount,
      h('label', { for: 'budget-period', class: 'visually-hidden' }, 'Budget period'),
      period,
      h('button', { type: 'submit', class: 'secondary' }, 'Set budget'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const minor = parseMinor(amount.value);
      if (minor === null) return this.say('The budget is an amount such as 1.50');
      this.budget = { amount: minor, period: period.value as BudgetPeriod };
      localStorage.setItem(budgetKey(), JSON.stringify(this.budget));
      this.showSpent();
      this.capQuality();
      this.say(`Budget set: ${this.money(minor)} ${this.budget.period === 'hour' ? 'per hour' : 'per month'}.`);
      this.resume();
    });
    this.showSpent();
    return h('section', { class: 'metered', 'aria-label': 'Pay as you play' }, h('h2', null, 'Pay as you play'), prices, cost, form, this.spent, this.status);
  }

  private showSpent(): void {
    const spends = loadSpends();
    const now = new Date();
    const inPeriod = spentIn(this.budget, spends, now);
    this.spent.dataset.amount = String(this.spentOnTrack);
    this.spent.textContent = `Spent on this track: ${this.money(this.spentOnTrack)} · ${this.budget.period === 'hour' ? 'last hour' : 'this month'}: ${this.money(inPeriod)} of ${this.money(this.budget.amount)}`;
  }

  /** Attached once hls.js knows the levels: caps its quality at what the budget affords. */
  attach(hls: Hls): void {
    this.hls = hls;
    this.capQuality();
  }

  private left(): number {
    return remaining(this.budget, loadSpends(), new Date());
  }

  private capQuality(): void {
    const hls = this.hls;
    if (!hls || !hls.levels.length) return;
    const fits = new Set(affordable(this.prices, this.left()).map((r) => r.name));
    let cap = -1;
    hls.levels.forEach((level, i) => {
      if (fits.has(renditionOfLevel(level.url[0] ?? ''))) cap = i;
    });
    // Nothing fits: the span in hand plays out, and the next purchase says why it stops.
    if (cap >= 0) hls.autoLevelCapping = cap;
  }

  private stop(reason: StopReason, message: string): null {
    if (!this.stopped) {
      this.stopped = reason;
      this.say(message);
      this.onStop(reason);
    }
    return null;
  }

  /** After a stop: buys again (the player asks on play, the budget form after a change). */
  resume(): boolean {
    if (!this.stopped || this.signal.aborted) return false;
    this.stopped = null;
    this.onResume();
    return true;
  }

  /** A segment was refused with its credential (expired, or not valid here): buy its span again. */
  refused(url: string): void {
    const seg = segmentOf(url);
    if (!seg) return;
    this.held = this.held.filter((c) => !(c.renditions.has(seg.rendition) && seg.index >= c.from && seg.index <= c.to));
  }

  private covering(rendition: string, index: number): Held | undefined {
    const now = Date.now();
    return this.held.find((c) => c.renditions.has(rendition) && index >= c.from && index <= c.to && c.expiresAt > now + 5000);
  }

  /** The Authorization header for a segment request, or null (not a metered segment, a subscriber, or stopped). */
  async authorization(url: string): Promise<string | null> {
    const seg = segmentOf(url);
    if (!seg || seg.trackId !== this.track.id || (await this.free)) return null;
    const have = this.covering(seg.rendition, seg.index);
    if (have) return have.authorization;
    // One purchase at a time; each looks again at what is held and what is left once its turn comes.
    const turn = this.queue.then(() => {
      if (this.stopped || this.signal.aborted) return null;
      return this.covering(seg.rendition, seg.index) ?? this.buy(seg.rendition, seg.index);
    });
    this.queue = turn.catch(() => null);
    return (await turn)?.authorization ?? null;
  }

  /** POST /metered/pay, again with the same key when the answer is lost (the node then answers the same purchase). */
  private async pay(invoice: string, key: string): Promise<MeteredPaid> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await api<MeteredPaid>('POST', '/api/v1/metered/pay', { body: { invoice }, headers: { 'Idempotency-Key': key } });
      } catch (err) {
        if (err instanceof ApiError || attempt === 3) throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  private async buy(rendition: string, index: number): Promise<Held | null> {
    if (!session()) return this.stop('signed-out', 'Sign in to play this track: it is paid as you play, from your wallet.');
    try {
      const offer = await api<MeteredOffer>('POST', '/api/v1/metered/offers', { body: { track: this.track.id, rendition, fromSegment: index }, signal: this.signal });
      const left = this.left();
      if (offer.amount > left) {
        return this.stop('budget', `Playback stops at the end of what is paid: the next minute costs ${this.money(offer.amount)} and ${this.money(left)} of your budget is left. Raise the budget to keep listening.`);
      }
      if (this.signal.aborted) return null; // the page was left: nothing more is bought
      // The key makes a retry after a lost answer return the same purchase, never a second one.
      const paid = await this.pay(offer.invoice, `play-${offer.paymentHash.slice(0, 48)}`);
      const p = paid.purchase;
      const held: Held = { renditions: new Set(p.renditions), from: p.segments.from, to: p.segments.to, expiresAt: Date.parse(p.expiresAt), authorization: p.authorization };
      this.held.push(held);
      // Counted once per purchase, also when the answer came on a retry (replayed).
      const spends = pruneSpends([...loadSpends(), { at: Date.now(), amount: p.amount }], new Date());
      localStorage.setItem(spendsKey(), JSON.stringify(spends));
      this.spentOnTrack += p.amount;
      this.showSpent();
      this.capQuality();
      this.say(`Paid ${this.money(p.amount)} for segments ${p.segments.from}–${p.segments.to} (${p.renditions.join(', ')}).`);
      return held;
    } catch (err) {
      if (this.signal.aborted) return null;
      if (err instanceof ApiError && err.code === 'insufficient_funds') return this.stop('wallet', 'Playback stops at the end of what is paid: your wallet is empty. Top it up to keep listening.');
      return this.stop('error', `Stopped: could not pay for the next minute (${errorText(err)})`);
    }
  }
}

/** "…/<trackId>/128k/playlist.m3u8" → "128k". */
function renditionOfLevel(url: string): string {
  const m = /\/([A-Za-z0-9_-]+)\/playlist\.m3u8(?:\?|$)/.exec(url);
  return m ? m[1] : '';
}
