// One live stream while it runs: its connections ("parts": a reconnect within the grace adds
// one), the ffmpeg that makes its HLS, the segments hashed and recorded as they are written,
// its health, its viewers and the guards that end it cleanly with a reason.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ffmpegPath } from '../media/ffmpeg.js';
import { parseMediaPlaylist } from '../../shared/hls.js';
import type { Logger } from '../logger.js';
import type { LiveConfig } from './config.js';
import type { LiveStore, SegmentRow, StreamState } from './store.js';
import { liveFfmpegArgs, partPlaylist, planLiveLadder, type LiveRendition } from './ladder.js';
import type { PublishSink, StreamMetadata } from './rtmp-adapter.js';
import type { LiveHealth } from './contract.js';
import { endMessages, type EndReason } from './end-reasons.js';

export interface LiveChannel {
  id: string;
  name: string;
  displayName: string;
  ownerId: string;
}

export interface SessionDeps {
  config(): LiveConfig;
  logger: Logger;
  store: LiveStore;
  /** The first segment is out: the stream is live (announce it). */
  started(s: LiveSession): Promise<void>;
  /** The stream ended and its row says so (announce, replay, clean up). */
  ended(s: LiveSession, reason: EndReason, message: string): Promise<void>;
  /** A change viewers of the stream's page should see (state, viewers). */
  emit(streamId: string, event: string, data: unknown): void;
}

/** What one connection is doing. */
interface Part {
  k: number;
  closeSocket: () => void;
  /** The pushed FLV as it came (only for a replay; null: not kept, or dropped for falling behind). */
  recording: WriteStream | null;
  /** FLV written before ffmpeg starts (the ladder waits for the first media packets). */
  pending: Buffer[];
  pendingBytes: number;
  ffmpeg?: ChildProcessWithoutNullStreams;
  ffmpegExited?: Promise<number | null>;
  stderr: string;
  watcher?: NodeJS.Timeout;
  scanning: Promise<void>;
  seen: Map<string, Set<string>>;
  audioCodec?: string | null;
  videoCodec?: string | null;
  audioPackets: number;
  videoPackets: number;
  stopping: boolean;
  stopped?: Promise<void>;
  /** The ladder is being started (folders made, then ffmpeg spawned): packets only queue meanwhile. */
  ladderStarting?: boolean;
  lastSegmentAt: number;
  ffmpegStartedAt: number;
}


/** Segments per rendition whose bytes stay in memory: players ask for the few nearest the live edge. */
const HOT_SEGMENTS = 6;

export class LiveSession {
  state: StreamState = 'starting';
  /** A part's recording was dropped: no replay can be made whole. */
  recordingLost = false;
  private readonly hot = new Map<string, Buffer>();
  /** Set with state 'ended', before the row says so: views read it so "ended" never comes without its reason. */
  outcome: { reason: EndReason; message: string; at: Date } | undefined;
  readonly dir: string;
  plan?: LiveRendition[];
  source: StreamMetadata & { hasVideo?: boolean } = {};
  parts = 0;
  startedAt?: Date;
  private part?: Part;
  private readonly segments = new Map<string, SegmentRow[]>();
  private readonly nextSeq = new Map<string, number>();
  private readonly discontinuityDue = new Set<string>();
  private readonly discontinuitiesDropped = new Map<string, number>();
  private readonly viewers = new Map<string, number>();
  peakViewers = 0;
  private readonly createdAt = Date.now();
  private lastPacketAt = Date.now();
  /** Bytes and video frames per second, the last 10 s. */
  private readonly byteSeconds: number[] = [];
  private readonly frameSeconds: number[] = [];
  private secondBytes = 0;
  private secondFrames = 0;
  private dropped = 0;
  private speed: number | null = null;
  private tick?: NodeJS.Timeout;
  private grace?: NodeJS.Timeout;
  private ending?: Promise<void>;
  private lastViewerCount = -1;

  constructor(
    readonly id: string,
    readonly channel: LiveChannel,
    readonly title: string,
    readonly keepReplay: boolean,
    liveRoot: string,
    private readonly deps: SessionDeps,
  ) {
    this.dir = path.join(liveRoot, id);
    this.tick = setInterval(() => this.onTick(), 1000);
    this.tick.unref();
  }

  get live(): boolean {
    return this.state !== 'ended';
  }

  get connected(): boolean {
    return !!this.part && !this.part.stopping;
  }

  /** A publisher connected (the first, or a reconnect within the grace): a sink for its media. */
  attach(closeSocket: () => void): PublishSink {
    if (this.grace) clearTimeout(this.grace);
    this.grace = undefined;
    const k = ++this.parts;
    if (k > 1) for (const r of this.plan ?? []) this.discontinuityDue.add(r.name);
    // The source is recorded only for a replay.
    const recording = this.keepReplay ? createWriteStream(path.join(this.dir, `source-p${k}.flv`)) : null;
    recording?.on('error', (err) => this.deps.logger.warn({ err, streamId: this.id }, 'live recording write failed'));
    const part: Part = {
      k, closeSocket, recording, pending: [], pendingBytes: 0, stderr: '', scanning: Promise.resolve(), seen: new Map(),
      audioPackets: 0, videoPackets: 0, stopping: false, lastSegmentAt: Date.now(), ffmpegStartedAt: 0,
    };
    this.part = part;
    this.lastPacketAt = Date.now();
    if (this.state === 'reconnecting') {
      this.state = 'live';
      void this.deps.store.update(this.id, { state: 'live', parts: k }).catch(() => {});
      this.deps.emit(this.id, 'state', { state: 'live' });
    } else if (k > 1) void this.deps.store.update(this.id, { parts: k }).catch(() => {});
    this.deps.logger.info({ streamId: this.id, channel: this.channel.name, part: k }, k > 1 ? 'live stream resumed' : 'live stream connected');
    return {
      flv: (chunk) => this.onFlv(part, chunk),
      packet: (kind, codec, bytes) => this.onPacket(part, kind, codec, bytes),
      metadata: (meta) => {
        if (part.k === 1) this.source = { ...this.source, ...meta };
      },
      closed: (clean) => this.onClosed(part, clean),
    };
  }

  private onFlv(part: Part, chunk: Buffer): void {
    if (part.stopping) return;
    if (part.recording) {
      // A disk slower than the push: the recording is dropped (no replay) rather than held in memory.
      if (part.recording.writableLength > this.deps.config().maxBacklogBytes) {
        this.deps.logger.warn({ streamId: this.id, part: part.k }, 'live recording fell behind the disk; this stream keeps no replay');
        part.recording.destroy();
        part.recording = null;
        this.recordingLost = true;
      } else part.recording.write(chunk);
    }
    if (part.ffmpeg) {
      part.ffmpeg.stdin.write(chunk);
      return;
    }
    part.pending.push(chunk);
    part.pendingBytes += chunk.length;
  }

  private onPacket(part: Part, kind: 'audio' | 'video', codec: string | null, bytes: number): void {
    if (part.stopping) return;
    this.lastPacketAt = Date.now();
    this.secondBytes += bytes;
    if (kind === 'video') {
      this.secondFrames++;
      part.videoPackets++;
      if (part.videoCodec === undefined) {
        part.videoCodec = codec;
        if (!codec) return void this.end('unsupported_codec', 'The video codec is not supported: push H.264 (or HEVC, AV1, VP9).');
      }
    } else {
      part.audioPackets++;
      if (part.audioCodec === undefined) {
        part.audioCodec = codec;
        if (!codec) return void this.end('unsupported_codec', 'The audio codec is not supported: push AAC (or MP3).');
      }
    }
    if (!part.ffmpeg && !part.ladderStarting) this.maybeStartLadder(part);
  }

  /** Starts ffmpeg once the source is known well enough to plan the ladder. */
  private maybeStartLadder(part: Part): void {
    const hasVideo = this.plan ? this.plan.some((r) => r.kind === 'video') : !!this.source.videoCodec || part.videoPackets > 0;
    const hasAudio = !!this.source.audioCodec || part.audioPackets > 0;
    const metaKnown = this.source.videoCodec !== undefined || this.source.audioCodec !== undefined;
    // Without metadata, wait a moment for the other kind of packet.
    const waited = part.audioPackets + part.videoPackets >= 60;
    if (!this.plan && !(metaKnown || waited || (part.audioPackets > 0 && part.videoPackets > 0))) return;
    if (!hasAudio) {
      if (waited || (metaKnown && !this.source.audioCodec)) this.end('no_audio', 'The stream has no audio: 9ten live always makes an audio rendition; push AAC audio with the video.');
      return;
    }
    if (!this.plan) {
      this.source.hasVideo = hasVideo;
      this.plan = planLiveLadder({ ...this.source, hasVideo }, this.deps.config());
      void this.deps.store.update(this.id, { renditions: this.plan, source: { ...this.source } }).catch(() => {});
    }
    part.ladderStarting = true;
    void this.startLadder(part).catch((err) => {
      this.deps.logger.error({ err, streamId: this.id }, 'live ladder could not start');
      void this.end('transcoder_failed', `The transcoder could not start: ${(err as Error).message}`);
    });
  }

  private async startLadder(part: Part): Promise<void> {
    const plan = this.plan!;
    const cfg = this.deps.config();
    await Promise.all(plan.map((r) => mkdir(path.join(this.dir, r.name), { recursive: true })));
    if (part.stopping || part.ffmpeg) return;
    const child = spawn(ffmpegPath, liveFfmpegArgs(this.dir, part.k, plan, cfg), { stdio: ['pipe', 'pipe', 'pipe'] });
    part.ffmpeg = child;
    part.ffmpegStartedAt = Date.now();
    part.lastSegmentAt = Date.now();
    child.on('error', (err) => part.stderr += `\n${err.message}`);
    child.stdin.on('error', () => {});
    child.stderr.on('data', (d: Buffer) => (part.stderr = (part.stderr + d.toString()).slice(-2000)));
    let progress = '';
    child.stdout.on('data', (d: Buffer) => {
      progress += d.toString();
      const lines = progress.split('\n');
      progress = lines.pop() ?? '';
      for (const line of lines) {
        const [key, value] = line.split('=');
        if (key === 'drop_frames') this.dropped = Number(value) || 0;
        else if (key === 'speed') this.speed = /^[\d.]+x$/.test(value ?? '') ? Number(value.slice(0, -1)) : this.speed;
      }
    });
    part.ffmpegExited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
    void part.ffmpegExited.then((code) => {
      if (!part.stopping && this.part === part) {
        this.deps.logger.warn({ streamId: this.id, code, stderr: part.stderr }, 'live ffmpeg exited');
        void this.end('transcoder_failed', `The transcoder stopped (${code ?? 'signal'}): ${lastLine(part.stderr) || 'no message'}`);
      }
    });
    for (const chunk of part.pending) child.stdin.write(chunk);
    part.pending = [];
    part.pendingBytes = 0;
    part.watcher = setInterval(() => {
      part.scanning = part.scanning.then(() => this.scan(part)).catch((err) => this.deps.logger.warn({ err, streamId: this.id }, 'live segment scan failed'));
    }, 200);
    part.watcher.unref();
  }

  /** Segments ffmpeg has finished since the last look: hash, record, list. */
  private async scan(part: Part): Promise<void> {
    for (const r of this.plan ?? []) {
      let text: string;
      try {
        text = await readFile(partPlaylist(this.dir, r.name, part.k), 'utf8');
      } catch {
        continue;
      }
      const seen = part.seen.get(r.name) ?? new Set<string>();
      part.seen.set(r.name, seen);
      for (const entry of parseMediaPlaylist(text)) {
        if (seen.has(entry.file)) continue;
        const file = path.join(r.name, entry.file);
        const data = await readFile(path.join(this.dir, file));
        const seq = this.nextSeq.get(r.name) ?? 0;
        const row: SegmentRow = {
          seq, part: part.k, file, duration_ms: Math.round(entry.durationSeconds * 1000), bytes: data.length,
          sha256: createHash('sha256').update(data).digest('hex'), discontinuity: this.discontinuityDue.has(r.name),
        };
        // Numbered and listed only once recorded: a failed write is tried again at the next look, under the same number.
        await this.deps.store.addSegment(this.id, r.name, row);
        seen.add(entry.file);
        this.nextSeq.set(r.name, seq + 1);
        this.discontinuityDue.delete(r.name);
        this.keepHot(r.name, seq, data);
        const list = this.segments.get(r.name) ?? [];
        list.push(row);
        this.segments.set(r.name, list);
        part.lastSegmentAt = Date.now();
        const keep = this.deps.config().keepSegments;
        while (list.length > keep) {
          const old = list.shift()!;
          if (old.discontinuity) this.discontinuitiesDropped.set(r.name, (this.discontinuitiesDropped.get(r.name) ?? 0) + 1);
          await unlink(path.join(this.dir, old.file)).catch(() => {});
        }
      }
    }
    if (this.state === 'starting' && this.plan && this.plan.every((r) => (this.segments.get(r.name)?.length ?? 0) > 0)) {
      this.state = 'live';
      this.startedAt = new Date();
      await this.deps.store.update(this.id, { state: 'live', started: true });
      this.deps.emit(this.id, 'state', { state: 'live' });
      this.deps.logger.info({ streamId: this.id, channel: this.channel.name, renditions: this.plan.map((r) => r.name), firstSegmentMs: Date.now() - this.createdAt }, 'live stream started');
      await this.deps.started(this).catch((err) => this.deps.logger.warn({ err, streamId: this.id }, 'live start announcement failed'));
    }
  }

  /** The newest segments' bytes of each rendition, kept in memory for the fast path (fast-segments.ts). */
  private keepHot(rendition: string, seq: number, data: Buffer): void {
    this.hot.set(`${rendition}/${seq}`, data);
    this.hot.delete(`${rendition}/${seq - HOT_SEGMENTS}`);
  }

  /** A recent segment's bytes, if still in memory. */
  bytesOf(rendition: string, seq: number): Buffer | undefined {
    return this.hot.get(`${rendition}/${seq}`);
  }

  /** The in-memory window of a rendition (the process that ingests the stream). */
  windowOf(rendition: string, limit: number): { segments: SegmentRow[]; discontinuitiesBefore: number } | undefined {
    const list = this.segments.get(rendition);
    if (!list) return undefined;
    const from = Math.max(0, list.length - limit);
    let before = this.discontinuitiesDropped.get(rendition) ?? 0;
    for (let i = 0; i < from; i++) if (list[i].discontinuity) before++;
    return { segments: list.slice(from), discontinuitiesBefore: before };
  }

  segmentOf(rendition: string, seq: number): SegmentRow | undefined {
    const list = this.segments.get(rendition);
    if (!list?.length) return undefined;
    const i = seq - list[0].seq;
    return list[i]?.seq === seq ? list[i] : undefined;
  }

  /** A viewer fetched a segment (counted as watching for three segment lengths). */
  touchViewer(key: string): void {
    this.viewers.set(key, Date.now());
  }

  viewersNow(): number {
    const horizon = Date.now() - this.deps.config().segmentSeconds * 3000 - 4000;
    for (const [k, at] of this.viewers) if (at < horizon) this.viewers.delete(k);
    const n = this.viewers.size;
    if (n > this.peakViewers) this.peakViewers = n;
    return n;
  }

  health(): LiveHealth {
    const secs = this.byteSeconds.slice(-5);
    const frames = this.frameSeconds.slice(-5);
    const avg = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
    const started = this.startedAt ?? null;
    return {
      state: this.state,
      connected: this.connected,
      startedAt: started?.toISOString() ?? null,
      uptimeSeconds: started ? Math.round((Date.now() - started.getTime()) / 1000) : 0,
      inputKbps: Math.round((avg(secs) * 8) / 1000),
      fps: Math.round(avg(frames) * 10) / 10,
      droppedFrames: this.dropped,
      speed: this.speed,
      backlogBytes: this.backlog(),
      viewers: this.viewersNow(),
      peakViewers: this.peakViewers,
      parts: this.parts,
      renditions: (this.plan ?? []).map((r) => r.name),
      source: { ...this.source },
    };
  }

  private backlog(): number {
    const p = this.part;
    if (!p) return 0;
    return p.ffmpeg ? p.ffmpeg.stdin.writableLength : p.pendingBytes;
  }

  private onTick(): void {
    this.byteSeconds.push(this.secondBytes);
    this.frameSeconds.push(this.secondFrames);
    if (this.byteSeconds.length > 10) this.byteSeconds.shift();
    if (this.frameSeconds.length > 10) this.frameSeconds.shift();
    this.secondBytes = 0;
    this.secondFrames = 0;
    const viewers = this.viewersNow();
    if (viewers !== this.lastViewerCount) {
      this.lastViewerCount = viewers;
      this.deps.emit(this.id, 'viewers', { now: viewers, peak: this.peakViewers });
    }
    if (!this.connected || this.ending) return;
    const c = this.deps.config();
    const now = Date.now();
    const part = this.part!;
    if (now - this.createdAt > c.maxDurationSeconds * 1000) return void this.end('max_duration', `The stream reached the longest this node allows (${c.maxDurationSeconds} s).`);
    if (now - this.lastPacketAt > c.stallSeconds * 1000) return void this.end('stalled', `No media arrived for ${c.stallSeconds} s.`);
    if (this.byteSeconds.length >= 10) {
      const kbps = (this.byteSeconds.reduce((a, b) => a + b, 0) * 8) / 10 / 1000;
      if (kbps > c.maxBitrateKbps) return void this.end('bitrate_exceeded', `The input bitrate (${Math.round(kbps)} kbps) is above this node's limit of ${c.maxBitrateKbps} kbps.`);
    }
    if (this.backlog() > c.maxBacklogBytes) return void this.end('overloaded', 'The transcoder fell behind the input (the node is overloaded); the stream was ended rather than buffered.');
    if (part.ffmpeg && now - part.lastSegmentAt > (c.segmentSeconds * 3 + 10) * 1000) return void this.end('transcoder_stalled', 'The transcoder wrote no segment for too long.');
    if (!part.ffmpeg && now - this.createdAt > 20_000 && this.parts === 1 && part.audioPackets + part.videoPackets === 0) return void this.end('no_media', 'The publisher connected but sent no audio or video.');
  }

  /**
   * Stops a connection's ffmpeg (it writes its last segment), records it, closes the recording:
   * once, and every caller waits for the same stop (an end during a drop's stop waits for it).
   */
  private stopPart(part: Part): Promise<void> {
    part.stopping = true;
    part.stopped ??= this.stopPartOnce(part);
    return part.stopped;
  }

  private async stopPartOnce(part: Part): Promise<void> {
    part.closeSocket();
    const recording = part.recording;
    if (recording) await new Promise<void>((resolve) => recording.end(() => resolve()));
    const child = part.ffmpeg;
    if (child) {
      child.stdin.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await part.ffmpegExited;
      clearTimeout(killer);
      if (part.watcher) clearInterval(part.watcher);
      part.scanning = part.scanning.then(() => this.scan(part)).catch((err) => this.deps.logger.warn({ err, streamId: this.id }, 'last live segment scan failed'));
      await part.scanning;
    }
  }

  private onClosed(part: Part, clean: boolean): void {
    if (this.part !== part || part.stopping || this.ending) return;
    if (clean) return void this.end('publisher_stopped', 'The publisher stopped the stream.');
    const grace = this.deps.config().reconnectGraceSeconds;
    if (grace <= 0 || this.state === 'starting') return void this.end('publisher_disconnected', 'The publisher disconnected.');
    this.deps.logger.info({ streamId: this.id, graceSeconds: grace }, 'live publisher dropped; waiting for a reconnect');
    void this.stopPart(part).then(() => {
      if (this.ending || this.part !== part) return;
      this.state = 'reconnecting';
      void this.deps.store.update(this.id, { state: 'reconnecting' }).catch(() => {});
      this.deps.emit(this.id, 'state', { state: 'reconnecting' });
      this.grace = setTimeout(() => void this.end('publisher_disconnected', `The publisher disconnected and did not come back within ${grace} s.`), grace * 1000);
      this.grace.unref();
    });
  }

  /** Ends the stream once, whatever the reason; resolves when its row says ended. */
  end(reason: EndReason, message: string = endMessages[reason]): Promise<void> {
    // Never rejects: callers fire and forget it, and a failure must not take the process down.
    this.ending ??= (async () => {
      if (this.grace) clearTimeout(this.grace);
      if (this.part) await this.stopPart(this.part);
      if (this.tick) clearInterval(this.tick);
      this.outcome = { reason, message, at: new Date() };
      this.state = 'ended';
      this.hot.clear();
      const log = reason === 'transcoder_failed' || reason === 'overloaded' || reason === 'transcoder_stalled' ? 'warn' : 'info';
      this.deps.logger[log]({ streamId: this.id, channel: this.channel.name, reason, message, parts: this.parts }, 'live stream ended');
      await this.deps.store.end(this.id, reason, message, this.peakViewers);
      this.deps.emit(this.id, 'state', { state: 'ended', reason, message });
      await this.deps.ended(this, reason, message).catch((err) => this.deps.logger.error({ err, streamId: this.id }, 'after a live stream ended'));
    })().catch((err) => this.deps.logger.error({ err, streamId: this.id, reason }, 'ending a live stream failed'));
    return this.ending;
  }

  /** The recordings of every part with media in it (for the replay). */
  recordings(): string[] {
    return Array.from({ length: this.parts }, (_, i) => path.join(this.dir, `source-p${i + 1}.flv`));
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 300) ?? '';
}

