// The admin's view of the machine, with real parts: BullMQ jobs that really fail are listed,
// retried (a failed transcode is transcoded again) and removed through the API; disk use counts
// a real transcoded track's files by kind, one walk at a time; a transcode is seen waiting and
// running; deliveries to a dead host show as failing, then skipped, for that host beside a
// healthy one; /metrics carries the same figures (hosts by name only behind its token), whole
// in overlapping scrapes, and answers while Redis is down; deliveries the database holds as
// pending are queued again when a worker starts on an emptied Redis (a restore); the admin page
// shows it all in a real browser; and only admins see any of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTestNode, testRedisUrl, type ApiResponse, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { waitFor } from '../helpers/wait.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { freePort } from '../../server/db/embedded.js';
import { federationService } from '../../server/federation/index.js';
import { moneyService } from '../../server/money/index.js';
import { deliveryGaugeRows } from '../../server/api/machine.js';
import type { DeliveryHealth } from '../../server/federation/contract.js';
import { DiskUse } from '../../server/media/disk-use.js';
import type { MediaStorage } from '../../server/media/storage.js';
import { Jobs, jobStates } from '../../server/jobs/index.js';
import { createLogger } from '../../server/logger.js';
import { ensureClientBuilt, logIn, openBrowser, skipWithoutChromium } from '../client/browser-support.js';

// ajv is CommonJS; its draft 2020-12 build is the JSON Schema dialect of OpenAPI 3.1.
const Ajv2020 = createRequire(import.meta.url)('ajv/dist/2020') as new (opts?: object) => {
  addSchema(schema: object, key: string): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};

type Who = Awaited<ReturnType<TestNode['user']>>;

let node: TestNode;
let admin: Who;
let listener: Who;
let receiver: http.Server;
let receiverUrl: string;
const received: { path: string; body: any }[] = [];
const dir = mediaDir('admin-machine');
let fits: (res: ApiResponse, method: string, template: string) => any;

before(async () => {
  node = await startTestNode({ name: 'machine' });
  admin = await node.user('admin');
  listener = await node.user('listener');
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // The tests change the figures between scrapes: gauges are read afresh on each one here.
  setMetrics(node, { token: null, cacheSeconds: 0 });
  // Every answer checked below must fit the schema the OpenAPI description names for it.
  const doc = (await node.api('GET', '/api/openapi.json')).body;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(doc, 'api');
  fits = (res, method, template) => {
    const at = `api#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${res.status}/content/application~1json/schema`;
    const validate = ajv.compile({ $ref: at });
    assert.ok(validate(res.body), `${method} ${template} ${res.status} does not fit its schema: ${JSON.stringify(validate.errors)}\n${res.text.slice(0, 600)}`);
    return res.body;
  };
});

after(async () => {
  await new Promise<void>((r) => receiver?.close(() => r()));
  await node?.stop();
  removeMediaDir(dir);
});

/** The node's `metrics` config section (server/api/metrics-config.ts), changed while it runs. */
function setMetrics(on: TestNode, metrics: { token?: string | null; cacheSeconds?: number }): void {
  const config = on.ctx.config as unknown as { metrics?: Record<string, unknown> };
  config.metrics = { ...config.metrics, ...metrics };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP proxy on loopback to `host:port` that can be cut (listener closed, every connection dropped) and restored. */
async function tcpProxy(host: string, port: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(port, host);
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        down.destroy();
        up.destroy();
      });
    }
    down.pipe(up);
    up.pipe(down);
  });
  const listen = (p: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  await listen(0);
  const proxyPort = (server.address() as AddressInfo).port;
  return {
    port: proxyPort,
    cut: async () => {
      if (!server.listening) return;
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: () => listen(proxyPort),
  };
}

const machine = async () => fits(await node.api('GET', '/api/v1/admin/machine', { token: admin.token }), 'get', '/api/v1/admin/machine');
const jobsOverview = async (query = '') => fits(await node.api('GET', `/api/v1/admin/jobs?limit=100${query}`, { token: admin.token }), 'get', '/api/v1/admin/jobs');

/** Waits until a job reaches one of the states, and returns that state. */
const jobState = (queue: string, id: string, ...states: string[]) =>
  waitFor(`job ${queue}/${id} ${states.join(' or ')}`, async () => {
    const state = await node.ctx.jobs.queue(queue).getJobState(id);
    return states.includes(state) && state;
  });

/** A fake remote follower of a local channel, with its inbox at `inbox`. */
async function remoteFollower(on: TestNode, name: string, base: string, channelUri: string): Promise<void> {
  const uri = `${base}/actors/${name}`;
  await on.ctx.db.query(`INSERT INTO federation_remote_actors (uri, host, type, preferred_username, inbox, raw) VALUES (:uri, :host, 'Person', :name, :inbox, '{}')`, {
    replacements: { uri, host: new URL(base).host, name, inbox: `${base}/actors/${name}/inbox` },
  });
  await on.ctx.db.query(`INSERT INTO federation_follows (follower_uri, following_uri, state, activity_uri, local_follower) VALUES (:uri, :ch, 'accepted', :act, false)`, {
    replacements: { uri, ch: channelUri, act: `${uri}/follow` },
  });
}

/** Every file below a folder, as paths relative to it. */
const filesUnder = (root: string): string[] =>
  readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(root, f), { throwIfNoEntry: false })?.isFile());

/** A gauge's value in the Prometheus text, by its labels (the node label aside). */
function gauge(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('only admins see the machine and act on jobs', async () => {
  for (const [method, p] of [
    ['GET', '/api/v1/admin/machine'],
    ['GET', '/api/v1/admin/jobs'],
    ['POST', '/api/v1/admin/jobs/money/1/retry'],
    ['DELETE', '/api/v1/admin/jobs/money/1'],
  ] as const) {
    assert.equal((await node.api(method, p)).status, 401, `${method} ${p} without a token`);
    const res = await node.api(method, p, { token: listener.token });
    assert.equal(res.status, 403, `${method} ${p} as a listener`);
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  }
});

test('disk use: one walk at a time, kept from when it ended, the last figures served while the next runs', { timeout: 30_000 }, async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), '9ten-disk-walk-'));
  try {
    for (let i = 0; i < 40; i++) {
      const track = path.join(root, 'streaming', `track-${i}`);
      mkdirSync(track, { recursive: true });
      for (let j = 0; j < 25; j++) writeFileSync(path.join(track, `segment-${j}.m4s`), 'x'.repeat(10));
    }
    let walks = 0;
    // Each walk asks where the media folder is once: the count of walks started.
    const disk = new DiskUse(() => {
      walks++;
      return { root } as MediaStorage;
    });
    const renditions = (m: { kinds: { kind: string; files: number }[] }) => m.kinds.find((k) => k.kind === 'renditions')!.files;
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const first = disk.measure();
    // The cache's minute passes while the walk still runs: callers wait for it, none starts another.
    t.mock.timers.tick(61_000);
    const during = await Promise.all([disk.measure(), disk.measure(), disk.measure()]);
    const measured = await first;
    assert.equal(walks, 1, 'one walk');
    assert.equal(renditions(measured), 1000);
    for (const m of during) assert.deepEqual(m, measured);
    // Kept a minute from when the walk ended, not from when it started.
    t.mock.timers.tick(59_000);
    assert.deepEqual(await disk.measure(), measured);
    assert.equal(walks, 1, 'still the same walk');
    // Expired: the last figures answer at once while one new walk runs.
    writeFileSync(path.join(root, 'streaming', 'track-0', 'segment-new.m4s'), 'x');
    t.mock.timers.tick(2_000);
    const meanwhile = await Promise.all(Array.from({ length: 10 }, () => disk.measure()));
    for (const m of meanwhile) assert.deepEqual(m, measured);
    assert.equal(walks, 2, 'one new walk for ten callers');
    const next = await waitFor('the new walk’s figures', async () => renditions(await disk.measure()) === 1001 || undefined, 10_000, 10);
    assert.ok(next);
    assert.equal(walks, 2);
  } finally {
    t.mock.timers.reset();
    rmSync(root, { recursive: true, force: true });
  }
});

test('disk use counts a real track’s files by kind', { timeout: 120_000 }, async () => {
  const artist = await makeArtist(node);
  const done = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 4, cover: true }));
  assert.equal(done.status, 200, done.text);
  const trackId: string = done.body.trackId;
  assert.equal((await waitTrack(node, artist.token, trackId)).status, 'ready');

  // What the media folder holds, sorted into kinds here by hand.
  const media = path.join(node.dataDir, 'media');
  const expected: Record<string, { bytes: number; files: number }> = {};
  const add = (kind: string, file: string) => {
    const e = (expected[kind] ??= { bytes: 0, files: 0 });
    e.bytes += statSync(file).size;
    e.files += 1;
  };
  for (const f of filesUnder(path.join(media, 'originals'))) add('originals', path.join(media, 'originals', f));
  for (const f of filesUnder(path.join(media, 'covers'))) add('covers', path.join(media, 'covers', f));
  const trackDir = path.join(media, 'streaming', trackId);
  for (const f of filesUnder(trackDir)) {
    const kind = f.endsWith('.torrent') ? 'torrents' : f === 'audio.m4a' || f === 'audio.json' ? 'progressive' : 'renditions';
    add(kind, path.join(trackDir, f));
  }
  assert.equal(expected.originals?.files, 1, 'the original is kept');
  assert.equal(expected.covers?.files, 1, 'the embedded cover was extracted');
  assert.ok(expected.renditions?.files > 2, 'the HLS ladder is on disk');
  assert.equal(expected.progressive?.files, 2, 'the progressive file and its index');
  assert.ok(expected.torrents?.files >= 1, 'a torrent per rendition');

  const view = await machine();
  assert.deepEqual(view.problems, []);
  const kinds = Object.fromEntries(view.disk.kinds.map((k: { kind: string; bytes: number; files: number }) => [k.kind, { bytes: k.bytes, files: k.files }]));
  assert.deepEqual(Object.keys(kinds), ['originals', 'renditions', 'progressive', 'torrents', 'covers', 'uploads', 'transcoding', 'other']);
  for (const kind of ['originals', 'covers', 'renditions', 'progressive', 'torrents']) {
    assert.deepEqual(kinds[kind], expected[kind] ?? { bytes: 0, files: 0 }, `${kind}: the bytes and files on disk`);
  }
  assert.deepEqual(kinds.uploads, { bytes: 0, files: 0 }, 'no upload in progress');
  assert.deepEqual(kinds.transcoding, { bytes: 0, files: 0 }, 'no transcode in progress');
  assert.equal(view.books.balanced, true);

  const metrics = (await node.api('GET', '/metrics')).text;
  assert.equal(gauge(metrics, 'nineten_media_disk_bytes', { kind: 'originals' }), expected.originals.bytes);
  assert.equal(gauge(metrics, 'nineten_media_disk_files', { kind: 'renditions' }), expected.renditions.files);
});

test('a transcode shows waiting, then running; a running job cannot be removed', { timeout: 120_000 }, async () => {
  const artist = await makeArtist(node);
  const media = node.ctx.jobs.queue('media');
  await media.pause();
  let trackId: string;
  try {
    const done = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 90, name: 'long.mp3' }));
    assert.equal(done.status, 200, done.text);
    trackId = done.body.trackId;
    const waiting = await waitFor('the transcode queued', async () => {
      const v = await machine();
      return v.transcodes.waiting === 1 && v;
    });
    assert.deepEqual(waiting.transcodes.running, []);
    assert.equal(waiting.jobs.queues.find((q: { name: string }) => q.name === 'media').kinds.find((k: { kind: string }) => k.kind === 'media.transcode').counts.waiting, 1);
  } finally {
    await media.resume();
  }
  const running = await waitFor(
    'the transcode running',
    async () => (await machine()).transcodes.running.find((j: { data: { trackId: string } }) => j.data.trackId === trackId),
    60_000,
    50,
  );
  assert.equal(running.kind, 'media.transcode');
  assert.ok(running.startedAt, 'when it started');
  const refused = await node.api('DELETE', `/api/v1/admin/jobs/media/${running.id}`, { token: admin.token });
  assert.equal(refused.status, 409, refused.text);
  assert.equal(refused.body.code, 'job_running');
  assert.equal((await waitTrack(node, artist.token, trackId!)).status, 'ready');
  // The track is ready a moment before its job completes: the gauge follows the job.
  await waitFor('no transcode running', async () => gauge((await node.api('GET', '/metrics')).text, 'nineten_media_transcodes_running') === 0);
});

test('a failed transcode retried by an admin is transcoded again from its original', { timeout: 120_000 }, async () => {
  const artist = await makeArtist(node);
  const media = node.ctx.jobs.queue('media');
  await media.pause();
  let trackId: string;
  let original: string;
  try {
    const done = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 3, name: 'retried.mp3' }));
    assert.equal(done.status, 200, done.text);
    trackId = done.body.trackId;
    const [row] = (await node.ctx.db.query('SELECT original_file FROM media_tracks WHERE id = :id', { replacements: { id: trackId } }))[0] as { original_file: string }[];
    original = path.join(node.dataDir, 'media', 'originals', row.original_file);
    // The original is out of reach when the transcode runs (a disk not mounted): it fails for good.
    renameSync(original, `${original}.away`);
  } finally {
    await media.resume();
  }
  assert.equal((await waitTrack(node, artist.token, trackId!)).status, 'failed');
  const job = await waitFor('the failed transcode listed', async () =>
    (await jobsOverview()).failed.find((j: { kind: string; data: { trackId?: string } }) => j.kind === 'media.transcode' && j.data.trackId === trackId),
  );
  // The admin brings the file back and retries the job: the track is transcoded again.
  renameSync(`${original!}.away`, original!);
  const retried = await node.api('POST', `/api/v1/admin/jobs/media/${job.id}/retry`, { token: admin.token });
  assert.equal(fits(retried, 'post', '/api/v1/admin/jobs/{queue}/{id}/retry').state, 'waiting');
  const ready = await waitFor('the track transcoded again', async () => {
    const t = (await node.api('GET', `/api/v1/tracks/${trackId}`, { token: artist.token })).body;
    return t.status === 'ready' && t;
  }, 30_000, 150);
  assert.equal(ready.failureReason ?? null, null);
  assert.ok(!(await jobsOverview()).failed.some((j: { id: string }) => j.id === job.id), 'the failed job is no longer listed');
});

test('a failed job is listed with its error, retried once its cause is fixed, or removed', async () => {
  const jobs = node.ctx.jobs;
  // A payout of a month that is not closed fails: a real failure of a real handler.
  const failing = (await jobs.enqueue('money.payout', { month: '2024-11' }, { attempts: 1 }))!;
  await jobState('money', failing, 'failed');
  // Per-kind counts read every job's kind: only when asked for.
  assert.ok((await jobsOverview()).queues.every((q: { kinds?: unknown }) => q.kinds === undefined), 'no per-kind counts unless asked');
  const listed = await jobsOverview('&kinds=1');
  const entry = listed.failed.find((j: { id: string }) => j.id === failing);
  assert.ok(entry, 'the failed job is listed');
  assert.equal(entry.kind, 'money.payout');
  assert.equal(entry.queue, 'money');
  assert.match(entry.error, /not closed/);
  const moneyQueue = listed.queues.find((q: { name: string }) => q.name === 'money');
  assert.equal(moneyQueue.counts.failed, 1);
  assert.equal(moneyQueue.kinds.find((k: { kind: string }) => k.kind === 'money.payout').counts.failed, 1);

  // A job that has not failed is not retried; one that is not running can be removed.
  const later = (await jobs.enqueue('money.payout', { month: '2024-12' }, { delay: 600_000 }))!;
  const notFailed = await node.api('POST', `/api/v1/admin/jobs/money/${later}/retry`, { token: admin.token });
  assert.equal(notFailed.status, 409, notFailed.text);
  assert.equal(notFailed.body.code, 'job_not_failed');
  assert.equal((await node.api('DELETE', `/api/v1/admin/jobs/money/${later}`, { token: admin.token })).status, 204);
  assert.equal(await node.ctx.jobs.queue('money').getJobState(later), 'unknown');
  for (const p of [`/api/v1/admin/jobs/money/${later}`, '/api/v1/admin/jobs/nosuchqueue/1', '/api/v1/admin/jobs/money/no:such:id', '/api/v1/admin/jobs/money/999999']) {
    const res = await node.api('DELETE', p, { token: admin.token });
    assert.equal(res.status, 404, `${p}: ${res.text}`);
  }
  assert.equal((await node.api('POST', '/api/v1/admin/jobs/money/999999/retry', { token: admin.token })).status, 404);

  // The admin closes the month, then retries: the payout runs and the job leaves the failed list.
  assert.equal((await moneyService(node.ctx).closeMonth('2024-11')).status, 'closed');
  const retried = await node.api('POST', `/api/v1/admin/jobs/money/${failing}/retry`, { token: admin.token });
  assert.deepEqual(fits(retried, 'post', '/api/v1/admin/jobs/{queue}/{id}/retry'), { queue: 'money', id: failing, state: 'waiting' });
  await jobState('money', failing, 'completed');
  assert.ok(!(await jobsOverview()).failed.some((j: { id: string }) => j.id === failing), 'no longer listed as failed');

  // Another failure, removed instead.
  const doomed = (await jobs.enqueue('money.payout', { month: '2024-10' }, { attempts: 1 }))!;
  await jobState('money', doomed, 'failed');
  assert.equal((await node.api('DELETE', `/api/v1/admin/jobs/money/${doomed}`, { token: admin.token })).status, 204);
  assert.ok(!(await jobsOverview()).failed.some((j: { id: string }) => j.id === doomed), 'gone from the list');
  assert.equal(await node.ctx.jobs.queue('money').getJobState(doomed), 'unknown');
});

let deadHost: string;

test('deliveries to a dead host show as failing, then skipped, for that host, beside a healthy one', { timeout: 60_000 }, async () => {
  // A host not heard of for more than 8 days: its figures go with the hourly prune.
  await node.ctx.db.query(`INSERT INTO federation_delivery_hosts (host, last_failure_at, last_error) VALUES ('gone-long-ago.example', now() - interval '9 days', 'HTTP 502')`);
  await node.ctx.db.query(`INSERT INTO federation_delivery_stats (host, hour, failed) VALUES ('gone-long-ago.example', date_trunc('hour', now() - interval '9 days'), 3)`);
  await makeArtist(node, 'machine_band');
  const channelUri = `${node.ctx.config.publicUrl}/ap/channels/machine_band`;
  const deadBase = `http://127.0.0.1:${await freePort()}`;
  deadHost = new URL(deadBase).host;
  const liveHost = new URL(receiverUrl).host;
  await remoteFollower(node, 'alive', receiverUrl, channelUri);
  await remoteFollower(node, 'gone', deadBase, channelUri);
  const { inboxes } = await federationService(node.ctx).sendStream({ channel: 'machine_band', streamId: 'machine-1', state: 'started', name: 'One' });
  assert.equal(inboxes, 2);

  const hosts = await waitFor('both hosts tried', async () => {
    const v = await machine();
    const byHost = new Map<string, DeliveryHealth>(v.deliveries.map((x: DeliveryHealth) => [x.host, x]));
    return byHost.get(liveHost)?.delivered24h && byHost.get(deadHost)?.failed24h ? byHost : undefined;
  });
  const dead = hosts.get(deadHost)!;
  assert.equal(dead.delivered24h, 0);
  assert.equal(dead.pending, 1, 'waiting for its next retry');
  assert.ok(dead.lastFailureAt && !dead.lastSuccessAt);
  assert.ok(dead.lastError && dead.lastError.length > 0, 'the error is shown');
  const live = hosts.get(liveHost)!;
  assert.deepEqual([live.delivered24h, live.failed24h, live.pending, live.dead, live.lastError], [1, 0, 0, 0, null]);
  assert.ok(live.lastSuccessAt);
  assert.equal(received.filter((r) => r.path === '/actors/alive/inbox').length, 1);
  // The most troubled host comes first.
  assert.equal([...hosts.keys()][0], deadHost);
  // Each retry counts as a failed attempt.
  await waitFor('a retry failed too', async () => (await machine()).deliveries.find((x: DeliveryHealth) => x.host === deadHost)?.failed24h >= 2, 20_000);

  // Four more activities: the host fails five times in a row and is skipped for a while, so every
  // delivery to it ends `skipped` (not `dead`), and shows as such.
  for (let i = 2; i <= 5; i++) await federationService(node.ctx).sendStream({ channel: 'machine_band', streamId: `machine-${i}`, state: 'started', name: `Take ${i}` });
  const skipped = await waitFor('every delivery to the dead host skipped', async () => {
    const v = await machine();
    const x = v.deliveries.find((d: DeliveryHealth) => d.host === deadHost);
    return x?.pending === 0 && x.skipped === 5 && v;
  }, 30_000);
  const gone = skipped.deliveries[0];
  assert.equal(gone.host, deadHost, 'the most troubled host first');
  assert.equal(gone.dead, 0, 'skipped, not dead');
  assert.ok(gone.failed24h >= 5);
  await waitFor('the live host got all five', () => received.filter((r) => r.path === '/actors/alive/inbox').length === 5);
  const states = (await node.ctx.db.query(`SELECT DISTINCT state FROM federation_deliveries WHERE inbox LIKE :inbox`, { replacements: { inbox: `http://${deadHost}/%` } }))[0] as { state: string }[];
  assert.deepEqual(states.map((r) => r.state), ['skipped']);

  const old = async (table: string) => ((await node.ctx.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE host = 'gone-long-ago.example'`))[0] as { n: number }[])[0].n;
  await waitFor('the old host pruned', async () => (await old('federation_delivery_hosts')) === 0 && (await old('federation_delivery_stats')) === 0);
  assert.ok(!skipped.deliveries.some((d: DeliveryHealth) => d.host === 'gone-long-ago.example'));
});

test('/metrics carries the machine’s gauges; remote hosts by name only for the bearer of the token', async () => {
  const res = await node.api('GET', '/metrics');
  assert.equal(res.status, 200);
  const text = res.text;
  for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) {
    assert.notEqual(gauge(text, 'nineten_queue_jobs', { queue: 'media', state }), undefined, `media ${state}`);
  }
  assert.ok(gauge(text, 'nineten_queue_jobs', { queue: 'money', state: 'completed' })! >= 1);
  assert.equal(gauge(text, 'nineten_books_balanced'), 1);
  assert.equal(gauge(text, 'nineten_books_problems', { problem: 'unbalanced_transactions' }), 0);
  for (const kind of ['originals', 'renditions', 'progressive', 'torrents', 'covers', 'uploads', 'transcoding', 'other']) {
    assert.notEqual(gauge(text, 'nineten_media_disk_bytes', { kind }), undefined, kind);
  }
  // No token set: the metrics are public, and name none of the servers this node talks to.
  const liveHost = new URL(receiverUrl).host;
  assert.ok(!text.includes(deadHost) && !text.includes(liveHost), 'no host named');
  assert.equal(gauge(text, 'nineten_federation_deliveries', { host: 'all', outcome: 'skipped_7d' }), 5);
  assert.equal(gauge(text, 'nineten_federation_deliveries', { host: 'all', outcome: 'delivered_24h' }), 5);
  assert.ok(gauge(text, 'nineten_federation_deliveries', { host: 'all', outcome: 'failed_24h' })! >= 5);
  assert.equal(gauge(text, 'nineten_federation_deliveries', { host: 'all', outcome: 'pending' }), 0);

  // A token set: only its bearer reads the metrics, and they name the hosts.
  const token = 'metrics-token-0123456789abcdef';
  setMetrics(node, { token });
  try {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`]) {
      const denied = await node.api('GET', '/metrics', { headers: authorization ? { authorization } : {} });
      assert.equal(denied.status, 401, `${authorization}: ${denied.text}`);
      assert.equal(denied.headers.get('www-authenticate'), 'Bearer');
      assert.ok(!denied.text.includes('nineten_'));
    }
    const named = await node.api('GET', '/metrics', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(named.status, 200);
    assert.equal(gauge(named.text, 'nineten_federation_deliveries', { host: deadHost, outcome: 'skipped_7d' }), 5);
    assert.ok(gauge(named.text, 'nineten_federation_deliveries', { host: deadHost, outcome: 'failed_24h' })! >= 5);
    assert.equal(gauge(named.text, 'nineten_federation_deliveries', { host: deadHost, outcome: 'delivered_24h' }), 0);
    assert.equal(gauge(named.text, 'nineten_federation_deliveries', { host: liveHost, outcome: 'delivered_24h' }), 5);
    assert.equal(gauge(named.text, 'nineten_federation_deliveries', { host: 'all', outcome: 'delivered_24h' }), undefined);
  } finally {
    setMetrics(node, { token: null });
  }
});

test('overlapping scrapes each carry every series', async () => {
  const series = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).length;
  const want = {
    nineten_queue_jobs: node.ctx.jobs.queueNames().length * jobStates.length,
    nineten_media_transcodes_running: 1,
    nineten_media_disk_bytes: 8,
    nineten_media_disk_files: 8,
    nineten_books_balanced: 1,
    nineten_books_problems: 2,
  };
  const texts = await Promise.all(Array.from({ length: 60 }, async (_, i) => {
    await sleep(i * 1.5);
    return (await node.api('GET', '/metrics')).text;
  }));
  for (const [i, text] of texts.entries()) {
    for (const [name, n] of Object.entries(want)) assert.equal(series(text, name), n, `scrape ${i}: ${name}`);
  }
});

test('the delivery gauges name at most 20 hosts and sum the rest as "other", or all as "all" when hosts are not named', () => {
  const hosts: DeliveryHealth[] = Array.from({ length: 25 }, (_, i) => ({
    host: `h${i}.example`, delivered24h: 1, failed24h: i < 3 ? 2 : 0, pending: 1, dead: 0, skipped: i < 2 ? 1 : 0, lastSuccessAt: null, lastFailureAt: null, lastError: null,
  }));
  const rows = deliveryGaugeRows(hosts, true);
  assert.equal(new Set(rows.map((r) => r.host)).size, 21);
  assert.deepEqual(rows.filter((r) => r.host === 'other').map((r) => [r.outcome, r.value]), [['delivered_24h', 5], ['failed_24h', 0], ['pending', 5], ['dead_7d', 0], ['skipped_7d', 0]]);
  assert.deepEqual(deliveryGaugeRows(hosts, false).map((r) => [r.host, r.outcome, r.value]), [
    ['all', 'delivered_24h', 25], ['all', 'failed_24h', 6], ['all', 'pending', 25], ['all', 'dead_7d', 0], ['all', 'skipped_7d', 2],
  ]);
  assert.deepEqual(deliveryGaugeRows([], true), []);
  assert.deepEqual(deliveryGaugeRows([], false).map((r) => r.value), [0, 0, 0, 0, 0]);
});

test('/metrics and the machine answer while Redis is down, without the queues', { timeout: 60_000 }, async () => {
  const redis = new URL(testRedisUrl);
  const proxy = await tcpProxy(redis.hostname, Number(redis.port || 6379));
  const cut = await startTestNode({ name: 'machine-redis-down', overrides: { role: 'web', redisUrl: `redis://127.0.0.1:${proxy.port}${redis.pathname}` } });
  try {
    setMetrics(cut, { cacheSeconds: 0 });
    const boss = await cut.user('admin');
    assert.notEqual(gauge((await cut.api('GET', '/metrics')).text, 'nineten_queue_jobs', { queue: 'media', state: 'waiting' }), undefined, 'the queues while Redis answers');
    await proxy.cut();
    const timed = async (p: string, headers: Record<string, string> = {}) => {
      const started = performance.now();
      const res = await fetch(cut.url + p, { headers, signal: AbortSignal.timeout(15_000) });
      return { status: res.status, text: await res.text(), ms: performance.now() - started };
    };
    const metrics = await timed('/metrics');
    assert.equal(metrics.status, 200);
    assert.ok(metrics.ms < 5_000, `answered in ${Math.round(metrics.ms)} ms`);
    assert.match(metrics.text, /^nineten_http_requests_total\{/m, 'the HTTP metrics');
    assert.equal(gauge(metrics.text, 'nineten_books_balanced'), 1, 'the database’s figures');
    assert.doesNotMatch(metrics.text, /^nineten_queue_jobs\{/m, 'no queue figures');
    const view = await timed('/api/v1/admin/machine', { authorization: `Bearer ${boss.token}` });
    assert.equal(view.status, 200, view.text);
    assert.ok(view.ms < 5_000, `answered in ${Math.round(view.ms)} ms`);
    const body = JSON.parse(view.text);
    assert.equal(body.jobs, null);
    assert.ok(body.problems.some((p: { part: string }) => p.part === 'jobs'), JSON.stringify(body.problems));
    assert.equal(body.books.balanced, true);
    assert.ok(body.disk, 'disk use still shown');
  } finally {
    await proxy.restore();
    await cut.stop();
    await proxy.cut();
  }
});

test('work a worker repeats runs on its interval, told to stop when the jobs close', async () => {
  const jobs = new Jobs({ redisUrl: testRedisUrl, prefix: `t9:machine-periodic-${process.pid}`, logger: createLogger('silent', 'periodic') });
  const runs: AbortSignal[] = [];
  jobs.atWorkerStart('counting', async (signal) => {
    runs.push(signal);
    await sleep(20);
  }, { everyMs: 40 });
  jobs.startWorkers();
  await waitFor('three runs', () => runs.length >= 3, 5_000, 10);
  await jobs.close();
  assert.ok(runs.every((s) => s.aborted), 'the work is told to stop');
  const seen = runs.length;
  await sleep(150);
  assert.equal(runs.length, seen, 'no run after close');
});

test('deliveries pending at backup time are queued again when a worker starts on an empty queue', { timeout: 90_000 }, async () => {
  // A web-only node records deliveries; nothing delivers them, and stopping empties its Redis
  // as a restore onto a fresh machine does. The database keeps them pending.
  const port = await freePort();
  const web = await startTestNode({ name: 'machine-restore', keepDatabase: true, port, overrides: { role: 'web' } });
  const dbName = new URL(web.databaseUrl).pathname.slice(1);
  let restored: TestNode | undefined;
  try {
    await makeArtist(web, 'restored_band');
    const channelUri = `${web.ctx.config.publicUrl}/ap/channels/restored_band`;
    await remoteFollower(web, 'restore-follower', receiverUrl, channelUri);
    const { id } = await federationService(web.ctx).sendStream({ channel: 'restored_band', streamId: 'restored-1', state: 'started', name: 'Before the backup' });
    await web.stop();

    restored = await startTestNode({ name: 'machine-restore', databaseName: dbName, dataDir: web.dataDir, port, overrides: { role: 'all' } });
    const inbox = '/actors/restore-follower/inbox';
    await waitFor('the pending delivery delivered', () => received.some((r) => r.path === inbox && r.body.id?.endsWith(id)));
    const state = async () => ((await restored!.ctx.db.query('SELECT state FROM federation_deliveries WHERE activity_id = :id', { replacements: { id } }))[0] as { state: string }[])[0].state;
    await waitFor('delivered', async () => (await state()) === 'delivered');

    // Running the sweep again queues nothing: nothing is pending.
    const delivery = federationService(restored.ctx).delivery;
    assert.deepEqual(await delivery.requeueLost(), { requeued: 0 });

    // A delivery whose job will still run is left alone (one job, one POST).
    const federation = restored.ctx.jobs.queue('federation');
    await federation.pause();
    const second = await federationService(restored.ctx).sendStream({ channel: 'restored_band', streamId: 'restored-2', state: 'started', name: 'Queued' });
    await waitFor('its job queued', async () => (await federation.getJobCounts('waiting')).waiting === 1);
    assert.deepEqual(await delivery.requeueLost(), { requeued: 0 });
    await federation.resume();
    await waitFor('the second delivered', () => received.some((r) => r.path === inbox && r.body.id?.endsWith(second.id)));

    // A database restored from before a delivery, beside a Redis that kept its finished job:
    // the finished job must not swallow the delivery queued again.
    await restored.ctx.db.query(`UPDATE federation_deliveries SET state = 'pending' WHERE activity_id = :id`, { replacements: { id: second.id } });
    assert.deepEqual(await delivery.requeueLost(), { requeued: 1 });
    await waitFor('delivered again', () => received.filter((r) => r.path === inbox && r.body.id?.endsWith(second.id)).length === 2);
    assert.equal(received.filter((r) => r.path === inbox && r.body.id?.endsWith(id)).length, 1, 'the first went once');
  } finally {
    await restored?.stop();
  }
});

test('the machine page shows the figures and removes a failed job', { skip: skipWithoutChromium, timeout: 120_000 }, async () => {
  await ensureClientBuilt();
  const failing = (await node.ctx.jobs.enqueue('money.payout', { month: '2024-09' }, { attempts: 1 }))!;
  await jobState('money', failing, 'failed');
  const session = await openBrowser(node.url);
  try {
    const { page } = session;
    page.on('dialog', (d) => void d.accept());
    await logIn(page, admin.user.username, admin.password, '/admin/machine');
    await session.reach(page.getByRole('heading', { name: 'The machine' }));
    await session.reach(page.locator('#books-health[data-balanced="true"]'));
    await session.reach(page.getByRole('cell', { name: 'originals' }));
    await session.reach(page.locator(`[data-host="${deadHost}"]`));
    await session.reach(page.getByRole('columnheader', { name: 'Skipped 7 d' }));
    const row = page.locator(`[data-job="money/${failing}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: `Remove money.payout job ${failing}` }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(await node.ctx.jobs.queue('money').getJobState(failing), 'unknown');
    await session.shot('admin-machine');
    assert.deepEqual(session.pageErrors, []);
  } finally {
    await session.close();
  }
});
