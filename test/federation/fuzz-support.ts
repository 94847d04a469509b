// Parts for the inbox fuzz: loopback origins that serve actor and key documents a test
// controls (honest ones and forged ones), a draft-cavage HTTP signer that can also get
// things wrong on purpose, a keep-alive HTTP client with bounded concurrency, and a
// seeded random generator so a failing run can be replayed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, KeyObject, sign as rsaSign } from 'node:crypto';

// ---------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A generator for item `index` of a run: items do not depend on the order they are made in. */
  static forItem(seed: number, index: number): Rng {
    const h = createHash('sha256').update(`${seed}:${index}`).digest();
    return new Rng(h.readUInt32LE(0));
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** An integer in [min, max], spread evenly over orders of magnitude (so big and small both come up). */
  logInt(min: number, max: number): number {
    const lo = Math.log(Math.max(1, min));
    const hi = Math.log(Math.max(1, max));
    return Math.min(max, Math.max(min, Math.round(Math.exp(lo + this.next() * (hi - lo)))));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** Picks a key by weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [k, w] of entries) {
      x -= w;
      if (x < 0) return k;
    }
    return entries[entries.length - 1][0];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
  ascii(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(32, 126));
    return s;
  }
}

// ---------------------------------------------------------------------------------------
// Keys

export interface RsaKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicKeyPem: string;
  /** node:crypto form of the private key: synchronous signing, no WebCrypto round trip. */
  signer: KeyObject;
}

export async function rsaKey(): Promise<RsaKey> {
  const pair = (await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const publicKeyPem = KeyObject.from(pair.publicKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, publicKeyPem, signer: KeyObject.from(pair.privateKey) };
}

// ---------------------------------------------------------------------------------------
// Loopback origins

export const AS_CONTEXT = 'https://www.w3.org/ns/activitystreams';
export const SECURITY_CONTEXT = 'https://w3id.org/security/v1';

export interface ServedDoc {
  status?: number;
  contentType?: string;
  body: string;
}

/** A plain HTTP server on a loopback port: GETs answer from `docs`, POSTs to any inbox are taken (202). */
export interface Origin {
  origin: string;
  docs: Map<string, ServedDoc>;
  /** GETs per path (how often the node fetched a document). */
  hits: Map<string, number>;
  /** POSTs per path (deliveries the node made to actors of this origin). */
  deliveries: Map<string, number>;
  serve(path: string, doc: unknown, contentType?: string): void;
  stop(): Promise<void>;
}

export async function startOrigin(): Promise<Origin> {
  const docs = new Map<string, ServedDoc>();
  const hits = new Map<string, number>();
  const deliveries = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST') {
      req.resume();
      req.on('end', () => {
        deliveries.set(path, (deliveries.get(path) ?? 0) + 1);
        res.writeHead(202).end();
      });
      return;
    }
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const doc = docs.get(path);
    if (!doc) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(doc.status ?? 200, { 'content-type': doc.contentType ?? 'application/activity+json' }).end(doc.body);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    docs,
    hits,
    deliveries,
    serve(path, doc, contentType) {
      docs.set(path, { body: typeof doc === 'string' ? doc : JSON.stringify(doc), contentType });
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export interface TestActor {
  uri: string;
  keyId: string;
  key: RsaKey;
}

/**
 * Serves an actor document (Mastodon's shape: `publicKey` embedded, with `owner`) at
 * `/users/<name>`. With `standaloneKey`, the actor lists its key by reference and the key is
 * a document of its own at `/keys/<name>` (a shape some servers use; still the actor's key).
 */
export function hostActor(o: Origin, name: string, key: RsaKey, opts: { standaloneKey?: boolean } = {}): TestActor {
  const uri = `${o.origin}/users/${name}`;
  const keyId = opts.standaloneKey ? `${o.origin}/keys/${name}` : `${uri}#main-key`;
  const keyDoc = { id: keyId, type: 'CryptographicKey', owner: uri, publicKeyPem: key.publicKeyPem };
  o.serve(`/users/${name}`, {
    '@context': [AS_CONTEXT, SECURITY_CONTEXT],
    id: uri,
    type: 'Person',
    preferredUsername: name,
    name,
    inbox: `${uri}/inbox`,
    outbox: `${uri}/outbox`,
    followers: `${uri}/followers`,
    endpoints: { sharedInbox: `${o.origin}/inbox` },
    publicKey: opts.standaloneKey ? keyId : { id: keyId, owner: uri, publicKeyPem: key.publicKeyPem },
  });
  if (opts.standaloneKey) o.serve(`/keys/${name}`, { '@context': SECURITY_CONTEXT, ...keyDoc });
  return { uri, keyId, key };
}

// ---------------------------------------------------------------------------------------
// Signing (draft-cavage-http-signatures-12, as Mastodon and most of the fediverse sign)

export interface SignOptions {
  url: string;
  body: Buffer;
  keyId: string;
  key: RsaKey;
  contentType?: string;
  /** Date header; default now. */
  date?: Date;
  /** Headers covered by the signature, in order. */
  covered?: string[];
  /** Sign as if the request went to this path (the request-target). */
  signedPath?: string;
  /** Sign this digest instead of the body's. */
  signedDigest?: string;
}

export const digestOf = (body: Buffer): string => `SHA-256=${createHash('sha256').update(body).digest('base64')}`;

/** Headers of a signed POST (host, date, digest, content-type, signature). */
export function signCavage(o: SignOptions): Record<string, string> {
  const u = new URL(o.url);
  const headers: Record<string, string> = {
    host: u.host,
    date: (o.date ?? new Date()).toUTCString(),
    digest: o.signedDigest ?? digestOf(o.body),
    'content-type': o.contentType ?? 'application/activity+json',
  };
  const covered = o.covered ?? ['(request-target)', 'host', 'date', 'digest', 'content-type'];
  const message = covered.map((name) => `${name}: ${name === '(request-target)' ? `post ${o.signedPath ?? u.pathname}` : (headers[name] ?? '')}`).join('\n');
  const signature = rsaSign('sha256', Buffer.from(message), o.key.signer).toString('base64');
  headers.signature = `keyId="${o.keyId}",algorithm="rsa-sha256",headers="${covered.join(' ')}",signature="${signature}"`;
  return headers;
}

// ---------------------------------------------------------------------------------------
// A keep-alive client that never throws: a status (0 when the connection broke) and the
// problem+json `code` of a refusal, when there is one.

export interface Send {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Send without Content-Length (chunked), as a streaming client would. */
  chunked?: boolean;
}

export interface Answer {
  status: number;
  code: string;
}

export class InboxClient {
  readonly agent: http.Agent;
  constructor(concurrency: number) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  }
  send(s: Send): Promise<Answer> {
    const u = new URL(s.url);
    const headers: Record<string, string> = { ...s.headers };
    if (!s.chunked) headers['content-length'] = String(s.body.length);
    return new Promise((resolve) => {
      const req = http.request({ agent: this.agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        const done = () => {
          let code = '';
          try {
            code = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: unknown }).code ?? '');
          } catch {
            /* not problem+json */
          }
          resolve({ status: res.statusCode ?? 0, code });
        };
        res.on('end', done);
        res.on('error', done);
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, code: err.code ?? 'error' }));
      if (s.chunked) {
        const third = Math.ceil(s.body.length / 3);
        for (let i = 0; i < s.body.length; i += third) req.write(s.body.subarray(i, i + third));
        req.end();
      } else {
        req.end(s.body);
      }
    });
  }
  close(): void {
    this.agent.destroy();
  }
}

/** Runs `work(i)` for i in [0, n) with at most `concurrency` at once. */
export async function pool(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await work(i);
      }
    }),
  );
}
