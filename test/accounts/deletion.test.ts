// Deleting an account, with two real nodes on loopback: an artist on A whose channel a listener
// on B follows deletes their account. A closes it at once, the deletion job (interrupted once on
// purpose, then run again) removes the media and personal data and sends Deletes; B drops the
// artist's tracks; A's books still balance and keep the money, detached. Then an admin's
// deletions, their guards, and what a listener's listening leaves behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { startNodes, waitFor, hostOf, count, post, signedRequest } from '../federation/support.js';
import { assertBooksBalanced, credit, money } from '../money/helpers.js';
import { accountsService } from '../../server/accounts/index.js';
import { accountDeletions } from '../../server/accounts/lifecycle/index.js';
import { finishErasures } from '../../server/listening/account-data.js';
import { createRequire } from 'node:module';

// ajv's draft 2020-12 build is OpenAPI 3.1's JSON Schema dialect (as in test/foundation/openapi.test.ts).
const Ajv2020 = createRequire(import.meta.url)('ajv/dist/2020') as new (opts?: object) => {
  addSchema(schema: object, key: string): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};

/** The answer fits the schema the node's OpenAPI description names for that route and status. */
async function assertDescribed(node: TestNode, method: string, path: string, status: number, body: unknown): Promise<void> {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema((await node.api('GET', '/api/openapi.json')).body, 'api');
  const validate = ajv.compile({ $ref: `api#/paths/${path.replace(/\//g, '~1')}/${method}/responses/${status}/content/application~1json/schema` });
  assert.ok(validate(body), `${method} ${path} ${status}: ${JSON.stringify(validate.errors)}`);
}

let a: TestNode, b: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let adminA: Awaited<ReturnType<TestNode['user']>>;
let listenerA: Awaited<ReturnType<TestNode['user']>>;
let listenerB: Awaited<ReturnType<TestNode['user']>>;
let trackId: string;
let channelUri: string;
let personUri: string;
let streamId: string;

before(async () => {
  [a, b] = await startNodes(['del-a', 'del-b'], { overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('deletion');
  artist = await makeArtist(a, 'fading_band');
  adminA = await a.user('admin');
  listenerA = await a.user('listener');
  listenerB = await b.user('listener', 'bex');
  channelUri = `${a.ctx.config.publicUrl}/ap/channels/fading_band`;
  personUri = `${a.ctx.config.publicUrl}/ap/users/${artist.user.username}`;
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

test('B follows the artist and has the track; the artist has a playlist, a subscription, a stream, a tip', async () => {
  const followed = await b.api('POST', '/api/v1/federation/follows', { token: listenerB.token, body: { handle: `fading_band@${hostOf(a)}` } });
  assert.equal(followed.status, 201, followed.text);
  await waitFor('follow accepted', async () => (await b.api('GET', '/api/v1/federation/follows', { token: listenerB.token })).body.data.find((f: any) => f.state === 'accepted'));
  const up = await upload(a, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 3, tags: { title: 'Last Song' } }));
  assert.equal(up.status, 200, up.text);
  trackId = up.body.trackId;
  assert.equal((await waitTrack(a, artist.token, trackId)).status, 'ready');
  await waitFor('track listed on B', async () => (await b.api('GET', '/api/v1/federation/tracks')).body.data.find((t: any) => t.title === 'Last Song'));
  const list = await a.api('POST', '/api/v1/playlists', { token: artist.token, body: { title: 'Farewell', channelId: artist.channel.id } });
  assert.equal(list.status, 201, list.text);
  assert.equal((await a.api('PATCH', `/api/v1/playlists/${list.body.id}`, { token: artist.token, body: { trackIds: [trackId] } })).status, 200);

  await credit(a, artist.user.id, 5000);
  await credit(a, listenerA.user.id, 1000);
  assert.equal((await a.api('POST', '/api/v1/me/subscription', { token: artist.token })).status, 201);
  const stream = await a.api('POST', '/api/v1/streams', { token: artist.token, body: { recipient: listenerA.user.username, amount: 1200, durationSeconds: 3600, cancelable: true } });
  assert.equal(stream.status, 201, stream.text);
  streamId = stream.body.id;
  const tip = await a.api('POST', '/api/v1/tips', { token: listenerA.token, body: { track: trackId, amount: 300 } });
  assert.equal(tip.status, 201, tip.text);
  await a.ctx.db.query("UPDATE users SET email = 'fading@example.org', display_name = 'Fading Band' WHERE id = :id", { replacements: { id: artist.user.id } });
  assert.ok(existsSync(path.join(a.dataDir, 'media', 'streaming', trackId)));
});

test('a wrong password or a wrong confirmation deletes nothing', async () => {
  const wrong = await a.api('DELETE', '/api/v1/users/me', { token: artist.token, body: { password: 'not the password', confirm: artist.user.username } });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.body.code, 'wrong_password');
  const unconfirmed = await a.api('DELETE', '/api/v1/users/me', { token: artist.token, body: { password: artist.password, confirm: 'someone_else' } });
  assert.equal(unconfirmed.status, 400);
  assert.equal(unconfirmed.body.code, 'confirmation_mismatch');
  assert.equal((await a.api('DELETE', '/api/v1/users/me', { token: artist.token, body: { password: artist.password } })).status, 400);
  assert.equal((await a.api('DELETE', '/api/v1/users/me', { body: { password: artist.password, confirm: artist.user.username } })).status, 401);
  assert.equal((await a.api('GET', '/api/v1/users/me', { token: artist.token })).status, 200, 'still signed in');
});

test('the artist deletes their account: closed at once; the job, interrupted once, finishes on its retry', async () => {
  // A part that fails once, just before money's (parts run in reverse registration order):
  // every part before it has run when the job fails, and all run again on the retry.
  let failures = 0;
  accountsService(a.ctx).deletingHooks.splice(1, 0, async () => {
    if (failures++ === 0) throw new Error('simulated crash half-way');
  });
  const res = await a.api('DELETE', '/api/v1/users/me', { token: artist.token, body: { password: artist.password, confirm: artist.user.username.toUpperCase() } });
  assert.equal(res.status, 202, res.text);
  await assertDescribed(a, 'delete', '/api/v1/users/me', 202, res.body);
  assert.equal(res.body.userId, artist.user.id);
  assert.equal(res.body.requestedBy, artist.user.id);
  assert.ok(['queued', 'running', 'failed'].includes(res.body.state));
  assert.equal((await a.api('GET', '/api/v1/users/me', { token: artist.token })).status, 401, 'signed out at once');
  const login = await a.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: artist.user.username, password: artist.password } });
  assert.ok(login.status === 403 || login.status === 400, login.text);

  const done = await waitFor('deletion done', async () => {
    const d = await a.api('GET', `/api/v1/admin/users/${artist.user.id}/deletion`, { token: adminA.token });
    return d.body.state === 'done' && d.body;
  }, 45_000);
  await assertDescribed(a, 'get', '/api/v1/admin/users/{id}/deletion', 200, done);
  assert.equal(done.attempts, 2, 'failed once, then done');
  assert.equal(done.stepsDone, done.stepsTotal);
  assert.equal(failures, 2);
  await a.waitJobs();
  // Run again (a retried job after a crash): nothing changes, nothing is sent twice.
  await accountDeletions(a.ctx).run(artist.user.id);
  await accountDeletions(a.ctx).run(artist.user.id);
  assert.equal(await count(a, 'federation_outbox', `type = 'Delete' AND object_uri = '${channelUri}'`), 1);
  assert.equal(await count(a, 'federation_outbox', `type = 'Delete' AND object_uri = '${personUri}'`), 1);
  const again = await a.api('DELETE', `/api/v1/admin/users/${artist.user.id}`, { token: adminA.token });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'account_deleted');
});

test('B receives the Delete of the actor and drops its tracks and the follow', async () => {
  await waitFor('tracks dropped on B', async () => !(await b.api('GET', '/api/v1/federation/tracks')).body.data.some((t: any) => t.actorUri === channelUri), 30_000);
  await waitFor('follow dropped on B', async () => (await b.api('GET', '/api/v1/federation/follows', { token: listenerB.token })).body.data.length === 0);
  assert.equal(await count(b, 'federation_remote_actors', `uri = '${channelUri}'`), 0);
  // Both Deletes (the channel's and the person's) verified and processed: the person's document was
  // still served to B for its key while its Delete was on its way.
  await waitFor('both Deletes processed on B', async () =>
    (await count(b, 'federation_inbox_items', `type = 'Delete' AND state = 'processed' AND actor_uri IN ('${channelUri}', '${personUri}')`)) === 2);
});

test('on A the user row is a tombstone, the media and files are gone, the names stay taken', async () => {
  const [[row]] = (await a.ctx.db.query('SELECT username, email, display_name, password_hash, disabled, deleted_at FROM users WHERE id = :id', { replacements: { id: artist.user.id } })) as [any[], unknown];
  assert.match(row.username, /^deleted-[0-9a-f]{12}$/);
  assert.equal(row.email, null);
  assert.equal(row.display_name, null);
  assert.equal(row.password_hash, '!deleted');
  assert.equal(row.disabled, true);
  assert.ok(row.deleted_at);
  assert.equal(await count(a, 'api_keys', `user_id = '${artist.user.id}'`), 0);
  assert.equal(await count(a, 'auth_tokens', `user_id = '${artist.user.id}'`), 0);

  assert.equal((await a.api('GET', `/api/v1/tracks/${trackId}`, { token: adminA.token })).status, 404);
  assert.equal((await a.api('GET', '/api/v1/channels/fading_band')).status, 404);
  assert.equal(await count(a, 'media_playlists', `owner_id = '${artist.user.id}'`), 0);
  assert.ok(!existsSync(path.join(a.dataDir, 'media', 'streaming', trackId)), 'streaming files removed');
  assert.deepEqual(readdirSync(path.join(a.dataDir, 'media', 'originals')).filter((f) => f.startsWith(trackId)), [], 'original removed');

  // The actors are tombstones: 410 Gone once their Deletes went out.
  for (const uri of [channelUri, personUri]) {
    const gone = await fetch(uri, { headers: { accept: 'application/activity+json' } });
    assert.equal(gone.status, 410, uri);
    const body = await gone.json();
    assert.equal(body.type, 'Tombstone');
    assert.equal(body.id, uri);
  }
  // The names stay taken: nobody can be taken for the deleted artist.
  const signup = await a.api('POST', '/api/v1/users', { body: { username: artist.user.username, password: 'long enough password' } });
  assert.equal(signup.status, 409, signup.text);
  const other = await makeArtist(a);
  const channel = await a.api('POST', '/api/v1/channels', { token: other.token, body: { name: 'fading_band', displayName: 'Impostor' } });
  assert.equal(channel.status, 409, channel.text);
});

test("a Follow of the deleted channel's actor records nothing and is answered with nothing", async () => {
  const bexUri = `${b.ctx.config.publicUrl}/ap/users/bex`;
  const answers = () => count(a, 'federation_outbox', `actor_uri = '${channelUri}' AND type IN ('Accept', 'Reject')`);
  const before = await answers();
  const id = `${bexUri}#follow-after-delete`;
  const follow = JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', id, type: 'Follow', actor: bexUri, object: channelUri });
  const res = await post(await signedRequest(b, bexUri, `${a.url}/ap/inbox`, follow));
  assert.ok(res.status < 300, `${res.status} ${res.text}`);
  await waitFor('Follow handled on A', async () => (await count(a, 'federation_inbox_items', `activity_uri = '${id}' AND state IN ('processed', 'ignored')`)) === 1);
  assert.equal(await count(a, 'federation_inbox_items', `activity_uri = '${id}' AND state = 'ignored'`), 1);
  assert.equal(await count(a, 'federation_follows', `following_uri = '${channelUri}'`), 0, 'no follow recorded');
  assert.equal(await answers(), before, 'no Accept or Reject signed by the tombstone');
});

test('on A the books balance and keep the money, detached from the person', async () => {
  await assertBooksBalanced(a, adminA.token);
  const wallet = await money(a).wallet(artist.user.id);
  const kinds = wallet.entries.data.map((e: any) => e.kind);
  assert.ok(kinds.includes('tip'), 'the tip stays in the wallet');
  assert.ok(kinds.includes('stream.refund'), 'the stream was cancelled and refunded to the wallet');
  const sub = await money(a).subscription((await money(a).subscriptions.get(artist.user.id))!.id);
  assert.equal(sub!.cancelAtPeriodEnd, true, 'the month paid for runs out; no renewal');
  const stream = await a.api('GET', `/api/v1/streams/${streamId}`, { token: listenerA.token });
  assert.equal(stream.status, 200, stream.text);
  assert.ok(stream.body.stoppedAt, 'the stream stopped');
  assert.ok(wallet.balance > 0, 'the balance stays in the wallet');
});

test("admins delete others' accounts, never their own nor the last admin's; others may not", async () => {
  const listener = await a.user('listener');
  assert.equal((await a.api('DELETE', `/api/v1/admin/users/${listener.user.id}`, { token: listenerA.token })).status, 403);
  const self = await a.api('DELETE', `/api/v1/admin/users/${adminA.user.id}`, { token: adminA.token });
  assert.equal(self.status, 409);
  assert.equal(self.body.code, 'cannot_delete_self');
  const lastAdmin = await a.api('DELETE', '/api/v1/users/me', { token: adminA.token, body: { password: adminA.password, confirm: adminA.user.username } });
  assert.equal(lastAdmin.status, 409);
  assert.equal(lastAdmin.body.code, 'last_admin');
  assert.equal((await a.api('DELETE', '/api/v1/admin/users/00000000-0000-4000-8000-000000000000', { token: adminA.token })).status, 404);
  assert.equal((await a.api('GET', `/api/v1/admin/users/${listener.user.id}/deletion`, { token: adminA.token })).status, 404);

  // A listener's listening: what the reports need stays (without an address); the rest goes.
  const id = listener.user.id;
  const q = (sql: string) => a.ctx.db.query(sql, { replacements: { id } });
  await q(`INSERT INTO listening_sessions (id, user_id, track_id, channel_id, artist_uri, ip, user_agent, started_at)
           VALUES ('00000000-0000-4000-8000-0000000000a1', :id, 't1', 'c1', 'https://x/ap/channels/c', '10.0.0.9', 'Player/1', now() - interval '3 days'),
                  ('00000000-0000-4000-8000-0000000000a2', :id, 't2', 'c1', 'https://x/ap/channels/c', '10.0.0.9', 'Player/1', now() - interval '3 days'),
                  ('00000000-0000-4000-8000-0000000000a3', :id, 't3', 'c1', 'https://x/ap/channels/c', '10.0.0.9', 'Player/1', now())`);
  await q(`INSERT INTO listens (user_id, track_id, channel_id, artist_uri, session_id, qualified_seconds, qualified_at, day, status)
           VALUES (:id, 't1', 'c1', 'https://x/ap/channels/c', '00000000-0000-4000-8000-0000000000a1', 40, now() - interval '3 days', (now() - interval '3 days')::date, 'counted')`);
  await q(`INSERT INTO daily_reports (day, node_id, rows, artist_totals, hash) SELECT d::date, 'n', '[]', '[]', 'h'
           FROM generate_series((now() - interval '5 days')::date, (now() - interval '1 day')::date, interval '1 day') d ON CONFLICT DO NOTHING`);
  await q(`INSERT INTO submitted_listens (user_id, source, listened_at, artist_name, track_name, payload) VALUES (:id, 'listenbrainz', now(), 'A', 'B', '{}')`);

  const res = await a.api('DELETE', `/api/v1/admin/users/${id}`, { token: adminA.token });
  assert.equal(res.status, 202, res.text);
  assert.equal(res.body.requestedBy, adminA.user.id);
  await waitFor('listener deleted', async () => (await a.api('GET', `/api/v1/admin/users/${id}/deletion`, { token: adminA.token })).body.state === 'done');
  assert.equal(await count(a, 'listens', `user_id = '${id}'`), 1, 'the qualified listen stays');
  assert.equal(await count(a, 'listening_sessions', `id = '00000000-0000-4000-8000-0000000000a1' AND ip IS NULL AND user_agent IS NULL`), 1, 'its session stays, without address or device');
  assert.equal(await count(a, 'listening_sessions', `id = '00000000-0000-4000-8000-0000000000a2'`), 0, 'a play that never qualified goes');
  assert.equal(await count(a, 'submitted_listens', `user_id = '${id}'`), 0, 'scrobbles go');
  assert.equal(await count(a, 'listening_sessions', `id = '00000000-0000-4000-8000-0000000000a3' AND ip = '10.0.0.9'`), 1, "today's play waits for today's report");
  assert.equal(await count(a, 'listening_pending_erasures', `user_id = '${id}'`), 1);
  // Once its day is settled (here: moved back three days), the erasure finishes.
  await q("UPDATE listening_sessions SET started_at = now() - interval '3 days' WHERE id = '00000000-0000-4000-8000-0000000000a3'");
  assert.equal(await finishErasures(a.ctx), 1);
  assert.equal(await count(a, 'listening_sessions', `id = '00000000-0000-4000-8000-0000000000a3'`), 0);
  assert.equal(await count(a, 'listening_pending_erasures'), 0);
});
