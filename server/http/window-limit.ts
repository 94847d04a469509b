// A per-key count in one-minute windows, in the process's memory: for open doors that cost CPU
// but write nothing (payment challenges, offers), where a Redis round trip per request would
// cost more than the work it guards. Each process counts apart; keys are client networks
// (clientNetwork), so one IPv6 client cannot spread over its /64. Memory is the keys of one
// minute: the map is emptied when the minute turns.
export class WindowLimit {
  private counts = new Map<string, number>();
  private window = 0;

  constructor(readonly perMinute: number) {}

  /** Counts one for `key`; false when the key is over its limit this minute. */
  take(key: string, now = Date.now()): boolean {
    const w = Math.floor(now / 60_000);
    if (w !== this.window) {
      this.window = w;
      this.counts.clear();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n <= this.perMinute;
  }

  /** This minute's count for `key`, without counting. */
  peek(key: string, now = Date.now()): number {
    return Math.floor(now / 60_000) === this.window ? (this.counts.get(key) ?? 0) : 0;
  }

  /** Seconds until the window turns. */
  retryAfterSeconds(now = Date.now()): number {
    return Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
  }
}
