// The access gate of tracks that are not free. Their segments go through the route (never
// the fast path without a credential, never nginx's folder, never WebTorrent): the owner and
// admins play them; a `subscribers` track plays for listeners with an active subscription; a
// `metered` track plays free for subscribers and for everyone else against an L402 credential
// that the payment side (money, through the SegmentAccessPort) checks from the request alone.
// Playlists and init files stay open: the prices are written into them.
import type { User } from '../accounts/service.js';
import { Port } from '../context.js';
import type { AccessDecision, GatedTrack, RelayPort, SegmentAccessPort } from './contract.js';
import type { SegmentRefusal } from '../http/segment-refusal.js';
import type { TrackRow } from './model.js';
import type { StreamEntry } from './stream-cache.js';
import { canEditTrack } from './track-view.js';
import { pricePerMinuteOf } from '../../shared/prices.js';
import { segmentIndexOf } from '../../shared/hls.js';
import { channelActorUri, trackUri } from '../../shared/actor-uris.js';

/** Why a segment is refused, as the route answers it (server/http/segment-refusal.ts). */
export type Refusal = SegmentRefusal;

/** The HLS data ids of the prices, in the 9ten namespace (docs/money.md). */
export const SESSION_DATA_PREFIX = 'org.9ten';

/** The route's refusal of a port's decision (undefined: served). */
export const refusalOf = (d: AccessDecision): Refusal | undefined => (d.ok ? undefined : d);

/** A price per segment shown to players: minor units, up to four decimals. */
function perSegment(pricePerMinute: number, segmentSeconds: number): string {
  return String(Math.round((pricePerMinute * segmentSeconds * 10_000) / 60) / 10_000);
}

export class SegmentAccess {
  readonly port = new Port<SegmentAccessPort>('segment access');
  readonly relays = new Port<RelayPort>('relays');
  private readonly gated = new WeakMap<StreamEntry, GatedTrack>();

  constructor(
    private readonly publicUrl: string,
    private readonly currency: string,
    private readonly segmentSeconds: number,
  ) {}

  /** The gate's view of a cached track (made once per cache entry), or undefined when it is free. */
  gatedOf(entry: StreamEntry): GatedTrack | undefined {
    const row = entry.row;
    if (!row || row.access === 'free' || row.status !== 'ready') return undefined;
    let g = this.gated.get(entry);
    if (!g) {
      g = {
        id: row.id,
        uri: trackUri(this.publicUrl, row.id),
        artistUri: channelActorUri(this.publicUrl, row.channel_name),
        ownerId: row.owner_id,
        title: row.title,
        access: row.access,
        pricesPerMinute: row.prices_per_minute ?? {},
        renditions: row.renditions.map((r) => ({ name: r.name, segmentCount: r.segmentCount, ...(r.bitrateKbps !== undefined ? { bitrateKbps: r.bitrateKbps } : {}), ...(r.height !== undefined ? { height: r.height } : {}) })),
        timeline: entry.timeline ?? {},
      };
      this.gated.set(entry, g);
    }
    return g;
  }

  /**
   * Whether this request may have this segment: undefined (yes) or the refusal. Synchronous
   * unless a signed-in listener's subscription has to be looked up.
   */
  decide(entry: StreamEntry, rendition: string, index: number, authorization: string | undefined, user: User | undefined): Refusal | undefined | Promise<Refusal | undefined> {
    const track = this.gatedOf(entry);
    if (!track || canEditTrack(entry.row!, user)) return undefined;
    const d = this.port.get().decide(track, rendition, index, authorization, user?.id);
    return d instanceof Promise ? d.then(refusalOf) : refusalOf(d);
  }

  /** Whether a refused request comes from a trusted relay's cache (HTTP-signed by its instance actor). */
  async fromRelay(req: { method: string; url: string; headers: Record<string, string | string[] | undefined> }): Promise<boolean> {
    if (req.headers.signature === undefined && req.headers['signature-input'] === undefined) return false;
    return (await this.relays.get().relayOf(req)) !== undefined;
  }

  /** SHA-256 of each segment of a rendition, by index, from the track's cached file table (its published segment-hashes.json). */
  segmentHashesOf(entry: StreamEntry, rendition: string): string[] | undefined {
    if (!entry.row?.renditions.some((r) => r.name === rendition)) return undefined;
    const out: string[] = [];
    const prefix = `${rendition}/`;
    for (const [rel, known] of entry.files) {
      const i = rel.startsWith(prefix) ? segmentIndexOf(rel.slice(prefix.length)) : undefined;
      if (i !== undefined) out[i] = known.sha256;
    }
    return out;
  }

  /**
   * A playlist of a track that is not free, with its access and prices: the master playlist in
   * EXT-X-SESSION-DATA (which players that do not know them ignore), a rendition's playlist in
   * an EXT-X-9TEN-PRICE tag (unknown tags are ignored, RFC 8216 §4.1).
   */
  pricedPlaylist(row: TrackRow, rel: string, text: string): string {
    const lines: string[] = [];
    const prices = row.prices_per_minute ?? {};
    if (rel === 'master.m3u8') {
      const data = (id: string, value: string) => `#EXT-X-SESSION-DATA:DATA-ID="${SESSION_DATA_PREFIX}.${id}",VALUE="${value}"`;
      lines.push(data('access', row.access));
      if (row.access === 'metered') {
        lines.push(data('currency', this.currency));
        for (const r of row.renditions) {
          const ppm = pricePerMinuteOf(prices, r.name);
          if (ppm === undefined) continue;
          lines.push(data(`price-per-minute.${r.name}`, String(ppm)), data(`price-per-segment.${r.name}`, perSegment(ppm, this.segmentSeconds)));
        }
      }
    } else {
      const rendition = rel.split('/')[0];
      const ppm = pricePerMinuteOf(prices, rendition);
      lines.push(
        row.access === 'metered' && ppm !== undefined
          ? `#EXT-X-9TEN-PRICE:ACCESS=metered,CURRENCY="${this.currency}",PER-MINUTE=${ppm},PER-SEGMENT="${perSegment(ppm, this.segmentSeconds)}"`
          : `#EXT-X-9TEN-PRICE:ACCESS=${row.access}`,
      );
    }
    // After the header tags (#EXTM3U, #EXT-X-VERSION): session data belongs with them.
    const all = text.split('\n');
    let at = 1;
    while (at < all.length && /^#EXT-X-(VERSION|INDEPENDENT-SEGMENTS)\b/.test(all[at])) at++;
    all.splice(at, 0, ...lines);
    return all.join('\n');
  }
}
