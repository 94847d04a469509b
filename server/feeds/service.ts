// The feeds capability's service: what podcast apps and other sites read of this node. A channel's
// and a playlist's feed (ready, public, free tracks only), oEmbed answers for track and channel
// pages, and what the embed pages and the pages' discovery links need. It reads media, money and
// the node's config; it owns no tables.
import type { NodeContext } from '../context.js';
import type { FeedsApi } from './contract.js';
import type { Channel, TrackView } from '../media/model.js';
import { notFound } from '../http/errors.js';
import { trackUri } from '../../shared/actor-uris.js';
import { podcastGuid } from './podcast-guid.js';
import { renderRss, type Feed, type FeedItem } from './rss.js';
import { fileSize, imageFileSize, type ImageSize } from './media-facts.js';

/** What a podcast app, an embed or an oEmbed consumer may show: ready, public and free (docs/feeds.md). */
export const isListed = (t: TrackView) => t.status === 'ready' && t.visibility === 'public' && t.access.mode === 'free';
/** What an embed may play (someone holding an unlisted track's link may embed it): ready, not private. */
export const isEmbeddable = (t: TrackView) => t.status === 'ready' && t.visibility !== 'private';

const licenseUrls: Record<string, string> = {
  'cc0-1.0': 'https://creativecommons.org/publicdomain/zero/1.0/',
  'cc-by-4.0': 'https://creativecommons.org/licenses/by/4.0/',
  'cc-by-sa-4.0': 'https://creativecommons.org/licenses/by-sa/4.0/',
  'cc-by-nd-4.0': 'https://creativecommons.org/licenses/by-nd/4.0/',
  'cc-by-nc-4.0': 'https://creativecommons.org/licenses/by-nc/4.0/',
  'cc-by-nc-sa-4.0': 'https://creativecommons.org/licenses/by-nc-sa/4.0/',
  'cc-by-nc-nd-4.0': 'https://creativecommons.org/licenses/by-nc-nd/4.0/',
};

export interface RenderedFeed {
  xml: string;
  /** The newest date the feed's content carries. */
  updated: Date;
}

export class FeedsService implements FeedsApi {
  constructor(readonly ctx: NodeContext) {}

  private get publicUrl(): string {
    return this.ctx.config.publicUrl;
  }

  trackPage = (id: string) => `${this.publicUrl}/tracks/${encodeURIComponent(id)}`;
  channelPage = (name: string) => `${this.publicUrl}/channels/${encodeURIComponent(name)}`;
  channelFeedUrl = (name: string) => `${this.publicUrl}/feeds/channels/${encodeURIComponent(name)}.rss`;
  playlistFeedUrl = (id: string) => `${this.publicUrl}/feeds/playlists/${encodeURIComponent(id)}.rss`;
  embedUrl = (kind: 'tracks' | 'channels', idOrName: string) => `${this.publicUrl}/embed/${kind}/${encodeURIComponent(idOrName)}`;
  /** The node's own icon: a feed's image when no track has a cover. */
  private get nodeImage() {
    return `${this.publicUrl}/icons/icon-512.png`;
  }

  async channel(name: string): Promise<Channel> {
    const channel = await this.ctx.services.media.getChannel(name);
    if (!channel) throw notFound('Channel');
    return channel;
  }

  /** A track an embed may show (ready, not private), else 404. */
  async embeddableTrack(id: string): Promise<TrackView> {
    const track = await this.ctx.services.media.getTrack(id).catch(() => undefined);
    if (!track || !isEmbeddable(track)) throw notFound('Track');
    return track;
  }

  /** A channel's ready public free tracks, newest first (audio: what media's library lists). */
  async channelTracks(channel: Channel, limit: number): Promise<TrackView[]> {
    const tracks = await this.ctx.services.media.libraryTracks({ viewerId: null, channelId: channel.id, order: 'newest', limit, offset: 0 });
    return tracks.filter(isListed);
  }

  /** The pixel size of a track's cover, when it has one this can read. */
  async coverSize(t: TrackView): Promise<ImageSize | undefined> {
    if (!t.coverUrl) return undefined;
    const cover = (await this.ctx.services.media.trackFiles(t.id))?.cover;
    return cover ? imageFileSize(cover) : undefined;
  }

  async channelFeed(name: string): Promise<RenderedFeed> {
    const channel = await this.channel(name);
    const tracks = await this.channelTracks(channel, this.ctx.config.feeds.maxItems);
    const campaigns = await this.ctx.services.money.channelCampaigns(channel.id);
    const open = campaigns.find((c) => c.status === 'open');
    const page = this.channelPage(channel.name);
    const funding = [
      { url: page, text: `Tip ${channel.displayName}` },
      ...(open ? [{ url: `${page}#invest`, text: `Invest in ${channel.displayName}: ${open.title}` }] : []),
      this.subscribeFunding(),
    ];
    return this.render(
      {
        selfUrl: this.channelFeedUrl(channel.name),
        title: channel.displayName,
        link: page,
        description: channel.description,
        author: channel.displayName,
        medium: 'music',
        funding,
      },
      tracks,
      new Date(channel.createdAt),
    );
  }

  async playlistFeed(id: string): Promise<RenderedFeed> {
    const playlist = await this.ctx.services.media.getPlaylist(id).catch(() => undefined);
    if (!playlist || playlist.visibility === 'private') throw notFound('Playlist');
    const tracks = playlist.tracks.filter(isListed).slice(0, this.ctx.config.feeds.maxItems);
    const owner = playlist.channel?.displayName ?? playlist.owner.username;
    const funding = [...(playlist.channel ? [{ url: this.channelPage(playlist.channel.name), text: `Tip ${playlist.channel.displayName}` }] : []), this.subscribeFunding()];
    return this.render(
      {
        selfUrl: this.playlistFeedUrl(playlist.id),
        title: playlist.title,
        link: `${this.publicUrl}/playlists/${encodeURIComponent(playlist.id)}`,
        description: playlist.description,
        author: owner,
        medium: 'musicL',
        funding,
      },
      tracks,
      new Date(playlist.updatedAt),
    );
  }

  /** The node's subscription: what pays the artists a listener plays most. */
  private subscribeFunding() {
    return { url: `${this.publicUrl}/me`, text: `Subscribe to ${this.ctx.config.nodeName}: your subscription pays the artists you listen to` };
  }

  private async render(head: Pick<Feed, 'selfUrl' | 'title' | 'link' | 'description' | 'author' | 'medium' | 'funding'>, tracks: TrackView[], since: Date): Promise<RenderedFeed> {
    const items = await Promise.all(tracks.map((t) => this.item(t)));
    const updated = new Date(Math.max(since.getTime(), ...items.map((i) => i.pubDate.getTime())));
    const feed: Feed = {
      ...head,
      guid: podcastGuid(head.selfUrl),
      image: tracks.find((t) => t.coverUrl)?.coverUrl ?? this.nodeImage,
      value: this.ctx.config.feeds.value,
      generator: `9ten (${this.ctx.config.nodeName})`,
      lastBuildDate: updated,
      items,
    };
    return { xml: renderRss(feed), updated };
  }

  private async item(t: TrackView): Promise<FeedItem> {
    const author = t.artist ?? t.channel.displayName;
    const license = licenseUrls[t.license] ? { id: t.license, url: licenseUrls[t.license] } : null;
    const parts = [`${t.title} by ${author}`, t.album ? `from ${t.album}` : null, t.genre ? `(${t.genre})` : null].filter(Boolean).join(' ');
    return {
      title: t.title,
      link: this.trackPage(t.id),
      guid: trackUri(this.publicUrl, t.id),
      description: `${parts}. ${license ? `Licence: ${t.license}.` : 'All rights reserved.'} Listen on ${this.ctx.config.nodeName}: ${this.trackPage(t.id)}`,
      pubDate: new Date(t.publishedAt ?? t.createdAt),
      enclosure: await this.enclosure(t),
      hls: t.streaming.masterPlaylistUrl,
      durationSeconds: t.durationSeconds,
      image: t.coverUrl,
      author,
      license,
    };
  }

  /**
   * The file a podcast app downloads: the progressive audio/mp4 file when media has made it (its
   * plays are metered like HLS plays), else the original when the artist allows downloads, else
   * the HLS stream (few apps play it; docs/feeds.md).
   */
  async enclosure(t: TrackView): Promise<FeedItem['enclosure']> {
    if (t.progressive) return { url: t.progressive.url, length: t.progressive.bytes, type: t.progressive.mimeType };
    if (t.downloadUrl) {
      const original = (await this.ctx.services.media.trackFiles(t.id))?.original;
      if (original) return { url: t.downloadUrl, length: (await fileSize(original.path)) ?? 0, type: original.mime };
    }
    return { url: t.streaming.masterPlaylistUrl ?? this.trackPage(t.id), length: 0, type: 'application/x-mpegURL' };
  }
}
