// 9ten's ActivityPub vocabulary: the namespace, the JSON-LD context we serve and embed,
// and the constants every sender and processor shares.

export const NS = 'https://9ten.org/ns#';
export const AS_PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
export const AS_CONTEXT = 'https://www.w3.org/ns/activitystreams';
export const SECURITY_CONTEXT = 'https://w3id.org/security/v1';
export const ACTIVITY_JSON = 'application/activity+json';
export const LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

/** The 9ten terms, embedded inline in every document (no fetch needed) and served at /ns/context.jsonld. */
export const nineTenTerms = {
  nt: NS,
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  AudioTrack: 'nt:AudioTrack',
  VideoTrack: 'nt:VideoTrack',
  Playlist: 'nt:Playlist',
  Stream: 'nt:Stream',
  Subscription: 'nt:Subscription',
  Tip: 'nt:Tip',
  trackKind: 'nt:trackKind',
  artist: 'nt:artist',
  album: 'nt:album',
  position: { '@id': 'nt:position', '@type': 'xsd:integer' },
  license: { '@id': 'nt:license', '@type': '@id' },
  genre: 'nt:genre',
  segmentHashes: { '@id': 'nt:segmentHashes', '@type': '@id' },
  qualifiedSeconds: { '@id': 'nt:qualifiedSeconds', '@type': 'xsd:integer' },
  streamState: 'nt:streamState',
  period: 'nt:period',
  amount: { '@id': 'nt:amount', '@type': 'xsd:integer' },
  currency: 'nt:currency',
  subscriptionStatus: 'nt:subscriptionStatus',
  cluster: 'nt:cluster',
  channel: { '@id': 'nt:channel', '@type': '@id' },
  access: 'nt:access',
  pricePerMinute: { '@id': 'nt:pricePerMinute', '@type': 'xsd:integer' },
  Campaign: 'nt:Campaign',
  goal: { '@id': 'nt:goal', '@type': 'xsd:integer' },
  raised: { '@id': 'nt:raised', '@type': 'xsd:integer' },
  minPledge: { '@id': 'nt:minPledge', '@type': 'xsd:integer' },
  shareBasisPoints: { '@id': 'nt:shareBasisPoints', '@type': 'xsd:integer' },
  capMultiple: { '@id': 'nt:capMultiple', '@type': 'xsd:decimal' },
  campaignStatus: 'nt:campaignStatus',
  repaid: { '@id': 'nt:repaid', '@type': 'xsd:integer' },
  investors: { '@id': 'nt:investors', '@type': 'xsd:integer' },
  sensitive: 'as:sensitive',
  manuallyApprovesFollowers: 'as:manuallyApprovesFollowers',
  as: 'https://www.w3.org/ns/activitystreams#',
};

/** `@context` for every document 9ten serves or sends. */
export const documentContext = [AS_CONTEXT, SECURITY_CONTEXT, nineTenTerms];

/** The context document served at /ns/context.jsonld. */
export const contextDocument = { '@context': nineTenTerms };

/** Types 9ten processes; custom types travel with a core fallback type. */
export const customFallback = {
  Subscription: 'Join',
  Tip: 'Like',
  StreamStarted: 'Create',
  StreamEnded: 'Update',
} as const;

export const typesOf = (t: unknown): string[] => (Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : typeof t === 'string' ? [t] : []);

/** The id of a value that is an IRI string or an object with an id. */
export function idOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  if (Array.isArray(v) && v.length) return idOf(v[0]);
  return undefined;
}

export const hostOf = (uri: string): string => {
  try {
    return new URL(uri).host.toLowerCase();
  } catch {
    return '';
  }
};

/** The origin (scheme://host:port) of an http(s) URL, or null: what FEP-fe34's same-origin rule compares. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : null;
  } catch {
    return null;
  }
}

/** ISO 8601 duration for AS2 `duration` (PT3M12S). */
export function isoDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${r || (!h && !m) ? `${r}S` : ''}`;
}

export function parseIsoDuration(d: unknown): number | undefined {
  if (typeof d === 'number') return Math.round(d);
  if (typeof d !== 'string') return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(d);
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Math.round(Number(m[4] ?? 0));
}
