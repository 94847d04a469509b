// oEmbed (https://oembed.com) for this node's track and channel pages: a "rich" answer whose html
// is an iframe of the embed page, sized within the consumer's maxwidth and maxheight.
import { z } from 'zod';
import { AppError, notFound } from '../http/errors.js';
import type { FeedsService } from './service.js';
import type { OEmbed } from '../../shared/api/index.js';
import { escapeXml as esc } from './xml.js';

export const oembedQuery = z.object({
  url: z.string().min(1).max(2000),
  format: z.string().optional(),
  maxwidth: z.coerce.number().int().min(1).optional(),
  maxheight: z.coerce.number().int().min(1).optional(),
});
export type OembedQuery = z.infer<typeof oembedQuery>;

/** The embed pages' natural sizes: a track's player bar, a channel's player with its track list. */
export const embedSizes = { tracks: { width: 560, height: 152 }, channels: { width: 560, height: 400 } } as const;

/** What a page URL of this node names: a track or a channel page, else undefined. */
export function pageOf(publicUrl: string, raw: string): { kind: 'tracks' | 'channels'; key: string } | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const own = new URL(publicUrl);
  if (url.host !== own.host) return undefined;
  const m = /^\/(tracks|channels|embed\/tracks|embed\/channels)\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) return undefined;
  let key: string;
  try {
    key = decodeURIComponent(m[2]);
  } catch {
    return undefined;
  }
  return { kind: m[1].endsWith('tracks') ? 'tracks' : 'channels', key };
}

/** The iframe snippet of an embed page (docs/feeds.md shows the same). */
export function iframeHtml(src: string, title: string, width: number, height: number): string {
  return `<iframe src="${esc(src)}" title="${esc(title)}" width="${width}" height="${height}" style="border:0;max-width:100%" allow="autoplay; encrypted-media" loading="lazy" sandbox="allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox"></iframe>`;
}

export async function oembed(feeds: FeedsService, q: OembedQuery): Promise<OEmbed> {
  if (q.format && q.format !== 'json') throw new AppError(501, 'format_not_implemented', 'Only format=json is served');
  const { config } = feeds.ctx;
  const page = pageOf(config.publicUrl, q.url);
  if (!page) throw notFound('Track or channel page of this node');
  const natural = embedSizes[page.kind];
  const width = Math.min(natural.width, q.maxwidth ?? Infinity);
  const height = Math.min(natural.height, q.maxheight ?? Infinity);
  const common = { version: '1.0' as const, type: 'rich' as const, provider_name: config.nodeName, provider_url: config.publicUrl, cache_age: 3600, width, height };
  if (page.kind === 'tracks') {
    const track = await feeds.embeddableTrack(page.key);
    const thumbnail = await feeds.coverSize(track);
    return {
      ...common,
      title: track.title,
      author_name: track.artist ?? track.channel.displayName,
      author_url: feeds.channelPage(track.channel.name),
      html: iframeHtml(feeds.embedUrl('tracks', track.id), `${track.title} on ${config.nodeName}`, width, height),
      ...(track.coverUrl && thumbnail ? { thumbnail_url: track.coverUrl, thumbnail_width: thumbnail.width, thumbnail_height: thumbnail.height } : {}),
    };
  }
  const channel = await feeds.channel(page.key);
  const [latest] = await feeds.channelTracks(channel, 1);
  const thumbnail = latest ? await feeds.coverSize(latest) : undefined;
  return {
    ...common,
    title: channel.displayName,
    author_name: channel.displayName,
    author_url: feeds.channelPage(channel.name),
    html: iframeHtml(feeds.embedUrl('channels', channel.name), `${channel.displayName} on ${config.nodeName}`, width, height),
    ...(latest?.coverUrl && thumbnail ? { thumbnail_url: latest.coverUrl, thumbnail_width: thumbnail.width, thumbnail_height: thumbnail.height } : {}),
  };
}
