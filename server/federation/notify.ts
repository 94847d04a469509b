// What federation tells this node's users (the `user.notify` event, after commit): a channel's
// owner of a new follower (a remote Follow accepted, or a listener here following it), and the
// listeners here who follow a channel of its new tracks (local or remote) and of its live
// streams. Federation knows who follows whom, so it is the one to tell them.
import type { UserNotification } from '../events.js';
import type { FederationService } from './service.js';
import type { LocalActor } from './actors.js';
import type { RemoteTrack } from './remote-tracks.js';
import type { RemoteActor } from './remote.js';
import type { StreamAnnouncement } from './contract.js';
import { isFederatedTrack } from './send/send-create.js';
import { watchIdOf } from './remote-streams.js';

function tell(svc: FederationService, n: UserNotification): void {
  if (n.userIds.length) svc.rt.ctx.events.emit('user.notify', n);
}

/** Telling users is never why a follow, a Create or a live stream fails: a failure is logged. */
const quietly = <A extends unknown[]>(what: string, fn: (svc: FederationService, ...args: A) => Promise<void>) =>
  (svc: FederationService, ...args: A): Promise<void> => fn(svc, ...args).catch((err) => svc.rt.log.warn({ err }, `${what}: users not told`));

/** The users of this node who follow any of these actors (accepted follows). */
async function localFollowersOf(svc: FederationService, actorUris: string[]): Promise<string[]> {
  const [rows] = await svc.rt.db.query(
    `SELECT DISTINCT a.ref_id FROM federation_follows f JOIN federation_local_actors a ON a.uri = f.follower_uri AND a.kind = 'user'
      WHERE f.following_uri IN (:uris) AND f.local_follower AND f.state = 'accepted' AND a.ref_id IS NOT NULL`,
    { replacements: { uris: actorUris } },
  );
  return (rows as { ref_id: string }[]).map((r) => r.ref_id);
}

/** Who follows: a remote actor (linking to it; `host`: its server) or a user here (their profile). */
export type Follower = { uri: string; label: string; url: string; userId?: string; host?: string };

export function remoteFollower(actor: RemoteActor): Follower {
  const handle = actor.preferredUsername ? `@${actor.preferredUsername}@${actor.host}` : actor.host;
  return { uri: actor.uri, label: actor.name ? `${actor.name} (${handle})` : handle, url: actor.uri, host: actor.host };
}

/** How long follows from one server are summed up in one notice. */
const followWindowMs = 3_600_000;

/**
 * Follows from one server are told one by one only for the first account in the hour; the next
 * ones make one notice per server, followed actor and hour that counts them (its words follow
 * the count). Another server making a new account per Follow so tells a user twice an hour.
 * Returns the count so far (1: the first), or 1 when Redis cannot say (told one by one).
 */
async function followsThisHour(svc: FederationService, host: string, follower: string, followed: string, hour: number): Promise<number> {
  const key = `notify:follows:${host}:${followed}:${hour}`;
  const ttl = Math.ceil((2 * followWindowMs) / 1000);
  try {
    const redis = svc.rt.ctx.redis;
    const first = (await redis.set(`${key}:first`, follower, 'EX', ttl, 'NX')) === 'OK' || (await redis.get(`${key}:first`)) === follower;
    if (first) return 1;
    const [, , [err, others]] = (await redis.multi().sadd(`${key}:others`, follower).expire(`${key}:others`, ttl).scard(`${key}:others`).exec()) as [unknown, unknown, [Error | null, number]];
    if (err) throw err;
    return 1 + others;
  } catch (err) {
    svc.rt.log.warn({ err, host }, 'follows of one server not counted: told one by one');
    return 1;
  }
}

export function localFollower(actor: LocalActor): Follower {
  return { uri: actor.uri, label: `@${actor.name}`, url: `/@${encodeURIComponent(actor.name)}`, userId: actor.refId ?? undefined };
}

/** A new follower of a local channel (its owner is told) or of a local account (the account). Once per follower and followed actor. */
export const notifyFollowed = quietly('new follower', async (svc: FederationService, follower: Follower, followed: LocalActor): Promise<void> => {
  let ownerId: string | null = null;
  let what = 'you';
  if (followed.kind === 'user') ownerId = followed.refId;
  else if (followed.kind === 'channel') {
    const channel = await svc.rt.media.getChannel(followed.refId ?? followed.name);
    ownerId = channel?.ownerId ?? null;
    what = channel?.displayName ?? followed.name;
  }
  if (!ownerId || ownerId === follower.userId) return;
  const hour = Math.floor(Date.now() / followWindowMs);
  const n = follower.host ? await followsThisHour(svc, follower.host, follower.uri, followed.uri, hour) : 1;
  if (n > 1) {
    tell(svc, {
      userIds: [ownerId],
      kind: 'follower',
      title: `${n} accounts from ${follower.host} follow ${what}`,
      body: 'Follows from one server within an hour are told as one notice, counted as they arrive.',
      // `summary:`: the inbox keeps one notice and takes the latest count (docs/notifications.md).
      key: `summary:follower-group:${follower.host}:${followed.uri}:${hour}`,
    });
    return;
  }
  tell(svc, {
    userIds: [ownerId],
    kind: 'follower',
    title: `${follower.label} follows ${what}`,
    url: follower.url,
    key: `follower:${follower.uri}:${followed.uri}`,
  });
});

/** A local track became public: the listeners here who follow its channel (not its owner). */
export const notifyLocalTrack = quietly('new track', async (svc: FederationService, trackId: string): Promise<void> => {
  const track = await svc.rt.media.getTrack(trackId);
  if (!track || !isFederatedTrack(track)) return;
  const followers = await localFollowersOf(svc, [svc.rt.channelActorUri(track.channel.name)]);
  tell(svc, {
    userIds: followers.filter((id) => id !== track.channel.ownerId),
    kind: 'new-track',
    title: `New from ${track.channel.displayName}: ${track.title}`,
    url: `/tracks/${track.id}`,
    key: `new-track:${svc.rt.trackUri(track.id)}`,
  });
});

/** A remote channel's new track arrived (its Create): the listeners here who follow the channel or its owner. */
export const notifyRemoteTrack = quietly('new remote track', async (svc: FederationService, actorUris: string[], track: RemoteTrack): Promise<void> => {
  const followers = await localFollowersOf(svc, [...new Set([track.actorUri, ...actorUris])]);
  if (!followers.length) return;
  const actor = await svc.remote.knownActor(track.actorUri);
  const by = track.artist ?? actor?.name ?? actor?.preferredUsername ?? track.host;
  tell(svc, {
    userIds: followers,
    kind: 'new-track',
    title: `New from ${by}: ${track.title}`,
    url: `/remote/${track.id}`,
    key: `new-track:${track.uri}`,
  });
});

/** A local channel went live: the listeners here who follow it (its own followers elsewhere hear a Stream). */
export const notifyLiveStarted = quietly('live stream', async (svc: FederationService, stream: StreamAnnouncement): Promise<void> => {
  if (stream.state !== 'started') return;
  const channel = await svc.rt.media.getChannel(stream.channel);
  if (!channel) return;
  const followers = await localFollowersOf(svc, [svc.rt.channelActorUri(channel.name)]);
  tell(svc, {
    userIds: followers.filter((id) => id !== channel.ownerId),
    kind: 'live',
    title: `${channel.displayName} is live: ${stream.name}`,
    url: `/live/${encodeURIComponent(stream.streamId)}`,
    key: `live:${stream.streamId}`,
  });
});

/** A followed channel on another node went live (its Stream start arrived): the listeners here who follow it. */
export const notifyRemoteLiveStarted = quietly('remote live stream', async (svc: FederationService, actorUri: string, streamUri: string, name: string | null): Promise<void> => {
  const followers = await localFollowersOf(svc, [actorUri]);
  if (!followers.length) return;
  const actor = await svc.remote.knownActor(actorUri);
  const who = actor?.name ?? actor?.preferredUsername ?? new URL(actorUri).host;
  tell(svc, {
    userIds: followers,
    kind: 'live',
    title: name ? `${who} is live: ${name}` : `${who} is live`,
    url: `/live/remote/${watchIdOf(streamUri)}`,
    key: `live:${streamUri}`,
  });
});
