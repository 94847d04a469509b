// "A tip from B reaches A": a listener on node B tips a track and the channel of an artist on
// node A. B's books owe the artist (remote:<channel>, paid like payouts); B sends a signed
// ["Tip", "Like"] to A; A's artist sees the tips from B in their earnings, each once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { accounts, moneyService } from '../../server/money/index.js';
import { select } from '../../server/db/index.js';
import { startNodes, waitFor, hostOf } from './support.js';
import { assertBooksBalanced, balanceOf, credit } from '../money/helpers.js';

let a: TestNode, b: TestNode;
let dir: string;
before(async () => {
  [a, b] = await startNodes(['tips-a', 'tips-b'], { overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('fedtips');
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

test('a listener on B tips a track and the channel of an artist on A: B owes the artist, A\'s artist sees the tips', async () => {
  const artist = await makeArtist(a, 'tipped_band');
  const channelUri = `${a.ctx.config.publicUrl}/ap/channels/tipped_band`;
  const fan = await b.user('listener');
  await credit(b, fan.user.id, 2000);
  const follow = await b.api('POST', '/api/v1/federation/follows', { token: fan.token, body: { handle: `tipped_band@${hostOf(a)}` } });
  assert.equal(follow.status, 201, follow.text);
  await waitFor('follow accepted', async () => (await b.api('GET', '/api/v1/federation/follows', { token: fan.token })).body.data.find((f: any) => f.state === 'accepted'));
  const up = await upload(a, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 4, tags: { title: 'Far Tip' } }));
  assert.equal(up.status, 200, up.text);
  assert.equal((await waitTrack(a, artist.token, up.body.trackId)).status, 'ready');
  const trackUri = `${a.ctx.config.publicUrl}/ap/tracks/${up.body.trackId}`;
  await waitFor('track listed on B', async () => (await b.api('GET', '/api/v1/federation/tracks')).body.data.find((t: any) => t.uri === trackUri));

  const onTrack = await b.api('POST', '/api/v1/tips', { token: fan.token, body: { track: trackUri, amount: 300, message: 'From across the fediverse' } });
  assert.equal(onTrack.status, 201, onTrack.text);
  assert.equal(onTrack.body.tip.direction, 'out');
  assert.equal(onTrack.body.tip.artistUri, channelUri);
  const onChannel = await b.api('POST', '/api/v1/tips', { token: fan.token, body: { channel: channelUri, amount: 200 } });
  assert.equal(onChannel.status, 201, onChannel.text);
  assert.equal(await balanceOf(b, accounts.wallet(fan.user.id).key), 1500);
  assert.equal(await balanceOf(b, accounts.remotePayable(channelUri).key), 500, 'B owes the remote artist, as it owes remote payouts');
  await assertBooksBalanced(b);

  const earnings = await waitFor('A records both tips', async () => {
    const r = await a.api('GET', '/api/v1/me/earnings/tips', { token: artist.token });
    return r.body.fromOtherNodes?.count === 2 ? r.body : undefined;
  });
  // Shown apart from what was credited here: B owes it, as B announced it.
  assert.deepEqual([earnings.total, earnings.count, earnings.byTrack], [0, 0, []]);
  assert.deepEqual(earnings.fromOtherNodes, { total: 500, count: 2, byNode: [{ node: hostOf(b), amount: 500, count: 2 }] });
  const fromB = earnings.recent.find((t: { amount: number }) => t.amount === 300);
  assert.equal(fromB.direction, 'in');
  assert.equal(fromB.tipperUri, `${b.ctx.config.publicUrl}/ap/users/${fan.user.username}`);
  assert.equal(fromB.message, 'From across the fediverse');
  assert.equal(fromB.trackTitle, 'Far Tip');
  assert.equal(await balanceOf(a, accounts.wallet(artist.user.id).key), 0, 'A moves no money: B owes it');

  // The activity went out signed from B's listener and was processed once on A.
  const [item] = await select<{ state: string; body: { type: string[]; amount: number } }>(a.ctx.db, "SELECT state, body FROM federation_inbox_items WHERE body->>'id' LIKE :id", { id: `%${onTrack.body.tip.id}` });
  assert.equal(item.state, 'processed');
  assert.deepEqual(item.body.type, ['Tip', 'Like']);
  const again = await moneyService(a.ctx).receiveTip({ activityUri: String((item.body as { id?: string }).id), tipperUri: fromB.tipperUri, objectUri: trackUri, amount: 300, currency: 'USD', message: null });
  assert.equal(again.created, false, 'the same activity is recorded once');
  await assert.rejects(
    moneyService(a.ctx).receiveTip({ activityUri: `${b.ctx.config.publicUrl}/ap/activities/x`, tipperUri: fromB.tipperUri, objectUri: `${a.ctx.config.publicUrl}/ap/channels/nobody`, amount: 1, currency: 'USD', message: null }),
    { status: 404 },
  );
});

test('a tip whose announcement a crash lost is announced by the sweep, once', async () => {
  const channelUri = `${a.ctx.config.publicUrl}/ap/channels/tipped_band`;
  const fan = await b.user('listener');
  await credit(b, fan.user.id, 100);
  // The after-commit event never reaches federation, as if B stopped right after the commit.
  const events = b.ctx.events as unknown as { emit: (name: string, payload: unknown) => void };
  const emit = events.emit;
  events.emit = function (name, payload) {
    if (name !== 'tip.sent') emit.call(this, name, payload);
  };
  let tipId: string;
  try {
    const lost = await b.api('POST', '/api/v1/tips', { token: fan.token, body: { channel: channelUri, amount: 40 } });
    assert.equal(lost.status, 201, lost.text);
    tipId = lost.body.tip.id;
  } finally {
    events.emit = emit;
  }
  const outbox = () => select(b.ctx.db, 'SELECT 1 FROM federation_outbox WHERE id = :id', { id: tipId });
  assert.equal((await outbox()).length, 0, 'not announced');
  const { federationService } = await import('../../server/federation/index.js');
  const { announceMissingTips } = await import('../../server/federation/send/send-tip.js');
  assert.equal(await announceMissingTips(federationService(b.ctx)), 1);
  assert.equal(await announceMissingTips(federationService(b.ctx)), 0, 'once');
  assert.equal((await outbox()).length, 1);
  await waitFor('A records the tip', async () => {
    const rows = await select(a.ctx.db, "SELECT 1 FROM money_tips WHERE direction = 'in' AND activity_uri LIKE :id", { id: `%${tipId}` });
    return rows.length === 1 ? rows : undefined;
  });
});
