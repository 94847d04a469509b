// A local user's actors when their account is deleted (a federated Delete; docs/accounts.md) or
// exported (follows.json). A deleted account's actor and its channels' actors stay as
// tombstones: the keys are kept, so the Deletes (and their retries) are signed and verifiable,
// and the names stay taken. While a Delete of an actor is still on its way, the actor's document
// is still served (without anything personal in it: accounts and media have nothing left to
// name it by), so that a server that never saw its key can check the Delete's signature; after
// that its URL answers 410 Gone with a Tombstone, as Mastodon and PeerTube do.
import { createHash } from 'node:crypto';
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import { execute, select, selectOne } from '../db/index.js';
import type { User } from '../accounts/service.js';
import type { FederationService } from './service.js';
import type { LocalActor } from './actors.js';
import { sendUndoFollow } from './send/send-undo.js';
import { AS_PUBLIC, documentContext } from './vocabulary.js';

/** A fixed activity id per deleted actor: the Delete goes out once however often the deletion runs. */
function deleteActivityId(actorUri: string): string {
  const h = createHash('sha256').update(`delete-actor:${actorUri}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The user's actor and their channels' actors that exist (an actor is made when first needed). */
async function actorsOf(svc: FederationService, user: User): Promise<{ person?: LocalActor; channels: LocalActor[] }> {
  const person = await svc.actors.byRef('user', user.id);
  const channels: LocalActor[] = [];
  for (const c of await svc.rt.media.channelsOwnedBy(user.id)) {
    const actor = await svc.actors.byRef('channel', c.id);
    if (actor) channels.push(actor);
  }
  return { person, channels };
}

function queueDelete(svc: FederationService, t: Transaction, actorUri: string, recipients: { followersOf: string[]; actors?: string[] }) {
  return svc.delivery.queue(
    {
      id: deleteActivityId(actorUri),
      actorUri,
      activity: { type: 'Delete', actor: actorUri, object: actorUri, to: [AS_PUBLIC], cc: [`${actorUri}/followers`] },
      toFollowersOf: recipients.followersOf,
      toActors: recipients.actors,
      public: true,
      objectUri: actorUri,
    },
    t,
  );
}

/**
 * Federation's part of a deletion: a Delete of each channel actor goes to its followers and to
 * the nodes that follow this one, a Delete of the user's actor to everyone who knew it (its
 * followers, its channels' followers, those nodes, and the actors it followed); the actors
 * become tombstones, every follow of and by them is dropped, and the user stops following
 * remote actors (an Undo to each).
 */
async function deleteActorsOf(svc: FederationService, user: User): Promise<void> {
  const db = svc.rt.db;
  const { person, channels } = await actorsOf(svc, user);
  const instance = svc.rt.instanceActorUri();
  const channelUris = channels.map((c) => c.uri);
  const follows = person
    ? await select<{ id: string; following_uri: string }>(db, 'SELECT id, following_uri FROM federation_follows WHERE follower_uri = :u AND local_follower', { u: person.uri })
    : [];
  const remoteFollows = follows.filter((f) => !svc.rt.isLocal(f.following_uri));
  const uris = [...channelUris, ...(person ? [person.uri] : [])];
  if (!uris.length) return;
  // One transaction: the actors are marked deleted as their Deletes are recorded (so that their
  // documents stay served until those are delivered), and the recipients are read from the
  // follows before these go.
  await db.transaction(async (t) => {
    await execute(db, 'UPDATE federation_local_actors SET deleted_at = coalesce(deleted_at, now()) WHERE uri IN (:uris)', { uris }, t);
    // What the actors sent stops being served (/ap/activities, their outboxes): it names the
    // person, their tracks and streams. Delivery still reads the rows; the Deletes stay public.
    await execute(db, "UPDATE federation_outbox SET public = false WHERE actor_uri IN (:uris) AND type <> 'Delete' AND public", { uris }, t);
    for (const uri of channelUris) await queueDelete(svc, t, uri, { followersOf: [uri, instance] });
    if (person) await queueDelete(svc, t, person.uri, { followersOf: [person.uri, ...channelUris, instance], actors: remoteFollows.map((f) => f.following_uri) });
    await execute(
      db,
      'DELETE FROM federation_follows WHERE (following_uri IN (:uris) OR follower_uri IN (:uris)) AND NOT id = ANY(CAST(:undone AS uuid[]))',
      { uris, undone: `{${remoteFollows.map((f) => f.id).join(',')}}` },
      t,
    );
    await execute(db, 'DELETE FROM federation_reactions WHERE actor_uri IN (:uris) AND local_actor', { uris }, t);
  });
  // The remote follows end as the user's own unfollow does (an Undo, and the followed actor's
  // tracks forgotten when no one here follows it any more).
  for (const f of remoteFollows) await sendUndoFollow(svc, person!.uri, f.id);
}

/** Whether a local actor (by URI) is a deleted account's or channel's: it follows no one and no one follows it any more. */
export async function isDeletedLocalActor(svc: FederationService, uri: string): Promise<boolean> {
  return !!(await selectOne(svc.rt.db, 'SELECT 1 FROM federation_local_actors WHERE uri = :uri AND deleted_at IS NOT NULL', { uri }));
}

/**
 * A deleted local actor named by an actor URL's path (`users` or `channels` and a name), or
 * undefined when that actor is not deleted. `tombstone` is set (answer 410 Gone with it) once no
 * activity the actor signed is still waiting for delivery; until then the actor is served as usual.
 */
export async function deletedActor(svc: FederationService, kind: string, name: string): Promise<{ actor: LocalActor; tombstone?: Record<string, unknown> } | undefined> {
  const actorKind = kind === 'users' ? 'user' : kind === 'channels' ? 'channel' : undefined;
  if (!actorKind) return undefined;
  const row = await selectOne<{ uri: string; deleted_at: Date | null }>(
    svc.rt.db,
    'SELECT uri, deleted_at FROM federation_local_actors WHERE kind = :kind AND lower(name) = lower(:name) AND deleted_at IS NOT NULL',
    { kind: actorKind, name },
  );
  if (!row) return undefined;
  const actor = (await svc.actors.byUri(row.uri))!;
  const pending = await selectOne(
    svc.rt.db,
    `SELECT 1 FROM federation_outbox o JOIN federation_deliveries d ON d.activity_id = o.id WHERE o.actor_uri = :uri AND d.state = 'pending' LIMIT 1`,
    { uri: row.uri },
  );
  if (pending) return { actor };
  return { actor, tombstone: { '@context': documentContext, id: row.uri, type: 'Tombstone', formerType: 'Person', deleted: new Date(row.deleted_at!).toISOString() } };
}

/** Who the user follows and who follows them and their channels, and what they liked or shared. */
async function followsFile(svc: FederationService, user: User) {
  const { person, channels } = await actorsOf(svc, user);
  const db = svc.rt.db;
  const following = person
    ? await select<{ following_uri: string; state: string; created_at: Date }>(db, 'SELECT following_uri, state, created_at FROM federation_follows WHERE follower_uri = :u ORDER BY created_at', { u: person.uri })
    : [];
  const followersOf = async (uri: string) =>
    (await select<{ follower_uri: string; created_at: Date }>(db, "SELECT follower_uri, created_at FROM federation_follows WHERE following_uri = :u AND state = 'accepted' ORDER BY created_at", { u: uri })).map(
      (f) => ({ actor: f.follower_uri, since: f.created_at }),
    );
  const reactions = person
    ? await select<{ type: string; object_uri: string; created_at: Date }>(db, 'SELECT type, object_uri, created_at FROM federation_reactions WHERE actor_uri = :u AND local_actor ORDER BY created_at', { u: person.uri })
    : [];
  return {
    actor: person?.uri ?? null,
    following: following.map((f) => ({ actor: f.following_uri, state: f.state, since: f.created_at })),
    followers: person ? await followersOf(person.uri) : [],
    channels: await Promise.all(channels.map(async (c) => ({ actor: c.uri, followers: await followersOf(c.uri) }))),
    likes: reactions.filter((r) => r.type === 'Like').map((r) => ({ object: r.object_uri, at: r.created_at })),
    shares: reactions.filter((r) => r.type === 'Announce').map((r) => ({ object: r.object_uri, at: r.created_at })),
  };
}

/** Registers federation's part of deleting and exporting an account with accounts. */
export function registerFederationAccountData(ctx: NodeContext, svc: FederationService): void {
  ctx.services.accounts.onUserDeleting((user) => deleteActorsOf(svc, user));
  ctx.services.accounts.onExport({ file: 'follows.json', collect: (user) => followsFile(svc, user) });
}
