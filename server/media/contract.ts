// What other capabilities may ask of media, and the events it emits to them.
import type { Channel, SegmentServed, TrackView } from './model.js';
import type { PlaylistView } from './playlists.js';

export interface MediaApi {
  getChannel(idOrName: string): Promise<Channel | undefined>;
  getTrack(id: string): Promise<TrackView | undefined>;
  getPlaylist(id: string): Promise<PlaylistView | undefined>;
  /** Event: a segment of a local track was served in full or in part (every 200/206). */
  onSegmentServed(listener: (e: SegmentServed) => void): void;
  /** Event: a channel was made (after commit). */
  onChannelCreated(listener: (c: Channel) => void | Promise<void>): void;
}
