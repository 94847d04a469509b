// Live streams of followed channels on other nodes, as their Stream activities told this node:
// started and not ended since. A start whose end never came stops counting after a day. Each
// one with an HLS playlist is watched here through this node (server/federation/remote-live.ts)
// under its watch id, a hash of its URI.
import { createHash } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { select } from '../db/index.js';
import type { RemoteLiveStream } from './contract.js';

export const watchIdOf = (streamUri: string): string => createHash('sha256').update(streamUri).digest('hex').slice(0, 32);

/** A followed live stream with where its HLS lives on its home node. */
export type FollowedLiveStream = RemoteLiveStream & { hlsUrl: string | null };

export async function followedLiveStreams(db: Sequelize, publicUrl: string, limit = 200): Promise<FollowedLiveStream[]> {
  const rows = await select<{ stream_uri: string; actor_uri: string; name: string | null; url: string | null; hls_url: string | null; at: Date; actor_name: string | null; username: string | null; host: string | null }>(
    db,
    `SELECT s.stream_uri, s.actor_uri, s.name, s.url, s.hls_url, s.at, a.name AS actor_name, a.preferred_username AS username, a.host
       FROM (SELECT DISTINCT ON (stream_uri) stream_uri, actor_uri, state, name, url, hls_url, at
               FROM federation_streams WHERE direction = 'in' ORDER BY stream_uri, at DESC, received_at DESC) s
       LEFT JOIN federation_remote_actors a ON a.uri = s.actor_uri
      WHERE s.state = 'started' AND s.at > now() - interval '1 day'
        AND EXISTS (SELECT 1 FROM federation_follows f WHERE f.following_uri = s.actor_uri AND f.state = 'accepted' AND f.local_follower)
      ORDER BY s.at DESC LIMIT :limit`,
    { limit },
  );
  return rows.map((r) => {
    const watchId = watchIdOf(r.stream_uri);
    const here = r.hls_url ? `${publicUrl}/live-remote/${watchId}` : null;
    return {
    uri: r.stream_uri,
    actorUri: r.actor_uri,
    channel: r.username && r.host ? `${r.username}@${r.host}` : r.actor_uri,
    channelName: r.actor_name ?? r.username ?? r.actor_uri,
    title: r.name ?? 'Live',
    url: r.url,
    startedAt: r.at.toISOString(),
    watchId,
    playlistUrl: here && `${here}/master.m3u8`,
    audioPlaylistUrl: here && `${here}/audio/index.m3u8`,
    hlsUrl: r.hls_url,
    };
  });
}
