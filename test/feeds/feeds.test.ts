// Feeds on a real node with real transcoded tracks: RSS per channel and playlist (well-formed XML
// with the itunes and Podcasting 2.0 tags; private, unlisted and paid tracks left out; ETag and
// Last-Modified answered with 304), oEmbed answers that fit the oEmbed spec (checked with a JSON
// Schema), the discovery links in the track and channel pages, and the embed pages' headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, rawGet, upload, waitTrack } from '../media/support.js';
import { ensureClientBuilt } from '../client/browser-support.js';
import { podcastGuid, uuidV5 } from '../../server/feeds/podcast-guid.js';

const Ajv = createRequire(import.meta.url)('ajv') as new (opts?: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };

/** The oEmbed 1.0 spec's response rules (https://oembed.com, section 2.3.4) as a JSON Schema. */
const oembedSchema = {
  type: 'object',
  required: ['type', 'version'],
  properties: {
    type: { enum: ['photo', 'video', 'link', 'rich'] },
    version: { const: '1.0' },
    title: { type: 'string' },
    author_name: { type: 'string' },
    author_url: { type: 'string', pattern: '^https?://' },
    provider_name: { type: 'string' },
    provider_url: { type: 'string' },
    cache_age: { type: 'integer', minimum: 0 },
    thumbnail_url: { type: 'string' },
    thumbnail_width: { type: 'integer', minimum: 1 },
    thumbnail_height: { type: 'integer', minimum: 1 },
    html: { type: 'string' },
    width: { type: 'integer', minimum: 1 },
    height: { type: 'integer', minimum: 1 },
  },
  allOf: [
    // rich and video: html, width and height are required.
    { if: { properties: { type: { enum: ['rich', 'video'] } } }, then: { required: ['html', 'width', 'height'] } },
    // The thumbnail's three fields come together or not at all.
    { if: { anyOf: [{ required: ['thumbnail_url'] }, { required: ['thumbnail_width'] }, { required: ['thumbnail_height'] }] }, then: { required: ['thumbnail_url', 'thumbnail_width', 'thumbnail_height'] } },
  ],
};
const validOembed = new Ajv({ allErrors: true }).compile(oembedSchema);

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
const ids = { covered: '', plain: '', hidden: '', unlisted: '', paid: '' };

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['item', 'podcast:funding', 'podcast:valueRecipient'].includes(name) });

async function feed(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(node.url + path, { headers });
  const text = await res.text();
  return { res, text, doc: res.status === 200 ? parser.parse(text) : undefined };
}

before(async () => {
  await ensureClientBuilt();
  node = await startTestNode({ name: 'feeds', overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('feeds');
  artist = await makeArtist(node, 'feed_band');
  const make = async (key: keyof typeof ids, opts: { title: string; cover?: boolean; allowDownload?: boolean; visibility?: 'public' | 'unlisted' | 'private' }) => {
    const file = await makeAudio(dir, { seconds: 5, name: `${key}.mp3`, cover: opts.cover, tags: { title: opts.title, artist: 'The Feed Band', album: 'Syndication', genre: 'Ambient' } });
    const up = await upload(node, artist.token, artist.channel.id, file, { visibility: opts.visibility, allowDownload: opts.allowDownload });
    assert.equal(up.status, 200, up.text);
    ids[key] = up.body.trackId;
  };
  await make('covered', { title: 'Covered & <Tagged>', cover: true, allowDownload: true });
  await make('plain', { title: 'Plain Stream' });
  await make('hidden', { title: 'Hidden One', visibility: 'private' });
  await make('unlisted', { title: 'Unlisted One', visibility: 'unlisted' });
  await make('paid', { title: 'Paid One' });
  for (const id of Object.values(ids)) assert.equal((await waitTrack(node, artist.token, id)).status, 'ready');
  const paid = await node.api('PATCH', `/api/v1/tracks/${ids.paid}`, { token: artist.token, body: { access: { mode: 'subscribers' } } });
  assert.equal(paid.status, 200, paid.text);
});

after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test('podcast:guid is the UUIDv5 of the feed URL without scheme and trailing slash (the spec’s example)', () => {
  // https://podcasting2.org/docs/podcast-namespace/tags/guid
  assert.equal(podcastGuid('https://mp3s.nashownotes.com/pc20rss.xml'), '917393e3-1b1e-5cef-ace4-edaa54e1f810');
  assert.equal(podcastGuid('http://mp3s.nashownotes.com/pc20rss.xml/'), '917393e3-1b1e-5cef-ace4-edaa54e1f810');
  // RFC 9562's UUIDv5 example (DNS namespace, "www.example.com").
  assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});

test("a channel's feed is RSS 2.0 with itunes and podcast tags, one item per ready public free track", async () => {
  const path = `/feeds/channels/${artist.channel.name}.rss`;
  const { res, text, doc } = await feed(path);
  assert.equal(res.status, 200, text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/rss\+xml/);
  assert.equal(XMLValidator.validate(text), true, 'well-formed XML');
  const rss = doc.rss;
  assert.equal(rss['@version'], '2.0');
  assert.equal(rss['@xmlns:itunes'], 'http://www.itunes.com/dtds/podcast-1.0.dtd');
  assert.equal(rss['@xmlns:podcast'], 'https://podcastindex.org/namespace/1.0');
  const ch = rss.channel;
  const feedUrl = `${node.url}${path}`;
  assert.equal(ch.title, `Channel ${artist.channel.name}`);
  assert.equal(ch.link, `${node.url}/channels/${artist.channel.name}`);
  assert.equal(ch['atom:link']['@href'], feedUrl);
  assert.equal(ch['podcast:guid'], podcastGuid(feedUrl));
  assert.equal(ch['podcast:medium'], 'music');
  assert.equal(ch['podcast:locked'], 'yes');
  assert.equal(ch['itunes:category']['@text'], 'Music');
  assert.ok(ch['itunes:image']['@href'].startsWith(`${node.url}/static/covers/${ids.covered}`), 'the channel image is its newest cover');
  assert.equal(ch['podcast:value'], undefined, 'no podcast:value unless one is configured');
  const funding = ch['podcast:funding'].map((f: any) => f['@url']);
  assert.deepEqual(funding, [`${node.url}/channels/${artist.channel.name}`, `${node.url}/me`], 'tip (the channel page) and subscribe; no campaign yet');

  const items = ch.item as any[];
  assert.deepEqual(items.map((i) => i.title).sort(), ['Covered & <Tagged>', 'Plain Stream'], 'private, unlisted and subscribers-only tracks are left out');
  const covered = items.find((i) => i.title === 'Covered & <Tagged>');
  assert.equal(covered.link, `${node.url}/tracks/${ids.covered}`);
  assert.equal(covered.guid['#text'], `${node.url}/ap/tracks/${ids.covered}`);
  assert.equal(covered.guid['@isPermaLink'], 'false');
  assert.ok(!Number.isNaN(Date.parse(covered.pubDate)), 'an RFC 822 pubDate');
  assert.equal(covered['itunes:duration'], 5);
  assert.equal(covered['itunes:author'], 'The Feed Band');
  assert.equal(covered['itunes:image']['@href'], `${node.url}/static/covers/${ids.covered}`);
  assert.match(covered.description, /Covered & <Tagged> by The Feed Band from Syndication/);
  // The progressive file when media made one (metered like HLS), else the original when downloads
  // are allowed, with the size and type the node serves it with, else the HLS stream.
  const view = async (id: string) => (await node.api('GET', `/api/v1/tracks/${id}`)).body as { progressive?: { url: string } | null };
  const coveredFile = (await view(ids.covered)).progressive?.url ?? `${node.url}/static/download/${ids.covered}`;
  assert.equal(covered.enclosure['@url'], coveredFile);
  const served = await fetch(coveredFile);
  assert.equal(served.status, 200);
  assert.match(covered.enclosure['@type'], /^audio\//);
  assert.equal(covered.enclosure['@type'], served.headers.get('content-type')?.split(';')[0]);
  assert.equal(Number(covered.enclosure['@length']), (await served.arrayBuffer()).byteLength);
  assert.equal(covered['podcast:alternateEnclosure']['podcast:source']['@uri'], `${node.url}/static/streaming/${ids.covered}/master.m3u8`);
  const plain = items.find((i) => i.title === 'Plain Stream');
  const plainFile = (await view(ids.plain)).progressive?.url;
  assert.equal(plain.enclosure['@url'], plainFile ?? `${node.url}/static/streaming/${ids.plain}/master.m3u8`);
  if (!plainFile) assert.equal(plain.enclosure['@type'], 'application/x-mpegURL');
  assert.equal(plain['itunes:image'], undefined, 'no cover, no item image');

  assert.equal((await feed('/feeds/channels/no_such_channel.rss')).res.status, 404);
});

test('a feed answers 304 to its ETag and to its Last-Modified', async () => {
  const path = `/feeds/channels/${artist.channel.name}.rss`;
  const first = await feed(path);
  const etag = first.res.headers.get('etag');
  const modified = first.res.headers.get('last-modified');
  assert.ok(etag && modified);
  // rawGet: fetch() adds Cache-Control: no-cache to a conditional request, which always gets the body.
  const status = async (headers: Record<string, string>) => (await rawGet(node.url + path, headers)).status;
  assert.equal(await status({ 'if-none-match': etag }), 304);
  assert.equal(await status({ 'if-modified-since': modified }), 304);
  assert.equal(await status({ 'if-none-match': '"something-else"' }), 200);
  assert.equal(await status({ 'if-modified-since': new Date(Date.parse(modified) - 60_000).toUTCString() }), 200);
});

test('an open campaign adds an invest link; a configured value block shows as podcast:value', async () => {
  const path = `/feeds/channels/${artist.channel.name}.rss`;
  const before = (await feed(path)).res.headers.get('etag');
  const campaign = await node.api('POST', `/api/v1/channels/${artist.channel.name}/campaigns`, {
    token: artist.token,
    body: { title: 'New record', goal: 50_000, minPledge: 500, deadline: new Date(Date.now() + 20 * 86_400_000).toISOString(), shareBasisPoints: 1000, capMultiple: 1.5 },
  });
  assert.equal(campaign.status, 201, campaign.text);
  assert.equal((await rawGet(node.url + path, { 'if-none-match': before! })).status, 200, 'the feed changed, so its ETag did');
  const opened = await feed(path);
  const funding = opened.doc.rss.channel['podcast:funding'];
  const invest = funding.find((f: any) => f['@url'] === `${node.url}/channels/${artist.channel.name}#invest`);
  assert.ok(invest, 'a link to the open campaign');
  assert.match(invest['#text'], /New record/);

  const config = node.ctx.config.feeds;
  config.value = { type: 'lightning', method: 'keysend', suggested: '0.00000005000', recipients: [{ name: 'Operator', type: 'node', address: '02d5c1bf8b940dc9cadca86d1b0a3c37fbe39cee4c7e839e33bef9174531d27f52', split: 100 }] };
  try {
    const { text, doc } = await feed(path);
    assert.equal(XMLValidator.validate(text), true);
    const value = doc.rss.channel['podcast:value'];
    assert.equal(value['@type'], 'lightning');
    assert.equal(value['@method'], 'keysend');
    assert.equal(value['podcast:valueRecipient'][0]['@address'], config.value.recipients[0].address);
    assert.equal(value['podcast:valueRecipient'][0]['@split'], '100');
  } finally {
    config.value = null;
  }
});

test("a playlist's feed lists its ready public free tracks in order; a private playlist has none", async () => {
  const made = await node.api('POST', '/api/v1/playlists', { token: artist.token, body: { title: 'Feed mix', visibility: 'public', channelId: artist.channel.id } });
  assert.equal(made.status, 201, made.text);
  const filled = await node.api('PATCH', `/api/v1/playlists/${made.body.id}`, { token: artist.token, body: { trackIds: [ids.plain, ids.hidden, ids.paid, ids.unlisted, ids.covered] } });
  assert.equal(filled.status, 200, filled.text);
  const path = `/feeds/playlists/${made.body.id}.rss`;
  const { res, text, doc } = await feed(path);
  assert.equal(res.status, 200, text);
  assert.equal(XMLValidator.validate(text), true);
  const ch = doc.rss.channel;
  assert.equal(ch.title, 'Feed mix');
  assert.equal(ch['podcast:medium'], 'musicL');
  assert.equal(ch['podcast:guid'], podcastGuid(node.url + path));
  assert.deepEqual(ch.item.map((i: any) => i.title), ['Plain Stream', 'Covered & <Tagged>']);
  assert.ok(ch['podcast:funding'].some((f: any) => f['@url'] === `${node.url}/channels/${artist.channel.name}`), "the playlist's channel is tipped");

  assert.equal((await node.api('PATCH', `/api/v1/playlists/${made.body.id}`, { token: artist.token, body: { visibility: 'private' } })).status, 200);
  assert.equal((await feed(path)).res.status, 404);
  assert.equal((await feed('/feeds/playlists/00000000-0000-4000-8000-000000000000.rss')).res.status, 404);
});

test('oEmbed answers for track and channel pages fit the oEmbed spec', async () => {
  const oembed = (url: string, extra = '') => node.api('GET', `/services/oembed?url=${encodeURIComponent(url)}${extra}`);
  const track = await oembed(`${node.url}/tracks/${ids.covered}`, '&format=json');
  assert.equal(track.status, 200, track.text);
  assert.ok(validOembed(track.body), JSON.stringify(validOembed.errors));
  assert.equal(track.body.type, 'rich');
  assert.equal(track.body.title, 'Covered & <Tagged>');
  assert.equal(track.body.author_name, 'The Feed Band');
  assert.equal(track.body.author_url, `${node.url}/channels/${artist.channel.name}`);
  assert.equal(track.body.provider_name, 'feeds');
  assert.equal(track.body.thumbnail_url, `${node.url}/static/covers/${ids.covered}`);
  assert.deepEqual([track.body.thumbnail_width, track.body.thumbnail_height], [64, 64], "the cover's real size");
  assert.match(track.body.html, new RegExp(`^<iframe src="${node.url}/embed/tracks/${ids.covered}"`));

  const small = await oembed(`${node.url}/tracks/${ids.plain}`, '&maxwidth=300&maxheight=100');
  assert.ok(validOembed(small.body), JSON.stringify(validOembed.errors));
  assert.ok(small.body.width <= 300 && small.body.height <= 100);
  assert.match(small.body.html, /width="300" height="100"/);
  assert.equal(small.body.thumbnail_url, undefined, 'no cover, no thumbnail');

  const channel = await oembed(`${node.url}/channels/${artist.channel.name}`);
  assert.equal(channel.status, 200, channel.text);
  assert.ok(validOembed(channel.body), JSON.stringify(validOembed.errors));
  assert.match(channel.body.html, new RegExp(`/embed/channels/${artist.channel.name}"`));

  assert.equal((await oembed(`${node.url}/tracks/${ids.hidden}`)).status, 404, 'private');
  assert.equal((await oembed(`${node.url}/library`)).status, 404, 'not a track or channel page');
  assert.equal((await oembed(`https://elsewhere.example/tracks/${ids.covered}`)).status, 404, 'another site');
  assert.equal((await oembed(`${node.url}/tracks/${ids.covered}`, '&format=xml')).status, 501);
  assert.equal((await node.api('GET', '/services/oembed')).status, 400);
});

test('track and channel pages carry the oEmbed and RSS discovery links in the HTML a crawler gets', async () => {
  const page = async (path: string) => {
    const res = await fetch(node.url + path, { headers: { accept: 'text/html' } });
    assert.equal(res.status, 200);
    return res.text();
  };
  const track = await page(`/tracks/${ids.covered}`);
  const href = /<link rel="alternate" type="application\/json\+oembed" href="([^"]+)"/.exec(track)?.[1];
  assert.ok(href, 'an oEmbed link');
  const answer = await fetch(href.replace(/&amp;/g, '&'));
  assert.equal(answer.status, 200);
  assert.equal(((await answer.json()) as { title: string }).title, 'Covered & <Tagged>');
  assert.ok(track.includes('<script type="module"'), 'still the web client');

  const channel = await page(`/channels/${artist.channel.name}`);
  assert.match(channel, /type="application\/json\+oembed"/);
  assert.ok(channel.includes(`type="application/rss+xml" href="${node.url}/feeds/channels/${artist.channel.name}.rss"`));
  assert.doesNotMatch(await page(`/tracks/${ids.hidden}`), /json\+oembed/, 'a private track: the page, no links');
});

test('embed pages may be framed by any site; a paid track links to its page; a private one is not there', async () => {
  const res = await fetch(`${node.url}/embed/tracks/${ids.covered}`);
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors \*/);
  assert.equal(res.headers.get('x-frame-options'), null);
  const html = await res.text();
  assert.match(html, /<audio/);
  assert.ok(html.includes(`${node.url}/static/streaming/${ids.covered}/master.m3u8`));

  const paid = await (await fetch(`${node.url}/embed/tracks/${ids.paid}`)).text();
  assert.doesNotMatch(paid, /<audio/);
  assert.ok(paid.includes(`href="${node.url}/tracks/${ids.paid}"`), 'a link to the track page');
  assert.match(paid, /for subscribers/);

  assert.equal((await fetch(`${node.url}/embed/tracks/${ids.hidden}`)).status, 404);
  const channel = await (await fetch(`${node.url}/embed/channels/${artist.channel.name}`)).text();
  assert.ok(channel.includes('Plain Stream') && channel.includes('Covered &amp; &lt;Tagged&gt;') && !channel.includes('Paid One'));
});
