// Federation benchmark, on loopback with real nodes:
//  1. time from "upload finished" on node A until the track is listed on node B (B follows
//     the artist), and the part of it after A finished transcoding (goal < 2 s); then the same
//     for a channel nobody on B follows, listed through an instance follow (B's admin follows
//     node A; goal < 2 s), as a ratio to the channel follow;
//  2. time to deliver one Create to 1,000 follower inboxes (loopback receivers, one
//     distinct inbox each, every POST signed), at config.federation.deliveryConcurrency.
//   npx tsx bench/federation/run.ts
// Environment: BENCH_FOLLOWERS [1000], BENCH_CONCURRENCY [the config default, 32],
//   BENCH_RECEIVERS [4] loopback HTTP servers sharing the inboxes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestNode, type TestNode } from '../../test/helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../../test/helpers/media.js';
import { makeArtist, upload } from '../../test/media/support.js';
import { federationService } from '../../server/federation/index.js';
import { sendCreateTrack } from '../../server/federation/send/send-create.js';
import { mediaService } from '../../server/media/index.js';
import { loadConfig } from '../../server/config/index.js';

const FOLLOWERS = Number(process.env.BENCH_FOLLOWERS ?? 1000);
const RECEIVERS = Number(process.env.BENCH_RECEIVERS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? loadConfig({ ignoreEnv: true }).federation.deliveryConcurrency);
const log = (msg: string) => process.stdout.write(`${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const overrides = { media: { audioBitratesKbps: [64] }, federation: { deliveryConcurrency: CONCURRENCY } };
  const a: TestNode = await startTestNode({ name: 'bench-fed-a', overrides });
  const b: TestNode = await startTestNode({ name: 'bench-fed-b', overrides });
  const dir = mediaDir('benchfed');
  const servers: http.Server[] = [];
  try {
    // --- 1. upload finished on A → listed on B ---
    const artist = await makeArtist(a, 'bench_band');
    const listener = await b.user('listener');
    const host = new URL(a.ctx.config.publicUrl).host;
    const f = await b.api('POST', '/api/v1/federation/follows', { token: listener.token, body: { handle: `bench_band@${host}` } });
    if (f.status !== 201) throw new Error(`follow: ${f.text}`);
    for (;;) {
      const follows = await b.api('GET', '/api/v1/federation/follows', { token: listener.token });
      if (follows.body.data[0]?.state === 'accepted') break;
      await sleep(20);
    }
    const file = await makeAudio(dir, { seconds: 4, tags: { title: 'Bench tone', artist: 'Bench Band' } });
    const up = await upload(a, artist.token, artist.channel.id, file);
    if (up.status !== 200) throw new Error(`upload: ${up.text}`);
    const uploadDone = performance.now();
    const trackId: string = up.body.trackId;
    const media = mediaService(a.ctx);
    let readyAt = 0;
    let listedAt = 0;
    while (!listedAt) {
      if (!readyAt && (await media.getTrack(trackId))?.status === 'ready') readyAt = performance.now();
      const listed = await b.api('GET', '/api/v1/federation/tracks');
      if (listed.body.data.some((t: { uri: string }) => t.uri.endsWith(`/ap/tracks/${trackId}`))) listedAt = performance.now();
      else await sleep(10);
    }
    if (!readyAt) readyAt = listedAt;
    log('federation benchmark (loopback, this machine)');
    log(`  upload finished on A → listed on B:        ${secs(listedAt - uploadDone)} (includes transcoding a 4 s tone)`);
    log(`  track ready (published) on A → listed on B: ${secs(listedAt - readyAt)}   goal < 2 s`);

    // --- 1b. the same through an instance follow: a channel nobody on B follows ---
    const label = await makeArtist(a, 'bench_label');
    const adminB = await b.user('admin');
    const inst = await b.api('POST', '/api/v1/federation/admin/instance-follows', { token: adminB.token, body: { host } });
    if (inst.status !== 201) throw new Error(`instance follow: ${inst.text}`);
    for (;;) {
      const follows = await b.api('GET', '/api/v1/federation/admin/instance-follows', { token: adminB.token });
      if (follows.body.data[0]?.state === 'accepted') break;
      await sleep(20);
    }
    const up2 = await upload(a, label.token, label.channel.id, file);
    if (up2.status !== 200) throw new Error(`upload: ${up2.text}`);
    const upload2Done = performance.now();
    let ready2At = 0;
    let listed2At = 0;
    while (!listed2At) {
      if (!ready2At && (await media.getTrack(up2.body.trackId))?.status === 'ready') ready2At = performance.now();
      const listed = await b.api('GET', '/api/v1/discover/new?origin=remote');
      if (listed.body.data.some((t: { uri: string }) => t.uri.endsWith(`/ap/tracks/${up2.body.trackId}`))) listed2At = performance.now();
      else await sleep(10);
    }
    if (!ready2At) ready2At = listed2At;
    log(`  through an instance follow (nobody on B follows the channel), listed in B's "new on the network":`);
    log(`    upload finished on A → listed on B:      ${secs(listed2At - upload2Done)}`);
    log(`    track ready on A → listed on B:          ${secs(listed2At - ready2At)}   goal < 2 s; ${((listed2At - ready2At) / Math.max(1, listedAt - readyAt)).toFixed(2)}x the channel follow above`);

    // --- 2. one Create to N follower inboxes ---
    let hits = 0;
    let unsigned = 0;
    let allDone: () => void = () => {};
    const done = new Promise<void>((r) => (allDone = r));
    const urls: string[] = [];
    for (let i = 0; i < RECEIVERS; i++) {
      const s = http.createServer((req, res) => {
        if (!req.headers.signature && !req.headers['signature-input']) unsigned++;
        req.resume();
        req.on('end', () => {
          res.writeHead(202).end();
          if (++hits === FOLLOWERS) allDone();
        });
      });
      s.keepAliveTimeout = 30_000;
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    }
    const channelUri = `${a.ctx.config.publicUrl}/ap/channels/bench_band`;
    await a.ctx.db.query(
      `INSERT INTO federation_remote_actors (uri, host, type, preferred_username, inbox, raw)
       SELECT :base || (g % :r) || '/actors/f' || g, 'bench', 'Person', 'f' || g, :base || (g % :r) || '/actors/f' || g || '/inbox', '{}'
       FROM generate_series(1, :n) g`,
      { replacements: { base: 'x', r: RECEIVERS, n: FOLLOWERS } },
    );
    // Point each fake follower at one of the receivers (distinct inbox per follower, no shared inbox).
    for (let i = 0; i < RECEIVERS; i++) {
      await a.ctx.db.query(`UPDATE federation_remote_actors SET uri = replace(uri, :from, :to), inbox = replace(inbox, :from, :to), host = :host WHERE uri LIKE :like`, {
        replacements: { from: `x${i}/`, to: `${urls[i]}/`, host: new URL(urls[i]).host, like: `x${i}/%` },
      });
    }
    await a.ctx.db.query(
      `INSERT INTO federation_follows (follower_uri, following_uri, state, activity_uri, local_follower)
       SELECT uri, :ch, 'accepted', uri || '#follow', false FROM federation_remote_actors WHERE preferred_username LIKE 'f%' AND host <> :self`,
      { replacements: { ch: channelUri, self: new URL(b.ctx.config.publicUrl).host } },
    );
    const track = (await media.getTrack(trackId))!;
    const started = performance.now();
    const queued = await sendCreateTrack(federationService(a.ctx), track);
    const queuedAt = performance.now();
    await Promise.race([done, sleep(120_000)]);
    const finished = performance.now();
    await a.waitJobs(120_000);
    const [rows] = await a.ctx.db.query(`SELECT state, count(*)::int AS n FROM federation_deliveries WHERE activity_id = :id GROUP BY state`, { replacements: { id: queued!.id } });
    log(`  one Create to ${FOLLOWERS} follower inboxes:    ${secs(finished - started)}   goal < 10 s`);
    log(`    recording the activity and ${queued!.inboxes} deliveries: ${secs(queuedAt - started)}`);
    log(`    received ${hits} POSTs (${unsigned} unsigned) on ${RECEIVERS} loopback receivers; deliveries: ${JSON.stringify(rows)}`);
    log(`    delivery concurrency (config.federation.deliveryConcurrency): ${a.ctx.config.federation.deliveryConcurrency}`);
    log(`    throughput: ${((hits / (finished - started)) * 1000).toFixed(0)} deliveries/s`);
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    await a.stop();
    await b.stop();
    removeMediaDir(dir);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
