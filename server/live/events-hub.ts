// Server-sent events for a live stream's page: state changes, viewer counts and tips, to
// every page open on it in this process. A comment line every 15 s keeps proxies from
// closing idle streams; each address may hold a bounded number open.
import type { Request, Response } from 'express';

export class LiveEventHub {
  private readonly subscribers = new Map<string, Set<Response>>();
  private readonly perAddress = new Map<string, number>();
  private readonly ping: NodeJS.Timeout;

  constructor(private readonly maxPerAddress: () => number) {
    this.ping = setInterval(() => {
      for (const set of this.subscribers.values()) for (const res of set) res.write(': ping\n\n');
    }, 15_000);
    this.ping.unref();
  }

  /** False when the address holds too many streams already. */
  subscribe(streamId: string, req: Request, res: Response, address: string, initial: [string, unknown][]): boolean {
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.maxPerAddress()) return false;
    this.perAddress.set(address, held + 1);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write('retry: 3000\n\n');
    for (const [event, data] of initial) write(res, event, data);
    const set = this.subscribers.get(streamId) ?? new Set<Response>();
    set.add(res);
    this.subscribers.set(streamId, set);
    req.on('close', () => {
      set.delete(res);
      if (!set.size) this.subscribers.delete(streamId);
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, n);
    });
    return true;
  }

  emit(streamId: string, event: string, data: unknown): void {
    for (const res of this.subscribers.get(streamId) ?? []) write(res, event, data);
  }

  /** Ends every open stream (the stream ended, or the node stops). */
  close(streamId?: string): void {
    for (const [id, set] of this.subscribers) {
      if (streamId && id !== streamId) continue;
      for (const res of set) res.end();
    }
    if (!streamId) clearInterval(this.ping);
  }
}

function write(res: Response, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
