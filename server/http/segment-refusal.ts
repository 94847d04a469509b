// How a refused segment is answered, by media's streaming route and federation's remote cache
// alike: problem+json, never stored, and the challenge (WWW-Authenticate) made only now. A
// payment challenge costs a macaroon: a client network gets `limit` of them a minute, then 429.
import type { Request, Response } from 'express';
import { AppError, RetryLaterError } from './errors.js';
import { WindowLimit } from './window-limit.js';
import type { NodeContext } from '../context.js';
import { clientNetwork, DEFAULT_IPV6_PREFIX_LENGTH } from './client-address.js';

const limits = new WeakMap<NodeContext, WindowLimit>();

/** The node's one count of payment challenges per client network (media.paymentChallengesPerMinute), for every route that makes them. */
export function challengeLimit(ctx: NodeContext): WindowLimit {
  let l = limits.get(ctx);
  if (!l) limits.set(ctx, (l = new WindowLimit(ctx.config.media.paymentChallengesPerMinute)));
  return l;
}

export interface SegmentRefusal {
  status: 401 | 402 | 403 | 404;
  code: string;
  message: string;
  /** The WWW-Authenticate value, made when answered (null: none). */
  challenge: (() => string) | null;
  /** Whether the challenge is a payment challenge (limited per client network). */
  payment: boolean;
  details?: Record<string, unknown>;
}

/** Sets the refusal's headers and returns the error to pass on (the problem handler answers it). */
export function segmentRefusal(req: Request, res: Response, challenges: WindowLimit, r: SegmentRefusal): AppError {
  res.setHeader('Cache-Control', 'no-store');
  if (r.payment && !challenges.take(clientNetwork(req.ip, DEFAULT_IPV6_PREFIX_LENGTH))) {
    const wait = challenges.retryAfterSeconds();
    return new RetryLaterError(429, 'too_many_challenges', `Too many payment challenges from your network; try again in ${wait} s (buying longer spans at once asks for fewer)`, wait);
  }
  if (r.challenge) res.setHeader('WWW-Authenticate', r.challenge());
  return new AppError(r.status, r.code, r.message, r.details);
}
