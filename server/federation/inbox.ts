// The inbox: every POST is size-capped, rate-limited per remote host, parsed, checked
// against blocks, signature-verified (HTTP Signatures with Digest / Content-Digest, date
// within the window, key fetched and cached), refused when replayed, validated, then
// stored and queued for processing (`federation.process`). Nothing is processed inline.
import { createHash } from 'node:crypto';
import type { Request as ExpressRequest, Response } from 'express';
import { verifyRequest, type KeyCache } from '@fedify/fedify/sig';
import { CryptographicKey, Multikey } from '@fedify/fedify/vocab';
import { selectOne } from '../db/index.js';
import type { FederationRuntime } from './runtime.js';
import type { Remote } from './remote.js';
import type { Blocks } from './blocks.js';
import { validateActivity } from './validate.js';
import { hostOf, idOf } from './vocabulary.js';

/** Requests per minute one remote host may post to this node's inboxes, when the config does not say (`federation.inboxRateLimitPerMinute`). */
export const INBOX_RATE_LIMIT_PER_MINUTE = 1200;

export interface InboxOutcome {
  status: number;
  code: string;
  message: string;
  inboxItemId?: string;
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

function keyIdFrom(headers: ExpressRequest['headers']): string | undefined {
  const sig = headers.signature;
  const sigInput = headers['signature-input'];
  const raw = typeof sig === 'string' ? sig : '';
  const m = /keyId="([^"]+)"/.exec(raw) ?? /keyid="([^"]+)"/.exec(typeof sigInput === 'string' ? sigInput : '');
  return m?.[1];
}

export class Inbox {
  private readonly keyCache: KeyCache;
  /** Posts per minute one remote host may make (`federation.inboxRateLimitPerMinute`; tests may change it). */
  rateLimitPerMinute: number;

  constructor(
    private readonly rt: FederationRuntime,
    private readonly remote: Remote,
    private readonly blocks: Blocks,
  ) {
    this.keyCache = keyCacheOn(rt, remote);
    this.rateLimitPerMinute = rt.ctx.config.federation.inboxRateLimitPerMinute ?? INBOX_RATE_LIMIT_PER_MINUTE;
  }

  private async rateLimited(key: string): Promise<boolean> {
    const bucket = `fed:rl:${key}:${Math.floor(Date.now() / 60_000)}`;
    try {
      const n = await this.rt.ctx.redis.incr(bucket);
      if (n === 1) await this.rt.ctx.redis.expire(bucket, 120);
      return n > this.rateLimitPerMinute;
    } catch {
      return false;
    }
  }

  /** Handles one inbox POST whose raw body has been read (and capped) already. */
  async receive(req: ExpressRequest, body: Buffer): Promise<InboxOutcome> {
    const keyId = keyIdFrom(req.headers);
    const remoteHost = keyId ? hostOf(keyId) : '';
    if (await this.rateLimited(remoteHost || `ip:${req.ip}`)) return refuse(429, 'rate_limited', 'Too many requests from this server; slow down');
    if (!keyId) return refuse(401, 'signature_required', 'Inbox posts must carry an HTTP signature');

    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(400, 'malformed_body', 'The body is not JSON');
    }
    const checked = validateActivity(json);
    if (!checked.ok) return refuse(checked.status, checked.code, checked.message);
    const { activity, actorUri, type } = checked;

    if ((await this.blocks.isBlocked(actorUri)) || (await this.blocks.isBlocked(keyId))) return refuse(403, 'blocked', 'This server or actor is blocked here');

    // Verify the HTTP signature on the request exactly as it arrived.
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    }
    const url = `${req.protocol}://${req.get('host') ?? this.rt.host}${req.originalUrl}`;
    let key: CryptographicKey | null = null;
    try {
      const request = new Request(url, { method: 'POST', headers, body: new Uint8Array(body) });
      key = await verifyRequest(request, {
        documentLoader: await this.remote.documentLoader(),
        contextLoader: this.remote.contextLoader,
        keyCache: this.keyCache,
        timeWindow: { seconds: this.rt.config.federation.signatureWindowSeconds },
      });
    } catch (err) {
      this.rt.log.debug({ err, keyId }, 'signature verification threw');
      key = null;
    }
    if (!key) return refuse(401, 'invalid_signature', 'The HTTP signature (or its digest or date) did not verify');
    const owner = key.ownerId?.href;
    if (owner !== actorUri) return refuse(401, 'signer_mismatch', 'The signing key does not belong to the activity\'s actor');

    // The same signed request a second time is a replay, whatever it carries.
    const sigHeader = String(req.headers.signature ?? req.headers['signature-input'] ?? '');
    const replayKey = createHash('sha256').update(sigHeader).update(String(req.headers.date ?? '')).digest('hex');
    const fresh = await this.rt.kv.setIfAbsent(['replay', replayKey], 1, this.rt.config.federation.signatureWindowSeconds * 2000);
    if (!fresh) return refuse(409, 'replayed', 'This signed request was received before');

    const row = await selectOne<{ id: string }>(
      this.rt.db,
      `INSERT INTO federation_inbox_items (activity_uri, actor_uri, type, body) VALUES (:uri, :actor, :type, CAST(:body AS jsonb))
       ON CONFLICT (activity_uri) DO NOTHING RETURNING id`,
      { uri: activity.id, actor: actorUri, type, body: JSON.stringify(activity) },
    );
    if (!row) return { status: 202, code: 'duplicate', message: 'Already received' };
    await this.rt.ctx.jobs.enqueue('federation.process', { inboxItemId: row.id });
    return { status: 202, code: 'accepted', message: 'Accepted', inboxItemId: row.id };
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
    res
      .status(outcome.status)
      .type('application/problem+json')
      .send(JSON.stringify({ type: `urn:9ten:problem:${outcome.code}`, title: 'Inbox refused', status: outcome.status, code: outcome.code, detail: outcome.message }));
  }
}
