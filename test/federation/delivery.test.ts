// Delivery: queued only after commit, one delivery per shared inbox, retried with backoff,
// inboxes that keep failing are skipped for a while, dead letters visible to admins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { federationService } from '../../server/federation/index.js';
import { startNodes, waitFor, hostOf, count } from './support.js';

let a: TestNode, b: TestNode;
let admin: Awaited<ReturnType<TestNode['user']>>;
let receiver: http.Server;
let receiverUrl: string;
let answer: () => number = () => 202;
const received: { path: string; body: any }[] = [];

async function fakeFollower(node: TestNode, name: string, inbox: string, channelUri: string) {
  const uri = `${receiverUrl}/actors/${name}`;
  await node.ctx.db.query(
    `INSERT INTO federation_remote_actors (uri, host, type, preferred_username, inbox, raw) VALUES (:uri, :host, 'Person', :name, :inbox, '{}')`,
    { replacements: { uri, host: new URL(receiverUrl).host, name, inbox } },
  );
  await node.ctx.db.query(
    `INSERT INTO federation_follows (follower_uri, following_uri, state, activity_uri, local_follower) VALUES (:uri, :ch, 'accepted', :act, false)`,
    { replacements: { uri, ch: channelUri, act: `${uri}/follow` } },
  );
}

before(async () => {
  [a, b] = await startNodes(['dlv-a', 'dlv-b']);
  admin = await a.user('admin');
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const status = answer();
      if (status < 300) received.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((r) => receiver.close(() => r()));
  await Promise.all([a, b].map((n) => n?.stop()));
});

test('followers on one node get one delivery, to its shared inbox', async () => {
  await makeArtist(a, 'shared_band');
  for (const name of ['u1', 'u2', 'u3']) {
    const u = await b.user('listener', name);
    const res = await b.api('POST', '/api/v1/federation/follows', { token: u.token, body: { handle: `shared_band@${hostOf(a)}` } });
    assert.equal(res.status, 201, res.text);
  }
  const channelUri = `${a.ctx.config.publicUrl}/ap/channels/shared_band`;
  await waitFor('3 followers', async () => JSON.parse((await a.api('GET', '/ap/channels/shared_band/followers')).text).totalItems === 3);
  const { id, inboxes } = await federationService(a.ctx).sendStream({ channel: 'shared_band', streamId: 's-1', state: 'started', name: 'One' });
  assert.equal(inboxes, 1);
  await a.waitJobs();
  const [rows] = await a.ctx.db.query(`SELECT inbox, state FROM federation_deliveries WHERE activity_id = :id`, { replacements: { id } });
  assert.deepEqual(rows, [{ inbox: `${b.ctx.config.publicUrl}/ap/inbox`, state: 'delivered' }]);
  await waitFor('stream on B', async () => (await count(b, 'federation_streams', `actor_uri = '${channelUri}'`)) === 1);
});

test('nothing is queued when the transaction rolls back', async () => {
  const svc = federationService(a.ctx);
  const channel = (await svc.actors.forChannel('shared_band'))!;
  const before = await count(a, 'federation_outbox');
  await assert.rejects(
    a.ctx.db.transaction(async (t) => {
      await svc.delivery.queue({ actorUri: channel.uri, activity: { type: 'Update', actor: channel.uri, object: channel.uri }, toFollowersOf: channel.uri }, t);
      throw new Error('roll back');
    }),
    /roll back/,
  );
  await a.waitJobs();
  assert.equal(await count(a, 'federation_outbox'), before);
  assert.equal(await count(a, 'federation_deliveries', `state = 'pending'`), 0);
});

test('an activity queued with a fixed id is recorded and delivered once, however often it is queued', async () => {
  await makeArtist(a, 'once_band');
  const svc = federationService(a.ctx);
  const channel = (await svc.actors.forChannel('once_band'))!;
  await fakeFollower(a, 'once', `${receiverUrl}/once/inbox`, channel.uri);
  const id = '6b1f0c52-3a9e-8d41-9a7c-2f0e5d4b1c38';
  const input = { id, actorUri: channel.uri, activity: { type: 'Update', actor: channel.uri, object: channel.uri }, toFollowersOf: channel.uri };
  const first = await svc.delivery.queue(input);
  assert.equal(first.inboxes, 1);
  assert.equal(first.uri, `${a.ctx.config.publicUrl}/ap/activities/${id}`);
  const second = await svc.delivery.queue(input);
  assert.deepEqual(second, { id, uri: first.uri, inboxes: 0 });
  await a.waitJobs();
  assert.equal(await count(a, 'federation_outbox', `id = '${id}'`), 1);
  assert.equal(await count(a, 'federation_deliveries', `activity_id = '${id}' AND state = 'delivered'`), 1);
  assert.equal(received.filter((r) => r.body.id === first.uri).length, 1);
});

test('a failing inbox is retried with backoff, then delivered', async () => {
  await makeArtist(a, 'retry_band');
  const channelUri = `${a.ctx.config.publicUrl}/ap/channels/retry_band`;
  await fakeFollower(a, 'flaky', `${receiverUrl}/flaky/inbox`, channelUri);
  let calls = 0;
  answer = () => (++calls === 1 ? 503 : 202);
  const { id } = await federationService(a.ctx).sendStream({ channel: 'retry_band', streamId: 'r-1', state: 'started', name: 'Retry' });
  await waitFor('delivered after a retry', async () => (await count(a, 'federation_deliveries', `activity_id = '${id}' AND state = 'delivered' AND attempts = 2`)) === 1, 15_000);
  assert.equal(calls, 2);
  assert.equal(received.at(-1)!.body.type[0], 'Stream');
  // Software that does not know 9ten's vocabulary gets the core fallback type too.
  assert.equal(received.at(-1)!.body.type[1], 'Create');
  assert.equal(received.at(-1)!.body.object.type, 'Note');
});

test('an inbox that keeps failing is skipped for a while; dead letters are listed and can be retried', async () => {
  await makeArtist(a, 'dead_band');
  const channelUri = `${a.ctx.config.publicUrl}/ap/channels/dead_band`;
  const inbox = `${receiverUrl}/gone/inbox`;
  await fakeFollower(a, 'gone', inbox, channelUri);
  answer = () => 410;
  const svc = federationService(a.ctx);
  for (let i = 0; i < 5; i++) await svc.sendStream({ channel: 'dead_band', streamId: `d-${i}`, state: 'started', name: `Dead ${i}` });
  await a.waitJobs();
  assert.equal(await count(a, 'federation_deliveries', `inbox = '${inbox}' AND state = 'dead'`), 5);
  const [health] = await a.ctx.db.query(`SELECT consecutive_failures, skip_until FROM federation_inbox_health WHERE inbox = :i`, { replacements: { i: inbox } });
  assert.equal((health as any[])[0].consecutive_failures, 5);
  assert.ok((health as any[])[0].skip_until);

  // The sixth is not even attempted.
  answer = () => 202;
  const sixth = await svc.sendStream({ channel: 'dead_band', streamId: 'd-5', state: 'started', name: 'Dead 5' });
  await a.waitJobs();
  const [skipped] = await a.ctx.db.query(`SELECT state, last_error FROM federation_deliveries WHERE activity_id = :id`, { replacements: { id: sixth.id } });
  assert.equal((skipped as any[])[0].state, 'skipped');
  assert.match((skipped as any[])[0].last_error, /skipped until/);

  const list = await a.api('GET', '/api/v1/federation/admin/dead-letters', { token: admin.token });
  assert.equal(list.status, 200);
  assert.equal(list.body.total, 6);
  assert.ok(list.body.data.every((d: any) => d.inbox === inbox));
  const listener = await a.user('listener');
  assert.equal((await a.api('GET', '/api/v1/federation/admin/dead-letters', { token: listener.token })).status, 403);

  const retry = await a.api('POST', `/api/v1/federation/admin/dead-letters/${list.body.data[0].id}/retry`, { token: admin.token });
  assert.equal(retry.status, 202);
  await a.waitJobs();
  assert.equal(await count(a, 'federation_deliveries', `id = ${Number(list.body.data[0].id)} AND state = 'delivered'`), 1);
});
