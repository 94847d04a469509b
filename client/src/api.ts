// Talks to the node's REST API: the signed-in session, bearer tokens with refresh, problem+json errors.
import type { TokenPair, User } from '../../shared/api/index.js';

const storageKey = '9ten.session';

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: User;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let current: Session | null = load();
const listeners = new Set<(s: Session | null) => void>();

function load(): Session | null {
  try {
    const raw = localStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function save(s: Session | null): void {
  current = s;
  if (s) localStorage.setItem(storageKey, JSON.stringify(s));
  else localStorage.removeItem(storageKey);
  for (const fn of listeners) fn(s);
}

export const session = (): Session | null => current;
/** Signs in with a session the node handed out another way (a watch link's guest), or stores its user anew (a claimed guest). */
export const saveSession = (s: Session): void => save(s);
export const accessToken = (): string | null => current?.accessToken ?? null;
export function onSessionChange(fn: (s: Session | null) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  const detail = (body && typeof body === 'object' && (body.detail || body.title)) || res.statusText || `HTTP ${res.status}`;
  const code = (body && typeof body === 'object' && body.code) || `http_${res.status}`;
  return new ApiError(res.status, code, String(detail), body);
}

async function tokenRequest(body: Record<string, string>): Promise<TokenPair> {
  const res = await fetch('/api/v1/oauth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as TokenPair;
}

let refreshing: Promise<boolean> | null = null;
/** Swaps the refresh token for a new pair; false (and signed out) when that fails. */
export function refresh(): Promise<boolean> {
  const s = current;
  if (!s) return Promise.resolve(false);
  refreshing ??= tokenRequest({ grant_type: 'refresh_token', refresh_token: s.refreshToken })
    .then((t) => {
      save({ ...s, accessToken: t.access_token, refreshToken: t.refresh_token });
      return true;
    })
    .catch(() => {
      save(null);
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export interface RequestOptions {
  body?: unknown;
  /** A raw body (e.g. an image) sent as is, with its own type. */
  blob?: Blob;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  keepalive?: boolean;
}

/** A JSON request to the API; retries once after refreshing an expired token. */
export async function api<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const send = () => {
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    if (current) headers.authorization = `Bearer ${current.accessToken}`;
    let body: BodyInit | undefined;
    if (opts.blob) {
      body = opts.blob;
      headers['content-type'] = opts.blob.type || 'application/octet-stream';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    return fetch(path, { method, headers, body, signal: opts.signal, keepalive: opts.keepalive });
  };
  let res = await send();
  if (res.status === 401 && current) {
    await refresh();
    res = await send();
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export async function logIn(username: string, password: string): Promise<Session> {
  const tokens = await tokenRequest({ grant_type: 'password', username, password });
  const res = await fetch('/api/v1/users/me', { headers: { authorization: `Bearer ${tokens.access_token}` } });
  if (!res.ok) throw await errorFrom(res);
  const user = (await res.json()) as User;
  const s: Session = { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, user };
  save(s);
  return s;
}

export async function logOut(): Promise<void> {
  const s = current;
  save(null);
  if (s) {
    const revoke = (body?: string) =>
      fetch('/api/v1/oauth/revoke', { method: 'POST', headers: { authorization: `Bearer ${s.accessToken}`, 'content-type': 'application/json' }, body }).catch(() => {});
    await revoke(JSON.stringify({ token: s.refreshToken }));
    await revoke(); // without a body the access token in the header is revoked
  }
}

