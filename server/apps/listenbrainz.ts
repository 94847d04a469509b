// The ListenBrainz-compatible door: `POST /1/submit-listens` (single, playing_now, import) and
// `GET /1/validate-token`, signed in with `Authorization: Token <API key>`. Payloads are checked
// as ListenBrainz checks them (1,000 listens per import, 10,240 bytes per listen, listened_at not
// before 2002-10-01 nor in the future). Listens go to listening: one matching a play session
// this node served confirms it; the others are kept for the listener's statistics only and never
// count for payouts. playing_now is checked and answered, not stored (as ListenBrainz does).
import express, { Router, type Request, type Response } from 'express';
import type { NodeContext } from '../context.js';
import { isPublic } from '../accounts/index.js';
import type { SubmittedListen } from '../listening/index.js';
import { isUuid } from '../../shared/ids.js';
import type { AppDoorLimits } from './limits.js';

export const maxListensPerImport = 1000;
export const maxListenBytes = 10_240;
/** ListenBrainz's floor: 2002-10-01T00:00:00Z (Last.fm's first scrobbles). */
export const minListenedAt = Date.UTC(2002, 9, 1) / 1000;
/** How far ahead of this node's clock a listen may be (clocks differ a little). */
const futureSkewSeconds = 300;

class LbError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** A track of this node the listen names: `additional_info.track_id`, or a `/tracks/<id>` in its origin_url. */
function trackIdOf(info: Record<string, unknown>): string | null {
  if (typeof info.track_id === 'string' && isUuid(info.track_id)) return info.track_id.toLowerCase();
  const m = typeof info.origin_url === 'string' ? /\/tracks\/([0-9a-f-]{36})(?:[/?#]|$)/i.exec(info.origin_url) : null;
  return m && isUuid(m[1]) ? m[1].toLowerCase() : null;
}

function durationOf(info: Record<string, unknown>): number | null {
  if (Number.isInteger(info.duration_ms) && (info.duration_ms as number) > 0) return (info.duration_ms as number) / 1000;
  if (Number.isInteger(info.duration) && (info.duration as number) > 0) return info.duration as number;
  return null;
}

/** One listen of a payload, checked; `playingNow` listens carry no time. */
function checkListen(listen: unknown, playingNow: boolean): SubmittedListen {
  if (!isObject(listen)) throw new LbError(400, 'Each listen must be a JSON object.');
  if (Buffer.byteLength(JSON.stringify(listen)) > maxListenBytes) throw new LbError(400, `JSON document is too large. A listen may not be larger than ${maxListenBytes} bytes.`);
  const meta = listen.track_metadata;
  if (!isObject(meta)) throw new LbError(400, 'JSON document must contain the key track_metadata at the top level.');
  if (!nonEmpty(meta.artist_name)) throw new LbError(400, 'JSON document does not contain required track_metadata.artist_name.');
  if (!nonEmpty(meta.track_name)) throw new LbError(400, 'JSON document does not contain required track_metadata.track_name.');
  if (meta.release_name !== undefined && meta.release_name !== null && typeof meta.release_name !== 'string') throw new LbError(400, 'track_metadata.release_name must be a string.');
  const info = meta.additional_info ?? {};
  if (!isObject(info)) throw new LbError(400, 'track_metadata.additional_info must be a JSON object.');
  let at = Date.now() / 1000;
  if (playingNow) {
    if ('listened_at' in listen) throw new LbError(400, 'JSON document must not contain listened_at while submitting playing_now.');
  } else {
    if (!('listened_at' in listen)) throw new LbError(400, 'JSON document must contain the key listened_at at the top level.');
    if (!Number.isInteger(listen.listened_at)) throw new LbError(400, 'JSON document must contain an int value for listened_at.');
    at = listen.listened_at as number;
    if (at < minListenedAt) throw new LbError(400, `Value for key listened_at is too low. listened_at timestamp should be greater than ${minListenedAt} (2002-10-01 00:00:00 UTC).`);
    if (at > Date.now() / 1000 + futureSkewSeconds) throw new LbError(400, 'Value for key listened_at is too high: a listen cannot be in the future.');
  }
  return {
    listenedAt: new Date(at * 1000),
    artistName: (meta.artist_name as string).slice(0, 1000),
    trackName: (meta.track_name as string).slice(0, 1000),
    releaseName: typeof meta.release_name === 'string' ? meta.release_name.slice(0, 1000) : null,
    durationSeconds: durationOf(info),
    trackId: trackIdOf(info),
    payload: listen,
  };
}

/** A submit-listens body, checked: its type and listens. */
export function checkSubmission(body: unknown): { type: 'single' | 'playing_now' | 'import'; listens: SubmittedListen[] } {
  if (!isObject(body)) throw new LbError(400, 'Cannot parse JSON document: it must be a JSON object.');
  const type = body.listen_type;
  if (type !== 'single' && type !== 'playing_now' && type !== 'import') throw new LbError(400, 'JSON document must contain either listen_type: single, playing_now or import.');
  const payload = body.payload;
  if (!Array.isArray(payload) || payload.length === 0) throw new LbError(400, 'JSON document must contain a non-empty payload list.');
  if (type !== 'import' && payload.length !== 1) throw new LbError(400, `JSON document must contain exactly one listen for listen_type ${type}.`);
  if (payload.length > maxListensPerImport) throw new LbError(400, `Too many listens. You may not submit more than ${maxListensPerImport} listens at once.`);
  return { type, listens: payload.map((l) => checkListen(l, type === 'playing_now')) };
}

export function listenBrainzRoutes(ctx: NodeContext, limits: AppDoorLimits): Router {
  const r = Router();
  // Clients that send no JSON content type still mean JSON; the node's parser took application/json already.
  const anyJson = express.json({ type: () => true, limit: `${maxListensPerImport * maxListenBytes + 1024}b` });

  const fail = (res: Response, err: LbError) => res.status(err.status).json({ code: err.status, error: err.message });

  /** The account and key behind `Authorization: Token <key>` (validate-token also takes ?token=). */
  async function signIn(req: Request, allowQuery: boolean) {
    const header = req.get('authorization') ?? '';
    const m = /^Token\s+(.+)$/i.exec(header.trim());
    const key = m?.[1] ?? (allowQuery && typeof req.query.token === 'string' ? req.query.token : undefined);
    if (!key) throw new LbError(401, 'You need to provide an Authorization header: "Token <API key from your settings page>".');
    if (!limits.mayTry(req.ip)) throw new LbError(429, 'Too many failed sign-ins from your address; try again in a minute.');
    const result = await ctx.services.accounts.authenticateApp({ apiKey: key });
    if (!result.ok) {
      limits.failed(req.ip);
      return undefined;
    }
    const user = await ctx.services.accounts.byId(result.userId);
    return user && !user.disabled ? { user, keyId: result.keyId } : undefined;
  }

  /** ListenBrainz's rate-limit headers for the key, and whether it may go on. */
  function rateLimited(res: Response, keyId: string): boolean {
    const ok = limits.take('listenbrainz', keyId);
    const w = limits.window('listenbrainz', keyId);
    res.set({ 'X-RateLimit-Limit': String(w.limit), 'X-RateLimit-Remaining': String(w.remaining), 'X-RateLimit-Reset-In': String(w.resetInSeconds), 'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + w.resetInSeconds) });
    if (!ok) res.set('Retry-After', String(w.resetInSeconds));
    return !ok;
  }

  const answer = (handler: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    handler(req, res).catch((err: unknown) => {
      if (err instanceof LbError) return fail(res, err);
      req.log?.error({ err }, 'listenbrainz request failed');
      if (!res.headersSent) res.status(500).json({ code: 500, error: 'The server could not take these listens.' });
    });
  };

  r.get(
    '/1/validate-token',
    isPublic,
    answer(async (req, res) => {
      const who = await signIn(req, true);
      if (who && rateLimited(res, who.keyId)) throw new LbError(429, 'Too many requests with this token; slow down.');
      res.json(who ? { code: 200, message: 'Token valid.', valid: true, user_name: who.user.username } : { code: 200, message: 'Token invalid.', valid: false });
    }),
  );

  r.post(
    '/1/submit-listens',
    isPublic,
    anyJson,
    answer(async (req, res) => {
      const who = await signIn(req, false);
      if (!who) throw new LbError(401, 'Invalid authorization token.');
      if (rateLimited(res, who.keyId)) throw new LbError(429, 'Too many requests with this token; slow down.');
      const { type, listens } = checkSubmission(req.body);
      if (type !== 'playing_now') await ctx.services.listening.submitListens(who.user.id, 'listenbrainz', listens, { reportProgress: false });
      res.json({ status: 'ok' });
    }),
  );

  return r;
}
