// The tracks listening counts: this node's own (media's), other nodes' tracks played through
// this node's cache (the RemoteTracksPort, which node.ts wires to federation), and this node's
// live streams (the LiveStreamsPort, wired to live): a live stream's timeline is its segments'
// sequence numbers times the segment length, and it has no end while it runs.
import { Port, type NodeContext } from '../context.js';
import { notFound } from '../http/errors.js';
import { channelActorUri } from '../../shared/actor-uris.js';
import type { LiveStreamsPort, RemoteTracksPort } from './contract.js';

/** A track as listening needs it: whom its listening counts for, and whether it may be played. */
export interface ListeningTrack {
  id: string;
  channelId: string;
  /** The local account that owns the channel; null for another node's track. */
  ownerId: string | null;
  /** The artist's actor URI: what listening counts and money pays. */
  artist: string;
  durationSeconds: number | null;
  status: string;
  visibility: string;
}

export class Tracks {
  private readonly remote = new Port<RemoteTracksPort>('remote tracks');
  private readonly live = new Port<LiveStreamsPort>('live streams');

  constructor(private readonly ctx: NodeContext) {}

  useRemote(port: RemoteTracksPort): void {
    this.remote.wire(port);
  }

  useLive(port: LiveStreamsPort): void {
    this.live.wire(port);
  }

  /** A track of this node, or 404. */
  async local(id: string): Promise<ListeningTrack> {
    const track = await this.own(id);
    if (!track) throw notFound('Track');
    return track;
  }

  /** A track this node can play: its own, or another node's through its cache; 404 otherwise. */
  async playable(id: string): Promise<ListeningTrack> {
    const track = (await this.own(id)) ?? (await this.others(id)) ?? (await this.liveStream(id));
    if (!track) throw notFound('Track');
    return track;
  }

  private async liveStream(id: string): Promise<ListeningTrack | undefined> {
    const s = await this.live.get().streamForListening(id);
    if (!s) return undefined;
    // A live stream plays only while live; its length is open (null: no clamp on positions).
    return { id: s.id, channelId: s.channelId, ownerId: s.ownerId, artist: s.artistUri, durationSeconds: null, status: s.live ? 'ready' : 'ended', visibility: 'public' };
  }

  private async own(id: string): Promise<ListeningTrack | undefined> {
    const track = await this.ctx.services.media.getTrack(id);
    if (!track) return undefined;
    return {
      id: track.id,
      channelId: track.channel.id,
      ownerId: track.channel.ownerId,
      artist: channelActorUri(this.ctx.config.publicUrl, track.channel.name),
      durationSeconds: track.durationSeconds,
      status: track.status,
      visibility: track.visibility,
    };
  }

  private async others(id: string): Promise<ListeningTrack | undefined> {
    const track = await this.remote.get().trackForListening(id);
    if (!track) return undefined;
    // The cache offers only public tracks that stream; the remote channel is known by its actor.
    return { id: track.id, channelId: track.artistUri, ownerId: null, artist: track.artistUri, durationSeconds: track.durationSeconds, status: 'ready', visibility: 'public' };
  }
}
