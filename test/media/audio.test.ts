// Audio end to end: every accepted format ends `ready` with an audio-only HLS ladder that
// decodes over HTTP, tags become metadata, loudness/waveform/duration are stored, hashes
// and torrents match the served bytes, and a webtorrent client downloads from the web seed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import parseTorrent from 'parse-torrent';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio, probe, decodeFully, type AudioFormat } from '../helpers/media.js';
import { makeArtist, upload, waitTrack, rawGet } from './support.js';
import { waitFor } from '../helpers/wait.js';
import { mediaService, seededTracks, type SegmentServed } from '../../server/media/index.js';

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
const formats: AudioFormat[] = ['mp3', 'flac', 'wav', 'ogg', 'm4a'];
const tracks = new Map<AudioFormat, any>();
const served: SegmentServed[] = [];

before(async () => {
  // A short sweep: the seeding check runs with it.
  node = await startTestNode({ name: 'media-audio', overrides: { media: { audioBitratesKbps: [64, 128], sweepIntervalSeconds: 1 } } });
  mediaService(node.ctx).onSegmentServed((e) => served.push(e));
  dir = mediaDir('audio');
  artist = await makeArtist(node);
  const files = await Promise.all(
    formats.map((format, i) =>
      makeAudio(dir, { format, seconds: 5, frequency: 330 + i * 110, tags: { title: `Tone ${format}`, artist: 'Sine Wave', album: 'Test Tones', trackNumber: i + 1, genre: 'Electronic' } }),
    ),
  );
  const results = await Promise.all(files.map((f, i) => upload(node, artist.token, artist.channel.id, f, { allowDownload: formats[i] === 'flac' })));
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 200, `${formats[i]}: ${r.text}`);
    assert.equal(r.body.complete, true);
    tracks.set(formats[i], await waitTrack(node, artist.token, r.body.trackId));
  }
});

after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test('every audio format ends ready with tags read into the metadata', () => {
  for (const [i, format] of formats.entries()) {
    const t = tracks.get(format);
    assert.equal(t.status, 'ready', `${format}: ${t.failureReason}`);
    assert.equal(t.kind, 'audio');
    assert.equal(t.progress, 100);
    assert.equal(t.title, `Tone ${format}`);
    assert.equal(t.artist, 'Sine Wave');
    assert.equal(t.album, 'Test Tones');
    assert.equal(t.trackNumber, i + 1);
    assert.equal(t.genre, 'Electronic');
    assert.equal(t.channel.name, artist.channel.name);
    assert.deepEqual(
      t.streaming.renditions.map((r: any) => [r.name, r.bitrateKbps]),
      [['64k', 64], ['128k', 128]],
    );
  }
});

test('loudness, waveform and duration are stored', async () => {
  const t = tracks.get('flac');
  assert.ok(Math.abs(t.durationSeconds - 5) < 0.2, `duration ${t.durationSeconds}`);
  assert.ok(t.loudness.integratedLufs < -5 && t.loudness.integratedLufs > -40, `lufs ${t.loudness.integratedLufs}`);
  assert.ok(t.loudness.truePeakDbtp < 0 && t.loudness.truePeakDbtp > -30, `tp ${t.loudness.truePeakDbtp}`);
  assert.equal(typeof t.loudness.lra, 'number');
  const w = await node.api('GET', new URL(t.waveformUrl).pathname);
  assert.equal(w.status, 200);
  assert.equal(w.body.peaks.length, node.ctx.config.media.waveformPeaks);
  assert.ok(w.body.peaks.every((p: number) => p >= 0 && p <= 1));
  // The loudest bucket agrees with the measured true peak of a steady sine.
  const top = Math.max(...w.body.peaks);
  assert.ok(Math.abs(top - 10 ** (t.loudness.truePeakDbtp / 20)) < 0.01, `peak ${top} vs ${t.loudness.truePeakDbtp} dBTP`);
  assert.ok(Math.min(...w.body.peaks.slice(5, -5)) > 0.05, 'a steady tone has no silent buckets');
  assert.ok(Math.abs(w.body.durationSeconds - t.durationSeconds) < 0.01);
});

test('the HLS master playlist decodes end to end over HTTP and holds no video', async () => {
  for (const format of ['mp3', 'ogg'] as const) {
    const t = tracks.get(format);
    await decodeFully(t.streaming.masterPlaylistUrl);
    const p = await probe(t.streaming.renditions[1].playlistUrl);
    assert.deepEqual(p.streams.map((s) => s.codec_type), ['audio']);
    assert.equal(p.streams[0].codec_name, 'aac');
    assert.ok(Math.abs(Number(p.format.duration) - 5) < 0.3);
  }
  const master = await fetch(tracks.get('wav').streaming.masterPlaylistUrl);
  const text = await master.text();
  assert.match(text, /^#EXTM3U/);
  assert.match(text, /CODECS="mp4a\.40\.2"/);
  assert.doesNotMatch(text, /RESOLUTION|avc1/);
});

test('segments are fragmented MP4 of about segmentSeconds, content types and caching set', async () => {
  const t = tracks.get('m4a');
  const r = t.streaming.renditions[0];
  const playlist = await fetch(r.playlistUrl);
  assert.equal(playlist.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  assert.match(playlist.headers.get('cache-control') ?? '', /max-age=10\b/);
  assert.equal(playlist.headers.get('access-control-allow-origin'), '*');
  const text = await playlist.text();
  assert.match(text, /#EXT-X-MAP:URI="init.mp4"/);
  const durations = [...text.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
  assert.ok(durations.length >= 2);
  assert.ok(durations.slice(0, -1).every((d) => d >= 3.5 && d <= 6.5), `durations ${durations}`);
  const base = r.playlistUrl.replace(/playlist\.m3u8$/, '');
  const init = await fetch(base + 'init.mp4');
  assert.equal(init.headers.get('content-type'), 'audio/mp4');
  const seg = await fetch(base + 'seg-00000.m4s');
  assert.equal(seg.status, 200);
  assert.equal(seg.headers.get('content-type'), 'audio/mp4');
  assert.match(seg.headers.get('cache-control') ?? '', /immutable/);
  assert.ok(seg.headers.get('etag'));
  // fetch() adds "Cache-Control: no-cache" to conditional requests, so ask with plain http.
  const again = await rawGet(base + 'seg-00000.m4s', { 'if-none-match': seg.headers.get('etag')! });
  assert.equal(again.status, 304);
  const body = Buffer.from(await seg.arrayBuffer());
  assert.equal(body.subarray(4, 8).toString('latin1'), 'styp'); // an fMP4 fragment
});

test('range requests give 206 with Content-Range; CORS preflight answers', async () => {
  const t = tracks.get('mp3');
  const url = t.streaming.renditions[0].playlistUrl.replace(/playlist\.m3u8$/, 'seg-00000.m4s');
  const full = Buffer.from(await (await fetch(url)).arrayBuffer());
  const part = await fetch(url, { headers: { range: 'bytes=10-99' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 10-99/${full.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), full.subarray(10, 100));
  assert.equal(part.headers.get('accept-ranges'), 'bytes');
  assert.match(part.headers.get('access-control-expose-headers') ?? '', /Content-Range/);
  const bad = await fetch(url, { headers: { range: `bytes=${full.length + 10}-` } });
  assert.equal(bad.status, 416);
  const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://elsewhere.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,range' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/);
});

test('segment-served hook reports the timeline, session and user on 200/206 only', async () => {
  const t = tracks.get('ogg');
  const base = t.streaming.renditions[1].playlistUrl.replace(/playlist\.m3u8$/, '');
  served.length = 0;
  await (await fetch(base + 'playlist.m3u8')).text();
  await (await fetch(base + 'init.mp4')).arrayBuffer();
  const res = await node.api('GET', new URL(base + 'seg-00001.m4s').pathname, { token: artist.token, headers: { 'x-play-session': 'sess-1' } });
  assert.equal(res.status, 200);
  await (await fetch(base + 'seg-00000.m4s?session=sess-2', { headers: { range: 'bytes=0-9' } })).arrayBuffer();
  await (await fetch(base + 'seg-00099.m4s')).arrayBuffer(); // 404: not reported
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(served.length, 2);
  const [a, b] = served;
  assert.equal(a.trackId, t.id);
  assert.equal(a.rendition, '128k');
  assert.equal(a.segmentIndex, 1);
  assert.equal(a.userId, artist.user.id);
  assert.equal(a.sessionId, 'sess-1');
  assert.ok(a.segmentStartSeconds > 3 && a.segmentStartSeconds < 6.5);
  assert.ok(a.segmentDurationSeconds > 0);
  assert.ok(a.bytes > 100);
  assert.equal(b.segmentIndex, 0);
  assert.equal(b.segmentStartSeconds, 0);
  assert.equal(b.sessionId, 'sess-2');
  assert.equal(b.bytes, 10);
  assert.equal(b.userId, null);
});

test('segment hashes JSON matches the sha256 of the served files', async () => {
  const t = tracks.get('flac');
  for (const r of t.streaming.renditions) {
    const hashes = await (await fetch(r.segmentHashesUrl)).json();
    assert.equal(hashes.algorithm, 'sha256');
    const base = r.playlistUrl.replace(/playlist\.m3u8$/, '');
    const names = Object.keys(hashes.files);
    assert.ok(names.includes('init.mp4') && names.length >= 3);
    for (const name of names) {
      const body = Buffer.from(await (await fetch(base + name)).arrayBuffer());
      assert.equal(createHash('sha256').update(body).digest('hex'), hashes.files[name], name);
    }
  }
});

test('every torrent matches its files piece by piece, with web seed and tracker', async () => {
  for (const t of tracks.values()) {
    for (const r of t.streaming.renditions) {
      const res = await fetch(r.torrentUrl);
      assert.equal(res.headers.get('content-type'), 'application/x-bittorrent');
      const parsed = await parseTorrent(Buffer.from(await res.arrayBuffer()));
      assert.deepEqual(parsed.urlList, [`${node.url}/static/streaming/${t.id}/`]);
      assert.ok(parsed.announce!.includes(`${node.url}/tracker/announce`));
      assert.ok(parsed.announce!.includes(`${node.url.replace('http', 'ws')}/tracker/socket`));
      assert.ok(r.magnetUri.startsWith(`magnet:?xt=urn:btih:${parsed.infoHash}`));
      assert.match(r.magnetUri, /&ws=/);
      const data = Buffer.concat(
        await Promise.all(parsed.files!.map(async (f) => Buffer.from(await (await fetch(`${node.url}/static/streaming/${t.id}/${f.path.split(path.sep).join('/')}`)).arrayBuffer()))),
      );
      assert.equal(data.length, parsed.length);
      parsed.pieces!.forEach((piece, i) => {
        const chunk = data.subarray(i * parsed.pieceLength!, (i + 1) * parsed.pieceLength!);
        assert.equal(createHash('sha1').update(chunk).digest('hex'), piece, `${t.id} ${r.name} piece ${i}`);
      });
    }
  }
});

test('a webtorrent client downloads a rendition from the web seed with matching bytes', async () => {
  const t = tracks.get('mp3');
  const r = t.streaming.renditions[0];
  const torrentBuf = Buffer.from(await (await fetch(r.torrentUrl)).arrayBuffer());
  const { default: WebTorrent } = await import('webtorrent');
  const client = new WebTorrent({ dht: false, lsd: false, tracker: false, utp: false, natUpnp: false, natPmp: false, webSeeds: true });
  const out = mediaDir('wt');
  try {
    const torrent = client.add(torrentBuf, { path: out });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('webtorrent download timed out')), 30_000);
      torrent.on('done', () => {
        clearTimeout(timer);
        resolve();
      });
      torrent.on('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const filesDir = path.join(node.dataDir, 'media/streaming', t.id, r.name);
    const names = readdirSync(filesDir).sort();
    assert.deepEqual(torrent.files.map((f) => f.name).sort(), names);
    for (const f of torrent.files) {
      assert.deepEqual(readFileSync(path.join(out, f.path)), readFileSync(path.join(filesDir, f.name)), f.name);
    }
  } finally {
    await new Promise<void>((resolve) => client.destroy(() => resolve()));
    removeMediaDir(out);
  }
});

test('the node tracker answers HTTP announces', async () => {
  const t = tracks.get('wav');
  const torrent = await parseTorrent(Buffer.from(await (await fetch(t.streaming.renditions[0].torrentUrl)).arrayBuffer()));
  const infoHash = escape(Buffer.from(torrent.infoHash, 'hex').toString('latin1'));
  const peerId = escape(Buffer.from('-9T0001-abcdefghijkl').toString('latin1'));
  const res = await fetch(`${node.url}/tracker/announce?info_hash=${infoHash}&peer_id=${peerId}&port=6881&uploaded=0&downloaded=0&left=100&compact=1&event=started`);
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer()).toString('latin1');
  assert.match(body, /8:interval/);
  assert.doesNotMatch(body, /failure reason/);
});

test('the original is downloadable only when the artist allows it', async () => {
  const flac = tracks.get('flac');
  assert.ok(flac.downloadUrl);
  const res = await fetch(flac.downloadUrl);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'audio/flac');
  assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="Tone flac\.flac"/);
  const mp3 = tracks.get('mp3');
  assert.equal(mp3.downloadUrl, undefined);
  const denied = await fetch(`${node.url}/static/download/${mp3.id}`);
  assert.equal(denied.status, 403);
});

test('the node seeds its renditions: its tracker counts a seeder for each', async () => {
  const t = tracks.get('m4a');
  for (const r of t.streaming.renditions) {
    const torrent = await parseTorrent(Buffer.from(await (await fetch(r.torrentUrl)).arrayBuffer()));
    const infoHash = escape(Buffer.from(torrent.infoHash, 'hex').toString('latin1'));
    let complete = 0;
    for (let i = 0; i < 100 && complete < 1; i++) {
      const res = await fetch(`${node.url}/tracker/scrape?info_hash=${infoHash}`);
      const body = Buffer.from(await res.arrayBuffer()).toString('latin1');
      complete = Number(/8:completei(\d+)e/.exec(body)?.[1] ?? 0);
      if (complete < 1) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(complete >= 1, `no seeder announced ${r.name}`);
  }
});

test('a track hidden by another process stops being seeded at the next sweep, and is seeded again when shown', async () => {
  const t = tracks.get('wav');
  await waitFor('seeded', () => seededTracks(node.ctx).includes(t.id));
  // As a moderator's hide on a web process would: this process hears no event of it.
  await node.ctx.db.query('UPDATE media_tracks SET hidden = true WHERE id = :id', { replacements: { id: t.id } });
  await waitFor('no longer seeded', () => !seededTracks(node.ctx).includes(t.id));
  await node.ctx.db.query('UPDATE media_tracks SET hidden = false WHERE id = :id', { replacements: { id: t.id } });
  node.ctx.events.emit('track.updated', { trackId: t.id });
  await waitFor('seeded again', () => seededTracks(node.ctx).includes(t.id));
});

test('the tracker refuses torrents that are not this node\'s and whole-tracker scrapes', async () => {
  const unknown = escape(Buffer.alloc(20, 7).toString('latin1'));
  const peerId = escape(Buffer.from('-9T0001-abcdefghijkl').toString('latin1'));
  const res = await fetch(`${node.url}/tracker/announce?info_hash=${unknown}&peer_id=${peerId}&port=6881&uploaded=0&downloaded=0&left=100&compact=1`);
  assert.match(Buffer.from(await res.arrayBuffer()).toString('latin1'), /failure reason/);
  const all = await fetch(`${node.url}/tracker/scrape`);
  assert.equal(all.status, 400);
});

test('embedded cover art becomes the cover, and the audio stays audio-only', async () => {
  const file = await makeAudio(dir, { format: 'mp3', seconds: 3, cover: true, name: 'with-cover.mp3', tags: { title: 'Covered' } });
  const res = await upload(node, artist.token, artist.channel.id, file);
  assert.equal(res.status, 200, res.text);
  const t = await waitTrack(node, artist.token, res.body.trackId);
  assert.equal(t.status, 'ready');
  assert.equal(t.kind, 'audio');
  assert.equal(t.coverUrl, `${node.url}/static/covers/${t.id}`);
  const cover = await fetch(t.coverUrl);
  assert.equal(cover.headers.get('content-type'), 'image/png');
  const p = await probe(t.streaming.renditions[0].playlistUrl);
  assert.deepEqual(p.streams.map((s) => s.codec_type), ['audio']);
});

test('the tracker answers WebSocket announces at /tracker/socket', async () => {
  const t = tracks.get('flac');
  const torrent = await parseTorrent(Buffer.from(await (await fetch(t.streaming.renditions[0].torrentUrl)).arrayBuffer()));
  const ws = new WebSocket(`${node.url.replace('http', 'ws')}/tracker/socket`);
  const reply = await new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no tracker reply')), 10_000);
    ws.onerror = () => reject(new Error('websocket failed'));
    ws.onopen = () =>
      ws.send(
        JSON.stringify({
          action: 'announce',
          info_hash: Buffer.from(torrent.infoHash, 'hex').toString('latin1'),
          peer_id: '-9T0001-wsabcdefghij',
          uploaded: 0,
          downloaded: 0,
          left: 0,
          event: 'started',
          numwant: 0,
          offers: [],
        }),
      );
    ws.onmessage = (m) => {
      clearTimeout(timer);
      resolve(JSON.parse(String(m.data)));
    };
  });
  ws.close();
  assert.equal(reply.action, 'announce');
  assert.equal(reply['failure reason'], undefined);
  assert.ok(reply.interval > 0);
  assert.ok(reply.complete >= 1);
});
