// Inbox benchmark, on loopback with two real nodes: what verifying a post costs, key
// ownership included. Baseline, measured in the same run: unsigned posts (refused at once,
// the HTTP and routing cost alone). Figures are ratios against it; no timing is asserted.
//   npx tsx bench/federation/inbox.ts
// Environment: BENCH_POSTS [2000] per kind, BENCH_CONCURRENCY [8].
import { signRequest } from '@fedify/fedify/sig';
import { startTestNode, type TestNode } from '../../test/helpers/node.js';
import { federationService } from '../../server/federation/index.js';

const POSTS = Number(process.env.BENCH_POSTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const log = (msg: string) => process.stdout.write(`${msg}\n`);

async function run(label: string, make: (i: number) => Promise<Request>, expect: number): Promise<number> {
  // Requests are built (and signed) before the clock starts: the node's work is measured.
  const requests = await Promise.all(Array.from({ length: POSTS }, (_, i) => make(i)));
  let next = 0;
  let wrong = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const res = await fetch(requests[next++]);
        await res.arrayBuffer();
        if (res.status !== expect) wrong++;
      }
    }),
  );
  const perSecond = POSTS / ((performance.now() - started) / 1000);
  log(`  ${label.padEnd(44)} ${perSecond.toFixed(0).padStart(6)} posts/s${wrong ? ` (${wrong} not ${expect})` : ''}`);
  return perSecond;
}

async function main() {
  const overrides = { federation: { inboxRateLimitPerMinute: 1_000_000, inboxFailuresPerMinutePerAddress: 1_000_000 } };
  const a: TestNode = await startTestNode({ name: 'bench-inbox-a', overrides });
  const b: TestNode = await startTestNode({ name: 'bench-inbox-b', overrides });
  try {
    await a.user('listener', 'ana');
    await b.user('listener', 'bea');
    const bea = `${b.ctx.config.publicUrl}/ap/users/bea`;
    const bob = `${b.ctx.config.publicUrl}/ap/users/bob`;
    await b.user('listener', 'bob');
    const fed = federationService(b.ctx);
    await fed.actors.resolveUri(bea);
    await fed.actors.resolveUri(bob);
    const inbox = `${a.url}/ap/inbox`;
    const like = (i: number, tag: string) =>
      JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', id: `${b.ctx.config.publicUrl}/ap/activities/bench-${tag}-${i}`, type: 'Like', actor: bea, object: `${a.ctx.config.publicUrl}/ap/tracks/none` });
    const signed = async (body: string, spec: 'draft-cavage-http-signatures-12' | 'rfc9421', as = bea) => {
      const { privateKey, keyId } = await fed.actors.signer(as);
      return signRequest(new Request(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body }), privateKey, keyId, { spec });
    };

    // Cold: the first post fetches bea's key and her actor document (ownership check).
    const coldStart = performance.now();
    const first = await fetch(await signed(like(0, 'cold'), 'draft-cavage-http-signatures-12'));
    const coldMs = performance.now() - coldStart;
    const warmStart = performance.now();
    await fetch(await signed(like(1, 'cold'), 'draft-cavage-http-signatures-12'));
    const warmMs = performance.now() - warmStart;

    log(`inbox benchmark (loopback, this machine; ${POSTS} posts per kind, concurrency ${CONCURRENCY})`);
    log(`  first post of a new key (key + actor fetched): ${coldMs.toFixed(1)} ms (status ${first.status}); the next: ${warmMs.toFixed(1)} ms`);
    const baseline = await run('unsigned (baseline: refused at once)', async (i) => new Request(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: like(i, 'unsigned') }), 401);
    const cavage = await run('signed, cavage, verified, owned, stored', (i) => signed(like(i, 'cavage'), 'draft-cavage-http-signatures-12'), 202);
    const rfc = await run('signed, RFC 9421, verified, owned, stored', (i) => signed(like(i, 'rfc'), 'rfc9421'), 202);
    const forged = await run('forged (bob\'s key, bea as actor): refused', (i) => signed(like(i, 'forged'), 'draft-cavage-http-signatures-12', bob), 401);
    log(`  ratios to the baseline: cavage ${(cavage / baseline).toFixed(2)}x, RFC 9421 ${(rfc / baseline).toFixed(2)}x, forged ${(forged / baseline).toFixed(2)}x`);
  } finally {
    await a.stop();
    await b.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
