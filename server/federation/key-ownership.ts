// Who a verified HTTP signature speaks for. A valid signature only proves "the holder of this
// key signed"; it proves an actor only when the key belongs to that actor (FEP-fe34's
// origin model, as Mastodon checks it):
//   1. the key's id is the keyId the request named (a document fetched from one URL cannot
//      claim to be another key),
//   2. the key's id is on the actor's origin (scheme, host and port),
//   3. the key names the actor as its owner/controller, and
//   4. the actor's own document, fetched from the actor's origin, lists the key's id in
//      `publicKey` or `assertionMethod`. When the key id is the actor's own URL with a fragment
//      (Mastodon's and 9ten's `#main-key`), the key was read from that very document, so no
//      second fetch is needed.
// Confirmed bindings are remembered in memory for a while (keyed by key id, actor and key
// material), so a busy peer costs no lookup per post.
import { createHash } from 'node:crypto';
import type { CryptographicKey } from '@fedify/fedify/vocab';
import type { FederationRuntime } from './runtime.js';
import type { Remote } from './remote.js';
import { originOf } from './vocabulary.js';

const BINDING_TTL_MS = 3600 * 1000;
const MAX_BINDINGS = 10_000;

export type KeyOwnership =
  | { ok: true }
  /** `retry`: the actor could not be fetched now; the sender should try again later. */
  | { ok: false; code: string; message: string; retry?: boolean };

/** The ids an actor document lists as its keys (`publicKey` and `assertionMethod`, objects or references). */
export function listedKeyIds(actor: Record<string, unknown>): Set<string> {
  const ids = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string') ids.add(value);
    else if (Array.isArray(value)) value.forEach(add);
    else if (value && typeof value === 'object') {
      const id = (value as { id?: unknown; '@id'?: unknown }).id ?? (value as { '@id'?: unknown })['@id'];
      if (typeof id === 'string') ids.add(id);
    }
  };
  for (const field of ['publicKey', 'sec:publicKey', 'https://w3id.org/security#publicKey', 'assertionMethod', 'sec:assertionMethod', 'https://w3id.org/security#assertionMethod']) add(actor[field]);
  return ids;
}

export class KeyOwnershipCheck {
  /** Confirmed bindings and when they expire, oldest first (a Map keeps insertion order). */
  private readonly confirmed = new Map<string, number>();

  constructor(
    private readonly rt: FederationRuntime,
    private readonly remote: Remote,
  ) {}

  /** Does `key` (which verified the signature that named `keyId`) speak for `actorUri`? */
  async check(key: CryptographicKey, keyId: string, actorUri: string): Promise<KeyOwnership> {
    const verifiedId = key.id?.href;
    if (!verifiedId || verifiedId !== keyId) {
      return { ok: false, code: 'key_id_mismatch', message: 'The key document fetched from the keyId describes another key' };
    }
    const actorOrigin = originOf(actorUri);
    if (!actorOrigin || originOf(verifiedId) !== actorOrigin) {
      return { ok: false, code: 'key_origin_mismatch', message: 'The signing key is not on the actor\'s origin' };
    }
    if (key.ownerId?.href !== actorUri) {
      return { ok: false, code: 'signer_mismatch', message: 'The signing key does not belong to the activity\'s actor' };
    }
    // Read from the actor's own document (its URL plus a fragment): that document lists it.
    if (verifiedId.split('#')[0] === actorUri) return { ok: true };

    const binding = createHash('sha256').update(`${verifiedId}\n${actorUri}\n`).update(await spkiOf(key)).digest('hex');
    const until = this.confirmed.get(binding);
    if (until !== undefined && until > Date.now()) return { ok: true };

    let actor: Record<string, unknown>;
    try {
      actor = await this.remote.fetchDocument(actorUri);
    } catch (err) {
      this.rt.log.info({ err: (err as Error).message, actorUri }, 'actor fetch for key ownership failed');
      return { ok: false, code: 'actor_unavailable', message: 'The actor\'s document could not be fetched to confirm its key; retry later', retry: true };
    }
    if (actor.id !== actorUri) {
      return { ok: false, code: 'actor_id_mismatch', message: 'The actor\'s document has another id than its URL' };
    }
    if (!listedKeyIds(actor).has(verifiedId)) {
      return { ok: false, code: 'key_not_listed', message: 'The actor\'s document does not list the signing key' };
    }
    this.confirmed.delete(binding);
    this.confirmed.set(binding, Date.now() + BINDING_TTL_MS);
    if (this.confirmed.size > MAX_BINDINGS) this.confirmed.delete(this.confirmed.keys().next().value!);
    return { ok: true };
  }
}

/** The key material, so a rotated key under the same id is confirmed again. */
async function spkiOf(key: CryptographicKey): Promise<Uint8Array> {
  try {
    return new Uint8Array(await crypto.subtle.exportKey('spki', key.publicKey!));
  } catch {
    return new Uint8Array();
  }
}
