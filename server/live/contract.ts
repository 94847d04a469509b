// What other capabilities may ask of live, and the views its routes answer with.
import type * as api from '../../shared/api/index.js';
import type { LiveCatalogPort } from '../money/contract.js';
import type { LiveStreamsPort } from '../listening/contract.js';

export type LiveStreamView = api.LiveStream;
export type LiveDirectory = api.LiveDirectory;
export type ChannelLiveView = api.ChannelLive;
export type LiveHealth = api.LiveHealth;
export type LiveWatchView = api.LiveWatch;
export type LiveAccessView = api.LiveAccess;

export interface LiveApi extends LiveStreamsPort {
  /** A stream of this node, live or past (undefined: none). */
  view(id: string): Promise<LiveStreamView | undefined>;
  /** Streams live now here, and followed channels' streams elsewhere. */
  directory(): Promise<LiveDirectory>;
  /** Priced live streams as money sells them (wired into money by node.ts). */
  readonly catalog: LiveCatalogPort;
}
