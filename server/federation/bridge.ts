// Federation follows domain events: a capability records its change, commits, emits; this
// bridge turns the event into an outgoing activity (queued, never sent from a route).
import { selectOne } from '../db/index.js';
import { sendTip } from './send/send-tip.js';
import type { FederationService } from './service.js';
import { isFederatedTrack, sendCreateTrack, sendCreatePlaylist } from './send/send-create.js';
import { sendUpdateTrack, sendUpdatePlaylist } from './send/send-update.js';
import { sendDeleteObject, sendDeleteFromCreator } from './send/send-delete.js';
import { playlistViewOf, type PlaylistView } from './objects.js';
import { sendCampaign } from './campaigns.js';
import { campaignUri } from '../../shared/actor-uris.js';
import { notifyLocalTrack } from './notify.js';

async function alreadyCreated(svc: FederationService, objectUri: string): Promise<boolean> {
  const row = await selectOne(
    svc.rt.db,
    `SELECT type FROM federation_outbox WHERE object_uri = :o AND type IN ('Create', 'Delete') ORDER BY created_at DESC LIMIT 1`,
    { o: objectUri },
  );
  return (row as { type?: string } | undefined)?.type === 'Create';
}

async function playlistView(svc: FederationService, id: string): Promise<PlaylistView | undefined> {
  // Read as an anonymous viewer: a private playlist is not there, and only what anyone may see is in it.
  const p = await svc.rt.media.getPlaylist(id);
  return p ? playlistViewOf(svc.rt, p) : undefined;
}


export function registerBridge(svc: FederationService): void {
  const { events } = svc.rt.ctx;
  const log = svc.rt.log;

  events.on('track.published', async ({ trackId }) => {
    const track = await svc.rt.media.getTrack(trackId);
    if (!track || !isFederatedTrack(track)) return;
    if (await alreadyCreated(svc, svc.rt.trackUri(track.id))) await sendUpdateTrack(svc, track);
    else await sendCreateTrack(svc, track);
  });
  // Apart from the Create, so that a failed send does not cost the followers here their news.
  events.on('track.published', ({ trackId }) => notifyLocalTrack(svc, trackId));

  events.on('track.updated', async ({ trackId }) => {
    const track = await svc.rt.media.getTrack(trackId);
    if (!track) return;
    const uri = svc.rt.trackUri(track.id);
    const created = await alreadyCreated(svc, uri);
    if (!isFederatedTrack(track)) {
      // No longer public: take it back from the followers who have it.
      if (created) await sendDeleteObject(svc, track.channel.id, uri, track.kind === 'video' ? 'Video' : 'Audio');
      return;
    }
    // Not yet federated: media emits track.published when it becomes public.
    if (created) await sendUpdateTrack(svc, track);
  });

  // A campaign goes to its channel's followers (and the nodes following this one) when it opens,
  // and again when it is funded, fails, is cancelled or finishes repaying.
  events.on('campaign.changed', async ({ campaignId }) => {
    const campaign = await svc.rt.money.campaign(campaignId);
    if (!campaign) return;
    await sendCampaign(svc, campaign, (await alreadyCreated(svc, campaignUri(svc.rt.publicUrl, campaign.id))) ? 'Update' : 'Create');
  });

  events.on('track.deleted', async ({ trackId, channelId, apId }) => {
    const uri = apId || svc.rt.trackUri(trackId);
    if (!(await alreadyCreated(svc, uri))) return;
    await sendDeleteObject(svc, channelId, uri, 'Audio');
  });

  // Public playlists (of a channel, or of a listener) go to the publishing actor's followers:
  // Create, then Update on each change; made private or unlisted, or deleted: Delete.
  events.on('playlist.changed', async ({ playlistId }) => {
    const uri = svc.rt.playlistUri(playlistId);
    const p = await playlistView(svc, playlistId);
    const created = await alreadyCreated(svc, uri);
    if (!p || !p.public) {
      if (created) await sendDeleteFromCreator(svc, uri, 'Playlist');
      return;
    }
    if (created) await sendUpdatePlaylist(svc, p);
    else await sendCreatePlaylist(svc, p);
  });

  events.on('playlist.deleted', async ({ playlistId, apId }) => {
    const uri = apId || svc.rt.playlistUri(playlistId);
    if (!(await alreadyCreated(svc, uri))) return;
    await sendDeleteFromCreator(svc, uri, 'Playlist');
  });

  // A qualified listen of a remote track goes to the track's home node. Held listening is
  // not announced; listening emits the event again when a dispute counts it. The Listen's id
  // comes from the listen's, so a listen emitted twice is still sent once.
  events.on('listen.qualified', async ({ listenId }) => {
    const listen = await svc.rt.listening.getListen(listenId);
    if (!listen || listen.status !== 'counted') return;
    const remote = (await svc.tracks.byId(listen.trackId)) ?? (await svc.tracks.byUri(listen.trackId));
    if (!remote) return;
    await svc.sendListen({
      listenId,
      userId: listen.userId,
      remoteTrackId: remote.id,
      qualifiedSeconds: listen.qualifiedSeconds,
      at: listen.qualifiedAt,
    });
  });

  // A listener's node subscription (money) is announced, as a Subscription to this node's
  // instance actor, to the remote artists the listener follows: their share comes from it.
  events.on('subscription.changed', async ({ subscriptionId }) => {
    const sub = await svc.rt.money.subscription(subscriptionId);
    if (!sub) return;
    const listener = await svc.actors.forUser(sub.userId);
    const [rows] = await svc.rt.db.query(
      `SELECT following_uri FROM federation_follows WHERE follower_uri = :u AND local_follower AND state = 'accepted'`,
      { replacements: { u: listener.uri } },
    );
    // Remote artists only: a channel of this node followed here hears of it from money, not a Subscription.
    const notify = (rows as { following_uri: string }[]).map((r) => r.following_uri).filter((uri) => !svc.rt.isLocal(uri));
    const status = ({ active: 'active', past_due: 'past_due', canceled: 'cancelled', lapsed: 'lapsed' } as const)[sub.status as 'active'] ?? 'active';
    await svc.sendSubscription({
      userId: sub.userId,
      object: svc.rt.instanceActorUri(),
      notify,
      subscriptionId,
      status,
      period: sub.currentMonth ?? undefined,
      amount: sub.amount,
      currency: sub.currency,
    });
  });

  // A tip to an artist on another node: the artist's node hears of it (the money is owed here).
  events.on('tip.sent', async ({ tipId }) => {
    const tip = await svc.rt.money.tipToSend(tipId);
    if (tip) await sendTip(svc, tip);
  });

  log.debug('federation bridge registered');
}
