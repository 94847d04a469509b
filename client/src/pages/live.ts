// Live: the directory of streams live now (this node and followed channels elsewhere), a
// stream's page (hls.js, watch or listen only, viewers, tip alerts from the event stream, a
// tip form; for a priced stream the price, the viewer's free time left, and paying as you
// watch when the node answers 402; a watch link's guest pays on its credit without a click and
// may claim the account), and the artist's live setup (key, title, replays, price, watch links,
// health).
import type { ErrorData } from 'hls.js';
import { accessToken, api, ApiError, logOut, refresh, saveSession, session } from '../api.js';
import { append, clear, errorText, field, h, messageBox, onSubmit, type MessageBox } from '../dom.js';
import { myChannels } from '../channels.js';
import { formatMoney, parseMinor } from '../lib/money.js';
import { failure, facts, section, shortDate, table } from '../ui.js';
import type { PageContext } from '../router.js';
import { PlayReporter } from '../listening.js';
import { PlayedTracker } from '../lib/played.js';
import { guestLinkOf } from './watch-link.js';
import { tipForm } from './tip-form.js';
import type {
  ChannelLive, LiveAccess, LiveDirectory, LivePrice, LiveStream, LiveWatch, PaymentStream, SignUpRules, StreamKey, User, UserAndVerification, WatchLink, WatchLinkCreated,
} from '../../../shared/api/index.js';

/** Where a listener sees their wallet (balance and entries). */
const walletPath = '/me';

const creditUsedUp = "The link's credit is used up. Claim your account to top up and keep watching.";

/** The directory, or undefined once the failure is on the page. */
async function loadDirectory(main: HTMLElement, signal: AbortSignal): Promise<LiveDirectory | undefined> {
  try {
    return await api<LiveDirectory>('GET', '/api/v1/live', { signal });
  } catch (err) {
    main.append(failure('the live streams', err));
    return undefined;
  }
}

export async function liveDirectoryPage({ main, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Live now'));
  const dir = await loadDirectory(main, signal);
  if (!dir) return;
  const local = dir.local.map((s) =>
    h('li', { class: 'live-item' }, h('span', { class: 'badge live' }, '● LIVE'), ' ', h('a', { href: `/live/${s.id}` }, s.title), ` · ${s.channel.displayName}`, s.viewers !== null ? ` · ${s.viewers} watching` : ''),
  );
  const remote = dir.remote.map((s) =>
    h(
      'li',
      { class: 'live-item' },
      h('span', { class: 'badge live' }, '● LIVE'),
      ' ',
      // Watched here, through this node, when its home node sent the playlist; else on its home node.
      s.playlistUrl ? h('a', { href: `/live/remote/${s.watchId}` }, s.title) : s.url ? h('a', { href: s.url, rel: 'noopener' }, s.title) : s.title,
      ` · ${s.channelName} (${s.channel})`,
      s.playlistUrl && s.url ? [' · ', h('a', { href: s.url, rel: 'noopener' }, 'on its home node')] : null,
    ),
  );
  append(
    main,
    local.length ? h('ul', { class: 'live-list', 'aria-label': 'Live on this node' }, local) : h('p', null, 'Nobody on this node is live right now.'),
    remote.length ? section('Followed channels elsewhere', h('ul', { class: 'live-list' }, remote)) : null,
  );
}

const stateText: Record<LiveStream['state'], string> = { starting: 'Starting…', live: '● LIVE', reconnecting: 'Reconnecting…', ended: 'Ended' };

export async function livePage({ main, params, signal, query }: PageContext): Promise<void> {
  let stream: LiveStream;
  try {
    stream = await api<LiveStream>('GET', `/api/v1/live/streams/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    const gone = err instanceof ApiError && err.status === 404;
    main.append(h('h1', null, gone ? 'Stream not found' : 'Live'), h('p', { class: 'message error', role: 'alert' }, gone ? 'This live stream does not exist.' : errorText(err)));
    return;
  }
  const listenOnly = query.get('listen') === '1' || !stream.renditions.some((r) => r.kind === 'video');
  const badge = h('span', { class: `badge ${stream.state === 'live' ? 'live' : ''}`, 'data-testid': 'live-state' }, stateText[stream.state]);
  const viewers = h('span', { 'data-testid': 'live-viewers' }, stream.viewers !== null ? `${stream.viewers} watching` : '');
  const status = h('p', { class: 'message info', role: 'status', 'aria-live': 'polite', hidden: true });
  const alerts = h('div', { class: 'tip-alerts', role: 'log', 'aria-live': 'polite', 'aria-label': 'Tips' });
  const media = listenOnly ? h('audio', { controls: true, 'data-testid': 'live-media' }) : h('video', { controls: true, playsinline: true, 'data-testid': 'live-media', class: 'live-video' });
  const switcher = h(
    'a',
    { href: listenOnly ? `/live/${stream.id}` : `/live/${stream.id}?listen=1`, class: 'button secondary' },
    listenOnly ? 'Watch (video)' : 'Listen only (audio)',
  );
  const priced = stream.price.pricePerMinute > 0 && stream.state !== 'ended';
  // Listening counts for the monthly split: a play session on the stream, positions on its
  // timeline (a segment's sequence number times the segment length, plus the time into it).
  let current: { sn: number; start: number } | null = null;
  const tracker = new PlayedTracker();
  const reporter = new PlayReporter(stream.id, () => ({
    positionSeconds: current ? current.sn * stream.segmentSeconds + Math.max(0, media.currentTime - current.start) : 0,
    playedSeconds: tracker.playedSeconds,
  }));
  media.addEventListener('timeupdate', () => !media.paused && tracker.update(media.currentTime));
  media.addEventListener('playing', () => {
    tracker.update(media.currentTime);
    void reporter.start().then(() => reporter.playing());
  });
  media.addEventListener('pause', () => {
    tracker.update(media.currentTime);
    tracker.break();
    reporter.paused();
  });
  media.addEventListener('seeking', () => tracker.break());
  signal.addEventListener('abort', () => reporter.close());
  const player = { stop: () => {}, resume: () => {} };
  const paid = priced ? new PayAsYouWatch(stream, media, player, signal) : null;
  append(
    main,
    h('h1', null, stream.title),
    h('p', { class: 'byline' }, badge, ' ', h('a', { href: `/channels/${encodeURIComponent(stream.channel.name)}` }, stream.channel.displayName), ' · ', viewers, ' · ', h('span', { 'data-testid': 'live-price' }, priceText(stream.price))),
    media,
    paid?.element ?? null,
    session()?.user.guest ? claimBanner(() => paid?.claimed()) : null,
    h('p', { class: 'actions' }, stream.renditions.some((r) => r.kind === 'video') ? switcher : null),
    status,
    alerts,
  );

  const ended = (s: { message?: string }) => {
    badge.textContent = stateText.ended;
    badge.className = 'badge';
    status.hidden = false;
    status.textContent = `The stream has ended.${s.message ? ` ${s.message}` : ''}`;
    paid?.ended();
  };
  if (stream.state === 'ended') {
    ended({ message: stream.endMessage ?? undefined });
    if (stream.replayTrackId) main.append(h('p', null, h('a', { href: `/tracks/${stream.replayTrackId}` }, 'Play the replay')));
    return;
  }

  // Playback: hls.js where MSE exists, native HLS otherwise (Safari).
  const url = listenOnly ? stream.audioPlaylistUrl : stream.playlistUrl;
  const { default: Hls } = await import('hls.js');
  if (signal.aborted) return;
  if (Hls.isSupported()) {
    const fragPolicy = Hls.DefaultConfig.fragLoadPolicy.default;
    const hls = new Hls({
      liveSyncDurationCount: 3,
      lowLatencyMode: false,
      // The signed-in viewer's token on every request of this node (free minutes and watch
      // streams are theirs); read each time, as tokens refresh. Never sent to other origins.
      xhrSetup: (xhr, reqUrl) => {
        const token = accessToken();
        if (!token || !sameOrigin(reqUrl)) return;
        if (!xhr.readyState) xhr.open('GET', reqUrl, true);
        xhr.setRequestHeader('Authorization', `Bearer ${token}`);
        if (reporter.sessionId) xhr.setRequestHeader('X-Play-Session', reporter.sessionId);
      },
      // A segment refused for payment (402) or an expired token (401) is no reason to switch
      // rendition: the same answer would come. Counted as a retry; the handler below stops
      // loading before it runs, and starts again once the viewer pays (or the token is new).
      fragLoadPolicy: {
        default: {
          ...fragPolicy,
          errorRetry: fragPolicy.errorRetry && {
            ...fragPolicy.errorRetry,
            shouldRetry: (_config, _count, _timeout, response, retry) => (response?.code === 402 || response?.code === 401 ? true : retry),
          },
        },
      },
    });
    let refreshedAt = 0;
    hls.on(Hls.Events.ERROR, (_e, data) => {
      const code = data.response?.code;
      if (code === 402 && data.frag) {
        if (paid) void paid.refused(data);
        else hls.stopLoad();
        return;
      }
      if (code === 401 && session() && Date.now() - refreshedAt > 30_000) {
        // The access token expired: a new one, then load again.
        refreshedAt = Date.now();
        hls.stopLoad();
        void refresh().then(() => {
          if (signal.aborted) return;
          if (data.details === Hls.ErrorDetails.MANIFEST_LOAD_ERROR) hls.loadSource(url);
          else hls.startLoad(-1);
        });
        return;
      }
      if (!data.fatal || paid?.waiting) return;
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) setTimeout(() => !signal.aborted && !paid?.waiting && hls.startLoad(), 1000);
      else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    });
    player.stop = () => hls.stopLoad();
    player.resume = () => {
      hls.startLoad(-1);
      void media.play().catch(() => {});
    };
    hls.on(Hls.Events.FRAG_CHANGED, (_e, data) => {
      if (typeof data.frag.sn === 'number') current = { sn: data.frag.sn, start: data.frag.start };
    });
    // The session exists before the first segment is asked for, so every served segment counts.
    if (session()) await reporter.start();
    hls.attachMedia(media);
    hls.loadSource(url);
    signal.addEventListener('abort', () => hls.destroy());
  } else if (media.canPlayType('application/vnd.apple.mpegurl')) {
    // Native HLS sends no token: a signed-in viewer's free minutes count by network there.
    media.src = url;
    player.resume = () => {
      media.load();
      void media.play().catch(() => {});
    };
  } else {
    status.hidden = false;
    status.textContent = 'This browser cannot play HLS streams.';
  }
  void media.play().catch(() => {
    // The browser wants a tap first (a phone opening a link, say): one button starts it.
    if (signal.aborted || !media.paused) return;
    const start = h('button', { type: 'button' }, 'Start watching');
    start.addEventListener('click', () => {
      void media.play().then(() => {
        status.hidden = true;
        status.replaceChildren();
      }).catch(() => {});
    });
    status.hidden = false;
    status.replaceChildren('Press play to start. ', start);
  });

  const events = new EventSource(`/api/v1/live/streams/${encodeURIComponent(stream.id)}/events`);
  signal.addEventListener('abort', () => events.close());
  events.addEventListener('viewers', (e) => {
    const v = JSON.parse((e as MessageEvent).data) as { now: number };
    viewers.textContent = `${v.now} watching`;
  });
  events.addEventListener('state', (e) => {
    const s = JSON.parse((e as MessageEvent).data) as { state: LiveStream['state']; message?: string };
    if (s.state === 'ended') {
      ended(s);
      events.close();
    } else {
      badge.textContent = stateText[s.state];
      badge.className = `badge ${s.state === 'live' ? 'live' : ''}`;
    }
  });
  events.addEventListener('tip', (e) => {
    const t = JSON.parse((e as MessageEvent).data) as { amount: number; currency: string; message: string | null; from: string };
    const who = t.from.replace(/^https?:\/\//, '').replace(/\/ap\/users\//, '@');
    const alert = h('p', { class: 'tip-alert' }, `💸 ${formatMoney(t.amount, t.currency)} from ${who}`, t.message ? `: “${t.message}”` : '');
    alerts.prepend(alert);
    setTimeout(() => alert.remove(), 15_000);
  });

  if (session()) main.append(liveTip(stream));
  else main.append(h('p', null, h('a', { href: `/login?next=${encodeURIComponent(`/live/${stream.id}`)}` }, 'Log in'), ' to send a tip.'));
}

/** A followed channel's live stream on another node, watched through this node's copy. */
export async function remoteLivePage({ main, params, signal }: PageContext): Promise<void> {
  const dir = await loadDirectory(main, signal);
  if (!dir) return;
  const s = dir.remote.find((x) => x.watchId === params.watchId);
  if (!s?.playlistUrl) {
    main.append(h('h1', null, 'Stream not found'), h('p', { class: 'message error', role: 'alert' }, 'This stream is not live any more, or nobody here follows its channel.'));
    return;
  }
  const media = h('video', { controls: true, playsinline: true, 'data-testid': 'live-media', class: 'live-video' });
  const status = h('p', { class: 'message info', role: 'status', 'aria-live': 'polite', hidden: true });
  append(
    main,
    h('h1', null, s.title),
    h('p', { class: 'byline' }, h('span', { class: 'badge live' }, '● LIVE'), ` ${s.channelName} (${s.channel})`, s.url ? [' · ', h('a', { href: s.url, rel: 'noopener' }, 'Watch on its home node')] : null),
    media,
    h('p', { class: 'hint' }, 'Played through this node: every segment is checked against the hashes its home node published.'),
    status,
  );
  const { default: Hls } = await import('hls.js');
  if (signal.aborted) return;
  const say = (text: string) => {
    status.hidden = false;
    status.textContent = text;
  };
  if (Hls.isSupported()) {
    const hls = new Hls({ liveSyncDurationCount: 3 });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (data.response?.code === 402) {
        hls.stopLoad();
        return say('This live stream is paid on its home node: watch it there.');
      }
      if (data.response?.code === 404 && data.details === Hls.ErrorDetails.MANIFEST_LOAD_ERROR) {
        hls.stopLoad();
        return say('The stream has ended.');
      }
      if (data.fatal && data.type === Hls.ErrorTypes.NETWORK_ERROR) setTimeout(() => !signal.aborted && hls.startLoad(), 1000);
      else if (data.fatal && data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    });
    hls.attachMedia(media);
    hls.loadSource(s.playlistUrl);
    signal.addEventListener('abort', () => hls.destroy());
  } else if (media.canPlayType('application/vnd.apple.mpegurl')) media.src = s.playlistUrl;
  else say('This browser cannot play HLS streams.');
  void media.play().catch(() => say('Press play to start.'));
}

const sameOrigin = (url: string): boolean => {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
};

/** 0.1 → "6 free seconds", 2 → "2 free minutes", 1.5 → "1 min 30 s free". */
function freeText(minutes: number): string | null {
  const secs = Math.round(minutes * 60);
  if (secs <= 0) return null;
  if (secs < 60) return `${secs} free second${secs === 1 ? '' : 's'}`;
  if (secs % 60 === 0) return `${secs / 60} free minute${secs === 60 ? '' : 's'}`;
  return `${Math.floor(secs / 60)} min ${secs % 60} s free`;
}

/** "Free to watch", or "$0.60 per minute after 6 free seconds · subscribers pay 20% less". */
export function priceText(p: LivePrice): string {
  if (p.pricePerMinute <= 0) return 'Free to watch';
  const free = freeText(p.freeMinutes);
  const discount =
    p.subscriberDiscountPercent >= 100 ? ' · free for subscribers' : p.subscriberDiscountPercent > 0 ? ` · subscribers pay ${p.subscriberDiscountPercent}% less` : '';
  return `${formatMoney(p.pricePerMinute, p.currency)} per minute${free ? ` after ${free}` : ''}${discount}`;
}

/** 75 → "1:15". */
const clock = (seconds: number): string => {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** The problem+json of a refused segment: from hls.js's request, or else asked again. */
interface Refusal {
  code: string;
  detail: string | null;
}

async function refusalOf(data: ErrorData): Promise<Refusal | 'served'> {
  const parse = (body: unknown): Refusal | null => {
    if (!body || typeof body !== 'object') return null;
    const b = body as { code?: unknown; detail?: unknown };
    return { code: typeof b.code === 'string' ? b.code : 'payment_required', detail: typeof b.detail === 'string' ? b.detail : null };
  };
  const xhr = data.networkDetails as unknown;
  try {
    if (xhr instanceof XMLHttpRequest) {
      const r: unknown = xhr.response;
      const text = r instanceof ArrayBuffer ? new TextDecoder().decode(r) : typeof r === 'string' ? r : '';
      const found = text ? parse(JSON.parse(text)) : null;
      if (found) return found;
    }
  } catch {
    /* not JSON: ask again */
  }
  const url = data.frag?.url;
  if (url) {
    try {
      const token = accessToken();
      const res = await fetch(url, { headers: token && sameOrigin(url) ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
      if (res.ok) return 'served';
      const found = parse(await res.json().catch(() => null));
      if (found) return found;
    } catch {
      /* the panel says it without the node's words */
    }
  }
  return { code: 'payment_required', detail: null };
}

/**
 * A priced stream's part of the page: the viewer's free time left (from /access, counted down
 * while playing and synced every few seconds), the panel when the node refuses a segment (402),
 * paying as you watch (a watch stream the node charges per second watched) and stopping it.
 * A watch link's guest watches on the link's credit: their watch stream starts without a click
 * when the free time is used (the panel only when that fails), with the credit left shown.
 */
class PayAsYouWatch {
  readonly element: HTMLElement;
  /** Stopped at a 402, until the viewer pays (or the stream turns out free for them). */
  waiting = false;
  private access: LiveAccess | null = null;
  private secondsLeft: number;
  private open: PaymentStream | null = null;
  /** A guest's watch stream failed to start on its own, or they stopped it: from then on they press the button. */
  private noAutoPay = false;
  /** The watch link the guest came from, as last read (null: not known here). */
  private link: WatchLink | null = null;
  /** The guest claimed their account on this page: the link's watch stream closed, its credit is in their wallet. */
  private claimedHere = false;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly freeNote = h('p', { class: 'muted', 'data-testid': 'live-free-for-you', hidden: true });
  private readonly freeLeft = h('p', { class: 'live-free-left', role: 'timer', 'aria-live': 'off', 'data-testid': 'live-free-left', hidden: true });
  private readonly payingText = h('span', { 'data-testid': 'live-paying' });
  private readonly stopButton = h('button', { type: 'button', class: 'secondary' }, 'Stop paying');
  private readonly paying = h('p', { class: 'live-paying actions', hidden: true }, this.payingText, this.stopButton);
  private readonly slot = h('div', { class: 'live-paywall-slot' });
  private readonly msg = messageBox();

  constructor(
    private readonly stream: LiveStream,
    private readonly media: HTMLMediaElement,
    private readonly player: { stop(): void; resume(): void },
    private readonly signal: AbortSignal,
  ) {
    this.secondsLeft = Math.round(stream.price.freeMinutes * 60);
    this.element = h('section', { class: 'live-pay', 'aria-label': 'Paying for this stream' }, this.freeNote, this.freeLeft, this.paying, this.slot, this.msg);
    this.stopButton.addEventListener('click', () => void this.stopPaying());
    this.render();
    void this.sync();
    this.timers.push(setInterval(() => void this.sync(), 5000));
    this.timers.push(
      setInterval(() => {
        if (!this.media.paused && !this.waiting && !this.open && this.secondsLeft > 0) {
          this.secondsLeft--;
          this.render();
        }
      }, 1000),
    );
    signal.addEventListener('abort', () => this.ended());
  }

  private get base(): string {
    return `/api/v1/live/streams/${encodeURIComponent(this.stream.id)}`;
  }

  private get currency(): string {
    return this.access?.currency ?? this.stream.price.currency;
  }

  private money(n: number): string {
    return formatMoney(n, this.currency);
  }

  /** A watch link's guest: watching on the link's credit, not a wallet. */
  private get guest(): boolean {
    return !!session()?.user.guest;
  }

  /** The guest's link is for another channel (or another stream of this one): its credit does not pay here. */
  private get linkElsewhere(): boolean {
    const l = this.link;
    return !!l && (l.channel.id !== this.stream.channel.id || (!!l.streamId && l.streamId !== this.stream.id));
  }

  /** What this viewer pays a minute (a subscriber's discount applied). */
  private get yourPrice(): number {
    return this.access?.yourPricePerMinute ?? this.stream.price.pricePerMinute;
  }

  /** The stream ended (or the page was left): nothing more to count or pay. */
  ended(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.waiting = false;
    this.slot.replaceChildren();
    this.freeLeft.hidden = true;
    this.paying.hidden = true;
  }

  private async sync(): Promise<void> {
    let a: LiveAccess;
    try {
      a = await api<LiveAccess>('GET', `${this.base}/access`, { signal: this.signal });
    } catch {
      return; // the next sync tries again
    }
    if (this.signal.aborted || !this.timers.length) return;
    const s = session();
    const code = s?.user.guest ? guestLinkOf(s.user.id) : null;
    if (code) {
      try {
        this.link = await api<WatchLink>('GET', `/api/v1/live/watch-links/${encodeURIComponent(code)}`, { signal: this.signal });
      } catch {
        /* shown without it until the next sync */
      }
      if (this.signal.aborted || !this.timers.length) return;
    } else this.link = null;
    this.access = a;
    this.secondsLeft = a.freeSecondsLeft;
    const ws = a.watchStream && !a.watchStream.stoppedAt ? a.watchStream : null;
    if (this.open && !ws && !this.waiting) {
      this.msg.show(
        this.claimedHere
          ? "The watch stream on the link's credit closed when you claimed your account; what was left is in your wallet. Playback stops after what is already loaded: pay as you watch from your wallet to keep watching."
          : 'Your watch stream is closed: what you watched is paid. Playback stops after what is already loaded.',
        'info',
      );
    }
    this.open = ws;
    this.render();
    if (a.free && this.waiting) this.resume();
  }

  private render(): void {
    const a = this.access;
    if (a?.free) {
      this.freeNote.hidden = false;
      this.freeNote.textContent = 'Free for you: your own stream, or included in your subscription.';
      this.freeLeft.hidden = true;
      this.paying.hidden = true;
      return;
    }
    this.freeNote.hidden = !a || a.yourPricePerMinute === a.pricePerMinute;
    if (a && !this.freeNote.hidden) this.freeNote.textContent = `As a subscriber you pay ${this.money(a.yourPricePerMinute)} per minute.`;
    this.freeLeft.hidden = !!this.open || this.stream.price.freeMinutes <= 0;
    this.freeLeft.textContent = `Free minutes left: ${clock(this.secondsLeft)}`;
    this.paying.hidden = !this.open;
    if (this.open) {
      const perMinute = this.open.rate ? Math.round((this.open.rate.amount * 60) / this.open.rate.periodSeconds) : this.yourPrice;
      if (this.guest) {
        // The link's credit left: what its escrow holds plus what the watch stream holds unspent.
        const left = !this.link || this.linkElsewhere ? null : Math.max(0, this.link.credit + this.open.deposited - this.open.streamed);
        const rate = `${this.money(perMinute)}/min, ${this.money(this.open.streamed)} so far`;
        this.payingText.textContent = left === null ? `Watching on the link's credit: ${rate}` : `Watching on the link's credit: ${this.money(left)} left (${rate})`;
      } else this.payingText.textContent = `Paying as you watch: ${this.money(perMinute)}/min — ${this.money(this.open.streamed)} so far`;
      this.payingText.dataset.streamed = String(this.open.streamed);
    }
  }

  /** hls.js was refused a segment (402): loading stops, and the panel says why and what to do. */
  async refused(data: ErrorData): Promise<void> {
    if (this.waiting) return;
    this.waiting = true;
    this.player.stop();
    const wasPaying = !!this.open;
    const r = await refusalOf(data);
    if (this.signal.aborted || !this.waiting) return;
    if (r === 'served') return this.resume(); // paid meanwhile (another tab, say)
    this.open = null;
    this.msg.hide();
    // The link's credit is for this: a guest keeps watching without a click (once it fails, the panel).
    if (this.guest && !this.noAutoPay && !this.linkElsewhere && r.code !== 'credit_exhausted') return this.autoPay(r, wasPaying);
    this.showPanel(r, wasPaying);
    void this.sync();
  }

  private async autoPay(r: Refusal, wasPaying: boolean): Promise<void> {
    this.msg.show(wasPaying ? "Your watch stream was closed: starting it again on the link's credit…" : "Your free time is used: watching on the link's credit now…", 'info');
    let w: LiveWatch;
    try {
      w = await this.openWatch();
    } catch (err) {
      if (this.signal.aborted || !this.waiting) return;
      this.noAutoPay = true;
      this.msg.hide();
      await this.explain(err, this.showPanel(r, wasPaying));
      void this.sync();
      return;
    }
    if (this.signal.aborted) return;
    this.started(w);
  }

  /** Focuses the guest's claim form (the banner below the player). */
  private claimButton(): HTMLButtonElement {
    const b = h('button', { type: 'button', class: 'secondary' }, 'Claim your account');
    b.addEventListener('click', () => document.querySelector<HTMLInputElement>('#claim-account input')?.focus());
    return b;
  }

  private showPanel(r: Refusal, wasPaying: boolean): MessageBox {
    const firstSentence = r.detail ? (/^.*?[.!?](?=\s|$)/.exec(r.detail)?.[0] ?? r.detail) : null;
    const free = freeText(this.stream.price.freeMinutes);
    const guest = this.guest;
    let why: string;
    if (r.code === 'credit_exhausted') why = guest ? creditUsedUp : 'Your wallet ran out: the watch stream stopped. Top up your wallet and start again to keep watching.';
    else if (this.claimedHere) why = "Your account is yours now: the watch stream on the link's credit closed, and what was left of the credit is in your wallet. Pay from it to keep watching.";
    else if (wasPaying) why = 'Your watch stream was closed (nothing was played for a while). Start it again to keep watching.';
    else why = firstSentence ?? (r.code === 'free_minutes_used' && free ? `Your free time on this stream (${free}) is used.` : 'This live stream is paid as you watch.');
    const panelMsg = messageBox();
    const children: (Node | string | null)[] = [h('h2', null, 'Keep watching'), h('p', { 'data-testid': 'live-refusal', 'data-code': r.code }, why)];
    if (guest) {
      const price = this.money(this.yourPrice);
      const pay = h('button', { type: 'button' }, `Keep watching on the link's credit (${price}/min)`);
      pay.addEventListener('click', () => void this.startPaying(pay, panelMsg));
      children.push(
        h('p', null, `Playback stops at the end of what is loaded. Keep watching for ${price} a minute, paid from the watch link's credit for each second you watch.`),
        h('p', { class: 'actions' }, pay, this.claimButton()),
      );
    } else if (session()) {
      const price = this.money(this.yourPrice);
      const pay = h('button', { type: 'button' }, `Pay as you watch (${price}/min, charged per second)`);
      pay.addEventListener('click', () => void this.startPaying(pay, panelMsg));
      children.push(
        h('p', null, `Playback stops at the end of what is loaded. Keep watching for ${price} a minute, paid from your wallet for each second you watch; stop whenever you like.`),
        h('p', { class: 'actions' }, pay, h('a', { href: walletPath, class: 'button secondary' }, 'Top up your wallet')),
      );
    } else {
      const next = `${location.pathname}${location.search}`;
      children.push(
        h('p', null, 'Playback stops at the end of what is loaded. Signed-in viewers keep watching, paid from their wallet for each second they watch.'),
        h('p', { class: 'actions' }, h('a', { href: `/login?next=${encodeURIComponent(next)}`, class: 'button' }, 'Sign in to keep watching'), h('a', { href: `/signup`, class: 'button secondary' }, 'Sign up')),
      );
    }
    children.push(panelMsg);
    if (r.detail && r.detail !== why) children.push(h('details', { class: 'live-refusal-detail' }, h('summary', null, 'What the node said'), h('p', null, r.detail)));
    this.slot.replaceChildren(h('div', { class: 'live-paywall', role: 'alert' }, ...children.filter((c): c is Node | string => c !== null)));
    return panelMsg;
  }

  /** The guest claimed their account here: the link's watch stream closes and what was left is in their wallet. */
  claimed(): void {
    this.claimedHere = true;
    this.noAutoPay = true;
    this.link = null;
    this.render();
  }

  private resume(): void {
    this.waiting = false;
    this.slot.replaceChildren();
    this.player.resume();
  }

  private openWatch(): Promise<LiveWatch> {
    return api<LiveWatch>('POST', `${this.base}/watch-stream`, { headers: { 'Idempotency-Key': `watch-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}` } });
  }

  /** A watch stream opened: playback resumes. */
  private started(w: LiveWatch): void {
    this.noAutoPay = false;
    this.claimedHere = false;
    this.open = w.open ? w.paymentStream : null;
    this.render();
    const rate = `${this.money(w.pricePerMinute)} a minute, charged per second`;
    this.msg.show(this.guest ? `Watching on the link's credit: ${rate}. Playback resumes.` : `Paying as you watch: ${rate}. Playback resumes.`, 'ok');
    this.resume();
    void this.sync();
  }

  private async startPaying(button: HTMLButtonElement, box: MessageBox): Promise<void> {
    button.disabled = true;
    box.show(this.guest ? "Starting to watch on the link's credit…" : 'Starting to pay as you watch…', 'info');
    let w: LiveWatch;
    try {
      w = await this.openWatch();
    } catch (err) {
      button.disabled = false;
      return this.explain(err, box);
    }
    this.started(w);
  }

  /** Why a watch stream did not open, in `box`. */
  private async explain(err: unknown, box: MessageBox): Promise<void> {
    if (!(err instanceof ApiError)) return box.show(errorText(err));
    const body = err.body as { needed?: unknown; available?: unknown } | null;
    switch (err.code) {
      case 'insufficient_funds': {
        if (this.guest) {
          const left = typeof body?.available === 'number' ? body.available : 0;
          box.show(
            this.linkElsewhere
              ? `Your watch link's credit is for ${this.link!.channel.displayName}${this.link!.streamId ? ' (one stream)' : ''} only. Claim your account to top up and watch this stream.`
              : left > 0
                ? `The link's credit left (${this.money(left)}) is less than watching needs to start (${typeof body?.needed === 'number' ? this.money(body.needed) : 'a few minutes of it'}). Claim your account: what is left goes to your wallet; top up and keep watching.`
                : creditUsedUp,
          );
          box.append(' ', this.claimButton());
          return;
        }
        const amounts = typeof body?.needed === 'number' && typeof body.available === 'number' ? ` Watching needs at least ${this.money(body.needed)} in it; it holds ${this.money(body.available)}.` : '';
        box.show(`Your wallet is short.${amounts} Top up your wallet, then press the button again.`);
        box.append(' ', h('a', { href: walletPath }, 'Top up your wallet'));
        return;
      }
      case 'subscriber_plays_free':
      case 'stream_free':
      case 'invalid_recipient':
        box.show(`${err.message}. Playback resumes.`, 'ok');
        await this.sync();
        this.resume();
        return;
      case 'stream_ended':
        box.show('This live stream has ended.');
        return;
      default:
        box.show(`Could not start paying: ${errorText(err)}`);
    }
  }

  private async stopPaying(): Promise<void> {
    this.stopButton.disabled = true;
    this.noAutoPay = true; // stopped on purpose: not started again without a click
    try {
      const w = await api<LiveWatch>('DELETE', `${this.base}/watch-stream`);
      this.open = null;
      this.render();
      this.msg.show(`You stopped paying (${this.money(w.paymentStream.streamed)} paid for what you watched). Playback stops after what is already loaded.`, 'ok');
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        this.open = null;
        this.render();
        this.msg.show('Your watch stream was already closed. Playback stops after what is already loaded.', 'info');
      } else this.msg.show(`Could not stop paying: ${errorText(err)}`);
    } finally {
      this.stopButton.disabled = false;
    }
  }
}

/**
 * A watch link's guest: the account is theirs to keep (a username and password), and what is left
 * of the link's credit moves to its wallet then. Where the node asks every account to confirm an
 * address, the claim needs one and ends the guest's session: they log in once the link is followed.
 */
function claimBanner(onClaimed: (user: User) => void): HTMLElement {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, minlength: '2', maxlength: '40', pattern: '[A-Za-z0-9_]+' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: '8' });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email' });
  const emailField = field('Email (optional)', email);
  const emailLabel = emailField.querySelector('label')!;
  const askForAddress = () => {
    email.required = true;
    emailLabel.textContent = 'Email (this node asks you to confirm it)';
  };
  // Until the node says (or if it cannot), the field stays optional and the claim's answer corrects it.
  void api<SignUpRules>('GET', '/api/v1/users/sign-up-rules')
    .then((rules) => rules.emailVerification === 'required' && askForAddress())
    .catch(() => {});
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, 'Claim my account');
  const form = h(
    'form',
    { 'aria-label': 'Claim your account' },
    h('div', { class: 'row' }, field('Username', username, 'Letters, digits and underscores.'), field('Password', password, 'At least 8 characters.'), emailField),
    h('div', { class: 'actions' }, submit),
    msg,
  );
  const banner = h(
    'section',
    { class: 'card guest-banner', id: 'claim-account', 'aria-labelledby': 'claim-title' },
    h('h2', { id: 'claim-title' }, 'Keep your account'),
    h('p', null, 'You are watching as a guest. Claim your account to keep it and the credit left.'),
    form,
  );
  onSubmit(form, submit, msg, async () => {
    let user: UserAndVerification;
    try {
      user = await api<UserAndVerification>('POST', '/api/v1/users/me/claim', { body: { username: username.value.trim(), password: password.value, ...(email.value.trim() ? { email: email.value.trim() } : {}) } });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'username_taken') throw new Error('That username (or email) is taken: pick another.');
      if (err instanceof ApiError && err.code === 'not_a_guest') throw new Error('This account is not a guest account any more: it has its own username and password.');
      if (err instanceof ApiError && err.code === 'email_required') {
        askForAddress();
        email.focus();
        throw new Error('This node asks every account to confirm an e-mail address: enter yours.');
      }
      throw err;
    }
    const { emailVerification, ...claimed } = user;
    onClaimed(claimed);
    const login = h('a', { href: `/login?username=${encodeURIComponent(claimed.username)}&next=${encodeURIComponent(location.pathname)}` }, 'Log in');
    const wallet = h('a', { href: walletPath }, 'Open my wallet');
    const waitsForLink = emailVerification.state === 'sent' && emailVerification.required;
    // The node ended the guest's session with the claim: nothing here is signed in any more.
    if (waitsForLink) await logOut();
    else {
      const s = session();
      if (s) saveSession({ ...s, user: claimed });
    }
    banner.replaceChildren(
      h('h2', { id: 'claim-title' }, 'Your account'),
      h(
        'p',
        { class: 'message ok', role: 'status', 'data-testid': 'claimed' },
        ...(waitsForLink
          ? [`Your account is yours. Open the link we sent to ${claimed.email}, then log in as ${claimed.username}: what was left of the link's credit is in your wallet. `, login]
          : [`Your account is yours: sign in as ${claimed.username} from now on. What was left of the link's credit is in your wallet. `, wallet]),
      ),
    );
  });
  return banner;
}

const liveTip = (stream: LiveStream): HTMLFormElement => tipForm(stream.channel.name, { label: 'Send a tip', heading: 'Tip the artist' });

/** The artist's live setup: one block per channel with key, choices and the running stream's health. */
export async function liveSetupPage({ main, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Go live'));
  const s = session();
  if (!s || !['artist', 'moderator', 'admin'].includes(s.user.role)) {
    main.append(h('p', null, 'Artists go live from here. ', h('a', { href: '/login?next=/live/setup' }, 'Log in')));
    return;
  }
  const channels = await myChannels().catch(() => []);
  if (!channels.length) main.append(h('p', null, 'Make a channel first (Studio).'));
  for (const c of channels) {
    const block = h('section', { class: 'live-setup' });
    main.append(block);
    const render = async () => {
      let live: ChannelLive;
      try {
        live = await api<ChannelLive>('GET', `/api/v1/channels/${encodeURIComponent(c.name)}/live`, { signal });
      } catch (err) {
        block.replaceChildren(failure(`live settings of ${c.displayName}`, err));
        return;
      }
      const keyBox = messageBox();
      const title = h('input', { type: 'text', value: live.title ?? '', maxlength: '200', placeholder: `${c.displayName} live` });
      const keep = h('input', { type: 'checkbox', checked: live.keepReplays });
      const saved = messageBox();
      clear(block);
      append(
        block,
        h('h2', null, c.displayName),
        facts([
          ['Server', live.server],
          ['Stream key', live.hasKey ? `••••${live.keyHint} (made ${shortDate(live.keyCreatedAt)})` : 'none yet'],
          ['Ingest', live.ingest.listening ? `listening · ${live.ingest.liveNow}/${live.ingest.maxConcurrentStreams} live` : 'not listening (ask the admin)'],
        ]),
        h(
          'p',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                try {
                  const k = await api<StreamKey>('POST', `/api/v1/channels/${encodeURIComponent(c.name)}/live/key`);
                  keyBox.show(`Your new stream key (shown once): ${k.key}`, 'ok');
                } catch (err) {
                  keyBox.show(errorText(err));
                }
              },
            },
            live.hasKey ? 'Make a new key' : 'Make a stream key',
          ),
        ),
        keyBox,
        h(
          'form',
          {
            onsubmit: async (e: Event) => {
              e.preventDefault();
              try {
                await api('PATCH', `/api/v1/channels/${encodeURIComponent(c.name)}/live`, { body: { title: title.value.trim() || null, keepReplays: keep.checked } });
                saved.show('Saved.', 'ok');
              } catch (err) {
                saved.show(errorText(err));
              }
            },
          },
          field('Title of the next stream', title),
          h('div', { class: 'field' }, h('label', null, keep, ' Keep each stream as a track (replay)')),
          h('button', { type: 'submit' }, 'Save'),
          saved,
        ),
        priceForm(c.name, live),
        watchLinks(c.name, c.displayName, live, signal),
        live.current
          ? section(
              'Live now',
              h('p', null, h('a', { href: `/live/${live.current.id}` }, live.current.title), ` · ${stateText[live.current.state]}`),
              live.health
                ? facts([
                    ['Input', `${live.health.inputKbps} kbps · ${live.health.fps} fps`],
                    ['Dropped frames', live.health.droppedFrames],
                    ['Transcoder speed', live.health.speed === null ? '–' : `${live.health.speed}×`],
                    ['Viewers', `${live.health.viewers} now · ${live.health.peakViewers} peak`],
                  ])
                : null,
            )
          : null,
        table(
          'Recent streams',
          ['Started', 'Title', 'Ended because', 'Peak viewers'],
          live.recent.map((r) => [shortDate(r.startedAt ?? r.createdAt), h('a', { href: `/live/${r.id}` }, r.title), r.endMessage ?? '–', r.peakViewers]),
          'No streams yet.',
        ),
      );
    };
    await render();
  }
}

/** The artist's price for the next streams: per minute after each viewer's free minutes, and a subscriber discount. */
function priceForm(channel: string, live: ChannelLive): HTMLFormElement {
  const p = live.price;
  const price = h('input', { type: 'text', inputmode: 'decimal', size: '8', value: (p.pricePerMinute / 100).toFixed(2), placeholder: '0.00' });
  const free = h('input', { type: 'number', min: '0', max: '120', step: '0.01', value: String(p.freeMinutes) });
  const discount = h('input', { type: 'number', min: '0', max: '100', step: '1', value: String(p.subscriberDiscountPercent) });
  const now = h('p', { 'data-testid': 'live-price-now' });
  const showNow = (q: LivePrice) => {
    now.textContent = `Now: ${priceText(q)}.`;
  };
  showNow(p);
  const saved = messageBox();
  const runningNote =
    live.current && live.current.state !== 'ended'
      ? h('p', { class: 'muted' }, `The stream live now keeps the price it started with (${priceText(live.current.price)}); a new price applies from the next stream.`)
      : h('p', { class: 'muted' }, 'A stream keeps the price it started with; a new price applies from the next stream.');
  return h(
    'form',
    {
      class: 'live-price-form',
      novalidate: true,
      'aria-labelledby': `price-${channel}`,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const minor = price.value.trim() === '' ? 0 : parseMinor(price.value);
        if (minor === null) return saved.show('Enter the price per minute like 0.60 (0 for free).');
        const minutes = free.value.trim() === '' ? 0 : Number(free.value);
        if (!Number.isFinite(minutes) || minutes < 0 || minutes > 120 || Math.abs(minutes * 100 - Math.round(minutes * 100)) > 1e-9) {
          return saved.show('Free minutes are a number from 0 to 120 with at most two decimals (0.5 is 30 seconds).');
        }
        const off = discount.value.trim() === '' ? 0 : Number(discount.value);
        if (!Number.isInteger(off) || off < 0 || off > 100) return saved.show('The subscriber discount is a whole percent from 0 to 100.');
        try {
          const out = await api<ChannelLive>('PATCH', `/api/v1/channels/${encodeURIComponent(channel)}/live`, {
            body: { pricePerMinute: minor, freeMinutes: minutes, subscriberDiscountPercent: off },
          });
          showNow(out.price);
          saved.show('Price saved.', 'ok');
        } catch (err) {
          saved.show(`Could not save the price: ${errorText(err)}`);
        }
      },
    },
    h('h3', { id: `price-${channel}` }, 'Price'),
    now,
    field(`Price per minute (${p.currency})`, price, '0 makes your streams free to watch.'),
    field('Free minutes per viewer', free, 'Each viewer watches this long free; 0.1 is 6 seconds.'),
    field('Subscriber discount (%)', discount, '100: subscribers watch free.'),
    runningNote,
    h('button', { type: 'submit' }, 'Save price'),
    saved,
  );
}

const linkStatusText: Record<WatchLink['status'], string> = { open: 'Not opened yet', opened: 'Opened: a guest watches on it', claimed: 'Claimed: the guest kept the account' };

/**
 * Watch links: credit on a link (and its QR code) for this channel's live streams, or the one
 * live now; the first to open it watches on it as a guest. Made here, listed with what is left.
 */
function watchLinks(channel: string, displayName: string, live: ChannelLive, signal: AbortSignal): HTMLElement {
  const base = `/api/v1/channels/${encodeURIComponent(channel)}/live/watch-links`;
  const currency = live.price.currency;
  const money = (n: number) => formatMoney(n, currency);
  const amount = h('input', { type: 'text', inputmode: 'decimal', size: '8', placeholder: '5.00' });
  const message = h('input', { type: 'text', maxlength: '300', placeholder: 'Enjoy the show' });
  const running = live.current && live.current.state !== 'ended' ? live.current : null;
  const onlyNow = running ? h('input', { type: 'checkbox' }) : null;
  const fromNode = session()?.user.role === 'admin' ? h('input', { type: 'checkbox' }) : null;
  const msg = messageBox();
  const made = h('div', { class: 'watch-link-made' });
  const list = h('div', { class: 'watch-link-list' }, h('p', { class: 'muted' }, 'Loading the watch links…'));
  const submit = h('button', { type: 'submit' }, 'Make a watch link');
  // One key per set of values: a retry after a lost answer makes no second link.
  let key: string | null = null;
  // A guest starts a watch stream only while the link holds this much (2.5 minutes of the price).
  const startNeeds = Math.ceil(live.price.pricePerMinute * 2.5);

  const loadList = async () => {
    try {
      const links = await api<WatchLink[]>('GET', base, { signal });
      list.replaceChildren(
        table(
          `Watch links of ${displayName}`,
          ['Made', 'Status', { text: 'Credit left', num: true }, 'For', 'Link'],
          links.map((l) => [
            shortDate(l.createdAt),
            linkStatusText[l.status],
            `${money(l.credit)} of ${money(l.amount)}`,
            `${l.streamId ? 'One stream' : 'Any stream'}${l.fundedFrom === 'node' ? ' · from the node' : ''}`,
            h('code', null, l.url),
          ]),
          'No watch links yet.',
        ),
      );
    } catch (err) {
      if (!signal.aborted) list.replaceChildren(failure('Could not load the watch links', err));
    }
  };

  const showMade = (out: WatchLinkCreated) => {
    const url = h('input', { type: 'text', readonly: true, value: out.link.url, size: '50' });
    const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy the link');
    const copied = messageBox();
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(out.link.url);
        copied.show('Link copied.', 'ok');
      } catch {
        url.select();
        copied.show('Copy the selected link (Ctrl+C or ⌘C).', 'info');
      }
    });
    url.addEventListener('focus', () => url.select());
    made.replaceChildren(
      field('Watch link', url),
      h('p', { class: 'actions' }, copy, h('a', { href: out.qr.png, download: `watch-link-${out.link.code}.png`, class: 'button secondary' }, 'Download the QR code')),
      copied,
      h(
        'figure',
        { class: 'qr' },
        h('img', { src: out.qr.png, alt: 'QR code for the watch link', width: '200', height: '200' }),
        h('figcaption', null, `${money(out.link.amount)} to watch ${displayName} live${out.link.streamId ? ' (this stream)' : ''}${out.link.message ? `: “${out.link.message}”` : ''}`),
      ),
    );
  };

  const form = h(
    'form',
    {
      class: 'watch-link-form',
      novalidate: true,
      'aria-label': 'Make a watch link',
      oninput: () => {
        key = null;
      },
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const minor = parseMinor(amount.value);
        if (!minor) return msg.show(`Enter the credit like 5.00 (${currency}).`);
        key ??= `watch-link-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
        submit.disabled = true;
        msg.show('Making the watch link…', 'info');
        try {
          const out = await api<WatchLinkCreated>('POST', base, {
            headers: { 'Idempotency-Key': key },
            body: {
              amount: minor,
              ...(message.value.trim() ? { message: message.value.trim() } : {}),
              ...(running && onlyNow?.checked ? { streamId: running.id } : {}),
              ...(fromNode?.checked ? { fundFrom: 'node' } : {}),
            },
          });
          key = null;
          amount.value = '';
          message.value = '';
          msg.show(`Watch link for ${money(out.link.amount)} made. Share the link or the QR code: the first to open it watches on its credit as a guest.`, 'ok');
          showMade(out);
          void loadList();
        } catch (err) {
          if (err instanceof ApiError && err.code === 'insufficient_funds') {
            const body = err.body as { needed?: unknown; available?: unknown } | null;
            const has = typeof body?.available === 'number' ? ` (it holds ${money(body.available)})` : '';
            msg.show(`Your wallet holds too little for this link${has}. Top up your wallet or make a smaller link.`);
            msg.append(' ', h('a', { href: walletPath }, 'Top up your wallet'));
          } else if (err instanceof ApiError && err.code === 'stream_ended') {
            msg.show('That stream has ended: make a link for the channel instead (untick “Only the stream live now”).');
          } else msg.show(`Could not make the watch link: ${errorText(err)}`);
        } finally {
          submit.disabled = false;
        }
      },
    },
    field(
      `Credit (${currency})`,
      amount,
      `From your wallet${fromNode ? ' (or the node)' : ''}. A guest starts watching while the link holds 2.5 minutes of the price${startNeeds > 0 ? ` (${money(startNeeds)} now)` : ''}; the rest is theirs when they keep the account.`,
    ),
    field('Message (optional)', message),
    onlyNow && running ? h('div', { class: 'field' }, h('label', null, onlyNow, ` Only the stream live now (${running.title})`)) : null,
    fromNode ? h('div', { class: 'field' }, h('label', null, fromNode, ' Fund from the node, not your wallet (admins)')) : null,
    submit,
    msg,
  );
  void loadList();
  return h(
    'section',
    { class: 'live-watch-links', 'aria-labelledby': `links-${channel}` },
    h('h3', { id: `links-${channel}` }, 'Watch links'),
    h('p', { class: 'muted' }, 'Put credit on a link or QR code: the first to open it watches your live streams on it, signed in at once as a guest (no sign-up).'),
    form,
    made,
    list,
  );
}
