// Fetching from other servers: signed GETs (by the instance actor), WebFinger, remote
// actors and their cache, the software a host runs. Private and loopback addresses are
// refused unless the node is configured for tests (config.federation.allowPrivateAddresses).
import { getAuthenticatedDocumentLoader, getDocumentLoader, type DocumentLoader } from '@fedify/fedify';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { execute, selectOne } from '../db/index.js';
import type { FederationRuntime } from './runtime.js';
import type { LocalActors } from './actors.js';
import { hostOf, idOf, typesOf } from './vocabulary.js';
import { sanitizeText, sanitizeHtml } from './sanitize.js';

const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) privateRanges.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::1', 128], ['::', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) privateRanges.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return privateRanges.check(ip, 'ipv4');
  if (v === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return privateRanges.check(mapped[1], 'ipv4');
    return privateRanges.check(ip, 'ipv6');
  }
  return true;
}

export class RemoteAddressError extends Error {
  code = 'private_address';
}

export const remoteActorSchema = z.object({
  id: z.string().url(),
  type: z.union([z.string(), z.array(z.string())]),
  inbox: z.string().url(),
  outbox: z.string().url().optional(),
  followers: z.string().url().optional(),
  preferredUsername: z.string().max(200).optional(),
  name: z.string().max(2000).nullish(),
  summary: z.string().max(20000).nullish(),
  attributedTo: z.unknown().optional(),
  icon: z.unknown().optional(),
  endpoints: z.object({ sharedInbox: z.string().url().optional() }).passthrough().optional(),
}).passthrough();

export interface RemoteActor {
  uri: string;
  host: string;
  type: string;
  preferredUsername: string | null;
  name: string | null;
  inbox: string;
  sharedInbox: string | null;
  outbox: string | null;
  followers: string | null;
  attributedTo: string | null;
  software: string | null;
  fetchedAt: string;
}

interface RemoteActorRow {
  uri: string; host: string; type: string; preferred_username: string | null; name: string | null; inbox: string;
  shared_inbox: string | null; outbox: string | null; followers: string | null; attributed_to: string | null;
  software: string | null; fetched_at: Date;
}

const toRemote = (r: RemoteActorRow): RemoteActor => ({
  uri: r.uri, host: r.host, type: r.type, preferredUsername: r.preferred_username, name: r.name, inbox: r.inbox,
  sharedInbox: r.shared_inbox, outbox: r.outbox, followers: r.followers, attributedTo: r.attributed_to,
  software: r.software, fetchedAt: new Date(r.fetched_at).toISOString(),
});

const ACTOR_TTL_MS = 24 * 3600 * 1000;
const FETCH_TIMEOUT_MS = 10_000;

export class Remote {
  private loader?: DocumentLoader;
  readonly contextLoader: DocumentLoader;

  constructor(private readonly rt: FederationRuntime, private readonly actors: LocalActors) {
    this.contextLoader = getDocumentLoader({ allowPrivateAddress: rt.config.federation.allowPrivateAddresses });
  }

  /** A URL the node may fetch from or deliver to (scheme, and no private address unless allowed). */
  async assertFetchable(url: string): Promise<void> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new RemoteAddressError(`not a URL: ${url}`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new RemoteAddressError(`unsupported scheme ${u.protocol}`);
    if (this.rt.config.federation.allowPrivateAddresses) return;
    if (u.protocol !== 'https:') throw new RemoteAddressError('only https is allowed');
    const hostname = u.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(hostname) ? [hostname] : (await lookup(hostname, { all: true })).map((a) => a.address);
    if (!addresses.length || addresses.some(isPrivateAddress)) throw new RemoteAddressError(`${u.hostname} resolves to a private address`);
  }

  /** A document loader whose GETs are signed by the instance actor (authorized fetch). */
  async documentLoader(): Promise<DocumentLoader> {
    if (this.loader) return this.loader;
    const instance = await this.actors.ensureInstance();
    const { privateKey, keyId } = await this.actors.signer(instance.uri);
    this.loader = getAuthenticatedDocumentLoader({ keyId, privateKey }, { allowPrivateAddress: this.rt.config.federation.allowPrivateAddresses, userAgent: `9ten/0.1 (+${this.rt.publicUrl})` });
    return this.loader;
  }

  /** Forgets the signing loader (after the instance actor's key was rotated). */
  resetLoader(): void {
    this.loader = undefined;
  }

  /** Fetches an ActivityPub document, signed by the instance actor. */
  async fetchDocument(url: string): Promise<Record<string, unknown>> {
    await this.assertFetchable(url);
    const loader = await this.documentLoader();
    const { document } = await loader(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!document || typeof document !== 'object' || Array.isArray(document)) throw new Error(`not an object: ${url}`);
    return document as Record<string, unknown>;
  }

  /** The scheme to use for a host: http only for loopback/private hosts in test configurations. */
  private schemeFor(host: string): string {
    if (!this.rt.config.federation.allowPrivateAddresses) return 'https';
    const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return h === 'localhost' || (isIP(h) && isPrivateAddress(h)) ? 'http' : 'https';
  }

  /** Resolves name@host (or @name@host, or an actor URL) to an actor URI via WebFinger. */
  async resolveHandle(handle: string): Promise<string> {
    const h = handle.trim().replace(/^acct:/, '').replace(/^@/, '');
    if (/^https?:\/\//.test(h)) return h;
    const m = /^([^@\s]+)@([^@\s/]+)$/.exec(h);
    if (!m) throw new Error('a handle looks like name@host');
    const host = m[2].toLowerCase();
    const url = `${this.schemeFor(host)}://${host}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${m[1]}@${host}`)}`;
    await this.assertFetchable(url);
    const res = await fetch(url, { headers: { accept: 'application/jrd+json, application/json' }, redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`WebFinger for ${h} answered ${res.status}`);
    const jrd = (await res.json()) as { links?: { rel?: string; type?: string; href?: string }[] };
    const self = jrd.links?.find((l) => l.rel === 'self' && typeof l.href === 'string' && /activity\+json|ld\+json/.test(l.type ?? ''));
    if (!self?.href) throw new Error(`WebFinger for ${h} has no ActivityPub actor`);
    return self.href;
  }

  async knownActor(uri: string): Promise<RemoteActor | undefined> {
    const row = await selectOne<RemoteActorRow>(this.rt.db, 'SELECT * FROM federation_remote_actors WHERE uri = :uri', { uri });
    return row && toRemote(row);
  }

  /** A remote actor from the cache, refetched when older than a day or when forced. */
  async actor(uri: string, opts: { refresh?: boolean } = {}): Promise<RemoteActor> {
    const known = await this.knownActor(uri);
    if (known && !opts.refresh && Date.now() - Date.parse(known.fetchedAt) < ACTOR_TTL_MS) return known;
    const doc = await this.fetchDocument(uri);
    const parsed = remoteActorSchema.parse(doc);
    if (parsed.id !== uri && hostOf(parsed.id) !== hostOf(uri)) throw new Error(`actor ${uri} claims another host's id`);
    const host = hostOf(parsed.id);
    const software = await this.software(host);
    const type = typesOf(parsed.type)[0] ?? 'Person';
    await execute(
      this.rt.db,
      `INSERT INTO federation_remote_actors (uri, host, type, preferred_username, name, summary, inbox, shared_inbox, outbox, followers, attributed_to, icon_url, software, raw, fetched_at)
       VALUES (:uri, :host, :type, :pu, :name, :summary, :inbox, :shared, :outbox, :followers, :attr, :icon, :software, CAST(:raw AS jsonb), now())
       ON CONFLICT (uri) DO UPDATE SET host = EXCLUDED.host, type = EXCLUDED.type, preferred_username = EXCLUDED.preferred_username,
         name = EXCLUDED.name, summary = EXCLUDED.summary, inbox = EXCLUDED.inbox, shared_inbox = EXCLUDED.shared_inbox,
         outbox = EXCLUDED.outbox, followers = EXCLUDED.followers, attributed_to = EXCLUDED.attributed_to, icon_url = EXCLUDED.icon_url,
         software = EXCLUDED.software, raw = EXCLUDED.raw, fetched_at = now()`,
      {
        uri: parsed.id,
        host,
        type,
        pu: parsed.preferredUsername ? sanitizeText(parsed.preferredUsername) : null,
        name: parsed.name ? sanitizeText(parsed.name) : null,
        summary: parsed.summary ? sanitizeHtml(parsed.summary) : null,
        inbox: parsed.inbox,
        shared: parsed.endpoints?.sharedInbox ?? null,
        outbox: parsed.outbox ?? null,
        followers: parsed.followers ?? null,
        attr: idOf(parsed.attributedTo) ?? null,
        icon: idOf((parsed.icon as { url?: unknown } | undefined)?.url) ?? null,
        software,
        raw: JSON.stringify(doc),
      },
    );
    return (await this.knownActor(parsed.id))!;
  }

  /** The software a host runs, from its NodeInfo (cached a day); null when unknown. */
  async software(host: string): Promise<string | null> {
    const cached = await this.rt.kv.get<{ name: string | null }>(['software', host]);
    if (cached) return cached.name;
    let name: string | null = null;
    try {
      const base = `${this.schemeFor(host)}://${host}`;
      await this.assertFetchable(base);
      const wk = await fetch(`${base}/.well-known/nodeinfo`, { signal: AbortSignal.timeout(5000), redirect: 'error' });
      if (wk.ok) {
        const links = ((await wk.json()) as { links?: { rel?: string; href?: string }[] }).links ?? [];
        const href = links.find((l) => /nodeinfo\.diaspora\.software\/ns\/schema\/2\.[01]/.test(l.rel ?? ''))?.href;
        if (href && hostOf(href) === host) {
          const ni = await fetch(href, { signal: AbortSignal.timeout(5000), redirect: 'error' });
          if (ni.ok) {
            const n = (await ni.json()) as { software?: { name?: unknown } };
            if (typeof n.software?.name === 'string') name = n.software.name.toLowerCase().slice(0, 50);
          }
        }
      }
    } catch (err) {
      this.rt.log.debug({ err, host }, 'nodeinfo lookup failed');
    }
    await this.rt.kv.put(['software', host], { name }, 24 * 3600 * 1000);
    return name;
  }
}
