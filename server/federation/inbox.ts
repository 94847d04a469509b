// The inbox: every POST is size-capped, parsed, checked against blocks, signature-verified
// (HTTP Signatures with Digest / Content-Digest, date within the window, key fetched and
// cached), tied to its actor (the key must belong to the actor: key-ownership.ts), refused
// when replayed, validated, then stored and queued for processing (`federation.process`).
// Nothing is processed inline. Rate limits count what is known at each step: posts that fail
// (unsigned, malformed, forged) per client address, and verified posts per actor origin, so
// a flood naming a real peer's key costs the flooder's address, never the peer.
import type { Request as ExpressRequest, Response } from 'express';
import { verifyRequest, type KeyCache } from '@fedify/fedify/sig';
import { CryptographicKey, Multikey } from '@fedify/fedify/vocab';
import { selectOne } from '../db/index.js';
import type { FederationRuntime } from './runtime.js';
import type { Remote } from './remote.js';
import type { Blocks } from './blocks.js';
import { validateActivity } from './validate.js';
import { KeyOwnershipCheck } from './key-ownership.js';
import { readSignature } from './signature-headers.js';
import { referenceForeignEmbeds } from './embedded.js';
import { originOf } from './vocabulary.js';
import { INBOX_SWEEP_EVERY_MS, inboxJobId, requeueUnprocessed } from './inbox-sweep.js';
import { clientNetwork, DEFAULT_IPV6_PREFIX_LENGTH } from '../http/client-address.js';

export interface InboxOutcome {
  status: number;
  code: string;
  message: string;
  inboxItemId?: string;
  /** Seconds after which the sender may try again (429, 503). */
  retryAfter?: number;
  /** Whether the sender was proven (the refusal does not count against its address). */
  proven?: boolean;
}

const refuse = (status: number, code: string, message: string): InboxOutcome => ({ status, code, message });

function keyCacheOn(rt: FederationRuntime, remote: Remote): KeyCache {
  const ttl = 24 * 3600 * 1000;
  return {
    async get(keyId) {
      const json = await rt.kv.get<Record<string, unknown>>(['publickey', keyId.href]);
      if (!json) return undefined;
      try {
        const isMultikey = (json as { type?: unknown }).type === 'Multikey';
        return isMultikey
          ? await Multikey.fromJsonLd(json, { contextLoader: remote.contextLoader, documentLoader: remote.contextLoader })
          : await CryptographicKey.fromJsonLd(json, { contextLoader: remote.contextLoader, documentLoader: remote.contextLoader });
      } catch {
        return undefined;
      }
    },
    async set(keyId, key) {
      if (!key) return rt.kv.delete(['publickey', keyId.href]);
      await rt.kv.put(['publickey', keyId.href], await key.toJsonLd({ contextLoader: remote.contextLoader }), ttl);
    },
  };
}

/** How old a relay's signed GET may be (clock skew included). */
const RELAY_WINDOW_SECONDS = 300;

export class Inbox {
  private readonly keyCache: KeyCache;
  private readonly ownership: KeyOwnershipCheck;
  /** Verified posts per minute one actor origin may make (`federation.inboxRateLimitPerMinute`; tests may change it). */
  rateLimitPerMinute: number;
  /** Refused posts per minute one client address may make (`federation.inboxFailuresPerMinutePerAddress`). */
  failuresPerMinutePerAddress: number;

  constructor(
    private readonly rt: FederationRuntime,
    private readonly remote: Remote,
    private readonly blocks: Blocks,
  ) {
    this.keyCache = keyCacheOn(rt, remote);
    this.ownership = new KeyOwnershipCheck(rt, remote);
    this.rateLimitPerMinute = rt.ctx.config.federation.inboxRateLimitPerMinute;
    this.failuresPerMinutePerAddress = rt.ctx.config.federation.inboxFailuresPerMinutePerAddress;
    rt.ctx.jobs.atWorkerStart('queue received activities again', (signal) => this.requeueUnprocessed(signal), { everyMs: INBOX_SWEEP_EVERY_MS });
  }

  /** The sweep of stored activities whose processing job is gone (inbox-sweep.ts). */
  requeueUnprocessed(signal?: AbortSignal): Promise<{ requeued: number }> {
    return requeueUnprocessed(this.rt, signal);
  }

  /** Adds one to this minute's count for a key and returns it (one atomic step). Redis down: 0, no limit (posts are still verified). */
  private async count(key: string, by = 1): Promise<number> {
    const bucket = `fed:rl:${key}:${Math.floor(Date.now() / 60_000)}`;
    try {
      const [[, n]] = (await this.rt.ctx.redis.multi().incrby(bucket, by).expire(bucket, 120).exec()) as [[Error | null, number]];
      return n;
    } catch {
      return 0;
    }
  }

  private limited(message: string): InboxOutcome {
    return { status: 429, code: 'rate_limited', message, retryAfter: 60 - Math.floor((Date.now() % 60_000) / 1000) };
  }

  /**
   * The node whose instance actor signed this GET, when its signature verifies, its key belongs
   * to that actor and its host is one of `hosts`; undefined otherwise (never an error).
   */
  async signedBy(method: string, url: string, reqHeaders: Record<string, string | string[] | undefined>, hosts: readonly string[]): Promise<string | undefined> {
    const read = readSignature(reqHeaders, false);
    if (!read.ok) return undefined;
    const keyId = read.signature.keyId;
    let signer: URL;
    try {
      signer = new URL(keyId);
    } catch {
      return undefined;
    }
    const host = signer.host;
    // Only the relay's instance actor (a 9ten node's, at the same path as ours), nothing else on
    // its host: checked before any key is fetched, so made-up keyIds cost nothing.
    const instance = `${signer.protocol}//${host}${new URL(this.rt.instanceActorUri()).pathname}`;
    if (!hosts.includes(host) || keyId !== `${instance}#main-key` || (await this.blocks.isBlocked(keyId))) return undefined;
    const headers = new Headers();
    for (const [k, v] of Object.entries(reqHeaders)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    headers.set('host', this.rt.host);
    // The request as addressed to this node: its path (an absolute-form target's own host is ignored).
    const target = new URL(url, 'http://x');
    try {
      const key = await verifyRequest(new Request(`${this.rt.publicUrl}${target.pathname}${target.search}`, { method, headers }), {
        documentLoader: await this.remote.documentLoader(),
        contextLoader: this.remote.contextLoader,
        keyCache: this.keyCache,
        // A relay signs each fetch as it makes it: a copy is good for minutes, not the inbox's
        // window. (No once-only guard: the same GET signed in the same second is the same bytes.)
        timeWindow: { seconds: Math.min(RELAY_WINDOW_SECONDS, this.rt.config.federation.signatureWindowSeconds) },
        spec: read.signature.spec,
      });
      const owner = key?.ownerId?.href;
      if (!key || owner !== instance) return undefined;
      const owned = await this.ownership.check(key, keyId, owner);
      return owned.ok ? host : undefined;
    } catch (err) {
      this.rt.log.debug({ err, keyId }, 'signed GET did not verify');
      return undefined;
    }
  }

  /** Handles one inbox POST whose raw body has been read (and capped) already. */
  async receive(req: ExpressRequest, body: Buffer): Promise<InboxOutcome> {
    // Counted up front, so parallel or slow posts cannot all pass a count of zero; given back
    // once the sender is proven (or when only the inbox's own side failed).
    const address = `ip:${clientNetwork(req.ip, DEFAULT_IPV6_PREFIX_LENGTH)}`;
    if ((await this.count(address)) > this.failuresPerMinutePerAddress) return this.limited('Too many refused posts from this address; slow down');
    const outcome = await this.verifyAndStore(req, body);
    // A well-formed activity of a type this node does not handle is not held against the sender (servers send many).
    if (outcome.proven || outcome.status === 503 || outcome.code === 'unsupported_type') await this.count(address, -1);
    return outcome;
  }

  private async verifyAndStore(req: ExpressRequest, body: Buffer): Promise<InboxOutcome> {
    const read = readSignature(req.headers, body.length > 0);
    if (!read.ok) return refuse(read.status, read.code, read.message);
    const { signature } = read;

    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(400, 'malformed_body', 'The body is not JSON');
    }
    const checked = validateActivity(json);
    if (!checked.ok) return refuse(checked.status, checked.code, checked.message);
    const { actorUri, type } = checked;

    if ((await this.blocks.isBlocked(actorUri)) || (await this.blocks.isBlocked(signature.keyId))) {
      return refuse(403, 'blocked', 'This server or actor is blocked here');
    }

    // Verify the request as addressed to this node: the URL and Host are this node's own, not
    // what the client sent, so a post signed for another server does not verify here.
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    }
    headers.set('host', this.rt.host);
    const url = new URL(req.originalUrl, this.rt.publicUrl).href;
    let key: CryptographicKey | null = null;
    try {
      const request = new Request(url, { method: 'POST', headers, body: new Uint8Array(body) });
      key = await verifyRequest(request, {
        documentLoader: await this.remote.documentLoader(),
        contextLoader: this.remote.contextLoader,
        keyCache: this.keyCache,
        timeWindow: { seconds: this.rt.config.federation.signatureWindowSeconds },
        spec: signature.spec,
      });
    } catch (err) {
      this.rt.log.debug({ err, keyId: signature.keyId }, 'signature verification threw');
      key = null;
    }
    if (!key) return refuse(401, 'invalid_signature', 'The HTTP signature (or its digest or date) did not verify');
    const owned = await this.ownership.check(key, signature.keyId, actorUri);
    if (!owned.ok && owned.retry) return { status: 503, code: owned.code, message: owned.message, retryAfter: 60 };
    if (!owned.ok) {
      this.rt.log.warn({ actorUri, keyId: signature.keyId, code: owned.code }, 'signature by a key that does not belong to the actor');
      return refuse(401, owned.code, owned.message);
    }

    // From here the sender is proven: limits count its origin, not the client address.
    const proven = (o: InboxOutcome): InboxOutcome => ({ ...o, proven: true });
    if ((await this.count(`origin:${originOf(actorUri)}`)) > this.rateLimitPerMinute) {
      return proven(this.limited('Too many posts from this server; slow down'));
    }

    // The same signature a second time is a replay, however its header is formatted.
    const fresh = await this.rt.kv.setIfAbsent(['replay', signature.valueDigest], 1, this.rt.config.federation.signatureWindowSeconds * 2000);
    if (!fresh) return refuse(409, 'replayed', 'This signed request was received before');

    const activity = referenceForeignEmbeds(checked.activity, actorUri);
    const row = await selectOne<{ id: string }>(
      this.rt.db,
      `INSERT INTO federation_inbox_items (activity_uri, actor_uri, type, body) VALUES (:uri, :actor, :type, CAST(:body AS jsonb))
       ON CONFLICT (activity_uri) DO NOTHING RETURNING id`,
      { uri: activity.id, actor: actorUri, type, body: JSON.stringify(activity) },
    );
    if (!row) return proven({ status: 202, code: 'duplicate', message: 'Already received' });
    await this.rt.ctx.jobs.enqueue('federation.process', { inboxItemId: row.id }, { jobId: inboxJobId(row.id) });
    return proven({ status: 202, code: 'accepted', message: 'Accepted', inboxItemId: row.id });
  }

  /** Express handler body: answers with problem+json for refusals. */
  async answer(req: ExpressRequest, res: Response, body: Buffer): Promise<void> {
    let outcome: InboxOutcome;
    try {
      outcome = await this.receive(req, body);
    } catch (err) {
      this.rt.log.error({ err }, 'inbox failed');
      outcome = refuse(503, 'unavailable', 'The inbox could not take this activity now; retry later');
    }
    if (outcome.status >= 400) this.rt.log.info({ status: outcome.status, code: outcome.code, ip: req.ip }, 'inbox post refused');
    if (outcome.status === 202) {
      res.status(202).end();
      return;
    }
    if (outcome.retryAfter !== undefined) res.set('Retry-After', String(outcome.retryAfter));
    res
      .status(outcome.status)
      .type('application/problem+json')
      .send(JSON.stringify({ type: `urn:9ten:problem:${outcome.code}`, title: 'Inbox refused', status: outcome.status, code: outcome.code, detail: outcome.message }));
  }
}
