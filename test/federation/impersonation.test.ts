// No one can act as another actor: a signature proves an actor only when the key is on the
// actor's origin and the actor's own document lists it. Two real origins on loopback: the
// victim (a real node, its actor with its real key) and a signer (a plain HTTP server that
// hosts key documents of several shapes and an actor of its own), posting to a third node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { signRequest } from '@fedify/fedify/sig';
import type { TestNode } from '../helpers/node.js';
import { startNodes, signedRequest, post, count } from './support.js';
import { federationService } from '../../server/federation/index.js';

type Spec = 'draft-cavage-http-signatures-12' | 'rfc9421';
const specs: Spec[] = ['draft-cavage-http-signatures-12', 'rfc9421'];

let a: TestNode, victim: TestNode;
let signer: http.Server;
let signerOrigin = '';
const docs = new Map<string, unknown>();
let privateKey: CryptoKey;
let publicKeyPem = '';
let inbox = '';
let bea = '';
let target = '';
let seq = 0;

const follow = (actor: string) =>
  JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', id: `${new URL(actor).origin}/ap/activities/imp-${++seq}`, type: 'Follow', actor, object: target });

async function signAs(keyId: string, body: string, spec: Spec): Promise<Request> {
  const req = new Request(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body });
  return signRequest(req, privateKey, new URL(keyId), { spec });
}

before(async () => {
  [a, victim] = await startNodes(['imp-a', 'imp-victim']);
  await a.user('listener', 'ana');
  await victim.user('listener', 'bea');
  inbox = `${a.url}/ap/inbox`;
  bea = `${victim.ctx.config.publicUrl}/ap/users/bea`;
  target = `${a.ctx.config.publicUrl}/ap/users/ana`;
  // Actors get their keys in the background; make bea's now.
  await federationService(victim.ctx).actors.resolveUri(bea);

  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const pkcs8 = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
  privateKey = (await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign'])) as CryptoKey;

  signer = http.createServer((req, res) => {
    const doc = docs.get(new URL(req.url ?? '/', signerOrigin).pathname);
    if (!doc) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/activity+json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => signer.listen(0, '127.0.0.1', r));
  signerOrigin = `http://127.0.0.1:${(signer.address() as AddressInfo).port}`;
});

after(async () => {
  signer?.close();
  await Promise.all([a, victim].map((n) => n?.stop()));
});

/** Key documents of several shapes, each hosted on the signer's own origin and naming the victim as owner. */
function forgedKeyDocuments(): { name: string; path: string; keyId: string; doc: Record<string, unknown> }[] {
  const shapes: { name: string; type: string; context: unknown; fragment: boolean }[] = [];
  for (const type of ['CryptographicKey', 'Key']) {
    for (const context of [['https://w3id.org/security/v1'], ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1']]) {
      for (const fragment of [false, true]) shapes.push({ name: `${type}, ${context.length === 1 ? 'security context only' : 'with activitystreams context'}, ${fragment ? 'fragment id' : 'plain id'}`, type, context, fragment });
    }
  }
  return shapes.map((s, i) => {
    const path = `/keys/forged-${i}`;
    const keyId = `${signerOrigin}${path}${s.fragment ? '#main-key' : ''}`;
    return { name: s.name, path, keyId, doc: { '@context': s.context, id: keyId, type: s.type, owner: bea, publicKeyPem } };
  });
}

test('an honest post signed by the actor\'s own key is accepted (cavage and RFC 9421)', async () => {
  for (const spec of specs) {
    const { privateKey: realKey, keyId } = await federationService(victim.ctx).actors.signer(bea);
    const body = JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', id: `${victim.ctx.config.publicUrl}/ap/activities/honest-${spec}`, type: 'Like', actor: bea, object: `${a.ctx.config.publicUrl}/ap/tracks/none` });
    const req = await signRequest(new Request(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body }), realKey, keyId, { spec });
    const res = await post(req);
    assert.equal(res.status, 202, `${spec}: ${res.text}`);
  }
});

test('a key document on another origin naming the victim as owner proves nothing (every shape, both specs)', async () => {
  const followsBefore = await count(a, 'federation_follows');
  const itemsBefore = await count(a, 'federation_inbox_items');
  for (const k of forgedKeyDocuments()) {
    docs.set(k.path, k.doc);
    for (const spec of specs) {
      const res = await post(await signAs(k.keyId, follow(bea), spec));
      assert.equal(res.status, 401, `${k.name}, ${spec}: forged Follow as the victim answered ${res.status} ${res.text}`);
    }
  }
  await a.waitJobs();
  assert.equal(await count(a, 'federation_follows'), followsBefore, 'no forged Follow was acted on');
  assert.equal(await count(a, 'federation_inbox_items'), itemsBefore, 'no forged activity was stored');
});

test('a standalone key document whose id is not the URL it was fetched from is refused', async () => {
  // Hosted on the signer's origin, but claiming to be the victim's key id.
  const { keyId: victimKeyId } = await federationService(victim.ctx).actors.signer(bea);
  docs.set('/keys/liar', { '@context': 'https://w3id.org/security/v1', id: victimKeyId.href, type: 'CryptographicKey', owner: bea, publicKeyPem });
  for (const spec of specs) {
    const res = await post(await signAs(`${signerOrigin}/keys/liar`, follow(bea), spec));
    assert.equal(res.status, 401, `${spec}: ${res.text}`);
  }
});

test('a key on the actor\'s own origin that the actor\'s document does not list is refused', async () => {
  // The signer's origin hosts an actor listing key k1, and a standalone key k2 claiming that actor.
  const actor = `${signerOrigin}/users/eve`;
  docs.set('/users/eve', {
    '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1'],
    id: actor, type: 'Person', preferredUsername: 'eve', inbox: `${actor}/inbox`,
    publicKey: { id: `${actor}#main-key`, owner: actor, publicKeyPem },
  });
  docs.set('/keys/unlisted', { '@context': 'https://w3id.org/security/v1', id: `${signerOrigin}/keys/unlisted`, type: 'CryptographicKey', owner: actor, publicKeyPem });
  for (const spec of specs) {
    const unlisted = await post(await signAs(`${signerOrigin}/keys/unlisted`, follow(actor), spec));
    assert.equal(unlisted.status, 401, `${spec}: unlisted key answered ${unlisted.status} ${unlisted.text}`);
    // The same actor signing with the key its document lists is accepted.
    const listed = await post(await signAs(`${actor}#main-key`, follow(actor), spec));
    assert.equal(listed.status, 202, `${spec}: listed key answered ${listed.status} ${listed.text}`);
  }
});

test('an actor whose document cannot be fetched now gets 503 with Retry-After (retry later), not a permanent 401', async () => {
  const actor = `${signerOrigin}/users/away`; // no document: the origin answers 404
  docs.set('/keys/away', { '@context': 'https://w3id.org/security/v1', id: `${signerOrigin}/keys/away`, type: 'CryptographicKey', owner: actor, publicKeyPem });
  const res = await fetch(await signAs(`${signerOrigin}/keys/away`, follow(actor), 'draft-cavage-http-signatures-12'));
  assert.equal(res.status, 503, await res.text());
  assert.ok(Number(res.headers.get('retry-after')) > 0);
});

test('a signed post from one actor cannot carry another origin\'s embedded object as trusted', async () => {
  // bea announces a "track" embedded with content, whose id is on the signer's origin: the
  // node keeps only the reference, never the embedded body.
  const body = JSON.stringify({
    '@context': 'https://www.w3.org/ns/activitystreams', id: `${victim.ctx.config.publicUrl}/ap/activities/embed-1`, type: 'Accept', actor: bea,
    object: { id: `${signerOrigin}/follows/1`, type: 'Follow', actor: `${a.ctx.config.publicUrl}/ap/users/ana`, object: bea },
  });
  const res = await post(await signedRequest(victim, bea, inbox, body));
  assert.equal(res.status, 202, res.text);
  const [rows] = await a.ctx.db.query(`SELECT body FROM federation_inbox_items WHERE activity_uri = '${victim.ctx.config.publicUrl}/ap/activities/embed-1'`);
  const stored = (rows as { body: { object: unknown } }[])[0]?.body;
  assert.equal(stored?.object, `${signerOrigin}/follows/1`, 'the foreign embedded object is kept as a reference only');
});
