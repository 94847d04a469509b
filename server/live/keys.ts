// Stream keys: random, shown once, stored as SHA-256 (a leaked database does not let anyone
// push), with a short hint so the artist can tell which key is set.
import { createHash, randomBytes } from 'node:crypto';

const keyPattern = /^live_[A-Za-z0-9_-]{32}$/;

export function newStreamKey(): { key: string; hash: string; hint: string } {
  const key = `live_${randomBytes(24).toString('base64url')}`;
  return { key, hash: hashOfKey(key), hint: key.slice(-4) };
}

export const hashOfKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Whether a string can be a stream key at all (anything else is refused without a lookup). */
export const looksLikeKey = (key: string) => keyPattern.test(key);
