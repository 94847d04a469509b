// The media service: what other capabilities may ask of media (MediaApi), and the parts its
// own routes and jobs use, one per use case: channels, tracks, playlists and the streaming
// hot path. Uploads and the transcode job live beside it (uploads.ts, transcode-job.ts).
import type { User } from '../accounts/service.js';
import type { NodeContext } from '../context.js';
import type { GatedTrack, MediaApi, MediaDiskUse, RelayPort, SegmentAccessPort } from './contract.js';
import { seenByOthers, setTrackHidden } from './moderation.js';
import { channelsOwnedBy } from './account-data.js';
import { DiskUse } from './disk-use.js';
import { SegmentAccess } from './segment-access.js';
import { MediaStorage } from './storage.js';
import { Channels } from './channels.js';
import { Tracks } from './tracks.js';
import { Playlists, type PlaylistView } from './playlists.js';
import { Streaming } from './streaming.js';
import type { Channel, SegmentServed, TrackView } from './model.js';
import type { Uploads } from './uploads.js';
import path from 'node:path';
import { Catalog, Library, type LibraryAlbum, type LibraryAlbumQuery, type LibraryArtist, type LibraryTrackQuery } from './catalog.js';
import type { TrackFiles } from './contract.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendProgressive } from './progressive-route.js';
import type { MeteredRequest } from './segment-meter.js';

export class MediaService implements MediaApi {
  readonly storage: MediaStorage;
  readonly channels: Channels;
  readonly tracks: Tracks;
  readonly playlists: Playlists;
  readonly streaming: Streaming;
  readonly access: SegmentAccess;
  readonly catalog: Catalog;
  readonly library: Library;

  constructor(readonly ctx: NodeContext) {
    const log = ctx.logger.child({ component: 'media' });
    this.storage = new MediaStorage(ctx.config.dataDir);
    this.channels = new Channels(ctx.db, log);
    this.playlists = new Playlists(ctx, this.storage, this.channels);
    this.streaming = new Streaming(ctx.db, this.storage, log);
    this.access = new SegmentAccess(ctx.config.publicUrl, ctx.config.money.currency, ctx.config.media.segmentSeconds);
    this.tracks = new Tracks(ctx, this.storage, {
      forget: (trackId) => this.streaming.forget(trackId),
      playlistsChanged: (trackId, t) => this.playlists.changedWith(trackId, t),
    });
    this.catalog = new Catalog(ctx.db, this.tracks, this.channels, this.playlists, () => ctx.config.publicUrl);
    this.library = new Library(ctx.db, this.tracks);
  }

  setTrackHidden(trackId: string, hidden: boolean): Promise<TrackView | undefined> {
    return setTrackHidden(this, trackId, hidden);
  }

  channelsOwnedBy(userId: string): Promise<Channel[]> {
    return channelsOwnedBy(this, userId);
  }

  private readonly disk = new DiskUse(() => this.storage);

  diskUse(): Promise<MediaDiskUse> {
    return this.disk.measure();
  }

  libraryArtists(viewerId: string | null): Promise<LibraryArtist[]> {
    return this.library.artists(viewerId);
  }

  libraryAlbums(q: LibraryAlbumQuery): Promise<LibraryAlbum[]> {
    return this.library.albums(q);
  }

  libraryTracks(q: LibraryTrackQuery): Promise<TrackView[]> {
    return this.library.tracksOf(q);
  }

  genres(limit: number) {
    return this.catalog.genres(limit);
  }

  async trackFiles(id: string): Promise<TrackFiles | undefined> {
    const row = await this.tracks.row(id);
    if (!row) return undefined;
    const dir = this.storage.streamingDir(row.id);
    return {
      original: { path: path.join(this.storage.root, 'originals', path.basename(row.original_file)), mime: row.original_mime },
      renditions: row.status === 'ready' ? row.renditions.map((r) => ({ name: r.name, bitrateKbps: r.bitrateKbps ?? null, playlist: path.join(dir, r.name, 'playlist.m3u8') })) : [],
      cover: row.cover_file ? path.join(this.storage.root, 'covers', path.basename(row.cover_file)) : null,
    };
  }

  playlistsOf(user: User): Promise<PlaylistView[]> {
    return this.playlists.list({ ownerId: user.id, viewer: user, limit: 200 }).then((p) => p.data);
  }

  createPlaylist(user: User, input: unknown): Promise<PlaylistView> {
    return this.playlists.create(user, input);
  }

  updatePlaylist(user: User, id: string, input: unknown): Promise<PlaylistView> {
    return this.playlists.update(user, id, input);
  }

  deletePlaylist(user: User, id: string): Promise<void> {
    return this.playlists.delete(user, id);
  }

  sendProgressive(trackId: string, req: IncomingMessage, res: ServerResponse, who: MeteredRequest): Promise<void> {
    return sendProgressive(this, trackId, req, res, who);
  }

  search(text: string, limit: number) {
    return this.catalog.search(text, limit);
  }

  /** Set by media's init: turns finished files into tracks (uploads.ts). */
  importer?: Pick<Uploads, 'importFile'>;

  async importRecording(input: { channelId: string; file: string; title: string; visibility: 'public' | 'unlisted' | 'private' }): Promise<{ trackId: string }> {
    const channel = await this.channels.get(input.channelId);
    if (!channel) throw new Error(`importRecording: no channel ${input.channelId}`);
    if (!this.importer) throw new Error('importRecording: media has not finished initialising');
    const trackId = await this.importer.importFile({
      file: input.file, filename: path.basename(input.file), channelId: channel.id, ownerId: channel.ownerId, visibility: input.visibility, allowDownload: false, title: input.title,
    });
    return { trackId };
  }

  getChannel(idOrName: string): Promise<Channel | undefined> {
    return this.channels.get(idOrName);
  }

  /** As the other capabilities see it: a hidden track is private to them (moderation.ts). */
  async getTrack(id: string): Promise<TrackView | undefined> {
    const track = await this.tracks.get(id);
    return track && seenByOthers(track);
  }

  async latestPublicTracks(limit: number, offset: number, channelIds?: string[]): Promise<TrackView[]> {
    return (await this.tracks.list({ limit, offset, channelIds })).data;
  }

  /** A playlist with the ready tracks `viewer` may see (anonymous when omitted: public and unlisted tracks), whatever its own visibility unless a viewer is given. */
  getPlaylist(id: string, viewer?: User | null): Promise<PlaylistView | undefined> {
    return this.playlists.get(id, viewer);
  }

  async gatedTrack(id: string): Promise<GatedTrack | undefined> {
    const entry = await this.streaming.streamEntry(id);
    return entry.row && entry.row.visibility !== 'private' && !entry.row.hidden ? this.access.gatedOf(entry) : undefined;
  }

  async segmentHashes(trackId: string, rendition: string): Promise<string[] | undefined> {
    return this.access.segmentHashesOf(await this.streaming.streamEntry(trackId), rendition);
  }

  useSegmentAccess(port: SegmentAccessPort): void {
    this.access.port.wire(port);
  }

  useRelays(port: RelayPort): void {
    this.access.relays.wire(port);
  }

  onSegmentServed(listener: (e: SegmentServed) => void): void {
    this.streaming.onSegmentServed(listener);
  }

  onChannelCreated(listener: (c: Channel) => void | Promise<void>): void {
    this.channels.onCreated(listener);
  }
}
