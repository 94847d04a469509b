// A feed as RSS 2.0 with the iTunes and Podcasting 2.0 namespaces.
import { el, xmlDocument, type XmlElement } from './xml.js';
import type { ValueBlock } from './config.js';

export interface FeedItem {
  title: string;
  /** The track's page. */
  link: string;
  /** The track's ActivityPub id (stable, not a URL to fetch). */
  guid: string;
  description: string;
  pubDate: Date;
  enclosure: { url: string; length: number; type: string };
  /** The HLS stream, offered as a podcast:alternateEnclosure besides the enclosure. */
  hls: string | null;
  durationSeconds: number | null;
  image: string | null;
  author: string;
  /** The track's licence (an SPDX-like id and the licence's URL), none for all rights reserved. */
  license: { id: string; url: string } | null;
}

export interface Feed {
  /** The feed's own URL (atom:link rel=self, and what podcast:guid is made from). */
  selfUrl: string;
  guid: string;
  title: string;
  /** The page the feed stands for (a channel's or a playlist's). */
  link: string;
  description: string;
  author: string;
  image: string;
  /** "music" for a channel, "musicL" (a list of music) for a playlist. */
  medium: 'music' | 'musicL';
  funding: { url: string; text: string }[];
  value: ValueBlock | null;
  generator: string;
  lastBuildDate: Date;
  items: FeedItem[];
}

const namespaces = {
  'xmlns:itunes': 'http://www.itunes.com/dtds/podcast-1.0.dtd',
  'xmlns:podcast': 'https://podcastindex.org/namespace/1.0',
  'xmlns:atom': 'http://www.w3.org/2005/Atom',
  'xmlns:content': 'http://purl.org/rss/1.0/modules/content/',
};

/** RFC 822 dates, as RSS 2.0 wants them. */
const rfc822 = (d: Date) => d.toUTCString();
/** podcast:funding's text is at most 128 characters. */
const short = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function valueBlock(v: ValueBlock): XmlElement {
  return el(
    'podcast:value',
    { type: v.type, method: v.method, suggested: v.suggested },
    ...v.recipients.map((r) =>
      el('podcast:valueRecipient', { name: r.name, type: r.type, address: r.address, split: r.split, customKey: r.customKey, customValue: r.customValue, fee: r.fee ? 'true' : undefined }),
    ),
  );
}

function item(i: FeedItem): XmlElement {
  return el(
    'item',
    {},
    el('title', {}, i.title),
    el('link', {}, i.link),
    el('guid', { isPermaLink: 'false' }, i.guid),
    el('description', {}, i.description),
    el('pubDate', {}, rfc822(i.pubDate)),
    el('enclosure', { url: i.enclosure.url, length: i.enclosure.length, type: i.enclosure.type }),
    i.hls && el('podcast:alternateEnclosure', { type: 'application/x-mpegURL' }, el('podcast:source', { uri: i.hls })),
    el('itunes:title', {}, i.title),
    el('itunes:author', {}, i.author),
    i.durationSeconds !== null && el('itunes:duration', {}, String(Math.round(i.durationSeconds))),
    el('itunes:episodeType', {}, 'full'),
    el('itunes:explicit', {}, 'false'),
    i.image && el('itunes:image', { href: i.image }),
    i.license && el('podcast:license', { url: i.license.url }, i.license.id),
  );
}

export function renderRss(f: Feed): string {
  const channel = el(
    'channel',
    {},
    el('title', {}, f.title),
    el('link', {}, f.link),
    el('atom:link', { href: f.selfUrl, rel: 'self', type: 'application/rss+xml' }),
    el('description', {}, f.description || f.title),
    el('generator', {}, f.generator),
    el('lastBuildDate', {}, rfc822(f.lastBuildDate)),
    el('image', {}, el('url', {}, f.image), el('title', {}, f.title), el('link', {}, f.link)),
    el('itunes:author', {}, f.author),
    el('itunes:image', { href: f.image }),
    el('itunes:category', { text: 'Music' }),
    el('itunes:explicit', {}, 'false'),
    el('itunes:type', {}, 'episodic'),
    el('podcast:guid', {}, f.guid),
    el('podcast:medium', {}, f.medium),
    // Yes: the artist's tracks are not to be imported by another hosting platform (docs/feeds.md).
    el('podcast:locked', {}, 'yes'),
    ...f.funding.map((x) => el('podcast:funding', { url: x.url }, short(x.text, 128))),
    f.value && valueBlock(f.value),
    ...f.items.map(item),
  );
  return xmlDocument(el('rss', { version: '2.0', ...namespaces }, channel));
}
