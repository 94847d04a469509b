// Minimal typings for the torrent packages (they ship none).
declare module 'create-torrent' {
  interface CreateTorrentOptions {
    name?: string;
    comment?: string;
    createdBy?: string;
    creationDate?: number | Date;
    private?: boolean;
    pieceLength?: number;
    announceList?: string[][];
    urlList?: string[];
    info?: Record<string, unknown>;
  }
  function createTorrent(input: string | string[] | Buffer | Buffer[], opts: CreateTorrentOptions, cb: (err: Error | null, torrent: Buffer) => void): void;
  export default createTorrent;
}

declare module 'parse-torrent' {
  export interface ParsedTorrent {
    infoHash: string;
    name?: string;
    announce?: string[];
    urlList?: string[];
    files?: { path: string; name: string; length: number; offset: number }[];
    length?: number;
    pieceLength?: number;
    lastPieceLength?: number;
    pieces?: string[];
    info?: Record<string, unknown>;
    infoBuffer?: Uint8Array;
    [k: string]: unknown;
  }
  function parseTorrent(torrentId: string | Uint8Array | Buffer | ParsedTorrent): Promise<ParsedTorrent>;
  export function toMagnetURI(parsed: ParsedTorrent): string;
  export function toTorrentFile(parsed: ParsedTorrent): Uint8Array;
  export default parseTorrent;
}

declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export class Server extends EventEmitter {
    constructor(opts?: Record<string, unknown>);
    ws: { handleUpgrade(req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer, cb: (ws: unknown) => void): void; emit(event: string, ...args: unknown[]): boolean } | null;
    torrents: Record<string, unknown>;
    onHttpRequest(req: IncomingMessage, res: ServerResponse, opts?: { action?: 'announce' | 'scrape'; trustProxy?: boolean }): void;
    close(cb?: () => void): void;
  }
  const Client: unknown;
  export default Client;
}

declare module 'webtorrent' {
  import type { EventEmitter } from 'node:events';
  export interface TorrentFile {
    name: string;
    path: string;
    length: number;
    arrayBuffer(): Promise<ArrayBuffer>;
  }
  export interface Torrent extends EventEmitter {
    infoHash: string;
    magnetURI: string;
    files: TorrentFile[];
    done: boolean;
    progress: number;
    path: string;
    numPeers: number;
    destroy(opts?: unknown, cb?: (err?: Error) => void): void;
  }
  export default class WebTorrent extends EventEmitter {
    constructor(opts?: Record<string, unknown>);
    torrents: Torrent[];
    destroyed: boolean;
    add(torrentId: string | Uint8Array | Buffer, opts?: Record<string, unknown>, onTorrent?: (t: Torrent) => void): Torrent;
    seed(input: string | string[], opts?: Record<string, unknown>, onSeed?: (t: Torrent) => void): Torrent;
    get(torrentId: string): Promise<Torrent | null>;
    remove(torrentId: string, opts?: Record<string, unknown>, cb?: (err?: Error) => void): Promise<void>;
    destroy(cb?: (err?: Error) => void): void;
  }
}
