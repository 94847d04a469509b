// What listening needs from media, read from `ctx.services.media` when it is used
// (media initialises first and publishes `mediaService`).
import type { NodeContext } from '../context.js';
import type { SegmentServed } from './segment-log.js';

export interface TrackForListening {
  id: string;
  channel: { id: string; name: string; ownerId: string | null };
  durationSeconds: number | null;
  /** 'ready' when it can be streamed. */
  status: string;
  visibility?: string;
}

export interface MediaPort {
  getTrack(id: string): Promise<TrackForListening | null | undefined> | TrackForListening | null | undefined;
  onSegmentServed?(listener: (e: SegmentServed) => void): void;
}

export function mediaPort(ctx: NodeContext): MediaPort | undefined {
  const media = ctx.services.media as MediaPort | undefined;
  return media && typeof media.getTrack === 'function' ? media : undefined;
}

/** The artist's actor URI for a local channel (the federation capability serves it). */
export const channelActorUri = (publicUrl: string, channelName: string) => `${publicUrl}/ap/channels/${encodeURIComponent(channelName)}`;

/** A track of another node played through this node (the federation capability's cache). */
export interface RemoteTrackForListening extends TrackForListening {
  /** The remote channel's actor URI: the artist listening counts and money pays. */
  artistUri: string;
}

/** What listening needs from federation, read from `ctx.services.federation` when used (it initialises after listening). */
export interface RemoteTrackPort {
  trackForListening(id: string): Promise<RemoteTrackForListening | undefined | null>;
}

export function remoteTrackPort(ctx: NodeContext): RemoteTrackPort | undefined {
  const federation = ctx.services.federation as Partial<RemoteTrackPort> | undefined;
  return federation && typeof federation.trackForListening === 'function' ? (federation as RemoteTrackPort) : undefined;
}
