// What other capabilities may ask of live, and the views its routes answer with.
import type * as api from '../../shared/api/index.js';

export type LiveStreamView = api.LiveStream;
export type LiveDirectory = api.LiveDirectory;
export type ChannelLiveView = api.ChannelLive;
export type LiveHealth = api.LiveHealth;

export interface LiveApi {
  /** A stream of this node, live or past (undefined: none). */
  view(id: string): Promise<LiveStreamView | undefined>;
  /** Streams live now here, and followed channels' streams elsewhere. */
  directory(): Promise<LiveDirectory>;
}
