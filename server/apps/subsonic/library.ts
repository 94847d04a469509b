// The node's catalogue as Subsonic shows it: media's library (ready public audio tracks and the
// user's own) mapped onto Subsonic's artists (channels), albums (album tags per channel) and songs
// (tracks), with the user's stars. What a user may not see answers "not found" (70).
import type { NodeContext } from '../../context.js';
import type { User } from '../../accounts/index.js';
import type { LibraryAlbum, LibraryArtist, LibraryAlbumQuery, LibraryTrackQuery } from '../../media/contract.js';
import type { PlaylistView, TrackView } from '../../media/index.js';
import type { AppsStore } from '../store.js';
import { albumId, albumKey, artistId } from './ids.js';
import { notFoundError, type Body } from './envelope.js';

/** What `stream` sends when the client asks for no format: MP3 at this bitrate (kbps). */
export const defaultStream = { suffix: 'mp3', contentType: 'audio/mpeg', kbps: 192 } as const;

export const singlesTitle = 'Singles';

const albumTitle = (album: string | null) => album ?? singlesTitle;
const yearOf = (iso: string | null) => (iso ? new Date(iso).getUTCFullYear() : undefined);
/** Characters a path segment may not carry (clients show `path` as a file path). */
const pathSafe = (s: string) => s.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').slice(0, 120);

export type Stars = Map<string, string>;

export class SubsonicLibrary {
  constructor(
    private readonly ctx: NodeContext,
    private readonly store: AppsStore,
  ) {}

  private get media() {
    return this.ctx.services.media;
  }

  /** The user's stars among these ids (id → when). */
  async starsOf(user: User, ids: string[]): Promise<Stars> {
    const stars = await this.store.stars(user.id, { itemIds: [...new Set(ids)] });
    return new Map(stars.map((s) => [s.itemId, s.starredAt]));
  }

  // --- reading, as the user may see it ---

  /** A track the user may play in an app: ready audio, not private unless theirs. */
  async track(user: User, id: string): Promise<TrackView> {
    const t = await this.media.getTrack(id);
    const own = !!t && (user.role === 'admin' || t.channel.ownerId === user.id);
    if (!t || t.status !== 'ready' || t.kind !== 'audio' || (t.visibility === 'private' && !own)) throw notFoundError('Song');
    return t;
  }

  async artists(user: User): Promise<LibraryArtist[]> {
    return this.media.libraryArtists(user.id);
  }

  async artist(user: User, channelId: string): Promise<LibraryArtist> {
    const a = (await this.artists(user)).find((x) => x.channel.id === channelId);
    if (!a) throw notFoundError('Artist');
    return a;
  }

  albums(user: User, q: Omit<LibraryAlbumQuery, 'viewerId'>): Promise<LibraryAlbum[]> {
    return this.media.libraryAlbums({ ...q, viewerId: user.id });
  }

  tracks(user: User, q: Omit<LibraryTrackQuery, 'viewerId'>): Promise<TrackView[]> {
    return this.media.libraryTracks({ ...q, viewerId: user.id });
  }

  /** The channel's albums (every one: a channel has a few hundred at most). */
  albumsOfArtist(user: User, channelId: string): Promise<LibraryAlbum[]> {
    return this.albums(user, { channelId, order: 'year', limit: 5000, offset: 0 });
  }

  /** An album by its Subsonic id's parts, with its songs in track order. */
  async album(user: User, channelId: string, key: string): Promise<{ album: LibraryAlbum; songs: TrackView[] }> {
    const album = (await this.albumsOfArtist(user, channelId)).find((a) => albumKey(a.album) === key);
    if (!album) throw notFoundError('Album');
    const songs = await this.tracks(user, { channelId, album: album.album, order: 'album', limit: 5000, offset: 0 });
    return { album, songs };
  }

  /** The albums holding these tracks, in the tracks' order, each once. */
  async albumsOfTracks(user: User, trackIds: string[]): Promise<LibraryAlbum[]> {
    const tracks = await this.tracks(user, { ids: trackIds, order: 'stable', limit: trackIds.length || 1, offset: 0 });
    const byId = new Map(tracks.map((t) => [t.id, t]));
    const wanted: { channelId: string; album: string | null }[] = [];
    const seen = new Set<string>();
    for (const id of trackIds) {
      const t = byId.get(id);
      if (!t) continue;
      const key = albumId(t.channel.id, t.album);
      if (!seen.has(key)) {
        seen.add(key);
        wanted.push({ channelId: t.channel.id, album: t.album });
      }
    }
    const out: LibraryAlbum[] = [];
    const perChannel = new Map<string, LibraryAlbum[]>();
    for (const w of wanted) {
      let albums = perChannel.get(w.channelId);
      if (!albums) perChannel.set(w.channelId, (albums = await this.albumsOfArtist(user, w.channelId)));
      const a = albums.find((x) => x.album === w.album);
      if (a) out.push(a);
    }
    return out;
  }

  // --- mapping onto Subsonic's shapes ---

  songBody(t: TrackView, stars: Stars): Body {
    const artistName = t.artist ?? t.channel.displayName;
    const album = albumTitle(t.album);
    const best = Math.max(0, ...t.streaming.renditions.map((r) => r.bitrateKbps ?? 0));
    return {
      id: t.id,
      parent: albumId(t.channel.id, t.album),
      isDir: false,
      title: t.title,
      album,
      artist: artistName,
      track: t.trackNumber ?? undefined,
      year: yearOf(t.publishedAt),
      genre: t.genre ?? undefined,
      coverArt: t.coverUrl ? t.id : undefined,
      contentType: defaultStream.contentType,
      suffix: defaultStream.suffix,
      duration: Math.round(t.durationSeconds ?? 0),
      bitRate: Math.min(defaultStream.kbps, best || defaultStream.kbps),
      path: `${pathSafe(t.channel.displayName)}/${pathSafe(album)}/${pathSafe(t.title)}.${defaultStream.suffix}`,
      created: t.createdAt,
      albumId: albumId(t.channel.id, t.album),
      artistId: artistId(t.channel.id),
      type: 'music',
      isVideo: false,
      starred: stars.get(t.id),
      // OpenSubsonic
      mediaType: 'song',
      displayArtist: artistName,
    };
  }

  albumBody(a: LibraryAlbum, stars: Stars): Body {
    const id = albumId(a.channel.id, a.album);
    return {
      id,
      parent: artistId(a.channel.id),
      isDir: true,
      title: albumTitle(a.album),
      name: albumTitle(a.album),
      album: albumTitle(a.album),
      artist: a.channel.displayName,
      artistId: artistId(a.channel.id),
      coverArt: a.coverTrackId ? id : undefined,
      songCount: a.tracks,
      duration: a.durationSeconds,
      created: a.createdAt,
      year: a.year ?? undefined,
      genre: a.genre ?? undefined,
      starred: stars.get(id),
      // OpenSubsonic
      displayArtist: a.channel.displayName,
      mediaType: 'album',
    };
  }

  artistBody(a: LibraryArtist, stars: Stars): Body {
    const id = artistId(a.channel.id);
    return { id, name: a.channel.displayName, coverArt: a.coverTrackId ? id : undefined, albumCount: a.albums, starred: stars.get(id) };
  }

  playlistBody(p: PlaylistView, owner: string): Body {
    return {
      id: p.id,
      name: p.title,
      comment: p.description || undefined,
      owner,
      public: p.visibility === 'public',
      songCount: p.tracks.length,
      duration: Math.round(p.tracks.reduce((s, t) => s + (t.durationSeconds ?? 0), 0)),
      created: p.createdAt,
      changed: p.updatedAt,
      coverArt: p.tracks.find((t) => t.coverUrl)?.id,
    };
  }

  /** Songs with the user's stars. */
  async songs(user: User, tracks: TrackView[]): Promise<Body[]> {
    const stars = await this.starsOf(user, tracks.map((t) => t.id));
    return tracks.filter((t) => t.kind === 'audio').map((t) => this.songBody(t, stars));
  }

  async albumBodies(user: User, albums: LibraryAlbum[]): Promise<Body[]> {
    const stars = await this.starsOf(user, albums.map((a) => albumId(a.channel.id, a.album)));
    return albums.map((a) => this.albumBody(a, stars));
  }

  async artistBodies(user: User, artists: LibraryArtist[]): Promise<Body[]> {
    const stars = await this.starsOf(user, artists.map((a) => artistId(a.channel.id)));
    return artists.map((a) => this.artistBody(a, stars));
  }

}
