// The Subsonic / OpenSubsonic door: `/rest/<method>` and `/rest/<method>.view`, GET or form POST,
// signed in with an API key (OpenSubsonic `apiKey`, or as the password of `u`+`p` / `u`+`t`+`s`),
// answered in XML or JSON (`f`). Every error is a Subsonic error code in the envelope, HTTP 200.
import express, { Router, type Request, type Response } from 'express';
import type { NodeContext } from '../../context.js';
import { isPublic, type AppCredentials, type User } from '../../accounts/index.js';
import { AppError } from '../../http/errors.js';
import type { AppDoorLimits } from '../limits.js';
import type { AppsStore } from '../store.js';
import { SubsonicCode, SubsonicError, envelope, missing, send, sendError, type Format } from './envelope.js';
import { Params } from './params.js';
import { SubsonicLibrary } from './library.js';
import { browseMethods } from './browse.js';
import { userDataMethods } from './user-data.js';
import { fileMethods } from './stream.js';
import type { Method } from './call.js';

const methods: Record<string, Method> = { ...browseMethods, ...userDataMethods, ...fileMethods };
/** Method names as clients spell them, any case. */
const byLowerName = new Map(Object.entries(methods).map(([name, m]) => [name.toLowerCase(), m]));

const formatOf = (f: string | undefined): Format => (f === 'json' ? 'json' : f === 'jsonp' ? 'jsonp' : 'xml');

/** What the request signs in with; Subsonic's rules on which combinations are allowed. */
function credentialsOf(p: Params): AppCredentials {
  const apiKey = p.str('apiKey');
  const username = p.str('u');
  if (apiKey !== undefined) {
    if (username !== undefined) throw new SubsonicError(SubsonicCode.conflictingAuth, 'Send either apiKey or u with p or t and s, not both');
    return { apiKey };
  }
  if (!username) throw missing('u');
  const token = p.str('t');
  if (token !== undefined) {
    const salt = p.str('s');
    if (!salt) throw missing('s');
    return { username, token, salt };
  }
  const password = p.str('p');
  if (password === undefined) throw missing('p');
  return { username, password };
}

/** Other capabilities' refusals as Subsonic codes. */
function asSubsonic(err: unknown): SubsonicError | undefined {
  if (err instanceof SubsonicError) return err;
  if (err instanceof AppError && err.status === 404) return new SubsonicError(SubsonicCode.notFound, err.message);
  if (err instanceof AppError && (err.status === 403 || err.status === 401)) return new SubsonicError(SubsonicCode.notAuthorized, err.message);
  if (err instanceof AppError && err.status < 500) return new SubsonicError(SubsonicCode.generic, err.message);
  return undefined;
}

export function subsonicRoutes(ctx: NodeContext, store: AppsStore, limits: AppDoorLimits): Router {
  const r = Router();
  const library = new SubsonicLibrary(ctx, store);
  const form = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 10_000 });

  async function signIn(p: Params, req: Request): Promise<{ user: User; keyId: string }> {
    const credentials = credentialsOf(p);
    if (!limits.mayTry(req.ip)) throw new SubsonicError(SubsonicCode.wrongCredentials, 'Too many failed sign-ins from your address; try again in a minute');
    const result = await ctx.services.accounts.authenticateApp(credentials);
    if (!result.ok) {
      limits.failed(req.ip);
      if (result.reason === 'invalid_api_key') throw new SubsonicError(SubsonicCode.invalidApiKey, 'Invalid API key');
      if (result.reason === 'account_disabled') throw new SubsonicError(SubsonicCode.wrongCredentials, 'This account is disabled');
      throw new SubsonicError(SubsonicCode.wrongCredentials, 'Wrong username or password (the password is an API key from your settings page, never your account password)');
    }
    const user = await ctx.services.accounts.byId(result.userId);
    if (!user || user.disabled) throw new SubsonicError(SubsonicCode.wrongCredentials, 'This account is disabled');
    return { user, keyId: result.keyId };
  }

  const handle = async (req: Request, res: Response) => {
    const p = Params.of(req.query, req.body);
    const format = formatOf(p.str('f'));
    const callback = p.str('callback');
    try {
      const name = req.params.method.replace(/\.view$/i, '').toLowerCase();
      const method = byLowerName.get(name);
      const { user, keyId } = await signIn(p, req);
      if (!limits.take('subsonic', keyId)) {
        res.set('Retry-After', String(limits.window('subsonic', keyId).resetInSeconds));
        throw new SubsonicError(SubsonicCode.generic, 'Too many requests with this API key; slow down');
      }
      if (!method) throw new SubsonicError(SubsonicCode.generic, `Unknown or unsupported method: ${req.params.method}`);
      const body = await method({ ctx, user, params: p, req, res, client: (p.str('c') ?? 'app').slice(0, 100), library, store });
      if (body !== 'sent') send(res, format, envelope('ok', body), callback);
    } catch (err) {
      const known = asSubsonic(err);
      if (!known) req.log?.error({ err }, 'subsonic request failed');
      if (res.headersSent) return void res.end();
      sendError(res, format, known ?? new SubsonicError(SubsonicCode.generic, 'The server could not answer this request'), callback);
    }
  };

  r.get('/rest/:method', isPublic, (req, res) => void handle(req, res));
  r.post('/rest/:method', isPublic, form, (req, res) => void handle(req, res));
  return r;
}
