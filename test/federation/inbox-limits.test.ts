// Inbox limits count what is proven: refused posts per client address, verified posts per
// actor origin. A flood naming a real peer's key cannot lock that peer out. The replay guard
// keys on the signature value, and RFC 9421 signatures must cover method, target and body.
// Clients post from distinct loopback addresses (127.0.0.x) so the node sees real peers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { signRequest } from '@fedify/fedify/sig';
import type { TestNode } from '../helpers/node.js';
import { startNodes, signedRequest, count } from './support.js';
import { federationService } from '../../server/federation/index.js';

let a: TestNode, b: TestNode;
let inbox = '';
let bea = '';
let target = '';
let seq = 0;

const like = (actor = bea) => JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', id: `${b.ctx.config.publicUrl}/ap/activities/lim-${++seq}`, type: 'Like', actor, object: `${a.ctx.config.publicUrl}/ap/tracks/none` });

/** Sends a Request from a given loopback source address (the node sees it as that client). */
async function postFrom(localAddress: string, req: Request): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const body = Buffer.from(await req.arrayBuffer());
  const headers: Record<string, string> = {};
  req.headers.forEach((v, k) => (headers[k] = v));
  const u = new URL(req.url);
  return new Promise((resolve, reject) => {
    const r = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: { ...headers, 'content-length': String(body.length) }, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

before(async () => {
  [a, b] = await startNodes(['lim-a', 'lim-b'], { overrides: { federation: { inboxRateLimitPerMinute: 1000, inboxFailuresPerMinutePerAddress: 10 } } });
  await a.user('listener', 'ana');
  await b.user('listener', 'bea');
  inbox = `${a.url}/ap/inbox`;
  bea = `${b.ctx.config.publicUrl}/ap/users/bea`;
  target = `${a.ctx.config.publicUrl}/ap/users/ana`;
  await federationService(b.ctx).actors.resolveUri(bea);
  // Minute buckets: start well inside a minute so one test's posts share one bucket.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 61_000 - intoMinute));
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
});

test('a flood of forged posts naming a real peer\'s key limits the flooder\'s address, not the peer', async () => {
  const { keyId } = await federationService(b.ctx).actors.signer(bea);
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) {
    // A well-formed activity "from" bea whose signature is garbage.
    const forged = await signedRequest(b, bea, inbox, like());
    const h = new Headers(forged.headers);
    h.set('signature', `keyId="${keyId.href}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="${Buffer.from(`forged-${i}`).toString('base64')}"`);
    statuses.push((await postFrom('127.0.0.2', new Request(inbox, { method: 'POST', headers: h, body: await forged.arrayBuffer() }))).status);
  }
  assert.ok(statuses.slice(0, 10).every((s) => s === 401), `first refusals are 401: ${statuses}`);
  assert.ok(statuses.slice(10).every((s) => s === 429), `then the flooder's address is refused unread: ${statuses}`);

  // The real peer, posting from its own address, is not affected.
  const honest = await postFrom('127.0.0.3', await signedRequest(b, bea, inbox, like()));
  assert.equal(honest.status, 202, honest.text);
});

test('verified posts beyond the per-origin limit get 429 with Retry-After and change nothing', async () => {
  const inboxSvc = federationService(a.ctx).inbox;
  const configured = inboxSvc.rateLimitPerMinute;
  assert.equal(configured, 1000, 'the limit comes from the config');
  const before = await count(a, 'federation_inbox_items');
  const statuses: number[] = [];
  let retryAfter: string | undefined;
  // This minute's bucket already holds the earlier tests' posts: allow 5 more.
  const used = Number((await a.ctx.redis.get(`fed:rl:origin:${new URL(bea).origin}:${Math.floor(Date.now() / 60_000)}`)) ?? 0);
  inboxSvc.rateLimitPerMinute = used + 5;
  try {
    for (let i = 0; i < 10; i++) {
      const res = await postFrom('127.0.0.4', await signedRequest(b, bea, inbox, like()));
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers['retry-after'] as string | undefined;
    }
  } finally {
    inboxSvc.rateLimitPerMinute = configured;
  }
  const accepted = statuses.filter((s) => s === 202).length;
  assert.equal(accepted, 5, `only the per-origin limit is accepted in a minute: ${statuses}`);
  assert.ok(statuses.includes(429), `the rest are limited: ${statuses}`);
  assert.ok(retryAfter && Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After is given in seconds: ${retryAfter}`);
  await a.waitJobs();
  assert.equal(await count(a, 'federation_inbox_items'), before + accepted);
});

test('a replay whose Signature header is re-formatted is still a replay', async () => {
  const signed = await signedRequest(b, bea, inbox, JSON.stringify({ id: `${b.ctx.config.publicUrl}/ap/activities/replay-fmt`, type: 'Follow', actor: bea, object: target }));
  const body = await signed.clone().arrayBuffer();
  const first = await postFrom('127.0.0.5', signed);
  assert.equal(first.status, 202, first.text);
  // Same signature, parameters in another order with spaces: the header text differs.
  const params = Object.fromEntries([...signed.headers.get('signature')!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const h = new Headers(signed.headers);
  h.set('signature', `signature="${params.signature}", headers="${params.headers}", algorithm="${params.algorithm}", keyId="${params.keyId}"`);
  const again = await postFrom('127.0.0.5', new Request(inbox, { method: 'POST', headers: h, body }));
  assert.equal(again.status, 409, `re-formatted replay answered ${again.status} ${again.text}`);
});

test('an RFC 9421 signature that does not cover @method, @target-uri and content-digest is refused', async () => {
  const { privateKey, keyId } = await federationService(b.ctx).actors.signer(bea);
  const host = new URL(inbox).host;
  const date = new Date().toUTCString();
  const created = Math.floor(Date.now() / 1000);
  const sign = async (components: string[], headers: Record<string, string>) => {
    const params = `alg="rsa-v1_5-sha256";keyid="${keyId.href}";created=${created}`;
    const lines = components.map((c) => `"${c}": ${c === '@method' ? 'POST' : c === '@target-uri' ? inbox : headers[c]}`);
    lines.push(`"@signature-params": (${components.map((c) => `"${c}"`).join(' ')});${params}`);
    const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, new TextEncoder().encode(lines.join('\n')));
    return { 'signature-input': `sig1=(${components.map((c) => `"${c}"`).join(' ')});${params}`, signature: `sig1=:${Buffer.from(sig).toString('base64')}:` };
  };
  const itemsBefore = await count(a, 'federation_inbox_items');
  // Covers only host and date: any body could be attached. This one was never signed.
  const base = { host, date, 'content-type': 'application/activity+json' };
  const onlyDate = await postFrom('127.0.0.6', new Request(inbox, { method: 'POST', headers: { ...base, ...(await sign(['host', 'date'], base)) }, body: like() }));
  assert.equal(onlyDate.status, 401, `host+date only answered ${onlyDate.status} ${onlyDate.text}`);
  // Covers method and target but not the body's digest.
  const noDigest = await postFrom('127.0.0.6', new Request(inbox, { method: 'POST', headers: { ...base, ...(await sign(['@method', '@target-uri', 'host', 'date'], base)) }, body: like() }));
  assert.equal(noDigest.status, 401, `no content-digest answered ${noDigest.status} ${noDigest.text}`);
  // Fedify's own RFC 9421 signature covers all three and is accepted.
  const full = await signRequest(new Request(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: like() }), privateKey, keyId, { spec: 'rfc9421' });
  const ok = await postFrom('127.0.0.6', full);
  assert.equal(ok.status, 202, ok.text);
  await a.waitJobs();
  assert.equal(await count(a, 'federation_inbox_items'), itemsBefore + 1);
});

test('a post signed for another server does not verify here, whatever Host it claims', async () => {
  // Signed by bea for another node's inbox (same path), then sent here with that node's Host.
  const elsewhere = 'http://127.0.0.1:9/ap/inbox';
  const { privateKey, keyId } = await federationService(b.ctx).actors.signer(bea);
  for (const spec of ['draft-cavage-http-signatures-12', 'rfc9421'] as const) {
    const signed = await signRequest(new Request(elsewhere, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: like() }), privateKey, keyId, { spec });
    const moved = new Request(inbox, { method: 'POST', headers: signed.headers, body: await signed.arrayBuffer() });
    const res = await postFrom('127.0.0.7', moved);
    assert.equal(res.status, 401, `${spec}: a post signed for 127.0.0.1:9 answered ${res.status} ${res.text}`);
  }
});

test('a post with more than one signature is refused before any key is fetched', async () => {
  const signed = await signRequest(new Request(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: like() }), (await federationService(b.ctx).actors.signer(bea)).privateKey, (await federationService(b.ctx).actors.signer(bea)).keyId, { spec: 'rfc9421' });
  const h = new Headers(signed.headers);
  h.set('signature-input', `${h.get('signature-input')}, sig2=("@method");keyid="http://127.0.0.1:9/k";created=${Math.floor(Date.now() / 1000)}`);
  h.set('signature', `${h.get('signature')}, sig2=:AAAA:`);
  const res = await postFrom('127.0.0.8', new Request(inbox, { method: 'POST', headers: h, body: await signed.arrayBuffer() }));
  assert.equal(res.status, 401, res.text);
  assert.match(res.text, /signature_count/);
});
