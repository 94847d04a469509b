// Which network a client address is counted under, for every per-address limit (logins,
// sign-ups, the inbox): one IPv6 client holds a whole /64, so counting single addresses would
// let it spread a flood over 2^64 of them.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

/** The IPv6 prefix length every per-address limit counts under unless configured otherwise. */
export const DEFAULT_IPV6_PREFIX_LENGTH = 64;

/**
 * The network a client address is counted under: an IPv4 address itself (also when written
 * IPv4-mapped), an IPv6 address cut to its first `v6PrefixLength` bits.
 */
export function clientNetwork(ip: string | undefined, v6PrefixLength: number): string {
  if (!ip) return 'unknown';
  let a = ip.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1];
  const version = isIP(a);
  if (version === 4) return a;
  if (version !== 6) return `other:${createHash('sha256').update(a).digest('base64url')}`;
  const groups = ipv6Groups(a).map((g, i) => {
    const kept = Math.min(16, Math.max(0, v6PrefixLength - i * 16));
    return kept === 0 ? 0 : g & ((0xffff << (16 - kept)) & 0xffff);
  });
  return `${groups.map((g) => g.toString(16)).join(':')}/${v6PrefixLength}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` and a dotted IPv4 tail expanded). */
export function ipv6Groups(a: string): number[] {
  let tail: number[] = [];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number);
    tail = [(b0 << 8) | b1, (b2 << 8) | b3];
    a = a.slice(0, v4.index);
    if (a.endsWith(':') && !a.endsWith('::')) a = a.slice(0, -1);
  }
  const [head, rest] = a.includes('::') ? a.split('::') : [a, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = [...parse(rest), ...tail];
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}
