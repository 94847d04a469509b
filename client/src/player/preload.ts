// Gapless-ish: a few seconds before a track ends, the next one's playlists and first segment are
// fetched into the browser's cache (segments are cached immutable), under the next track's own
// play session so the node counts them for the play they belong to. Metered segments are paid
// for as they play, never ahead: for those only the playlists are fetched.
import { accessToken } from '../api.js';
import { firstSegmentsOf, pickVariant, variantsOf } from '../lib/queue.js';
import type { Playable } from '../player.js';

export async function warmCache(track: Playable, sessionId: string | null, bandwidth: number | null, signal: AbortSignal): Promise<void> {
  const master = track.streaming.masterPlaylistUrl;
  if (!master) return;
  const headers: Record<string, string> = {};
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (sessionId) headers['X-Play-Session'] = sessionId;
  const get = async (url: string) => {
    const res = await fetch(url, { headers, signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res;
  };
  try {
    const masterUrl = new URL(master, location.href).href;
    const variant = pickVariant(variantsOf(await (await get(masterUrl)).text(), masterUrl), bandwidth);
    if (!variant) return;
    const playlist = await (await get(variant)).text();
    if (track.access?.mode === 'metered') return;
    for (const url of firstSegmentsOf(playlist, variant)) await (await get(url)).arrayBuffer();
  } catch {
    /* fetching ahead is a nicety: the track still plays, only with its usual start */
  }
}
