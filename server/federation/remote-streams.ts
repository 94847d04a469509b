// Live streams of followed channels on other nodes, as their Stream activities told this node:
// started and not ended since. A start whose end never came stops counting after a day.
import type { Sequelize } from 'sequelize';
import { select } from '../db/index.js';
import type { RemoteLiveStream } from './contract.js';

export async function followedLiveStreams(db: Sequelize, limit = 200): Promise<RemoteLiveStream[]> {
  const rows = await select<{ stream_uri: string; actor_uri: string; name: string | null; url: string | null; at: Date; actor_name: string | null; username: string | null; host: string | null }>(
    db,
    `SELECT s.stream_uri, s.actor_uri, s.name, s.url, s.at, a.name AS actor_name, a.preferred_username AS username, a.host
       FROM (SELECT DISTINCT ON (stream_uri) stream_uri, actor_uri, state, name, url, at
               FROM federation_streams WHERE direction = 'in' ORDER BY stream_uri, at DESC, received_at DESC) s
       LEFT JOIN federation_remote_actors a ON a.uri = s.actor_uri
      WHERE s.state = 'started' AND s.at > now() - interval '1 day'
        AND EXISTS (SELECT 1 FROM federation_follows f WHERE f.following_uri = s.actor_uri AND f.state = 'accepted' AND f.local_follower)
      ORDER BY s.at DESC LIMIT :limit`,
    { limit },
  );
  return rows.map((r) => ({
    uri: r.stream_uri,
    actorUri: r.actor_uri,
    channel: r.username && r.host ? `${r.username}@${r.host}` : r.actor_uri,
    channelName: r.actor_name ?? r.username ?? r.actor_uri,
    title: r.name ?? 'Live',
    url: r.url,
    startedAt: r.at.toISOString(),
  }));
}
