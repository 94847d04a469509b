// How much the apps' doors take: requests per API key a minute (Subsonic and ListenBrainz each
// count apart), and failed sign-ins per client network a minute (a key is 256 random bits, so
// the second limit only keeps a broken or hostile client from costing the node work).
// Counted in this process's memory (server/http/window-limit.ts).
import { clientNetwork } from '../http/client-address.js';
import { WindowLimit } from '../http/window-limit.js';

/** Requests per key a minute: a Symfonium sync pages search3 and fetches covers in bursts. */
export const subsonicRequestsPerKeyPerMinute = 1200;
/** ListenBrainz submissions per key a minute (an import sends at most 1,000 listens in each). */
export const listenBrainzRequestsPerKeyPerMinute = 60;
/** Failed sign-ins per client network a minute, both doors together. */
export const failedSignInsPerAddressPerMinute = 30;

export class AppDoorLimits {
  private readonly failures = new WindowLimit(failedSignInsPerAddressPerMinute);
  private readonly subsonic = new WindowLimit(subsonicRequestsPerKeyPerMinute);
  private readonly listenBrainz = new WindowLimit(listenBrainzRequestsPerKeyPerMinute);

  constructor(private readonly ipv6PrefixLength: number) {}

  private network(ip: string | undefined) {
    return clientNetwork(ip, this.ipv6PrefixLength);
  }

  /** Whether this address may try to sign in now (its failures this minute are under the limit). */
  mayTry(ip: string | undefined): boolean {
    return this.failures.peek(this.network(ip)) < failedSignInsPerAddressPerMinute;
  }

  failed(ip: string | undefined): void {
    this.failures.take(this.network(ip));
  }

  /** Counts a request of a key at a door; false when the key is over its limit this minute. */
  take(door: 'subsonic' | 'listenbrainz', keyId: string): boolean {
    return (door === 'subsonic' ? this.subsonic : this.listenBrainz).take(keyId);
  }

  /** What is left of a key's minute at a door, and when it turns (ListenBrainz's X-RateLimit headers). */
  window(door: 'subsonic' | 'listenbrainz', keyId: string): { limit: number; remaining: number; resetInSeconds: number } {
    const w = door === 'subsonic' ? this.subsonic : this.listenBrainz;
    return { limit: w.perMinute, remaining: Math.max(0, w.perMinute - w.peek(keyId)), resetInSeconds: w.retryAfterSeconds() };
  }
}
