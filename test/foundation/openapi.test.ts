// The OpenAPI description and the routes the app really has must agree, what the routes
// answer must fit the schemas the description names for it (the web client's types are
// generated from them), and every route must start with an access check (role, signed-in
// user, or explicitly public).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startTestNode, type ApiResponse, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { buildApp } from '../../server/app.js';
import { capabilities } from '../../server/capabilities.js';

// ajv is CommonJS; its draft 2020-12 build is the JSON Schema dialect of OpenAPI 3.1.
const Ajv2020 = createRequire(import.meta.url)('ajv/dist/2020') as new (opts?: object) => {
  addSchema(schema: object, key: string): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};

interface Layer {
  route?: { path: string | RegExp; methods: Record<string, boolean>; stack: { handle: { accessCheck?: string } }[] };
  name: string;
  handle: { stack?: Layer[] };
}

function listRoutes(stack: Layer[]): { method: string; path: string; check?: string }[] {
  const out: { method: string; path: string; check?: string }[] = [];
  for (const layer of stack) {
    if (layer.route && typeof layer.route.path === 'string') {
      for (const m of Object.keys(layer.route.methods)) {
        out.push({ method: m, path: layer.route.path, check: layer.route.stack[0]?.handle.accessCheck });
      }
    } else if (layer.name === 'router' && layer.handle.stack) {
      out.push(...listRoutes(layer.handle.stack));
    }
  }
  return out;
}

const toOpenApiPath = (p: string) => p.replace(/:(\w+)(\([^)]*\))?/g, '{$1}');

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'openapi' });
});
after(async () => {
  await node?.stop();
});

test('served description is OpenAPI 3.1 and lists every route, and only those', async () => {
  const res = await node.api('GET', '/api/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.body;
  assert.equal(doc.openapi, '3.1.0');
  const described = new Set<string>();
  for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const m of Object.keys(item)) if (['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(m)) described.add(`${m} ${p}`);
  }
  const app = buildApp(node.ctx, capabilities) as unknown as { _router: { stack: Layer[] } };
  // The REST API, and the other documented surfaces: feeds, oEmbed and the embed pages.
  const documented = ['/api/', '/feeds/', '/services/', '/embed/'];
  const routes = listRoutes(app._router.stack).filter((r) => documented.some((p) => r.path.startsWith(p)) || r.path === '/healthz' || r.path === '/metrics');
  const actual = new Set(routes.map((r) => `${r.method} ${toOpenApiPath(r.path)}`));
  const undocumented = [...actual].filter((r) => !described.has(r));
  const phantom = [...described].filter((r) => !actual.has(r));
  assert.deepEqual(undocumented, [], 'routes missing from the OpenAPI description');
  assert.deepEqual(phantom, [], 'described routes the app does not have');
  assert.ok(actual.size >= 8);
});

test('every route starts with an access check', async () => {
  const app = buildApp(node.ctx, capabilities) as unknown as { _router: { stack: Layer[] } };
  const unchecked = listRoutes(app._router.stack).filter((r) => !r.check && !r.path.startsWith('/assets'));
  assert.deepEqual(unchecked.map((r) => `${r.method} ${r.path}`), []);
});

/** A JSON pointer segment. */
const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

test('what the routes answer fits the schemas the description names for it', { timeout: 120_000 }, async () => {
  const doc = (await node.api('GET', '/api/openapi.json')).body;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(doc, 'api');
  const checked = new Set<string>();
  /** Fails unless the answer has a described status whose JSON schema it fits. */
  const fits = (res: ApiResponse, method: string, path: string) => {
    const described = doc.paths[path]?.[method]?.responses?.[res.status]?.content?.['application/json']?.schema;
    assert.ok(described, `${method} ${path} answered ${res.status}, which the description has no JSON schema for: ${res.text.slice(0, 300)}`);
    const validate = ajv.compile({ $ref: `api#/paths/${pointer(path)}/${method}/responses/${res.status}/content/application~1json/schema` });
    assert.ok(validate(res.body), `${method} ${path} ${res.status} does not fit its schema: ${JSON.stringify(validate.errors, null, 1)}\n${res.text.slice(0, 600)}`);
    checked.add(`${method} ${path}`);
    return res.body;
  };
  const call = async (method: string, path: string, template: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    fits(await node.api(method.toUpperCase(), path, opts), method, template);

  const admin = await node.user('admin');
  const auditor = await node.user('auditor');
  const listener = await node.user('listener');
  const artist = await makeArtist(node);
  const as = (u: { token: string }) => ({ token: u.token });

  // accounts
  const created = await call('post', '/api/v1/users', '/api/v1/users', { ...as(admin), body: { username: 'schema_user', password: 'long enough password', role: 'listener' } });
  await call('post', '/api/v1/oauth/token', '/api/v1/oauth/token', { body: { grant_type: 'password', username: 'schema_user', password: 'long enough password' } });
  await call('get', '/api/v1/users/me', '/api/v1/users/me', as(listener));
  await call('get', '/api/v1/admin/users?limit=5', '/api/v1/admin/users', as(admin));
  await call('patch', `/api/v1/admin/users/${created.id}`, '/api/v1/admin/users/{id}', { ...as(admin), body: { displayName: 'Schema' } });
  await call('put', '/api/v1/users/me/email', '/api/v1/users/me/email', { ...as(listener), body: { email: 'schema@example.org', password: 'correct horse battery' } });
  await call('get', '/api/v1/admin/mail', '/api/v1/admin/mail', as(admin));
  await call('get', '/api/v1/admin/mail/messages?state=failed', '/api/v1/admin/mail/messages', as(admin));

  // media: a real track, its channel, waveform, a playlist
  const dir = mediaDir('openapi');
  try {
    const done = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 3 }));
    assert.equal(done.status, 200, done.text);
    fits(done, 'put', '/api/v1/uploads/{id}');
    await waitTrack(node, artist.token, done.body.trackId);
    const upload2 = await call('post', '/api/v1/uploads', '/api/v1/uploads', { ...as(artist), body: { channelId: artist.channel.id, filename: 'x.mp3', size: 10 } });
    await call('get', `/api/v1/uploads/${upload2.id}`, '/api/v1/uploads/{id}', as(artist));
    await call('get', `/api/v1/tracks/${done.body.trackId}`, '/api/v1/tracks/{id}', as(artist));
    await call('get', `/api/v1/tracks?channel=${artist.channel.name}`, '/api/v1/tracks', as(artist));
    await call('get', `/api/v1/tracks/${done.body.trackId}/waveform`, '/api/v1/tracks/{id}/waveform', as(artist));
    await call('get', `/api/v1/channels/${artist.channel.name}`, '/api/v1/channels/{name}');
    await call('get', '/api/v1/channels', '/api/v1/channels');
    await call('get', '/api/v1/me/channels', '/api/v1/me/channels', as(artist));
    await call('post', '/api/v1/playlists', '/api/v1/playlists', { ...as(artist), body: { title: 'Schema', channelId: artist.channel.id } });
    await call('get', '/api/v1/me/playlists', '/api/v1/me/playlists', as(artist));
    await call('post', '/api/v1/plays', '/api/v1/plays', { ...as(listener), body: { trackId: done.body.trackId } });
  } finally {
    removeMediaDir(dir);
  }

  // money: a credit, a gift link redeemed, a subscription, a withdrawal settled
  const month = new Date().toISOString().slice(0, 7);
  await call('post', `/api/v1/admin/wallets/${listener.user.id}/credit`, '/api/v1/admin/wallets/{userId}/credit', { ...as(admin), body: { amount: 5000 } });
  await call('post', `/api/v1/admin/wallets/${artist.user.id}/credit`, '/api/v1/admin/wallets/{userId}/credit', { ...as(admin), body: { amount: 3000 } });
  const gift = await call('post', '/api/v1/gift-links', '/api/v1/gift-links', { ...as(admin), body: { amount: 500, fundFrom: 'node', message: 'hi' } });
  await call('get', `/api/v1/gift-links/${gift.code}`, '/api/v1/gift-links/{code}');
  await call('post', `/api/v1/gift-links/${gift.code}/redeem`, '/api/v1/gift-links/{code}/redeem', as(listener));
  await call('post', '/api/v1/me/subscription', '/api/v1/me/subscription', as(listener));
  await call('get', '/api/v1/me/subscription', '/api/v1/me/subscription', as(listener));
  await call('get', `/api/v1/me/subscription/allocation?month=${month}`, '/api/v1/me/subscription/allocation', as(listener));
  await call('get', '/api/v1/me/wallet', '/api/v1/me/wallet', as(listener));
  await call('post', '/api/v1/me/top-ups', '/api/v1/me/top-ups', { ...as(listener), body: { amount: 1000 } });
  const withdrawal = await call('post', '/api/v1/me/withdrawals', '/api/v1/me/withdrawals', { ...as(artist), body: { amount: 1000, destination: 'IBAN' } });
  await call('get', '/api/v1/admin/withdrawals?status=requested', '/api/v1/admin/withdrawals', as(admin));
  await call('post', `/api/v1/admin/withdrawals/${withdrawal.id}/settle`, '/api/v1/admin/withdrawals/{id}/settle', { ...as(admin), body: { reference: 'bank-1' } });
  await call('get', '/api/v1/me/earnings', '/api/v1/me/earnings', as(artist));
  await call('get', '/api/v1/admin/money/health', '/api/v1/admin/money/health', as(admin));
  await call('get', `/api/v1/admin/money/statements/${month}`, '/api/v1/admin/money/statements/{month}', as(admin));

  // listening and disputes
  await call('get', `/api/v1/me/listens?month=${month}`, '/api/v1/me/listens', as(listener));
  await call('get', '/api/v1/me/stats', '/api/v1/me/stats', as(artist));
  await call('get', '/api/v1/admin/listening/flags?status=held', '/api/v1/admin/listening/flags', as(admin));
  await call('get', '/api/v1/me/disputes', '/api/v1/me/disputes', as(listener));
  await call('get', '/api/v1/admin/disputes/reviews?state=all', '/api/v1/admin/disputes/reviews', as(admin));

  // federation
  await call('post', '/api/v1/federation/admin/blocks', '/api/v1/federation/admin/blocks', { ...as(admin), body: { kind: 'domain', value: 'spam.example', reason: 'spam' } });
  await call('get', '/api/v1/federation/admin/blocks', '/api/v1/federation/admin/blocks', as(admin));
  await call('get', '/api/v1/federation/admin/dead-letters', '/api/v1/federation/admin/dead-letters', as(admin));
  await call('get', '/api/v1/federation/follows', '/api/v1/federation/follows', as(listener));
  await call('get', '/api/v1/federation/tracks', '/api/v1/federation/tracks');

  // ledger
  await call('get', '/api/v1/ledger/verify', '/api/v1/ledger/verify', as(auditor));
  await call('get', '/api/v1/ledger/transactions?limit=5', '/api/v1/ledger/transactions', as(auditor));
  await call('get', '/api/v1/ledger/nodes', '/api/v1/ledger/nodes');

  assert.ok(checked.size >= 40, `checked ${checked.size} routes`);
});
