// Subsonic's browsing methods: the server and its folder, artists, albums, songs, genres, album
// lists, random songs and search. Sync clients (Symfonium) page through search3 with query "":
// every list here has a stable order.
import type { LibraryAlbumOrder } from '../../media/contract.js';
import type { TrackView } from '../../media/index.js';
import { SubsonicCode, SubsonicError, notFoundError, type Body } from './envelope.js';
import { albumId, artistId, parseId } from './ids.js';
import type { Call, Method } from './call.js';

const folderId = 1;

/** The index letter of a name: its first letter, "#" for anything else. */
const indexOf = (name: string) => {
  const c = name.normalize('NFKD').replace(/\p{M}+/gu, '').charAt(0).toUpperCase();
  return /[A-Z]/.test(c) ? c : '#';
};

function byIndex(items: { name: string; body: Body }[]): Body[] {
  const groups = new Map<string, Body[]>();
  for (const i of items) {
    const k = indexOf(i.name);
    groups.set(k, [...(groups.get(k) ?? []), i.body]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === '#' ? 1 : b === '#' ? -1 : a.localeCompare(b))).map(([name, artist]) => ({ name, artist }));
}

async function artistIndex(call: Call): Promise<Body[]> {
  const artists = await call.library.artists(call.user);
  const bodies = await call.library.artistBodies(call.user, artists);
  return byIndex(artists.map((a, i) => ({ name: a.channel.displayName, body: bodies[i] })));
}

const ping: Method = async () => ({});

const getLicense: Method = async () => ({ license: { valid: true } });

const getOpenSubsonicExtensions: Method = async () => ({
  openSubsonicExtensions: [
    { name: 'apiKeyAuthentication', versions: [1] },
    { name: 'formPost', versions: [1] },
    { name: 'transcodeOffset', versions: [1] },
  ],
});

const getMusicFolders: Method = async ({ ctx }) => ({ musicFolders: { musicFolder: [{ id: folderId, name: ctx.config.nodeName }] } });

const getIndexes: Method = async (call) => ({ indexes: { ignoredArticles: '', lastModified: Date.now(), index: await artistIndex(call) } });

const getArtists: Method = async (call) => ({ artists: { ignoredArticles: '', index: await artistIndex(call) } });

const getArtist: Method = async (call) => {
  const id = parseId(call.params.required('id'));
  if (id?.kind !== 'artist') throw notFoundError('Artist');
  const artist = await call.library.artist(call.user, id.channelId);
  const [body] = await call.library.artistBodies(call.user, [artist]);
  const albums = await call.library.albumsOfArtist(call.user, id.channelId);
  return { artist: { ...body, album: await call.library.albumBodies(call.user, albums) } };
};

const getAlbum: Method = async (call) => {
  const id = parseId(call.params.required('id'));
  if (id?.kind !== 'album') throw notFoundError('Album');
  const { album, songs } = await call.library.album(call.user, id.channelId, id.key);
  const [body] = await call.library.albumBodies(call.user, [album]);
  return { album: { ...body, song: await call.library.songs(call.user, songs) } };
};

const getSong: Method = async (call) => {
  const track = await call.library.track(call.user, call.params.required('id'));
  const [song] = await call.library.songs(call.user, [track]);
  return { song };
};

/** The folder view: the node's folder holds artists, an artist its albums, an album its songs. */
const getMusicDirectory: Method = async (call) => {
  const raw = call.params.required('id');
  const id = parseId(raw);
  if (id?.kind === 'artist') {
    const artist = await call.library.artist(call.user, id.channelId);
    const albums = await call.library.albumBodies(call.user, await call.library.albumsOfArtist(call.user, id.channelId));
    return { directory: { id: artistId(id.channelId), parent: String(folderId), name: artist.channel.displayName, albumCount: albums.length, child: albums } };
  }
  if (id?.kind === 'album') {
    const { album, songs } = await call.library.album(call.user, id.channelId, id.key);
    const [body] = await call.library.albumBodies(call.user, [album]);
    return { directory: { id: body.id, parent: artistId(id.channelId), name: body.name, songCount: songs.length, child: await call.library.songs(call.user, songs) } };
  }
  if (raw === String(folderId)) {
    const artists = await call.library.artists(call.user);
    return { directory: { id: String(folderId), name: call.ctx.config.nodeName, child: artists.map((a) => ({ id: artistId(a.channel.id), parent: String(folderId), isDir: true, title: a.channel.displayName, artist: a.channel.displayName })) } };
  }
  throw notFoundError('Directory');
};

const getGenres: Method = async ({ ctx }) => {
  const genres = await ctx.services.media.genres(500);
  return { genres: { genre: genres.map((g) => ({ songCount: g.tracks, albumCount: 0, value: g.name })) } };
};

const listTypes: Record<string, LibraryAlbumOrder> = { random: 'random', newest: 'newest', alphabeticalByName: 'name', alphabeticalByArtist: 'artist', byYear: 'year', byGenre: 'name' };

/** getAlbumList(2)'s albums of a type; `frequent` is the node's most played of the last 90 days, `recent` the user's last played. */
async function albumList(call: Call): Promise<Body[]> {
  const p = call.params;
  const type = p.required('type');
  const size = p.int('size', 10, { min: 1, max: 500 });
  const offset = p.int('offset', 0, { min: 0, max: 1_000_000 });
  const { library, user, ctx } = call;
  if (listTypes[type]) {
    const genre = type === 'byGenre' ? p.required('genre') : undefined;
    const years = type === 'byYear' ? { from: Number(p.required('fromYear')) || 0, to: Number(p.required('toYear')) || 0 } : undefined;
    return library.albumBodies(user, await library.albums(user, { order: listTypes[type], genre, years, limit: size, offset }));
  }
  let trackIds: string[];
  if (type === 'frequent' || type === 'highest') {
    trackIds = (await ctx.services.listening.trending(new Date(Date.now() - 90 * 86_400_000), 1000)).map((t) => t.trackId);
  } else if (type === 'recent') {
    trackIds = (await ctx.services.listening.recentTracks(user.id, 1000)).map((t) => t.trackId);
  } else if (type === 'starred') {
    const starred = await call.store.stars(user.id, { kind: 'album' });
    const albums = [];
    for (const s of starred.slice(offset, offset + size)) {
      const id = parseId(s.itemId);
      if (id?.kind === 'album') albums.push(await library.album(user, id.channelId, id.key).then((a) => a.album, () => undefined));
    }
    return library.albumBodies(user, albums.filter((a) => a !== undefined));
  } else {
    throw new SubsonicError(SubsonicCode.generic, `Unknown album list type: ${type}`);
  }
  const albums = await library.albumsOfTracks(user, trackIds);
  return library.albumBodies(user, albums.slice(offset, offset + size));
}

const getAlbumList: Method = async (call) => ({ albumList: { album: await albumList(call) } });
const getAlbumList2: Method = async (call) => ({ albumList2: { album: await albumList(call) } });

const getRandomSongs: Method = async (call) => {
  const p = call.params;
  const from = p.optionalInt('fromYear');
  const to = p.optionalInt('toYear');
  const years = from !== undefined || to !== undefined ? { from: from ?? 0, to: to ?? 9999 } : undefined;
  const tracks = await call.library.tracks(call.user, { order: 'random', genre: p.str('genre') || undefined, years, limit: p.int('size', 10, { min: 1, max: 500 }), offset: 0 });
  return { randomSongs: { song: await call.library.songs(call.user, tracks) } };
};

const getSongsByGenre: Method = async (call) => {
  const p = call.params;
  const tracks = await call.library.tracks(call.user, { order: 'newest', genre: p.required('genre'), limit: p.int('count', 10, { min: 1, max: 500 }), offset: p.int('offset', 0) });
  return { songsByGenre: { song: await call.library.songs(call.user, tracks) } };
};

/** A query as clients send it: some wrap "" in quotes, some send `*`; both mean everything. */
const queryText = (q: string | undefined) => (q ?? '').trim().replace(/^"(.*)"$/, '$1').replace(/^\*$/, '').trim();

interface SearchResult {
  artist: Body[];
  album: Body[];
  song: Body[];
}

/**
 * search2/search3: an empty query lists everything, paged (artists by name, albums by artist,
 * songs by when they were added: a stable order for syncing). A text query ranks matches
 * (media's search) and pages through them.
 */
async function search(call: Call): Promise<SearchResult> {
  const p = call.params;
  const page = (prefix: string, fallback: number) => ({ limit: p.int(`${prefix}Count`, fallback, { min: 0, max: 500 }), offset: p.int(`${prefix}Offset`, 0, { min: 0, max: 10_000_000 }) });
  const artists = page('artist', 20);
  const albums = page('album', 20);
  const songs = page('song', 20);
  const { library, user, ctx } = call;
  const text = queryText(p.str('query'));
  if (!text) {
    const [ar, al, so] = await Promise.all([
      artists.limit ? library.artists(user).then((xs) => xs.slice(artists.offset, artists.offset + artists.limit)) : [],
      albums.limit ? library.albums(user, { order: 'artist', ...albums }) : [],
      songs.limit ? library.tracks(user, { order: 'stable', ...songs }) : [],
    ]);
    return { artist: await library.artistBodies(user, ar), album: await library.albumBodies(user, al), song: await library.songs(user, so) };
  }
  const want = Math.min(500, Math.max(artists.offset + artists.limit, albums.offset + albums.limit, songs.offset + songs.limit));
  const found = await ctx.services.media.search(text, want);
  const channelIds = new Set(found.channels.map((c) => c.id));
  const allArtists = (await library.artists(user)).filter((a) => channelIds.has(a.channel.id));
  const albumIds = found.albums.map((a) => albumId(a.channel.id, a.title));
  const albumList = [];
  for (const id of albumIds.slice(albums.offset, albums.offset + albums.limit)) {
    const parsed = parseId(id);
    if (parsed?.kind === 'album') albumList.push(await library.album(user, parsed.channelId, parsed.key).then((a) => a.album, () => undefined));
  }
  const tracks: TrackView[] = found.tracks.filter((t) => t.kind === 'audio').slice(songs.offset, songs.offset + songs.limit);
  return {
    artist: await library.artistBodies(user, allArtists.slice(artists.offset, artists.offset + artists.limit)),
    album: await library.albumBodies(user, albumList.filter((a) => a !== undefined)),
    song: await library.songs(user, tracks),
  };
}

const search2: Method = async (call) => ({ searchResult2: { ...(await search(call)) } });
const search3: Method = async (call) => ({ searchResult3: { ...(await search(call)) } });

const getUser: Method = async ({ user, params }) => {
  const name = params.required('username');
  if (name.toLowerCase() !== user.username.toLowerCase()) throw new SubsonicError(SubsonicCode.notAuthorized, 'Only your own user is shown to an app');
  return {
    user: {
      username: user.username,
      email: user.email ?? undefined,
      scrobblingEnabled: true,
      adminRole: user.role === 'admin',
      settingsRole: false,
      downloadRole: true,
      uploadRole: false,
      playlistRole: true,
      coverArtRole: true,
      commentRole: false,
      podcastRole: false,
      streamRole: true,
      jukeboxRole: false,
      shareRole: false,
      videoConversionRole: false,
      folder: [folderId],
    },
  };
};

export const browseMethods: Record<string, Method> = {
  ping,
  getLicense,
  getOpenSubsonicExtensions,
  getMusicFolders,
  getIndexes,
  getArtists,
  getArtist,
  getAlbum,
  getSong,
  getMusicDirectory,
  getGenres,
  getAlbumList,
  getAlbumList2,
  getRandomSongs,
  getSongsByGenre,
  search2,
  search3,
  getUser,
};
