// The one file that knows node-media-server: its RTMP protocol layer (handshake, chunk
// stream, AMF commands, FLV tags) drives one TCP socket each; the rest of live sees only
// `RtmpListener` and `RtmpPublish` (docs/decisions/0800). Nothing of its HTTP server,
// store or relays is loaded.
import net from 'node:net';
import { createRequire } from 'node:module';
import type { Logger } from '../logger.js';

const require = createRequire(import.meta.url);

interface AvPacket {
  /** 8 audio, 9 video, 18 script data. */
  codec_type: number;
  codec_id: number;
  /** Video: 2 sequence header, 3 key frame, 4 inter frame; audio: 0 sequence header, 1 frame; 5 script. */
  flags: number;
  dts: number;
  size: number;
  data: Buffer;
}

interface RtmpProtocol {
  parserData(buffer: Buffer): string | null;
  sendStatusMessage(streamId: number, level: string, code: string, description: string): void;
  respondPublish(): void;
  streamApp?: string;
  streamName?: string;
  streamId: number;
  parserPacket: { header: { stream_id: number; length: number } };
  inPackets: Map<number, unknown>;
  packetAlloc(): void;
  onOutputCallback: (buffer: Buffer) => void;
  onPacketCallback: (packet: AvPacket) => void;
  onConnectCallback: (req: unknown) => void;
  onPushCallback: () => void;
  onPlayCallback: () => void;
}
type RtmpClass = new () => RtmpProtocol & Record<string, unknown>;

const Rtmp = require('node-media-server/src/protocol/rtmp.js') as RtmpClass;
const Flv = require('node-media-server/src/protocol/flv.js') as { createHeader(a: boolean, v: boolean): Buffer; createMessage(p: AvPacket): Buffer };
const Amf = require('node-media-server/src/protocol/amf.js') as { decodeAmf0Data(b: Buffer): { cmd?: string; method?: string; dataObj?: Record<string, unknown> } };
// Its logger prints to stdout; what matters is reported through ours.
(require('node-media-server/src/core/logger.js') as { log: (...a: unknown[]) => void }).log = () => {};

/** Largest RTMP message accepted before the publish is accepted (connect, createStream, publish are small). */
const PRE_PUBLISH_MESSAGE_BYTES = 16 * 1024;
/** Largest message of an accepted publisher (a key frame of a high-bitrate stream fits). */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Chunk streams one connection may open (encoders use a handful). */
const MAX_CHUNK_STREAMS = 32;

/** Audio and video codecs as FLV numbers them (and the enhanced-RTMP FourCCs). */
const audioCodecs: Record<number, string> = { 2: 'mp3', 10: 'aac', 9: 'enhanced' };
const videoCodecs: Record<number, string> = { 7: 'h264', 12: 'hevc', 0x68766331: 'hevc', 0x61763031: 'av1', 0x76703039: 'vp9' };

export interface StreamMetadata {
  width?: number;
  height?: number;
  frameRate?: number;
  videoCodec?: string;
  audioCodec?: string;
}

/** What a publish asks, and how the node answers it (before any transcoding). */
export interface PublishRequest {
  app: string;
  key: string;
  remoteAddress: string;
  /** Closes the connection from the node's side (a guard ended the stream). */
  close(): void;
}

export type PublishAnswer = { accept: true; session: PublishSink } | { accept: false; reason: string; message: string };

/** Where an accepted publish's media goes (live's ingest). */
export interface PublishSink {
  /** The FLV stream: header first, then one tag per media packet. */
  flv(chunk: Buffer): void;
  /** A media packet arrived (health counters; codecs seen). */
  packet(kind: 'audio' | 'video', codec: string | null, bytes: number): void;
  metadata(meta: StreamMetadata): void;
  /** The publisher stopped (unpublish) or the connection closed (`clean` false: no unpublish came first). */
  closed(clean: boolean): void;
}

export interface RtmpListenerOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Decides a publish: the key is checked here, before a byte of media is accepted. */
  authorize(req: PublishRequest): Promise<PublishAnswer>;
  /** Bytes a connection may send before its publish is accepted (connect, createStream, publish are small). */
  preAuthBytes?: number;
  /** A connection that has not published within this many ms is closed. */
  publishTimeoutMs?: number;
  /** Open connections at most (publishing or not). */
  maxConnections?: number;
  /** Open connections from one client address at most (publishing or not). */
  maxConnectionsPerAddress?: () => number;
  /** What counts as one address (an IPv6 client's whole prefix); default the address itself. */
  addressKey?: (address: string) => string;
}

/**
 * The RTMP port: each connection is parsed by node-media-server's protocol class; a publish
 * is answered by `authorize` (NetStream.Publish.Start, or .BadName and the socket closed);
 * play is refused (the node serves HLS, not RTMP).
 */
export class RtmpListener {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Open connections per client address: one address may not take the whole port. */
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly o: RtmpListenerOptions) {}

  async listen(): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    server.maxConnections = this.o.maxConnections ?? 256;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.o.logger.error({ err }, 'rtmp listener error'));
    return (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const log = this.o.logger;
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    const counted = this.o.addressKey?.(remoteAddress) ?? remoteAddress;
    const held = this.perAddress.get(counted) ?? 0;
    if (held >= (this.o.maxConnectionsPerAddress?.() ?? 8)) {
      log.warn({ remoteAddress, open: held }, 'rtmp connection refused: too many open from this address');
      socket.destroy();
      return;
    }
    this.perAddress.set(counted, held + 1);
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const rtmp = new Rtmp();
    let sink: PublishSink | undefined;
    let state: 'handshake' | 'deciding' | 'publishing' | 'closed' = 'handshake';
    // The library allocates a message's declared length (up to 16 MiB) per chunk stream as soon
    // as its header arrives, before a byte of it is sent: cap the length (tightly before the key
    // is checked) and the number of chunk streams, or a few bytes would cost gigabytes.
    const alloc = rtmp.packetAlloc.bind(rtmp);
    rtmp.packetAlloc = () => {
      const declared = rtmp.parserPacket.header.length;
      const limit = state === 'publishing' ? MAX_MESSAGE_BYTES : PRE_PUBLISH_MESSAGE_BYTES;
      if (declared > limit) throw new Error(`a message of ${declared} bytes (at most ${limit} here)`);
      if (rtmp.inPackets.size > MAX_CHUNK_STREAMS) throw new Error(`more than ${MAX_CHUNK_STREAMS} chunk streams`);
      alloc();
    };
    let preAuth = 0;
    let flvStarted = false;
    let unpublished = false;
    const preAuthLimit = this.o.preAuthBytes ?? 64 * 1024;
    const timer = setTimeout(() => {
      if (state === 'handshake' || state === 'deciding') end('publish_timeout', 'no publish in time');
    }, this.o.publishTimeoutMs ?? 10_000);
    timer.unref();

    let ending = false;
    const end = (reason: string, detail: string) => {
      if (state === 'closed' || ending) return;
      ending = true;
      log.info({ remoteAddress, reason, detail }, 'rtmp connection closed by the node');
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    };

    rtmp.onOutputCallback = (buffer) => {
      if (!socket.destroyed) socket.write(buffer);
    };
    rtmp.onPlayCallback = () => {
      rtmp.sendStatusMessage(rtmp.streamId, 'error', 'NetStream.Play.Failed', 'This node serves live streams over HLS, not RTMP.');
      end('play_refused', 'rtmp play is not served');
    };
    // The library answers Publish.Start before telling its owner; ours asks first.
    rtmp.onPublish = (invoke: { streamName?: unknown }) => {
      if (state !== 'handshake') return;
      state = 'deciding';
      const full = typeof invoke.streamName === 'string' ? invoke.streamName : '';
      rtmp.streamName = full.split('?')[0];
      rtmp.streamId = rtmp.parserPacket.header.stream_id;
      const app = String(rtmp.streamApp ?? '').replace(/^\/+|\/+$/g, '');
      this.o
        .authorize({ app, key: rtmp.streamName, remoteAddress, close: () => end('ended_by_node', 'the stream ended') })
        .then((answer) => {
          if (socket.destroyed) {
            if (answer.accept) answer.session.closed(false);
            return;
          }
          if (!answer.accept) {
            rtmp.sendStatusMessage(rtmp.streamId, 'error', 'NetStream.Publish.BadName', answer.message);
            end(answer.reason, answer.message);
            return;
          }
          sink = answer.session;
          state = 'publishing';
          clearTimeout(timer);
          rtmp.respondPublish();
        })
        .catch((err) => {
          log.error({ err, remoteAddress }, 'rtmp publish check failed');
          rtmp.sendStatusMessage(rtmp.streamId, 'error', 'NetStream.Publish.Failed', 'The node could not check the stream key; try again.');
          end('check_failed', 'authorize threw');
        });
    };
    rtmp.onDeleteStream = () => {
      if (state === 'publishing' && !unpublished) {
        unpublished = true;
        sink?.closed(true);
      }
      end('unpublished', 'the publisher stopped');
    };
    rtmp.onPacketCallback = (packet) => {
      if (state !== 'publishing' || !sink || unpublished) return;
      if (packet.codec_type === 18) {
        const meta = metadataOf(packet.data.subarray(0, packet.size));
        if (meta) sink.metadata(meta);
      } else if (packet.codec_type === 8 || packet.codec_type === 9) {
        const video = packet.codec_type === 9;
        sink.packet(video ? 'video' : 'audio', (video ? videoCodecs : audioCodecs)[packet.codec_id] ?? null, packet.size);
      } else return;
      if (!flvStarted) {
        flvStarted = true;
        sink.flv(Flv.createHeader(true, true));
      }
      sink.flv(Flv.createMessage(packet));
    };

    socket.on('data', (data: Buffer) => {
      if (state === 'closed') return;
      if (state !== 'publishing') {
        preAuth += data.length;
        if (preAuth > preAuthLimit) return end('too_much_before_publish', `${preAuth} bytes before a publish`);
      }
      let err: string | null;
      try {
        err = rtmp.parserData(data);
      } catch (e) {
        err = (e as Error).message;
      }
      if (err) end('protocol_error', err);
    });
    socket.on('error', (err) => log.debug({ err: err.message, remoteAddress }, 'rtmp socket error'));
    socket.on('close', () => {
      clearTimeout(timer);
      this.sockets.delete(socket);
      const n = (this.perAddress.get(counted) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(counted);
      else this.perAddress.set(counted, n);
      const was = state;
      state = 'closed';
      if (was === 'publishing' && !unpublished) sink?.closed(false);
    });
    socket.setTimeout(30_000, () => end('idle', 'no data for 30 s'));
  }
}

function metadataOf(data: Buffer): StreamMetadata | undefined {
  let decoded;
  try {
    decoded = Amf.decodeAmf0Data(data);
  } catch {
    return undefined;
  }
  const obj = decoded.dataObj;
  if (!obj || typeof obj !== 'object') return undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
  const codec = (v: unknown, table: Record<number, string>) => (typeof v === 'number' ? table[v] ?? `flv-${v}` : typeof v === 'string' ? v : undefined);
  return {
    width: num(obj.width),
    height: num(obj.height),
    frameRate: num(obj.framerate),
    videoCodec: codec(obj.videocodecid, videoCodecs),
    audioCodec: codec(obj.audiocodecid, audioCodecs),
  };
}
