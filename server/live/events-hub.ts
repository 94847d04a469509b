// Server-sent events for a live stream's page: state changes, viewer counts and tips, to
// every page open on it in this process. A comment line every 15 s keeps proxies from
// closing idle streams; each address may hold a bounded number open, and the process a bounded
// number in all. A reader that stops reading is dropped before its backlog grows.
import type { Request, Response } from 'express';

/** Unsent bytes past which a reader is too slow and is dropped (it reconnects and gets the state again). */
const MAX_BACKLOG_BYTES = 64 * 1024;

export class LiveEventHub {
  private readonly subscribers = new Map<string, Set<Response>>();
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  private readonly ping: NodeJS.Timeout;

  constructor(
    private readonly maxPerAddress: () => number,
    private readonly maxTotal: () => number,
  ) {
    this.ping = setInterval(() => {
      for (const set of this.subscribers.values()) for (const res of set) send(res, ': ping\n\n');
    }, 15_000);
    this.ping.unref();
  }

  /** 'address' or 'node' when that holds too many streams already; undefined when subscribed. */
  subscribe(streamId: string, req: Request, res: Response, address: string, initial: [string, unknown][]): 'address' | 'node' | undefined {
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.maxPerAddress()) return 'address';
    if (this.total >= this.maxTotal()) return 'node';
    this.perAddress.set(address, held + 1);
    this.total++;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write('retry: 3000\n\n');
    for (const [event, data] of initial) write(res, event, data);
    const set = this.subscribers.get(streamId) ?? new Set<Response>();
    set.add(res);
    this.subscribers.set(streamId, set);
    req.on('close', () => {
      set.delete(res);
      if (!set.size && this.subscribers.get(streamId) === set) this.subscribers.delete(streamId);
      this.total--;
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, n);
    });
    return undefined;
  }

  emit(streamId: string, event: string, data: unknown): void {
    for (const res of this.subscribers.get(streamId) ?? []) write(res, event, data);
  }

  /** Ends every open stream of one live stream (it ended), or all of them (the node stops). */
  close(streamId?: string): void {
    for (const [id, set] of this.subscribers) {
      if (streamId && id !== streamId) continue;
      for (const res of set) res.end();
      // Gone from the hub at once; the counts follow as each connection closes.
      this.subscribers.delete(id);
    }
    if (!streamId) clearInterval(this.ping);
  }
}

function write(res: Response, event: string, data: unknown): void {
  send(res, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function send(res: Response, text: string): void {
  if (res.writableEnded) return;
  if (res.writableLength > MAX_BACKLOG_BYTES) return void res.end();
  res.write(text);
}
