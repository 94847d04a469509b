// One node's public federation surface: WebFinger, host-meta, NodeInfo 2.0/2.1 (valid
// against the published schema), actors with keys, paged collections, the JSON-LD
// context, and key rotation by an admin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { federationService } from '../../server/federation/index.js';
import { hostOf, waitFor, count } from './support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// ajv-draft-04 is CommonJS; load the constructor the way it exports it.
const Ajv = createRequire(import.meta.url)('ajv-draft-04') as new (opts?: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
let node: TestNode;
let listener: Awaited<ReturnType<TestNode['user']>>;
let admin: Awaited<ReturnType<TestNode['user']>>;
let host: string;

before(async () => {
  node = await startTestNode({ name: 'fed-discovery', overrides: { federation: { cluster: 'eu-west' } } });
  host = hostOf(node);
  listener = await node.user('listener', 'lena');
  admin = await node.user('admin', 'root_admin');
});
after(async () => {
  await node?.stop();
});

test('WebFinger finds listeners and the instance actor, and nothing else', async () => {
  const res = await node.api('GET', `/.well-known/webfinger?resource=${encodeURIComponent(`acct:lena@${host}`)}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/jrd\+json/);
  const jrd = JSON.parse(res.text);
  assert.equal(jrd.subject, `acct:lena@${host}`);
  const self = jrd.links.find((l: any) => l.rel === 'self');
  assert.equal(self.href, `${node.ctx.config.publicUrl}/ap/users/lena`);
  assert.equal(self.type, 'application/activity+json');

  const byUrl = await node.api('GET', `/.well-known/webfinger?resource=${encodeURIComponent(`${node.ctx.config.publicUrl}/ap/users/lena`)}`);
  assert.equal(JSON.parse(byUrl.text).subject, `acct:lena@${host}`);

  const instance = await node.api('GET', `/.well-known/webfinger?resource=${encodeURIComponent(`acct:instance.actor@${host}`)}`);
  assert.equal(JSON.parse(instance.text).links[0].href, `${node.ctx.config.publicUrl}/ap/actor`);

  assert.equal((await node.api('GET', `/.well-known/webfinger?resource=${encodeURIComponent(`acct:nobody@${host}`)}`)).status, 404);
  assert.equal((await node.api('GET', `/.well-known/webfinger?resource=${encodeURIComponent('acct:lena@elsewhere.example')}`)).status, 404);
  assert.equal((await node.api('GET', '/.well-known/webfinger')).status, 400);
});

test('host-meta points at WebFinger', async () => {
  const res = await node.api('GET', '/.well-known/host-meta');
  assert.equal(res.status, 200);
  assert.match(res.text, /rel="lrdd" template="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/webfinger\?resource=\{uri\}"/);
});

test('NodeInfo 2.1 is valid against the published schema and names cluster and ledger identity', async () => {
  const wk = await node.api('GET', '/.well-known/nodeinfo');
  const links = wk.body.links as { rel: string; href: string }[];
  assert.deepEqual(links.map((l) => l.rel), ['http://nodeinfo.diaspora.software/ns/schema/2.0', 'http://nodeinfo.diaspora.software/ns/schema/2.1']);
  const res = await fetch(links[1].href);
  const doc = await res.json();
  const schema = JSON.parse(readFileSync(path.join(here, 'fixtures/nodeinfo-2.1.schema.json'), 'utf8'));
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile(schema);
  assert.ok(validate(doc), JSON.stringify(validate.errors));
  assert.equal(doc.software.name, '9ten');
  assert.deepEqual(doc.protocols, ['activitypub']);
  assert.equal(doc.usage.users.total, 2);
  assert.equal(doc.metadata.cluster, 'eu-west');
  assert.equal(doc.metadata.ledger.organisation, node.ctx.config.federation.organisation);
  assert.ok(doc.metadata.ledger.identity.includes(host));

  // 2.0: the 2.1 schema with version 2.0 and without the 2.1-only software fields.
  const v20 = await (await fetch(links[0].href)).json();
  assert.equal(v20.version, '2.0');
  assert.deepEqual(Object.keys(v20.software).sort(), ['name', 'version']);
  const schema20 = { ...schema, id: undefined, properties: { ...schema.properties, version: { enum: ['2.0'] } } };
  assert.ok(ajv.compile(schema20)(v20));
});

test('actors carry a key, an inbox, a shared inbox and paged collections', async () => {
  const res = await node.api('GET', '/ap/users/lena', { headers: { accept: 'application/activity+json' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/activity\+json/);
  const actor = JSON.parse(res.text);
  assert.equal(actor.type, 'Person');
  assert.equal(actor.id, `${node.ctx.config.publicUrl}/ap/users/lena`);
  assert.equal(actor.inbox, `${actor.id}/inbox`);
  assert.equal(actor.endpoints.sharedInbox, `${node.ctx.config.publicUrl}/ap/inbox`);
  assert.equal(actor.publicKey.id, `${actor.id}#main-key`);
  assert.match(actor.publicKey.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  assert.ok(actor['@context'].some((c: any) => typeof c === 'object' && c.nt === 'https://9ten.org/ns#'));

  const instance = JSON.parse((await node.api('GET', '/ap/actor')).text);
  assert.equal(instance.type, 'Service');
  assert.equal(instance.preferredUsername, 'instance.actor');

  for (const c of ['followers', 'following', 'outbox', 'liked']) {
    const coll = JSON.parse((await node.api('GET', `/ap/users/lena/${c}`)).text);
    assert.equal(coll.type, 'OrderedCollection', c);
    assert.equal(coll.totalItems, 0);
    const page = JSON.parse((await fetch(coll.first)).ok ? await (await fetch(coll.first)).text() : '{}');
    assert.equal(page.type, 'OrderedCollectionPage');
    assert.deepEqual(page.orderedItems, []);
  }
  assert.equal((await node.api('GET', '/ap/users/nobody')).status, 404);
});

test('the 9ten JSON-LD context is served with a stable namespace', async () => {
  const res = await node.api('GET', '/ns/context.jsonld');
  assert.equal(res.status, 200);
  const doc = JSON.parse(res.text);
  assert.equal(doc['@context'].nt, 'https://9ten.org/ns#');
  for (const term of ['AudioTrack', 'Playlist', 'Stream', 'Subscription', 'qualifiedSeconds', 'segmentHashes', 'amount', 'period']) assert.ok(doc['@context'][term], term);
});

test('an admin rotates a key; others may not', async () => {
  const uri = `${node.ctx.config.publicUrl}/ap/users/lena`;
  const before = JSON.parse((await node.api('GET', '/ap/users/lena')).text).publicKey.publicKeyPem;
  assert.equal((await node.api('POST', '/api/v1/federation/admin/rotate-keys', { token: listener.token, body: { actor: uri } })).status, 403);
  const res = await node.api('POST', '/api/v1/federation/admin/rotate-keys', { token: admin.token, body: { actor: uri } });
  assert.equal(res.status, 200);
  const after = JSON.parse((await node.api('GET', '/ap/users/lena')).text).publicKey.publicKeyPem;
  assert.notEqual(after, before);
  assert.equal(res.body.publicKeyPem, after);
  const { keyId } = await federationService(node.ctx).actors.signer(uri);
  assert.equal(keyId.href, `${uri}#main-key`);
});

test('a new account gets its actor and key pair without asking', async () => {
  await node.user('listener', 'kim');
  await waitFor('actor for kim', async () => (await count(node, 'federation_local_actors', `kind = 'user' AND name = 'kim' AND public_key_pem LIKE '-----BEGIN PUBLIC KEY-----%'`)) === 1);
});
