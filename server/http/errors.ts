// Typed errors that carry an HTTP status and a code, and their problem+json rendering.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type * as api from '../../shared/api/index.js';

export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * An error that tells the client when to come back: the problem handler sends `Retry-After`
 * with it, and the body carries `retryAfterSeconds`.
 */
export class RetryLaterError extends AppError {
  constructor(status: number, code: string, message: string, readonly retryAfterSeconds: number, details: Record<string, unknown> = {}) {
    super(status, code, message, { ...details, retryAfterSeconds });
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(400, code, message, details);
export const unauthorized = (message = 'Authentication required') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'You do not have the role this needs') => new AppError(403, 'forbidden', message);
export const notFound = (what = 'Resource') => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);

const titles: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export type Problem = api.Problem;

export function toProblem(err: unknown): Problem {
  if (err instanceof AppError) {
    return { type: `urn:9ten:problem:${err.code}`, title: titles[err.status] ?? 'Error', status: err.status, code: err.code, detail: err.message, ...(err.details ?? {}) };
  }
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    return { type: 'urn:9ten:problem:invalid_input', title: 'Bad Request', status: 400, code: 'invalid_input', detail, issues };
  }
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  // body-parser and friends set `status` and `type` on their errors.
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = e.type === 'entity.too.large' ? 'payload_too_large' : e.type === 'entity.parse.failed' ? 'malformed_body' : (e.type ?? 'bad_request').replace(/\W+/g, '_');
    return { type: `urn:9ten:problem:${code}`, title: titles[status] ?? 'Error', status, code, detail: e.message ?? 'Bad request' };
  }
  return { type: 'urn:9ten:problem:internal', title: 'Internal Server Error', status: 500, code: 'internal', detail: 'An unexpected error occurred' };
}

export function sendProblem(res: import('express').Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

export const problemHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const problem = toProblem(err);
  if (problem.status >= 500) req.log?.error({ err }, 'request failed');
  if (res.headersSent) return;
  if (err instanceof RetryLaterError) res.set('Retry-After', String(err.retryAfterSeconds));
  sendProblem(res, problem);
};

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound('Route'));

/** Wraps an async route so its rejection reaches the problem handler. */
export function route<Req = import('express').Request>(
  fn: (req: Req, res: import('express').Response, next: import('express').NextFunction) => Promise<unknown> | unknown,
): RequestHandler {
  return (req, res, next) => {
    Promise.resolve(fn(req as unknown as Req, res, next)).catch(next);
  };
}
