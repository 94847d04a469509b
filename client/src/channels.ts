// The signed-in artist's channels, fetched once per session.
import { api, onSessionChange, session } from './api.js';
import type { Channel, ChannelPage } from '../../shared/api/index.js';

let cache: Promise<Channel[]> | null = null;
onSessionChange(() => {
  cache = null;
});

export function myChannels(refresh = false): Promise<Channel[]> {
  if (!session()) return Promise.resolve([]);
  if (refresh || !cache) {
    cache = api<ChannelPage>('GET', '/api/v1/me/channels').then((r) => r.data);
    cache.catch(() => {
      cache = null;
    });
  }
  return cache;
}

export async function ownsChannel(channelId: string): Promise<boolean> {
  const s = session();
  if (!s || !['artist', 'moderator', 'admin'].includes(s.user.role)) return false;
  try {
    return (await myChannels()).some((c) => c.id === channelId);
  } catch {
    return false;
  }
}
