// Tips on one node, over real HTTP and PostgreSQL: a listener tips a track or a channel from
// their wallet with a message; the artist is credited at once (less the node's cut, when one is
// configured) and sees tips per day and per track; the tipper sees them in their wallet and in
// their sent tips. Bad input and retries move nothing more; the books balance throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { accounts } from '../../server/money/index.js';
import { select } from '../../server/db/index.js';
import { assertBooksBalanced, balanceOf, credit } from './helpers.js';

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let trackId: string;
before(async () => {
  // The node keeps 2.5 % of each tip.
  node = await startTestNode({ name: 'money-tips', overrides: { money: { tipNodeCutBasisPoints: 250 }, media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('tips');
  artist = await makeArtist(node, 'tip_band');
  const up = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 4, tags: { title: 'Thank You Song' } }));
  assert.equal(up.status, 200, up.text);
  trackId = up.body.trackId;
  assert.equal((await waitTrack(node, artist.token, trackId)).status, 'ready');
});
after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const wallet = (id: string) => balanceOf(node, accounts.wallet(id).key);

test('a listener tips a track and a channel with a message; the artist is credited at once, less the node\'s cut', async () => {
  const fan = await node.user('listener');
  await credit(node, fan.user.id, 5000);
  const nodeFeeBefore = await balanceOf(node, accounts.nodeFee().key);
  const tipped = await node.api('POST', '/api/v1/tips', { token: fan.token, body: { track: trackId, amount: 400, message: '  This got me through the week  ' } });
  assert.equal(tipped.status, 201, tipped.text);
  assert.equal(tipped.body.tip.direction, 'local');
  assert.equal(tipped.body.tip.trackTitle, 'Thank You Song');
  assert.equal(tipped.body.tip.trackUri, `${node.ctx.config.publicUrl}/ap/tracks/${trackId}`);
  assert.equal(tipped.body.tip.artistUri, `${node.ctx.config.publicUrl}/ap/channels/tip_band`);
  assert.equal(tipped.body.tip.message, 'This got me through the week');
  assert.deepEqual([tipped.body.tip.nodeCut, tipped.body.tip.toArtist], [10, 390]);
  assert.equal(await wallet(fan.user.id), 4600);
  assert.equal(await wallet(artist.user.id), 390, 'credited at once');
  assert.equal((await balanceOf(node, accounts.nodeFee().key)) - nodeFeeBefore, 10);

  const byName = await node.api('POST', '/api/v1/tips', { token: fan.token, body: { channel: 'tip_band', amount: 1000 } });
  assert.equal(byName.status, 201, byName.text);
  assert.equal(byName.body.tip.trackUri, null);
  const byUri = await node.api('POST', '/api/v1/tips', { token: fan.token, body: { channel: `${node.ctx.config.publicUrl}/ap/channels/tip_band`, amount: 99 } });
  assert.equal(byUri.status, 201, byUri.text);
  assert.equal(byUri.body.tip.nodeCut, 2, 'the cut is floored: 2.475 → 2');

  // The tipper's wallet names the tip; their sent tips list it.
  const w = await node.api('GET', '/api/v1/me/wallet', { token: fan.token });
  const entry = w.body.entries.data.find((e: { transactionId: string }) => e.transactionId === tipped.body.transaction.id);
  assert.equal(entry.kind, 'tip');
  assert.equal(entry.amount, -400);
  assert.equal(entry.memo.title, 'Thank You Song');
  const sent = await node.api('GET', '/api/v1/me/tips', { token: fan.token });
  assert.equal(sent.body.total, 3);
  assert.deepEqual(sent.body.data.map((t: { amount: number }) => t.amount), [99, 1000, 400]);

  // The artist's earnings: per day and per track, after the cut.
  const earnings = await node.api('GET', '/api/v1/me/earnings/tips', { token: artist.token });
  assert.equal(earnings.status, 200, earnings.text);
  assert.equal(earnings.body.total, 390 + 975 + 97);
  assert.equal(earnings.body.count, 3);
  const today = new Date().toISOString().slice(0, 10);
  assert.deepEqual(earnings.body.byDay, [{ day: today, amount: 1462, count: 3 }]);
  assert.deepEqual(earnings.body.byTrack, [
    { trackUri: null, title: null, amount: 1072, count: 2 },
    { trackUri: `${node.ctx.config.publicUrl}/ap/tracks/${trackId}`, title: 'Thank You Song', amount: 390, count: 1 },
  ]);
  assert.equal(earnings.body.recent[2].message, 'This got me through the week');
  assert.deepEqual(earnings.body.fromOtherNodes, { total: 0, count: 0, byNode: [] });
  const none = await node.api('GET', '/api/v1/me/earnings/tips?from=2001-01-01&to=2001-01-31', { token: artist.token });
  assert.equal(none.body.count, 0);
  assert.equal((await node.api('GET', '/api/v1/me/earnings/tips?from=yesterday', { token: artist.token })).status, 400);
  assert.equal((await node.api('GET', '/api/v1/me/earnings/tips', { token: fan.token })).status, 403, 'listeners have no earnings');
  await assertBooksBalanced(node);
});

test('bad input gets a clear error and moves nothing; a retry with the same Idempotency-Key tips once', async () => {
  const fan = await node.user('listener');
  await credit(node, fan.user.id, 300);
  const tipsBefore = (await select(node.ctx.db, 'SELECT id FROM money_tips')).length;
  const cases: [Record<string, unknown>, number, string][] = [
    [{ track: trackId, amount: 0 }, 400, 'invalid_input'],
    [{ track: trackId, amount: -1 }, 400, 'invalid_input'],
    [{ track: trackId, amount: 2.5 }, 400, 'invalid_input'],
    [{ track: trackId, amount: 1e13 }, 400, 'invalid_input'],
    [{ amount: 100 }, 400, 'invalid_tip_target'],
    [{ track: trackId, channel: 'tip_band', amount: 100 }, 400, 'invalid_tip_target'],
    [{ track: '00000000-0000-4000-8000-000000000000', amount: 100 }, 404, 'not_found'],
    [{ channel: 'no_such_channel', amount: 100 }, 404, 'not_found'],
    [{ channel: 'https://elsewhere.test/ap/channels/unknown', amount: 100 }, 404, 'not_found'],
    [{ track: trackId, amount: 100, message: 'x'.repeat(281) }, 400, 'invalid_message'],
    [{ track: trackId, amount: 100, currency: 'XTS' }, 400, 'unknown_currency'],
    [{ track: trackId, amount: 301 }, 402, 'insufficient_funds'],
  ];
  for (const [body, status, code] of cases) {
    const r = await node.api('POST', '/api/v1/tips', { token: fan.token, body });
    assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
    assert.equal(r.body.code, code, JSON.stringify(body).slice(0, 80));
  }
  const malformed = await node.api('POST', '/api/v1/tips', { token: fan.token, body: { channel: `${node.ctx.config.publicUrl}/ap/channels/%E0`, amount: 1 } });
  assert.equal(malformed.status, 404, malformed.text);
  const own = await node.api('POST', '/api/v1/tips', { token: artist.token, body: { channel: 'tip_band', amount: 1 } });
  assert.equal(own.status, 400);
  assert.equal(own.body.code, 'invalid_recipient');
  assert.equal(await wallet(fan.user.id), 300, 'nothing moved');
  assert.equal((await select(node.ctx.db, 'SELECT id FROM money_tips')).length, tipsBefore, 'nothing stored');

  const headers = { 'idempotency-key': 'tip-retry-1' };
  const artistBefore = await wallet(artist.user.id);
  const replies = await Promise.all(Array.from({ length: 3 }, () => node.api('POST', '/api/v1/tips', { token: fan.token, body: { track: trackId, amount: 200 }, headers })));
  assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 201]);
  assert.equal(new Set(replies.map((r) => r.body.tip.id)).size, 1);
  assert.equal(await wallet(fan.user.id), 100, 'tipped once');
  const reused = await node.api('POST', '/api/v1/tips', { token: fan.token, body: { track: trackId, amount: 50 }, headers });
  assert.equal(reused.status, 409);
  assert.equal(reused.body.code, 'idempotency_key_reused');
  assert.equal((await wallet(artist.user.id)) - artistBefore, 195);
  assert.equal((await node.api('POST', '/api/v1/tips', { body: { track: trackId, amount: 1 } })).status, 401);
  await assertBooksBalanced(node);
});
