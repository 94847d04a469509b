// The discovery links of the web client's track and channel pages, in the HTML a crawler
// fetches: the client renders in the browser, so these pages are the client's index.html with
// `<link rel="alternate">` tags (oEmbed, and the channel's RSS feed) added to its head.
import type { FeedsService } from './service.js';
import { clientIndexHtml } from './client-build.js';
import { escapeXml as esc } from './xml.js';

/** The link tags of a track or channel page, none when the page shows nothing embeddable. */
export async function discoveryLinks(feeds: FeedsService, kind: 'tracks' | 'channels', key: string): Promise<string[]> {
  const oembedLink = (page: string, title: string) =>
    `<link rel="alternate" type="application/json+oembed" href="${esc(`${feeds.ctx.config.publicUrl}/services/oembed?url=${encodeURIComponent(page)}&format=json`)}" title="${esc(title)}">`;
  const rssLink = (channel: { name: string; displayName: string }) => `<link rel="alternate" type="application/rss+xml" href="${esc(feeds.channelFeedUrl(channel.name))}" title="${esc(channel.displayName)}">`;
  if (kind === 'tracks') {
    const track = await feeds.embeddableTrack(key).catch(() => undefined);
    if (!track) return [];
    return [oembedLink(feeds.trackPage(track.id), track.title), ...(track.visibility === 'public' ? [rssLink(track.channel)] : [])];
  }
  const channel = await feeds.channel(key).catch(() => undefined);
  if (!channel) return [];
  return [oembedLink(feeds.channelPage(channel.name), channel.displayName), rssLink(channel)];
}

/** The client's index.html with the links in its head, or undefined when the client is not built. */
export async function pageWithLinks(feeds: FeedsService, kind: 'tracks' | 'channels', key: string): Promise<string | undefined> {
  const html = clientIndexHtml();
  if (html === undefined) return undefined;
  const links = await discoveryLinks(feeds, kind, key);
  return links.length ? html.replace('</head>', `    ${links.join('\n    ')}\n  </head>`) : html;
}
