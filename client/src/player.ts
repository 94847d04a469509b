// Plays one track on the dock's media element: HLS through hls.js (native HLS on Safari), the
// play session with its listening reports and the X-Play-Session header on every request, and
// for metered tracks the budget agent that pays for each span as it plays (metered.ts). The dock
// (player/) makes one Playback per track it plays; the media element, the volume and the loudness
// gain outlive it (player/output.ts).
import type Hls from 'hls.js';
import { accessToken } from './api.js';
import { PlayedTracker } from './lib/played.js';
import { PlayReporter } from './listening.js';
import type { Track } from '../../shared/api/index.js';
import type { MeteredAgent, StopReason } from './metered.js';
import { bindAgent, holdAgent } from './player/agents.js';

/** What the player needs of a track: a local one, or a remote one streamed through this node (no loudness, no waveform). */
export type Playable = Pick<Track, 'id' | 'kind' | 'title' | 'durationSeconds' | 'waveformUrl' | 'downloadUrl'> & {
  /** A local track's channel (its owner plays a metered track free). */
  channel?: Pick<Track['channel'], 'id'>;
  loudness: Track['loudness'] | null;
  streaming: Pick<Track['streaming'], 'masterPlaylistUrl'>;
  /** Who may play it (local tracks): metered tracks are paid as they play. */
  access?: Track['access'];
};

/** What the dock is told when a metered track stops paying (it shows it wherever the listener is). */
const stopMessages: Record<StopReason, string> = {
  budget: 'Pay as you play: your budget is spent. Raise it on the track’s page to keep listening.',
  wallet: 'Pay as you play: the wallet cannot pay the next minute. Top it up to keep listening.',
  'signed-out': 'Sign in to play this track: it is paid as you play.',
  error: 'Pay as you play stopped: the next minute could not be paid.',
};

export class Playback {
  readonly reporter: PlayReporter;
  private tracker = new PlayedTracker();
  private media: HTMLMediaElement | null = null;
  private hls: Hls | null = null;
  private ready: Promise<void> = Promise.resolve();
  /** Segments load once Play is pressed (the node counts what it serves under the play session). */
  private loading = false;
  /** Before the first play nothing streams: a seek only moves where playback will start. */
  private startAt: number;
  /** A metered track that could not pay: loading stopped, what is paid plays out. */
  private stopped = false;
  private readonly lifetime = new AbortController();
  /** Metered tracks: the agent that buys each span (shared with the track's page while it is open). */
  private readonly agent: MeteredAgent | null;

  constructor(
    readonly track: Playable,
    private readonly say: (text: string) => void,
    startAt = 0,
  ) {
    this.startAt = startAt;
    this.agent = holdAgent(track, this.signal);
    this.reporter = new PlayReporter(track.id, () => ({ positionSeconds: this.position(), playedSeconds: this.tracker.playedSeconds }));
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  duration(): number {
    const d = this.media?.duration ?? NaN;
    return Number.isFinite(d) && d > 0 ? d : (this.track.durationSeconds ?? 0);
  }

  position(): number {
    return this.loading && this.media ? this.media.currentTime : this.startAt;
  }

  /** Takes the media element (the previous track's Playback is destroyed): hls.js loads the playlists, not yet the segments. */
  attach(media: HTMLMediaElement): void {
    this.media = media;
    bindAgent(this.track.id, this, this.signal);
    const on = <K extends keyof HTMLMediaElementEventMap>(type: K, fn: () => void) => media.addEventListener(type, fn, { signal: this.signal });
    on('timeupdate', () => {
      if (!media.paused) this.tracker.update(media.currentTime);
    });
    on('play', () => {
      if (!this.reporter.sessionId) this.tracker = new PlayedTracker();
      this.tracker.update(media.currentTime); // the run starts here, not at the first timeupdate
      void this.reporter.start().then(() => this.reporter.playing());
    });
    on('pause', () => {
      this.tracker.update(media.currentTime);
      this.tracker.break();
      if (!media.ended) this.reporter.paused();
    });
    on('seeking', () => this.tracker.break());
    on('ended', () => {
      this.tracker.update(media.currentTime);
      this.tracker.break();
      this.reporter.ended();
    });
    this.ready = this.loadHls(media).catch((err: Error) => this.say(`Could not load the player: ${err.message}`));
  }

  // hls.js is a chunk of its own, loaded on first play.
  private async loadHls(media: HTMLMediaElement): Promise<void> {
    const url = this.track.streaming?.masterPlaylistUrl;
    if (!url) return;
    const { default: HlsClass } = await import('hls.js');
    if (this.signal.aborted || !HlsClass.isSupported()) return;
    const agent = this.agent;
    const instance = new HlsClass({
      autoStartLoad: false, // segments load once a play session exists (the node counts served segments)
      xhrSetup: async (xhr, segmentUrl) => {
        if (!xhr.readyState) xhr.open('GET', segmentUrl, true);
        const paid = agent ? await agent.authorization(segmentUrl) : null;
        const token = accessToken();
        if (paid) xhr.setRequestHeader('Authorization', paid);
        else if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
        if (this.reporter.sessionId) xhr.setRequestHeader('X-Play-Session', this.reporter.sessionId);
      },
    });
    if (agent) instance.on(HlsClass.Events.MANIFEST_PARSED, () => agent.attach(instance));
    instance.on(HlsClass.Events.ERROR, (_e, data) => {
      // A segment refused with its credential (expired, say): the agent buys its span again.
      if (agent && data.frag && (data.response?.code === 401 || data.response?.code === 402)) agent.refused(data.frag.url);
      if (!data.fatal || this.stopped) return;
      this.say(`Playback error: ${data.details}`);
      if (data.type === HlsClass.ErrorTypes.NETWORK_ERROR) instance.startLoad();
      else if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR) instance.recoverMediaError();
    });
    instance.attachMedia(media);
    instance.loadSource(url);
    this.hls = instance;
  }

  private async ensureLoading(): Promise<void> {
    await this.ready;
    const media = this.media;
    if (this.loading || !media || this.signal.aborted) return;
    this.loading = true;
    if (this.hls) {
      this.hls.startLoad(this.startAt);
      return;
    }
    const url = this.track.streaming?.masterPlaylistUrl;
    const src = url && media.canPlayType('application/vnd.apple.mpegurl') ? url : this.track.downloadUrl; // Safari plays HLS natively
    if (!src) {
      this.say('This browser cannot play HLS streams.');
      return;
    }
    media.src = src;
    const at = this.startAt;
    if (at > 0) media.addEventListener('loadedmetadata', () => (media.currentTime = at), { once: true, signal: this.signal });
  }

  /** Opens the play session first, so every segment request carries it. */
  async play(): Promise<void> {
    const media = this.media;
    if (!media) return;
    this.agent?.resume();
    await this.reporter.start();
    await this.ensureLoading();
    if (this.signal.aborted) return;
    await media.play().catch((err: Error) => {
      if (err.name !== 'AbortError') this.say(`Could not start playback: ${err.message}`);
    });
  }

  /** The bitrate hls.js plays at (the next track's cache is warmed at about the same). */
  bandwidth(): number | null {
    const hls = this.hls;
    return hls && hls.currentLevel >= 0 ? (hls.levels[hls.currentLevel]?.bitrate ?? null) : null;
  }

  pause(): void {
    this.media?.pause();
  }

  seek(seconds: number): void {
    const to = Math.min(Math.max(0, seconds), this.duration() || Infinity);
    if (this.loading && this.media) this.media.currentTime = to;
    else this.startAt = to;
    this.tracker.break();
  }

  // --- the metered agent's calls (player/agents.ts routes them to the Playback using it)

  meteredStop(reason: StopReason): void {
    const media = this.media;
    this.stopped = true;
    this.hls?.stopLoad();
    this.say(stopMessages[reason]);
    if (!media) return;
    // What is paid for and buffered plays out; playback stops where it ends.
    if (reason === 'budget' || reason === 'wallet') media.addEventListener('waiting', this.pauseAtEnd, { once: true, signal: this.signal });
    else media.pause();
  }

  meteredResume(): void {
    this.stopped = false;
    this.say('');
    this.media?.removeEventListener('waiting', this.pauseAtEnd);
    if (this.loading && this.media) this.hls?.startLoad(this.media.currentTime);
  }

  /** Only at the end of what is buffered: a stall with paid media still ahead (a busy machine) is no end. */
  private readonly pauseAtEnd = () => {
    const media = this.media;
    if (!media) return;
    // The buffered range the playhead is in (after a seek there may be others).
    const b = media.buffered;
    let end = 0;
    for (let i = 0; i < b.length; i++) if (b.start(i) <= media.currentTime + 0.1 && media.currentTime <= b.end(i)) end = b.end(i);
    if (end - media.currentTime < 0.5) media.pause();
    else media.addEventListener('waiting', this.pauseAtEnd, { once: true, signal: this.signal });
  };

  /** The track is no longer the dock's: a last report, and the media element is free for the next one. */
  destroy(): void {
    if (this.signal.aborted) return;
    this.lifetime.abort();
    this.reporter.close();
    const media = this.media;
    if (this.hls) this.hls.destroy();
    else if (media && this.loading) {
      media.pause();
      media.removeAttribute('src');
      media.load();
    }
    this.hls = null;
    this.media = null;
  }
}
