// Local actors (the instance, artists' channels, listeners): their keys and the
// ActivityPub documents that describe them.
import { generateKeyPair as generateKeyPairCb, type JsonWebKey } from 'node:crypto';
import { AppError } from '../http/errors.js';
import { promisify } from 'node:util';
import { importJwk } from '@fedify/fedify/sig';
import { select, selectOne, execute } from '../db/index.js';
import type { FederationRuntime } from './runtime.js';
import { documentContext } from './vocabulary.js';

const generateKeyPair = promisify(generateKeyPairCb);

export type LocalActorKind = 'instance' | 'channel' | 'user';

export interface LocalActor {
  id: string;
  kind: LocalActorKind;
  name: string;
  refId: string | null;
  uri: string;
  publicKeyPem: string;
  keyRotatedAt: string;
  createdAt: string;
}

interface ActorRow {
  id: string;
  kind: LocalActorKind;
  name: string;
  ref_id: string | null;
  uri: string;
  public_key_pem: string;
  private_key_jwk: JsonWebKey;
  key_rotated_at: Date;
  created_at: Date;
}

const toActor = (r: ActorRow): LocalActor => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  refId: r.ref_id,
  uri: r.uri,
  publicKeyPem: r.public_key_pem,
  keyRotatedAt: new Date(r.key_rotated_at).toISOString(),
  createdAt: new Date(r.created_at).toISOString(),
});

/** The instance actor's preferredUsername: a dot keeps it apart from user and channel names. */
export const INSTANCE_ACTOR_NAME = 'instance.actor';

async function newKeyPair(): Promise<{ publicPem: string; privateJwk: JsonWebKey; publicJwk: JsonWebKey }> {
  const { publicKey, privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateJwk: privateKey.export({ format: 'jwk' }),
    publicJwk: publicKey.export({ format: 'jwk' }),
  };
}

export class LocalActors {
  private signers = new Map<string, { key: CryptoKey; rotatedAt: string; checkedAt: number }>();

  constructor(private readonly rt: FederationRuntime) {}

  private uriFor(kind: LocalActorKind, name: string): string {
    if (kind === 'instance') return this.rt.instanceActorUri();
    if (kind === 'channel') return this.rt.channelActorUri(name);
    return this.rt.userActorUri(name);
  }

  /** Creates the actor and its key pair when it does not exist yet. */
  async ensure(kind: LocalActorKind, name: string, refId: string | null): Promise<LocalActor> {
    const existing = await this.byKindName(kind, name);
    if (existing) return existing;
    const keys = await newKeyPair();
    await execute(
      this.rt.db,
      `INSERT INTO federation_local_actors (kind, name, ref_id, uri, public_key_pem, private_key_jwk, public_key_jwk)
       VALUES (:kind, :name, :refId, :uri, :pem, CAST(:priv AS jsonb), CAST(:pub AS jsonb))
       ON CONFLICT DO NOTHING`,
      { kind, name, refId, uri: this.uriFor(kind, name), pem: keys.publicPem, priv: JSON.stringify(keys.privateJwk), pub: JSON.stringify(keys.publicJwk) },
    );
    return (await this.byKindName(kind, name))!;
  }

  private background: Promise<unknown> = Promise.resolve();
  private stopping = false;

  /** Creates the actor and keys soon, one at a time, without holding up the caller. */
  ensureInBackground(kind: LocalActorKind, name: string, refId: string | null): void {
    this.background = this.background.then(async () => {
      if (this.stopping) return;
      await this.ensure(kind, name, refId).catch((err) => this.rt.log.warn({ err, kind, name }, 'creating an actor failed; it will be made on demand'));
    });
  }

  /** Waits for background key generation (the node is stopping). */
  async settle(): Promise<void> {
    this.stopping = true;
    await this.background;
  }

  ensureInstance(): Promise<LocalActor> {
    return this.ensure('instance', INSTANCE_ACTOR_NAME, null);
  }

  async byKindName(kind: LocalActorKind, name: string): Promise<LocalActor | undefined> {
    const row = await selectOne<ActorRow>(this.rt.db, 'SELECT * FROM federation_local_actors WHERE kind = :kind AND lower(name) = lower(:name)', { kind, name });
    return row && toActor(row);
  }

  async byUri(uri: string): Promise<LocalActor | undefined> {
    const row = await selectOne<ActorRow>(this.rt.db, 'SELECT * FROM federation_local_actors WHERE uri = :uri', { uri });
    return row && toActor(row);
  }

  async byRef(kind: LocalActorKind, refId: string): Promise<LocalActor | undefined> {
    const row = await selectOne<ActorRow>(this.rt.db, 'SELECT * FROM federation_local_actors WHERE kind = :kind AND ref_id = :refId', { kind, refId });
    return row && toActor(row);
  }

  /** The actor of a user, created on demand (users made before federation started). */
  async forUser(userId: string): Promise<LocalActor> {
    const found = await this.byRef('user', userId);
    if (found) return found;
    const user = await this.rt.ctx.services.accounts.byId(userId);
    if (!user) throw new Error(`no user ${userId}`);
    if (user.guest) throw new AppError(409, 'guest_account', 'Guest accounts do not federate: claim your account first (POST /api/v1/users/me/claim)');
    return this.ensure('user', user.username, user.id);
  }

  /** The actor of a channel, created on demand from media's channel. */
  async forChannel(idOrName: string): Promise<LocalActor | undefined> {
    const byRef = await this.byRef('channel', idOrName);
    if (byRef) return byRef;
    const channel = await this.rt.media.getChannel(idOrName).catch(() => undefined);
    if (!channel) return this.byKindName('channel', idOrName);
    return this.ensure('channel', channel.name, channel.id);
  }

  /** Resolves a local actor URI (any kind), creating the record on demand. */
  async resolveUri(uri: string): Promise<LocalActor | undefined> {
    const known = await this.byUri(uri);
    if (known) return known;
    if (uri === this.rt.instanceActorUri()) return this.ensureInstance();
    const pub = this.rt.publicUrl;
    const m = new RegExp(`^${pub.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/ap/(users|channels)/([^/?#]+)$`).exec(uri);
    if (!m) return undefined;
    const name = decodeURIComponent(m[2]);
    if (m[1] === 'users') {
      const user = await this.rt.ctx.services.accounts.byUsername(name);
      return user && !user.guest ? this.ensure('user', user.username, user.id) : undefined;
    }
    return this.forChannel(name);
  }

  async signer(actorUri: string): Promise<{ privateKey: CryptoKey; keyId: URL }> {
    // Keys are re-read at most every 10 s (another process may have rotated them).
    const fresh = this.signers.get(actorUri);
    if (fresh && Date.now() - fresh.checkedAt < 10_000) return { privateKey: fresh.key, keyId: new URL(`${actorUri}#main-key`) };
    const row = await selectOne<ActorRow>(this.rt.db, 'SELECT * FROM federation_local_actors WHERE uri = :uri', { uri: actorUri });
    if (!row) throw new Error(`no local actor ${actorUri}`);
    const rotatedAt = new Date(row.key_rotated_at).toISOString();
    let cached = this.signers.get(actorUri);
    if (!cached || cached.rotatedAt !== rotatedAt) {
      const jwk = { ...row.private_key_jwk, alg: 'RS256', key_ops: ['sign'], ext: true } as JsonWebKey;
      cached = { key: await importJwk(jwk as globalThis.JsonWebKey, 'private'), rotatedAt, checkedAt: Date.now() };
    }
    this.signers.set(actorUri, { ...cached, checkedAt: Date.now() });
    return { privateKey: cached.key, keyId: new URL(`${actorUri}#main-key`) };
  }

  /** New key pair for an actor; remote nodes refetch the key when the old one fails. */
  async rotateKeys(actorUri: string): Promise<LocalActor> {
    const keys = await newKeyPair();
    await execute(
      this.rt.db,
      `UPDATE federation_local_actors SET public_key_pem = :pem, private_key_jwk = CAST(:priv AS jsonb), public_key_jwk = CAST(:pub AS jsonb), key_rotated_at = now() WHERE uri = :uri`,
      { uri: actorUri, pem: keys.publicPem, priv: JSON.stringify(keys.privateJwk), pub: JSON.stringify(keys.publicJwk) },
    );
    this.signers.delete(actorUri);
    return (await this.byUri(actorUri))!;
  }

  async list(kind?: LocalActorKind): Promise<LocalActor[]> {
    const rows = await select<ActorRow>(this.rt.db, `SELECT * FROM federation_local_actors ${kind ? 'WHERE kind = :kind' : ''} ORDER BY created_at`, { kind });
    return rows.map(toActor);
  }

  /** The ActivityPub document of a local actor. */
  async document(actor: LocalActor): Promise<Record<string, unknown>> {
    const base = actor.uri;
    let type = 'Person';
    let name: string = actor.name;
    let summary: string | undefined;
    let attributedTo: string | undefined;
    let url = `${this.rt.publicUrl}/@${encodeURIComponent(actor.name)}`;
    if (actor.kind === 'instance') {
      type = 'Service';
      name = this.rt.config.nodeName;
      summary = `The 9ten node ${this.rt.host}`;
      url = this.rt.publicUrl;
    } else if (actor.kind === 'user') {
      const user = actor.refId ? await this.rt.ctx.services.accounts.byId(actor.refId) : undefined;
      name = user?.displayName ?? actor.name;
    } else {
      const channel = actor.refId ? await this.rt.media.getChannel(actor.refId).catch(() => undefined) : undefined;
      name = channel?.displayName ?? actor.name;
      summary = channel?.description ?? undefined;
      url = `${this.rt.publicUrl}/channels/${encodeURIComponent(actor.name)}`;
      const owner = channel?.ownerId ? await this.rt.ctx.services.accounts.byId(channel.ownerId) : undefined;
      if (owner) attributedTo = this.rt.userActorUri(owner.username);
    }
    return {
      '@context': documentContext,
      id: base,
      type,
      preferredUsername: actor.name,
      name,
      ...(summary ? { summary } : {}),
      url,
      inbox: `${base}/inbox`,
      outbox: `${base}/outbox`,
      followers: `${base}/followers`,
      following: `${base}/following`,
      liked: `${base}/liked`,
      endpoints: { sharedInbox: this.rt.sharedInboxUri() },
      manuallyApprovesFollowers: false,
      discoverable: actor.kind !== 'instance',
      ...(attributedTo ? { attributedTo } : {}),
      published: actor.createdAt,
      publicKey: { id: `${base}#main-key`, owner: base, publicKeyPem: actor.publicKeyPem },
    };
  }
}
