// Torrents for renditions (BEP 19 web seed = the node's HTTP streaming folder), the
// node's own BitTorrent tracker (HTTP announce + WebSocket), and the seeding client.
import type { IncomingMessage, ServerResponse, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import createTorrent from 'create-torrent';
import parseTorrent, { toMagnetURI } from 'parse-torrent';
import { Server as TrackerServer } from 'bittorrent-tracker';
import type WebTorrent from 'webtorrent';
import type { Logger } from '../logger.js';

export interface TrackerUrls {
  http: string;
  ws: string;
}

export function trackerUrls(publicUrl: string): TrackerUrls {
  return { http: `${publicUrl}/tracker/announce`, ws: `${publicUrl.replace(/^http/, 'ws')}/tracker/socket` };
}

/** The web seed base of a track: a multi-file torrent named after the rendition folder. */
export const webSeedUrl = (publicUrl: string, trackId: string) => `${publicUrl}/static/streaming/${trackId}/`;

/** Makes `<parent>/<rendition>.torrent` from the rendition folder; returns its info hash and magnet. */
export async function createRenditionTorrent(renditionDir: string, opts: { trackId: string; publicUrl: string; nodeName: string }): Promise<{ file: string; infoHash: string; magnetUri: string }> {
  const trackers = trackerUrls(opts.publicUrl);
  const name = path.basename(renditionDir);
  const torrent = await new Promise<Buffer>((resolve, reject) =>
    createTorrent(
      renditionDir,
      {
        name,
        createdBy: '9ten',
        comment: `${opts.nodeName} track ${opts.trackId} rendition ${name}`,
        announceList: [[trackers.ws], [trackers.http]],
        urlList: [webSeedUrl(opts.publicUrl, opts.trackId)],
      },
      (err, buf) => (err ? reject(err) : resolve(buf)),
    ),
  );
  const file = path.join(path.dirname(renditionDir), `${name}.torrent`);
  await writeFile(file, torrent);
  const parsed = await parseTorrent(torrent);
  return { file, infoHash: parsed.infoHash, magnetUri: toMagnetURI(parsed) };
}

/** The node's tracker: no own listening socket; HTTP requests and WebSocket upgrades are handed in. */
export class NodeTracker {
  private server: TrackerServer;
  private attached = new WeakSet<HttpServer>();

  /** `allow` decides which info hashes may be announced: the node's own public/unlisted renditions only. */
  constructor(
    private readonly logger: Logger,
    private readonly trustProxy: boolean,
    allow: (infoHash: string) => Promise<boolean>,
  ) {
    const filter = (infoHash: string, _params: unknown, cb: (err?: Error) => void) => {
      allow(infoHash).then(
        (ok) => cb(ok ? undefined : new Error('unknown torrent')),
        (err: Error) => cb(err),
      );
    };
    this.server = new TrackerServer({ http: false, udp: false, ws: { noServer: true, perMessageDeflate: false }, stats: false, trustProxy, filter });
    this.server.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'tracker error'));
    this.server.on('warning', (err: Error) => this.logger.debug({ err: err.message }, 'tracker warning'));
  }

  announce(req: IncomingMessage, res: ServerResponse): void {
    this.server.onHttpRequest(req, res, { action: 'announce', trustProxy: this.trustProxy });
  }

  scrape(req: IncomingMessage, res: ServerResponse): void {
    this.server.onHttpRequest(req, res, { action: 'scrape', trustProxy: this.trustProxy });
  }

  /** Takes WebSocket upgrades for /tracker/socket on the node's HTTP server (once per server). */
  attach(server: HttpServer): void {
    if (this.attached.has(server)) return;
    this.attached.add(server);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!req.url?.startsWith('/tracker/socket')) return; // another capability's upgrade
      const ws = this.server.ws;
      if (!ws) return socket.destroy();
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      ws.handleUpgrade(req, socket, head, (conn) => ws.emit('connection', conn, req));
    });
    // Upgraded sockets are not closed by server.closeAllConnections(), and server.close()
    // waits for them: drop them when the server starts closing, or the node never stops.
    const close = server.close.bind(server);
    server.close = ((cb?: (err?: Error) => void) => {
      this.dropSockets();
      return close(cb);
    }) as typeof server.close;
  }

  private sockets = new Set<Duplex>();

  private dropSockets(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  close(): Promise<void> {
    this.dropSockets();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Seeds renditions from the streaming folder with a webtorrent client (worker role), created on first use. */
export class Seeder {
  private client: WebTorrent | undefined;
  private loading: Promise<WebTorrent> | undefined;
  private byTrack = new Map<string, Set<string>>();

  constructor(private readonly logger: Logger) {}

  private closed = false;

  private async getClient(): Promise<WebTorrent> {
    if (this.closed) throw new Error('seeding has stopped');
    if (this.client) return this.client;
    this.loading ??= import('webtorrent').then((m) => {
      const client = new m.default({ dht: false, lsd: false, natUpnp: false, natPmp: false, utp: false });
      client.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'seeding client error'));
      this.client = client;
      return client;
    });
    return this.loading;
  }

  /** Seeds one rendition of a track (the .torrent plus the folder holding the files). */
  async seed(trackId: string, torrentFile: Buffer, parentDir: string): Promise<void> {
    if (this.closed) return;
    const client = await this.getClient();
    if (this.closed || client.destroyed) return;
    const parsed = await parseTorrent(torrentFile);
    if (!this.byTrack.has(trackId)) this.byTrack.set(trackId, new Set());
    this.byTrack.get(trackId)!.add(parsed.infoHash);
    if (await client.get(parsed.infoHash)) return;
    await new Promise<void>((resolve) => {
      const t = client.add(torrentFile, { path: parentDir, skipVerify: true }, () => resolve());
      t.on('error', (err: Error) => {
        this.logger.warn({ err: err.message, infoHash: parsed.infoHash }, 'seeding failed');
        resolve();
      });
    });
  }

  /** Stops seeding a track's renditions (deleted, or made private). */
  async unseedTrack(trackId: string): Promise<void> {
    const hashes = this.byTrack.get(trackId);
    this.byTrack.delete(trackId);
    if (!hashes || !this.client) return;
    for (const h of hashes) if (await this.client.get(h)) await this.client.remove(h, { destroyStore: false }).catch(() => {});
  }

  /** The tracks being seeded now. */
  seededTrackIds(): string[] {
    return [...this.byTrack.keys()];
  }

  isSeeding(trackId: string): boolean {
    return this.byTrack.has(trackId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client ?? (this.loading ? await this.loading.catch(() => undefined) : undefined);
    this.client = undefined;
    this.loading = undefined;
    if (c) await new Promise<void>((resolve) => c.destroy(() => resolve()));
  }
}
