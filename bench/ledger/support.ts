// What the ledger benches share: a seeded pseudo-random generator (mulberry32, the same inputs
// every run) and a driver keeping N submits in flight.
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `work` over `items` with `n` in flight; MVCC conflicts are retried and counted. */
export async function inFlight<T>(items: T[], n: number, work: (item: T) => Promise<unknown>): Promise<number> {
  let next = 0;
  let conflicts = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const item = items[next++];
        for (;;) {
          try {
            await work(item);
            break;
          } catch (err) {
            if ((err as { code?: string }).code !== 'mvcc_conflict') throw err;
            conflicts++;
          }
        }
      }
    }),
  );
  return conflicts;
}
