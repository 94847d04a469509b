// The in-app inbox on a real node: a `user.notify` event becomes one notification per user and
// key (told twice, stored once), listed newest or unread first with the unread count, marked
// read by id (only one's own) or all; per-kind settings hide a kind from the app; bad input is
// refused; an account's deletion drops its notifications and settings, and its data export
// carries them; a kind turned off in the app hides what arrived of it; long keys stay apart;
// only links to the app or to http(s) addresses are kept. What the routes answer fits the
// OpenAPI description.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startTestNode, type ApiResponse, type TestNode } from '../helpers/node.js';
import { waitFor } from '../helpers/wait.js';
import { accountsService } from '../../server/accounts/index.js';
import { execute, selectOne } from '../../server/db/index.js';
import type { UserNotification } from '../../server/events.js';

const Ajv2020 = createRequire(import.meta.url)('ajv/dist/2020') as new (opts?: object) => {
  addSchema(schema: object, key: string): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};

let node: TestNode;
let fits: (res: ApiResponse, method: string, path: string) => void;
before(async () => {
  node = await startTestNode({ name: 'inbox' });
  const doc = (await node.api('GET', '/api/openapi.json')).body;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(doc, 'api');
  fits = (res, method, path) => {
    const pointer = path.replace(/~/g, '~0').replace(/\//g, '~1');
    assert.ok(doc.paths[path]?.[method]?.responses?.[res.status], `${method} ${path} ${res.status} is described`);
    const validate = ajv.compile({ $ref: `api#/paths/${pointer}/${method}/responses/${res.status}/content/application~1json/schema` });
    assert.ok(validate(res.body), `${method} ${path} ${res.status}: ${JSON.stringify(validate.errors)}\n${res.text.slice(0, 400)}`);
  };
});
after(async () => {
  await node?.stop();
});

const tell = (n: Partial<UserNotification> & Pick<UserNotification, 'userIds' | 'key'>) => node.ctx.events.emit('user.notify', { kind: 'follower', title: 'Someone follows you', ...n });

const list = async (token: string, query = '') => {
  const res = await node.api('GET', `/api/v1/me/notifications${query}`, { token });
  assert.equal(res.status, 200, res.text);
  fits(res, 'get', '/api/v1/me/notifications');
  return res.body as { total: number; unread: number; data: { id: string; kind: string; title: string; body: string | null; url: string | null; read: boolean; readAt: string | null }[] };
};

test('a notification is stored once per user and key, listed newest first with the unread count, for its users only', async () => {
  const a = await node.user('artist');
  const b = await node.user('listener');
  const other = await node.user('listener');
  tell({ userIds: [a.user.id, b.user.id, a.user.id, 'not-a-uuid', '00000000-0000-4000-8000-000000000000'], key: 'k1', title: 'First', body: 'Some words', url: '/tracks/1' });
  await waitFor('first stored', async () => (await list(a.token)).total === 1);
  // The same news again (a retried job, a redelivered activity) is the same notification.
  tell({ userIds: [a.user.id], key: 'k1', title: 'First again' });
  tell({ userIds: [a.user.id], key: 'k2', kind: 'tip', title: 'Second' });
  const page = await waitFor('second stored', async () => {
    const p = await list(a.token);
    return p.total === 2 ? p : undefined;
  });
  assert.deepEqual(page.data.map((n) => [n.kind, n.title, n.read]), [['tip', 'Second', false], ['follower', 'First', false]]);
  assert.equal(page.unread, 2);
  assert.deepEqual([page.data[1].body, page.data[1].url], ['Some words', '/tracks/1']);
  assert.equal((await list(b.token)).total, 1, 'each user named gets it');
  assert.equal((await list(other.token)).total, 0, 'nobody else');

  const count = await node.api('GET', '/api/v1/me/notifications/unread-count', { token: a.token });
  assert.equal(count.status, 200);
  fits(count, 'get', '/api/v1/me/notifications/unread-count');
  assert.deepEqual(count.body, { unread: 2 });
  assert.match(count.headers.get('cache-control') ?? '', /no-store/);
});

test('marking read: by id (another user\'s ids change nothing), or all; unread first and unread only', async () => {
  const a = await node.user('listener');
  const b = await node.user('listener');
  // One after the other: news told at the same instant has no order of its own.
  for (const [i, k] of ['x1', 'x2', 'x3'].entries()) {
    tell({ userIds: [a.user.id], key: k, title: k });
    await waitFor(k, async () => (await list(a.token)).total === i + 1);
  }
  tell({ userIds: [b.user.id], key: 'theirs', title: 'theirs' });
  const all = await waitFor('three stored', async () => {
    const p = await list(a.token);
    return p.total === 3 ? p : undefined;
  });
  await waitFor('theirs stored', async () => (await list(b.token)).total === 1);
  const theirs = (await list(b.token)).data[0].id;
  const oldest = all.data[2].id;

  const marked = await node.api('POST', '/api/v1/me/notifications/read', { token: a.token, body: { ids: [oldest, theirs] } });
  assert.equal(marked.status, 200, marked.text);
  fits(marked, 'post', '/api/v1/me/notifications/read');
  assert.deepEqual(marked.body, { marked: 1, unread: 2 });
  assert.equal((await list(b.token)).unread, 1, "another user's notification stays unread");

  const unreadFirst = await list(a.token, '?order=unread');
  assert.deepEqual(unreadFirst.data.map((n) => n.read), [false, false, true]);
  assert.ok(unreadFirst.data[2].readAt);
  const unreadOnly = await list(a.token, '?unread=true&limit=1');
  assert.deepEqual([unreadOnly.total, unreadOnly.data.length, unreadOnly.data[0].title], [2, 1, 'x3']);
  assert.deepEqual((await list(a.token, '?unread=true&limit=1&offset=1')).data.map((n) => n.title), ['x2']);

  const everything = await node.api('POST', '/api/v1/me/notifications/read', { token: a.token, body: { all: true } });
  assert.deepEqual(everything.body, { marked: 2, unread: 0 });
  const again = await node.api('POST', '/api/v1/me/notifications/read', { token: a.token, body: { all: true } });
  assert.deepEqual(again.body, { marked: 0, unread: 0 });
});

test('bad input is refused; nobody signed in gets 401', async () => {
  const a = await node.user('listener');
  for (const body of [{}, { ids: [] }, { ids: ['nope'] }, { all: false }, { all: true, ids: [] }, { ids: Array.from({ length: 501 }, () => '00000000-0000-4000-8000-000000000000') }]) {
    const res = await node.api('POST', '/api/v1/me/notifications/read', { token: a.token, body });
    assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${res.text}`);
  }
  for (const q of ['?limit=0', '?limit=101', '?order=oldest', '?unread=yes', '?offset=-1']) {
    assert.equal((await node.api('GET', `/api/v1/me/notifications${q}`, { token: a.token })).status, 400, q);
  }
  for (const body of [{}, { settings: { nonsense: { web: true } } }, { settings: { tip: { web: 'yes' } } }, { settings: { tip: { sms: true } } }]) {
    const res = await node.api('PUT', '/api/v1/me/notification-settings', { token: a.token, body });
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
  }
  for (const [method, path] of [['GET', '/api/v1/me/notifications'], ['GET', '/api/v1/me/notifications/unread-count'], ['POST', '/api/v1/me/notifications/read'], ['GET', '/api/v1/me/notification-settings'], ['PUT', '/api/v1/me/notification-settings']]) {
    assert.equal((await node.api(method, path, method === 'GET' ? {} : { body: { all: true } })).status, 401, `${method} ${path}`);
  }
});

test('settings: defaults per kind; a kind turned off for the app is not listed; only the named channels change', async () => {
  const a = await node.user('listener');
  const got = await node.api('GET', '/api/v1/me/notification-settings', { token: a.token });
  assert.equal(got.status, 200, got.text);
  fits(got, 'get', '/api/v1/me/notification-settings');
  assert.equal(got.body.mailEnabled, false, 'no SMTP configured on this node');
  assert.equal(got.body.mailAddress, null, 'this account has no address');
  assert.deepEqual(got.body.settings['new-track'], { web: true, email: false });
  assert.deepEqual(got.body.settings.tip, { web: true, email: true });
  assert.deepEqual(got.body.settings.live, { web: true, email: false });

  const changed = await node.api('PUT', '/api/v1/me/notification-settings', { token: a.token, body: { settings: { 'new-track': { web: false }, tip: { email: false } } } });
  assert.equal(changed.status, 200, changed.text);
  fits(changed, 'put', '/api/v1/me/notification-settings');
  assert.deepEqual(changed.body.settings['new-track'], { web: false, email: false });
  assert.deepEqual(changed.body.settings.tip, { web: true, email: false });
  assert.deepEqual(changed.body.settings.follower, { web: true, email: true }, 'kinds not named stay');
  assert.deepEqual((await node.api('GET', '/api/v1/me/notification-settings', { token: a.token })).body.settings, changed.body.settings);

  tell({ userIds: [a.user.id], key: 'hidden-track', kind: 'new-track', title: 'Not in the app' });
  tell({ userIds: [a.user.id], key: 'shown-tip', kind: 'tip', title: 'In the app' });
  await waitFor('the tip', async () => (await list(a.token)).total === 1);
  await node.waitJobs();
  const page = await list(a.token);
  assert.deepEqual(page.data.map((n) => n.title), ['In the app']);
  assert.equal(page.unread, 1);
  // Both app and mail off: nothing is kept at all.
  assert.equal(await selectOne(node.ctx.db, "SELECT 1 FROM notifications_inbox WHERE key = 'hidden-track'"), undefined);
});

test("an account's deletion drops its notifications and settings; its export carries them", async () => {
  const a = await node.user('listener');
  const keep = await node.user('listener');
  tell({ userIds: [a.user.id, keep.user.id], key: 'before-deletion', title: 'Hello' });
  await waitFor('stored', async () => (await list(a.token)).total === 1 && (await list(keep.token)).total === 1);
  await node.api('PUT', '/api/v1/me/notification-settings', { token: a.token, body: { settings: { live: { email: true } } } });

  const accounts = accountsService(node.ctx);
  const part = accounts.exportParts.find((p) => p.file === 'notifications.json');
  assert.ok(part, 'notifications registers its part of the export');
  const exported = (await part.collect(a.user)) as { settings: Record<string, { email: boolean }>; notifications: { title: string }[] };
  assert.equal(exported.settings.live.email, true);
  assert.deepEqual(exported.notifications.map((n) => n.title), ['Hello']);

  for (const hook of accounts.deletingHooks) await hook(a.user).catch(() => {}); // other capabilities' parts are their tests' business
  const left = await selectOne<{ n: string; p: string }>(
    node.ctx.db,
    'SELECT (SELECT count(*) FROM notifications_inbox WHERE user_id = :u) AS n, (SELECT count(*) FROM notifications_preferences WHERE user_id = :u) AS p',
    { u: a.user.id },
  );
  assert.deepEqual([Number(left!.n), Number(left!.p)], [0, 0]);
  assert.equal((await list(keep.token)).total, 1, "another user's stay");
});

test('a kind turned off in the app hides what already arrived too; turned on again, it shows again', async () => {
  const a = await node.user('listener');
  tell({ userIds: [a.user.id], key: 'track-before', kind: 'new-track', title: 'A new track' });
  tell({ userIds: [a.user.id], key: 'tip-before', kind: 'tip', title: 'A tip' });
  await waitFor('both stored', async () => (await list(a.token)).total === 2);
  await node.api('PUT', '/api/v1/me/notification-settings', { token: a.token, body: { settings: { 'new-track': { web: false } } } });
  const hidden = await list(a.token);
  assert.deepEqual([hidden.total, hidden.unread, hidden.data.map((n) => n.title)], [1, 1, ['A tip']]);
  assert.deepEqual((await node.api('GET', '/api/v1/me/notifications/unread-count', { token: a.token })).body, { unread: 1 });
  const marked = await node.api('POST', '/api/v1/me/notifications/read', { token: a.token, body: { all: true } });
  assert.deepEqual(marked.body, { marked: 1, unread: 0 }, 'marking all reads what is shown');
  await node.api('PUT', '/api/v1/me/notification-settings', { token: a.token, body: { settings: { 'new-track': { web: true } } } });
  const shown = await list(a.token);
  assert.deepEqual([shown.total, shown.unread], [2, 1]);
});

test('keys longer than the limit are kept whole (as their SHA-256): two long keys are two notifications', async () => {
  const a = await node.user('listener');
  const base = `new-track:https://remote.example/${'x'.repeat(520)}`;
  tell({ userIds: [a.user.id], key: `${base}/track-1`, kind: 'new-track', title: 'One' });
  tell({ userIds: [a.user.id], key: `${base}/track-2`, kind: 'new-track', title: 'Two' });
  tell({ userIds: [a.user.id], key: `${base}/track-2`, kind: 'new-track', title: 'Two' });
  await waitFor('both stored', async () => (await list(a.token)).total === 2);
  await node.waitJobs();
  assert.equal((await list(a.token)).total, 2, 'the same long key twice is one');
  const keys = await selectOne<{ keys: string[] }>(node.ctx.db, 'SELECT array_agg(key) AS keys FROM notifications_inbox WHERE user_id = :u', { u: a.user.id });
  for (const k of keys!.keys) assert.match(k, /^sha256:[0-9a-f]{64}$/);
});

test('only links to a path of the app or to an http(s) address are kept', async () => {
  const a = await node.user('listener');
  const links = ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,<b>x</b>', '//evil.example/x', '/\\evil.example/x', '/\t/evil.example', 'vbscript:x', 'ftp://files.example/x', 'tracks/1', '/tracks/1', 'https://remote.example/@band', 'http://remote.example/x'];
  for (const [i, url] of links.entries()) tell({ userIds: [a.user.id], key: `link-${i}`, title: `link ${i}`, url });
  await waitFor('all stored', async () => (await list(a.token, '?limit=100')).total === links.length);
  const kept = Object.fromEntries((await list(a.token, '?limit=100')).data.map((n) => [n.title, n.url]));
  assert.deepEqual(links.map((_, i) => kept[`link ${i}`]), [null, null, null, null, null, null, null, null, null, '/tracks/1', 'https://remote.example/@band', 'http://remote.example/x']);
  // A row kept from before the check is handed out without its link.
  const b = await node.user('listener');
  await execute(node.ctx.db, "INSERT INTO notifications_inbox (user_id, kind, key, title, url, web) VALUES (:u, 'tip', 'old', 'Old', 'javascript:alert(1)', true)", { u: b.user.id });
  assert.deepEqual((await list(b.token)).data.map((n) => [n.title, n.url]), [['Old', null]]);
});
