// What a Subsonic user keeps on the server: stars, scrobbles, the saved play queue and playlists.
import { AppError } from '../../http/errors.js';
import type { LibraryAlbum, LibraryArtist } from '../../media/contract.js';
import type { TrackView } from '../../media/index.js';
import type { StarKind } from '../store.js';
import { SubsonicCode, SubsonicError, missing, notFoundError, type Body } from './envelope.js';
import { parseId } from './ids.js';
import type { Call, Method } from './call.js';

/** The ids of star/unstar, each checked to name something the user may see. */
async function starItems(call: Call): Promise<{ itemId: string; kind: StarKind }[]> {
  const p = call.params;
  const ids = [...p.all('id'), ...p.all('albumId'), ...p.all('artistId')];
  if (!ids.length) throw missing('id');
  const out: { itemId: string; kind: StarKind }[] = [];
  for (const raw of ids) {
    const id = parseId(raw);
    if (id?.kind === 'song') out.push({ itemId: (await call.library.track(call.user, id.trackId)).id, kind: 'song' });
    else if (id?.kind === 'album') {
      await call.library.album(call.user, id.channelId, id.key);
      out.push({ itemId: raw.toLowerCase(), kind: 'album' });
    } else if (id?.kind === 'artist') {
      await call.library.artist(call.user, id.channelId);
      out.push({ itemId: raw.toLowerCase(), kind: 'artist' });
    } else throw notFoundError('Item');
  }
  return out;
}

const star: Method = async (call) => {
  await call.store.star(call.user.id, await starItems(call));
  return {};
};

const unstar: Method = async (call) => {
  const p = call.params;
  const ids = [...p.all('id'), ...p.all('albumId'), ...p.all('artistId')];
  if (!ids.length) throw missing('id');
  await call.store.unstar(call.user.id, ids.map((id) => id.toLowerCase()));
  return {};
};

/** The user's starred items they may still see, newest star first. */
async function starred(call: Call): Promise<{ artist: Body[]; album: Body[]; song: Body[] }> {
  const { library, user, store } = call;
  const stars = await store.stars(user.id);
  const artists: LibraryArtist[] = [];
  const albums: LibraryAlbum[] = [];
  const all = await library.artists(user);
  for (const s of stars) {
    const id = parseId(s.itemId);
    if (id?.kind === 'artist') {
      const a = all.find((x) => x.channel.id === id.channelId);
      if (a) artists.push(a);
    } else if (id?.kind === 'album') {
      const a = await library.album(user, id.channelId, id.key).catch(() => undefined);
      if (a) albums.push(a.album);
    }
  }
  const songIds = stars.filter((s) => s.kind === 'song').map((s) => s.itemId);
  const tracks = await library.tracks(user, { ids: songIds, order: 'stable', limit: songIds.length || 1, offset: 0 });
  const byId = new Map(tracks.map((t) => [t.id, t]));
  const songs = songIds.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
  return { artist: await library.artistBodies(user, artists), album: await library.albumBodies(user, albums), song: await library.songs(user, songs) };
}

const getStarred: Method = async (call) => ({ starred: { ...(await starred(call)) } });
const getStarred2: Method = async (call) => ({ starred2: { ...(await starred(call)) } });

/**
 * A scrobble (submission, the default) says the song was played: listening matches it to the
 * play session the user's `stream` opened and claims the track for it, so the listen counts by
 * what the node served (the 30 s rule and the anomaly rules apply as for the web player). A song
 * never streamed is stored for the user's statistics only. `submission=false` (now playing) stores nothing.
 */
const scrobble: Method = async (call) => {
  const p = call.params;
  const ids = p.all('id');
  if (!ids.length) throw missing('id');
  const times = p.all('time');
  if (!p.bool('submission', true)) {
    for (const id of ids) await call.library.track(call.user, id);
    return {};
  }
  for (const [i, id] of ids.entries()) {
    const track = await call.library.track(call.user, id);
    const ms = Number(times[i]);
    const at = Number.isFinite(ms) && ms > 0 ? new Date(Math.min(ms, Date.now())) : new Date();
    await call.ctx.services.listening.submitListens(
      call.user.id,
      'subsonic',
      [{ listenedAt: at, artistName: track.artist ?? track.channel.displayName, trackName: track.title, releaseName: track.album, durationSeconds: track.durationSeconds, trackId: track.id, payload: { id: track.id, time: times[i] ?? null, client: call.client } }],
      { reportProgress: true },
    );
  }
  return {};
};

const getPlayQueue: Method = async (call) => {
  const q = await call.store.playQueue(call.user.id);
  if (!q) return {};
  const tracks = await call.library.tracks(call.user, { ids: q.trackIds, order: 'stable', limit: q.trackIds.length, offset: 0 });
  const byId = new Map(tracks.map((t) => [t.id, t]));
  const entry = await call.library.songs(call.user, q.trackIds.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])));
  return { playQueue: { current: q.currentId ?? undefined, position: q.positionMs, username: call.user.username, changed: q.changedAt, changedBy: q.changedBy, entry } };
};

const savePlayQueue: Method = async (call) => {
  const p = call.params;
  const ids = p.all('id').slice(0, 5000);
  const current = p.str('current');
  await call.store.savePlayQueue(call.user.id, { trackIds: ids, currentId: current && ids.includes(current) ? current : (ids[0] ?? null), positionMs: p.int('position', 0), changedBy: call.client });
  return {};
};

// --- playlists (media's, the user's own) ---

/** Media's refusals as Subsonic errors. */
async function playlistCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError && err.status === 404) throw notFoundError('Playlist');
    if (err instanceof AppError && err.status === 403) throw new SubsonicError(SubsonicCode.notAuthorized, err.message);
    if (err instanceof AppError && err.status < 500) throw new SubsonicError(SubsonicCode.generic, err.message);
    throw err;
  }
}

async function playlistBody(call: Call, id: string, withEntries: boolean): Promise<Body> {
  const p = await call.ctx.services.media.getPlaylist(id, call.user);
  if (!p) throw notFoundError('Playlist');
  const body = call.library.playlistBody(p, p.owner.username);
  if (!withEntries) return body;
  const audio: TrackView[] = p.tracks.filter((t) => t.kind === 'audio');
  return { ...body, entry: await call.library.songs(call.user, audio) };
}

const getPlaylists: Method = async (call) => {
  const own = await call.ctx.services.media.playlistsOf(call.user);
  return { playlists: { playlist: own.map((p) => call.library.playlistBody(p, call.user.username)) } };
};

const getPlaylist: Method = async (call) => ({ playlist: await playlistBody(call, call.params.required('id'), true) });

/** createPlaylist: a new (private) playlist of the songs, or with playlistId the songs of that one replaced. */
const createPlaylist: Method = async (call) => {
  const p = call.params;
  const songIds = p.all('songId');
  const existing = p.str('playlistId');
  const media = call.ctx.services.media;
  const id = await playlistCall(async () => {
    if (existing) return (await media.updatePlaylist(call.user, existing, { trackIds: songIds, ...(p.str('name') ? { title: p.str('name') } : {}) })).id;
    const created = await media.createPlaylist(call.user, { title: p.required('name'), visibility: 'private' });
    if (songIds.length) await media.updatePlaylist(call.user, created.id, { trackIds: songIds });
    return created.id;
  });
  return { playlist: await playlistBody(call, id, true) };
};

const updatePlaylist: Method = async (call) => {
  const p = call.params;
  const id = p.required('playlistId');
  const media = call.ctx.services.media;
  const current = await media.getPlaylist(id, call.user);
  if (!current) throw notFoundError('Playlist');
  const remove = new Set(p.all('songIndexToRemove').map(Number));
  const trackIds = [...current.tracks.map((t) => t.id).filter((_, i) => !remove.has(i)), ...p.all('songIdToAdd')];
  const pub = p.str('public');
  await playlistCall(() =>
    media.updatePlaylist(call.user, id, {
      ...(p.str('name') ? { title: p.str('name') } : {}),
      ...(p.str('comment') !== undefined ? { description: p.str('comment') } : {}),
      ...(pub !== undefined ? { visibility: p.bool('public', false) ? 'public' : 'private' } : {}),
      trackIds,
    }),
  );
  return {};
};

const deletePlaylist: Method = async (call) => {
  await playlistCall(() => call.ctx.services.media.deletePlaylist(call.user, call.params.required('id')));
  return {};
};

export const userDataMethods: Record<string, Method> = {
  star,
  unstar,
  getStarred,
  getStarred2,
  scrobble,
  getPlayQueue,
  savePlayQueue,
  getPlaylists,
  getPlaylist,
  createPlaylist,
  updatePlaylist,
  deletePlaylist,
};
