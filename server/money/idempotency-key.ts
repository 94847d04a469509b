// The Idempotency-Key header of money's routes: a retry with the same key answers the same result.
import type { Request } from 'express';
import { badRequest } from '../http/errors.js';

export function idempotencyKey(req: Request): string | undefined {
  const k = req.get('idempotency-key');
  if (k === undefined) return undefined;
  if (!/^[\w:.-]{1,200}$/.test(k)) throw badRequest('invalid_idempotency_key', 'Idempotency-Key must be 1-200 letters, digits, _ : . or -');
  return k;
}
