// Fetching from other servers: signed GETs (by the instance actor), WebFinger, remote
// actors and their cache, the software a host runs. Every fetch goes through safeFetch
// (safe-fetch.ts): bounded in bytes and time, to a checked address. Private and loopback
// addresses are refused unless the node is configured for tests (federation.allowPrivateAddresses).
import { signRequest } from '@fedify/fedify/sig';
import { isIP } from 'node:net';
import { kvCache, type DocumentLoader } from '@fedify/fedify';
import { z } from 'zod';
import { execute, selectOne } from '../db/index.js';
import type { FederationRuntime } from './runtime.js';
import type { LocalActors } from './actors.js';
import { hostOf, idOf, typesOf } from './vocabulary.js';
import { sanitizeText, sanitizeHtml } from './sanitize.js';
import {
  isPrivateAddress, RemoteAddressError, safeDocumentLoader, safeFetch, type SafeFetchOptions, type SafeResponse,
} from './safe-fetch.js';

export { isPrivateAddress, RemoteAddressError };

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
/** NodeInfo is a nicety (it picks the vocabulary a host gets): small and quick, or nothing. */
const NODEINFO_MAX_BYTES = 256_000;
const NODEINFO_TIMEOUT_MS = 5000;

export class Remote {
  private loader?: DocumentLoader;
  /**
   * JSON-LD contexts: Fedify's preloaded ones from memory, any other fetched unsigned within
   * the document limits and cached in the node's key-value store (Fedify's kvCache).
   */
  readonly contextLoader: DocumentLoader;

  constructor(private readonly rt: FederationRuntime, private readonly actors: LocalActors) {
    this.contextLoader = kvCache({ loader: safeDocumentLoader(this.loaderLimits()), kv: rt.kv, prefix: ['jsonld-context'] });
  }

  private get userAgent(): string {
    return `9ten/0.1 (+${this.rt.publicUrl})`;
  }

  private loaderLimits() {
    const f = this.rt.config.federation;
    return { allowPrivate: f.allowPrivateAddresses, maxBytes: f.maxDocumentBytes, timeoutMs: f.fetchTimeoutMs, userAgent: this.userAgent };
  }

  /**
   * An HTTP request to another server on this node's policy: checked address, a byte cap
   * (default federation.maxDocumentBytes) and a deadline (default federation.fetchTimeoutMs).
   */
  request(url: string, opts: SafeFetchOptions = {}): Promise<SafeResponse> {
    const f = this.rt.config.federation;
    const headers = new Headers(opts.headers);
    if (!headers.has('user-agent')) headers.set('user-agent', this.userAgent);
    return safeFetch(url, { maxBytes: f.maxDocumentBytes, timeoutMs: f.fetchTimeoutMs, ...opts, headers, allowPrivate: f.allowPrivateAddresses });
  }

  /** A GET signed by the instance actor (a paid track's segments, which the home node gives only its trusted relays). */
  async requestSigned(url: string, opts: SafeFetchOptions = {}): Promise<SafeResponse> {
    const { privateKey, keyId } = await this.actors.signer(this.rt.instanceActorUri());
    const signed = await signRequest(new Request(url, { method: 'GET', headers: { 'user-agent': this.userAgent } }), privateKey, keyId);
    return this.request(url, { ...opts, headers: Object.fromEntries(signed.headers) });
  }

  /** A JSON document by an unsigned GET (WebFinger, NodeInfo, segment hashes); throws unless 2xx and JSON. */
  async fetchJson(url: string, opts: SafeFetchOptions & { accept?: string } = {}): Promise<unknown> {
    const { accept, ...rest } = opts;
    const res = await this.request(url, { redirect: 'follow', ...rest, headers: { accept: accept ?? 'application/json', ...Object.fromEntries(new Headers(rest.headers)) } });
    if (!res.ok) throw Object.assign(new Error(`${url} answered ${res.status}`), { status: res.status });
    return res.json();
  }

  /** A document loader whose GETs are signed by the instance actor (authorized fetch), capped and timed. */
  async documentLoader(): Promise<DocumentLoader> {
    if (this.loader) return this.loader;
    const instance = await this.actors.ensureInstance();
    const { privateKey, keyId } = await this.actors.signer(instance.uri);
    this.loader = safeDocumentLoader({ ...this.loaderLimits(), identity: { keyId, privateKey } });
    return this.loader;
  }

  /** Forgets the signing loader (after the instance actor's key was rotated). */
  resetLoader(): void {
    this.loader = undefined;
  }

  /** Fetches an ActivityPub document, signed by the instance actor. */
  async fetchDocument(url: string): Promise<Record<string, unknown>> {
    const loader = await this.documentLoader();
    const { document } = await loader(url);
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
    // Redirects are followed (hosts delegate WebFinger to another domain), each hop checked.
    const jrd = (await this.fetchJson(url, { accept: 'application/jrd+json, application/json' })) as { links?: { rel?: string; type?: string; href?: string }[] };
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
    // This node's own actors are never remote ones, however their URL is spelled.
    if (this.rt.isLocal(uri)) throw new Error(`${uri} is an actor of this node`);
    const known = await this.knownActor(uri);
    if (known && !opts.refresh && Date.now() - Date.parse(known.fetchedAt) < ACTOR_TTL_MS) return known;
    const doc = await this.fetchDocument(uri);
    const parsed = remoteActorSchema.parse(doc);
    if (parsed.id !== uri && hostOf(parsed.id) !== hostOf(uri)) throw new Error(`actor ${uri} claims another host's id`);
    if (this.rt.isLocal(parsed.id)) throw new Error(`${uri} is an actor of this node`);
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
      const limits = { maxBytes: NODEINFO_MAX_BYTES, timeoutMs: NODEINFO_TIMEOUT_MS };
      const links = ((await this.fetchJson(`${base}/.well-known/nodeinfo`, limits)) as { links?: { rel?: string; href?: string }[] }).links ?? [];
      const href = links.find((l) => /nodeinfo\.diaspora\.software\/ns\/schema\/2\.[01]/.test(l.rel ?? ''))?.href;
      if (href && hostOf(href) === host) {
        const n = (await this.fetchJson(href, limits)) as { software?: { name?: unknown } };
        if (typeof n.software?.name === 'string') name = n.software.name.toLowerCase().slice(0, 50);
      }
    } catch (err) {
      this.rt.log.debug({ err, host }, 'nodeinfo lookup failed');
    }
    await this.rt.kv.put(['software', host], { name }, 24 * 3600 * 1000);
    return name;
  }
}
