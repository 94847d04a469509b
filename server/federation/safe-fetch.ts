// Every request this node makes to another server goes through here. The address checked
// is the address connected to (the check sits in the socket's own DNS lookup, so a second
// answer cannot rebind the name to a private address), a body is counted while it streams
// and cut off past its cap, one deadline covers the whole exchange (redirects included),
// and redirects are followed by hand, each hop resolved and checked again.
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { FetchError, type DocumentLoader, type RemoteDocument } from '@fedify/fedify';
import { signRequest } from '@fedify/fedify/sig';

export const DEFAULT_TIMEOUT_MS = 10_000;
/** The most any JSON document (ActivityPub object, key, WebFinger, NodeInfo) may weigh. */
export const MAX_DOCUMENT_BYTES = 2_000_000;
export const MAX_REDIRECTS = 5;

// ---------------------------------------------------------------------------------------
// Errors: each carries a code (the HTTP layer and the logs read it) and the URL it was about.

export class RemoteFetchError extends Error {
  constructor(readonly code: string, message: string, readonly url?: string) {
    super(message);
    this.name = 'RemoteFetchError';
  }
}

/** The address (or scheme) is one this node does not fetch from or deliver to. */
export class RemoteAddressError extends RemoteFetchError {
  constructor(message: string, url?: string) {
    super('private_address', message, url);
    this.name = 'RemoteAddressError';
  }
}

export class ResponseTooLargeError extends RemoteFetchError {
  constructor(url: string, readonly limit: number, readonly bytesRead: number) {
    super('response_too_large', `${url} sent more than ${limit} bytes; the transfer was cut off`, url);
    this.name = 'ResponseTooLargeError';
  }
}

export class FetchTimeoutError extends RemoteFetchError {
  constructor(url: string, readonly timeoutMs: number) {
    super('fetch_timeout', `${url} did not answer in full within ${timeoutMs} ms`, url);
    this.name = 'FetchTimeoutError';
  }
}

// ---------------------------------------------------------------------------------------
// Which addresses are private. IPv6 forms that carry or reach an IPv4 address (NAT64, 6to4,
// Teredo, IPv4-compatible, SIIT) count as private: the node cannot tell where they end up.

function blockList(family: 'ipv4' | 'ipv6', nets: [string, number][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of nets) list.addSubnet(net, prefix, family);
  return list;
}

const PRIVATE_V4 = blockList('ipv4', [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
]);

/** Everything outside 2000::/3 (the only range with public unicast addresses), and the special ranges inside it. */
const PRIVATE_V6 = blockList('ipv6', [
  ['::', 3], ['4000::', 2], ['8000::', 1],
  ['2001::', 32], // Teredo
  ['2001:2::', 48], // benchmarking
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['3fff::', 20], // documentation (RFC 9637)
]);

const IPV4_MAPPED = blockList('ipv6', [['::ffff:0:0', 96]]);

/** Whether the node must not connect to this address (anything that is not an IP counts as private). */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.replace(/%.*$/, '');
  const v = isIP(bare);
  if (v === 4) return PRIVATE_V4.check(bare, 'ipv4');
  if (v !== 6) return true;
  // IPv4-mapped (::ffff:a.b.c.d): the socket really goes to that IPv4 address, and a
  // BlockList checks a mapped address against its IPv4 subnets.
  if (IPV4_MAPPED.check(bare, 'ipv6')) return PRIVATE_V4.check(bare, 'ipv6');
  return PRIVATE_V6.check(bare, 'ipv6');
}

// ---------------------------------------------------------------------------------------
// The pinned lookup: net.connect asks it for the address and connects to exactly what it returns.

export interface ResolvedAddress {
  address: string;
  family: number;
}
/** Resolves a host name to its addresses (the system resolver in production; tests inject one). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

async function checkedAddresses(hostname: string, resolver: Resolver, allowPrivate: boolean): Promise<ResolvedAddress[]> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(bare);
  const found = literal ? [{ address: bare, family: literal }] : await resolver(bare);
  if (!found.length) throw new RemoteFetchError('not_resolved', `${hostname} has no address`);
  if (!allowPrivate && found.some((a) => isPrivateAddress(a.address))) {
    throw new RemoteAddressError(`${hostname} resolves to a private address`);
  }
  return found;
}

/**
 * A `lookup` for net/http sockets: resolves once, refuses the host when any answer is private
 * (unless allowed), and hands the socket exactly the addresses it checked.
 */
export function pinnedLookup(resolver: Resolver, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    checkedAddresses(hostname, resolver, allowPrivate).then(
      (found) => {
        const wanted = family === 4 || family === 6 ? found.filter((a) => a.family === family) : found;
        if (!wanted.length) return callback(new RemoteFetchError('not_resolved', `${hostname} has no IPv${family} address`), '', 0);
        if (options.all) callback(null, wanted);
        else callback(null, wanted[0].address, wanted[0].family);
      },
      (err: Error) => callback(err, '', 0),
    );
  };
}

// ---------------------------------------------------------------------------------------
// safeFetch

export interface SafeFetchOptions {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | Uint8Array;
  /** Largest body read (default 2 MB); past it the transfer is cut off. */
  maxBytes?: number;
  /** Keep the first maxBytes and stop reading, instead of failing (for answers nobody needs, e.g. an inbox's). */
  truncate?: boolean;
  /** One deadline for the whole exchange, redirects and body included (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Loopback/private addresses and plain http (test configurations only). */
  allowPrivate?: boolean;
  /** `error` (default): a redirect fails; `manual`: returned as is; `follow`: followed, each hop checked. */
  redirect?: 'error' | 'manual' | 'follow';
  maxRedirects?: number;
  resolver?: Resolver;
}

export interface SafeResponse {
  status: number;
  ok: boolean;
  /** The URL that answered (after redirects). */
  url: string;
  headers: Headers;
  body: Buffer;
  text(): string;
  json(): unknown;
}

/** Parses a URL this node may talk to: http(s) only, https only unless private addresses are allowed, IP literals checked here. */
export function checkUrl(input: string, allowPrivate: boolean): URL {
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    throw new RemoteAddressError(`not a URL: ${input}`, input);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new RemoteAddressError(`unsupported scheme ${u.protocol}`, input);
  if (!allowPrivate && u.protocol !== 'https:') throw new RemoteAddressError('only https is allowed', input);
  if (u.username || u.password) throw new RemoteAddressError('URLs with credentials are not fetched', input);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  // net.connect skips the lookup for IP literals, so they are checked before connecting.
  if (isIP(host) && !allowPrivate && isPrivateAddress(host)) throw new RemoteAddressError(`${host} is a private address`, input);
  return u;
}

/** Pooled keep-alive agents, one per scheme and policy, so a socket is only ever reused under the policy it was checked by. */
const agents = new Map<string, http.Agent>();
function agentFor(protocol: string, allowPrivate: boolean): http.Agent {
  const key = `${protocol}${allowPrivate}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { keepAlive: true, lookup: pinnedLookup(systemResolver, allowPrivate) };
    agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

const isTimeout = (signal: AbortSignal) => (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';

interface OneRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  maxBytes: number;
  truncate: boolean;
  allowPrivate: boolean;
  resolver?: Resolver;
  signal: AbortSignal;
  timeoutMs: number;
}

function requestOnce(url: URL, o: OneRequest): Promise<SafeResponse> {
  return new Promise((resolve, reject) => {
    const href = url.href;
    let settled = false;
    let res: http.IncomingMessage | undefined;
    const chunks: Buffer[] = [];
    let bytes = 0;
    const done = (err: Error | null, value?: SafeResponse) => {
      if (settled) return;
      settled = true;
      o.signal.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        res?.destroy();
        reject(err);
      } else resolve(value!);
    };
    const onAbort = () => done(isTimeout(o.signal) ? new FetchTimeoutError(href, o.timeoutMs) : (o.signal.reason as Error) ?? new Error('aborted'));
    const headers: Record<string, string> = { ...o.headers };
    if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
    const lookup = o.resolver ? pinnedLookup(o.resolver, o.allowPrivate) : undefined;
    const req = (url.protocol === 'https:' ? https : http).request({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: o.method,
      headers,
      // An injected resolver gets a socket of its own; otherwise the pooled agent carries the pinned lookup.
      ...(lookup ? { agent: false, lookup } : { agent: agentFor(url.protocol, o.allowPrivate) }),
    });
    const finish = () => {
      if (!res) return;
      const h = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        try {
          h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        } catch {
          /* a header Headers will not hold is dropped */
        }
      }
      const body = Buffer.concat(chunks);
      const status = res.statusCode ?? 0;
      done(null, {
        status, ok: status >= 200 && status < 300, url: href, headers: h, body,
        text: () => body.toString('utf8'),
        json: () => JSON.parse(body.toString('utf8')) as unknown,
      });
    };
    req.on('error', (err) => done(err));
    req.on('response', (r) => {
      res = r;
      const declared = Number(r.headers['content-length']);
      if (!o.truncate && Number.isFinite(declared) && declared > o.maxBytes) return done(new ResponseTooLargeError(href, o.maxBytes, 0));
      r.on('data', (chunk: Buffer) => {
        if (settled) return;
        bytes += chunk.length;
        if (bytes > o.maxBytes) {
          if (!o.truncate) return done(new ResponseTooLargeError(href, o.maxBytes, bytes));
          chunks.push(chunk.subarray(0, chunk.length - (bytes - o.maxBytes)));
          finish();
          r.destroy();
          return;
        }
        chunks.push(chunk);
      });
      r.on('end', finish);
      r.on('error', (err) => done(err));
      r.on('close', () => done(new RemoteFetchError('connection_closed', `${href} closed the connection mid-answer`, href)));
    });
    if (o.signal.aborted) return onAbort();
    o.signal.addEventListener('abort', onAbort, { once: true });
    req.end(o.body);
  });
}

const isRedirect = (status: number) => [301, 302, 303, 307, 308].includes(status);

/** An HTTP request to another server, bounded in size, time and redirects, to a checked address. */
export async function safeFetch(input: string | URL, opts: SafeFetchOptions = {}): Promise<SafeResponse> {
  const allowPrivate = opts.allowPrivate ?? false;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const headers: Record<string, string> = {};
  new Headers(opts.headers).forEach((v, k) => (headers[k] = v));
  headers['user-agent'] ??= '9ten/0.1';
  let method = (opts.method ?? 'GET').toUpperCase();
  let body = opts.body;
  let url = checkUrl(String(input), allowPrivate);
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(url, {
      method, headers, body, maxBytes: opts.maxBytes ?? MAX_DOCUMENT_BYTES, truncate: opts.truncate ?? false,
      allowPrivate, resolver: opts.resolver, signal, timeoutMs,
    });
    const location = res.headers.get('location');
    if (!isRedirect(res.status) || !location || opts.redirect === 'manual') return res;
    if (opts.redirect !== 'follow') throw new RemoteFetchError('redirect_refused', `${url.href} redirects to ${location}; not followed`, url.href);
    if (hop >= (opts.maxRedirects ?? MAX_REDIRECTS)) throw new RemoteFetchError('too_many_redirects', `${String(input)}: more than ${opts.maxRedirects ?? MAX_REDIRECTS} redirects`, url.href);
    const next = checkUrl(new URL(location, url).href, allowPrivate);
    // A request's credentials stay with the origin they were meant for.
    if (next.origin !== url.origin) {
      delete headers.authorization;
      delete headers.cookie;
    }
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      delete headers['content-type'];
    }
    url = next;
  }
}

// ---------------------------------------------------------------------------------------
// A Fedify DocumentLoader on safeFetch: GETs signed by an identity (authorized fetch) or not.

export interface SafeLoaderOptions {
  allowPrivate: boolean;
  maxBytes: number;
  timeoutMs: number;
  userAgent: string;
  /** Signs each GET with this key (RFC 9421 first, draft-cavage when refused, as Fedify's double knock; the spec an origin took is remembered). */
  identity?: { keyId: URL; privateKey: CryptoKey };
  resolver?: Resolver;
}

type SignatureSpec = 'rfc9421' | 'draft-cavage-http-signatures-12';

const ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json';
const JSON_LD = /^application\/(activity\+json|ld\+json)(\s*;|$)/i;

function linkEntries(header: string): { uri: string; params: Record<string, string> }[] {
  const out: { uri: string; params: Record<string, string> }[] = [];
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/s.exec(part);
    if (!m) continue;
    const params: Record<string, string> = {};
    for (const p of m[2].split(';')) {
      const kv = /^\s*([a-z*-]+)\s*=\s*"?([^"]*)"?\s*$/i.exec(p);
      if (kv) params[kv[1].toLowerCase()] = kv[2];
    }
    out.push({ uri: m[1], params });
  }
  return out;
}

const isActivityType = (type: string | undefined) => !!type && JSON_LD.test(type);

/** Reads a response as a JSON-LD document (Fedify's rules: Link context, alternates for non-JSON-LD answers). */
function remoteDocumentOf(res: SafeResponse, followAlternate: ((url: string) => Promise<RemoteDocument>) | null): Promise<RemoteDocument> | RemoteDocument {
  const documentUrl = res.url.replace(/#.*$/, '');
  if (!res.ok) throw new FetchError(documentUrl, `HTTP ${res.status}: ${documentUrl}`);
  const contentType = res.headers.get('content-type');
  const jsonLd = contentType === null || JSON_LD.test(contentType);
  const links = linkEntries(res.headers.get('link') ?? '');
  let contextUrl: string | null = null;
  if (jsonLd) {
    contextUrl = links.find((l) => l.params.rel === 'http://www.w3.org/ns/json-ld#context' && l.params.type === 'application/ld+json')?.uri ?? null;
  } else if (followAlternate) {
    const alt = links.find((l) => l.params.rel === 'alternate' && isActivityType(l.params.type) && new URL(l.uri, documentUrl).href !== documentUrl);
    if (alt) return followAlternate(new URL(alt.uri, documentUrl).href);
    if (/^(text\/html|application\/xhtml\+xml)(\s*;|$)/i.test(contentType)) {
      // Both patterns stay linear on hostile bodies: a tag ends at the next '<' or '>', and an
      // attribute name only starts after whitespace (lazy or overlapping repeats here made
      // '<a' plus a few thousand spaces take minutes of blocked event loop).
      for (const tag of res.text().matchAll(/<(?:a|link)\s([^<>]*)>/gi)) {
        const attrs: Record<string, string> = {};
        for (const a of ` ${tag[1]}`.matchAll(/\s([a-z][a-z:_-]*)=(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) attrs[a[1].toLowerCase()] = a[2] ?? a[3] ?? a[4] ?? '';
        if (attrs.rel === 'alternate' && isActivityType(attrs.type) && attrs.href && new URL(attrs.href, documentUrl).href !== documentUrl) {
          return followAlternate(new URL(attrs.href, documentUrl).href);
        }
      }
    }
  }
  let document: unknown;
  try {
    document = res.json();
  } catch {
    throw new FetchError(documentUrl, `not JSON: ${documentUrl}`);
  }
  return { contextUrl, document, documentUrl };
}

/** A DocumentLoader whose every fetch is a bounded safeFetch (cap, deadline, checked address, checked redirects). */
export function safeDocumentLoader(o: SafeLoaderOptions): DocumentLoader {
  // Which signature spec each origin took when it refused the other (a few hundred origins at most).
  const specOf = new Map<string, SignatureSpec>();
  const remember = (origin: string, spec: SignatureSpec) => {
    specOf.delete(origin);
    specOf.set(origin, spec);
    if (specOf.size > 500) specOf.delete(specOf.keys().next().value!);
  };
  const load = async (url: string, signal: AbortSignal, alternates: number): Promise<RemoteDocument> => {
    const get = async (at: URL, spec: SignatureSpec | null) => {
      // The fragment (a key id's #main-key) is never sent, so it is not signed either.
      const target = new URL(at);
      target.hash = '';
      let headers: Headers | Record<string, string> = { accept: ACTIVITY_ACCEPT, 'user-agent': o.userAgent };
      if (spec && o.identity) {
        const signed = await signRequest(new Request(target, { headers }), o.identity.privateKey, o.identity.keyId, { spec });
        headers = signed.headers;
      }
      return safeFetch(target, {
        headers, maxBytes: o.maxBytes, timeoutMs: o.timeoutMs, signal, allowPrivate: o.allowPrivate, redirect: 'manual', resolver: o.resolver,
      });
    };
    let target = checkUrl(url, o.allowPrivate);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const spec = o.identity ? (specOf.get(target.origin) ?? 'rfc9421') : null;
      let res = await get(target, spec);
      // Double knock: a server that refuses the signature (400/401) gets the other spec once,
      // and keeps getting that one first when it took it.
      if (spec && (res.status === 400 || res.status === 401)) {
        const other = spec === 'rfc9421' ? 'draft-cavage-http-signatures-12' : 'rfc9421';
        res = await get(target, other);
        if (res.status < 400) remember(target.origin, other);
      }
      const location = res.headers.get('location');
      if (isRedirect(res.status) && location) {
        target = checkUrl(new URL(location, target).href, o.allowPrivate);
        continue;
      }
      return remoteDocumentOf(res, alternates > 0 ? (alt) => load(alt, signal, alternates - 1) : null);
    }
    throw new RemoteFetchError('too_many_redirects', `${url}: more than ${MAX_REDIRECTS} redirects`, url);
  };
  return (url, options) => {
    // One deadline for the whole load: redirects, the second knock and an alternate included.
    const deadline = AbortSignal.timeout(o.timeoutMs);
    const signal = options?.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    return load(url, signal, 1);
  };
}
