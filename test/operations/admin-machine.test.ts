// The admin's view of the machine, with real parts: BullMQ jobs that really fail are listed,
// retried and removed through the API; disk use counts a real transcoded track's files by kind;
// a transcode is seen waiting and running; deliveries to a dead host show as failing for that
// host beside a healthy one; /metrics carries the same figures; deliveries the database holds
// as pending are queued again when a worker starts on an emptied Redis (a restore); the admin
// page shows it all in a real browser; and only admins see any of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { readdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startTestNode, type ApiResponse, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { waitFor } from '../helpers/wait.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { freePort } from '../../server/db/embedded.js';
import { federationService } from '../../server/federation/index.js';
import { moneyService } from '../../server/money/index.js';
import { deliveryGaugeRows } from '../../server/api/machine.js';
import type { DeliveryHealth } from '../../server/federation/contract.js';
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

const machine = async () => fits(await node.api('GET', '/api/v1/admin/machine', { token: admin.token }), 'get', '/api/v1/admin/machine');
const jobsOverview = async () => fits(await node.api('GET', '/api/v1/admin/jobs?limit=100', { token: admin.token }), 'get', '/api/v1/admin/jobs');

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
  assert.equal(gauge((await node.api('GET', '/metrics')).text, 'nineten_media_transcodes_running'), 0);
});

test('a failed job is listed with its error, retried once its cause is fixed, or removed', async () => {
  const jobs = node.ctx.jobs;
  // A payout of a month that is not closed fails: a real failure of a real handler.
  const failing = (await jobs.enqueue('money.payout', { month: '2024-11' }, { attempts: 1 }))!;
  await jobState('money', failing, 'failed');
  const listed = await jobsOverview();
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

test('deliveries to a dead host show as failing for that host, beside a healthy one', { timeout: 60_000 }, async () => {
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
});

test('/metrics carries the machine’s gauges', async () => {
  const res = await node.api('GET', '/metrics');
  assert.equal(res.status, 200);
  const text = res.text;
  for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) {
    assert.notEqual(gauge(text, 'nineten_queue_jobs', { queue: 'media', state }), undefined, `media ${state}`);
  }
  assert.ok(gauge(text, 'nineten_queue_jobs', { queue: 'money', state: 'completed' })! >= 1);
  assert.ok(gauge(text, 'nineten_federation_deliveries', { host: deadHost, outcome: 'failed_24h' })! >= 1);
  assert.equal(gauge(text, 'nineten_federation_deliveries', { host: deadHost, outcome: 'delivered_24h' }), 0);
  assert.equal(gauge(text, 'nineten_federation_deliveries', { host: new URL(receiverUrl).host, outcome: 'delivered_24h' }), 1);
  assert.equal(gauge(text, 'nineten_books_balanced'), 1);
  assert.equal(gauge(text, 'nineten_books_problems', { problem: 'unbalanced_transactions' }), 0);
  for (const kind of ['originals', 'renditions', 'progressive', 'torrents', 'covers', 'uploads', 'transcoding', 'other']) {
    assert.notEqual(gauge(text, 'nineten_media_disk_bytes', { kind }), undefined, kind);
  }
});

test('the delivery gauges name at most 20 hosts and sum the rest as "other"', () => {
  const hosts: DeliveryHealth[] = Array.from({ length: 25 }, (_, i) => ({
    host: `h${i}.example`, delivered24h: 1, failed24h: i < 3 ? 2 : 0, pending: 1, dead: 0, lastSuccessAt: null, lastFailureAt: null, lastError: null,
  }));
  const rows = deliveryGaugeRows(hosts);
  assert.equal(new Set(rows.map((r) => r.host)).size, 21);
  assert.deepEqual(rows.filter((r) => r.host === 'other').map((r) => [r.outcome, r.value]), [['delivered_24h', 5], ['failed_24h', 0], ['pending', 5], ['dead_7d', 0]]);
  assert.deepEqual(deliveryGaugeRows([]), []);
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
