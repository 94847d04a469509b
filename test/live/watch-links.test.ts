// Pre-funded watch links on a real push: an artist puts credit on a link; the first visitor gets a
// guest account (no sign-up) whose watch stream of that channel draws on the link, nothing else;
// the guest claims the account and what is left moves to their wallet; the books balance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { liveArtist, play, push, rtmpUrl, startLiveNode, waitStream } from './support.js';
import { moneyService } from '../../server/money/index.js';
import { accounts } from '../../server/money/books.js';
import { assertBooksBalanced } from '../money/helpers.js';
import type { TestNode } from '../helpers/node.js';

let node: TestNode;
before(async () => {
  node = await startLiveNode({ name: 'live-watch-links' });
});
after(async () => node?.stop());

const money = () => moneyService(node.ctx);
const balance = (userId: string) => money().books.balance(accounts.wallet(userId).key);

test('a watch link: credit from the artist, a guest without sign-up watches on it (only there), claims the account and keeps the rest', { timeout: 150_000 }, async () => {
  const a = await liveArtist(node);
  await money().adminCredit.topUp({ userId: a.user.id, amount: 2000, idempotencyKey: `watch-link:${a.user.id}` });
  await node.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: { pricePerMinute: 60, freeMinutes: 0.1, title: 'Link night' } });
  const make = (body: unknown, headers: Record<string, string> = {}, token = a.token) =>
    node.api('POST', `/api/v1/channels/${a.channel.name}/live/watch-links`, { token, body, headers });

  for (const [body, status] of [[{ amount: 0 }, 400], [{ amount: 140 }, 400], [{ amount: 1.5 }, 400], [{ amount: 500, fundFrom: 'node' }, 403], [{ amount: 5000 }, 402], [{ amount: 100, streamId: '00000000-0000-4000-8000-000000000000' }, 404]] as const) {
    const res = await make(body);
    assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
  }
  const other = await node.user('listener');
  assert.equal((await make({ amount: 100 }, {}, other.token)).status, 403, "someone else's channel");
  assert.equal(await balance(a.user.id), 2000, 'refused links moved nothing');

  const made = await make({ amount: 500, message: 'on me' }, { 'Idempotency-Key': 'link-1' });
  assert.equal(made.status, 201, made.text);
  assert.match(made.body.link.url, /\/watch\/[A-Za-z0-9_-]{16}$/);
  assert.match(made.body.qr.svg, /^<svg/);
  assert.equal((await make({ amount: 500, message: 'on me' }, { 'Idempotency-Key': 'link-1' })).body.link.code, made.body.link.code, 'a retry makes no second link');
  assert.equal(await balance(a.user.id), 1500);
  const code = made.body.link.code;

  const publisher = push(rtmpUrl(node, a.key), { seconds: 90 });
  try {
    const live = await waitStream(node, a.token, a.channel.name, 'live');
    const info = (await node.api('GET', `/api/v1/live/watch-links/${code}`)).body;
    assert.deepEqual([info.status, info.credit, info.liveStreamId, info.channel.name], ['open', 500, live.id, a.channel.name]);

    // The first visitor: a guest, signed in at once. The link makes one guest only.
    const opened = await node.api('POST', `/api/v1/live/watch-links/${code}/open`);
    assert.equal(opened.status, 200, opened.text);
    const guest = opened.body.guest;
    assert.equal(guest.user.guest, true);
    const gToken = guest.tokens.access_token;
    assert.equal((await node.api('POST', `/api/v1/live/watch-links/${code}/open`)).status, 410);
    const mine = await node.api('POST', `/api/v1/live/watch-links/${code}/open`, { token: gToken });
    assert.deepEqual([mine.status, mine.body.guest], [200, null], 'the guest it made may open it again');

    // Free seconds, then 402; the guest's watch stream draws on the link, not their (empty) wallet.
    const headers = () => ({ authorization: `Bearer ${gToken}` });
    const free = await play(live.audioPlaylistUrl, headers, (res) => res.status !== 200);
    assert.equal(free.last.status, 402);
    const watch = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: gToken });
    assert.equal(watch.status, 201, watch.text);
    assert.equal(await balance(guest.user.id), 0);
    let n = 0;
    const watched = await play(live.audioPlaylistUrl, headers, () => ++n > 3, 60_000, free.lastSeq);
    assert.equal(watched.served.length, 3);
    const stopped = await node.api('DELETE', `/api/v1/live/streams/${live.id}/watch-stream`, { token: gToken });
    assert.equal(stopped.status, 200, stopped.text);
    const spent = stopped.body.paymentStream.streamed;
    assert.ok(spent > 0);
    assert.equal((await node.api('GET', `/api/v1/live/watch-links/${code}`)).body.credit, 500 - spent, 'the rest went back to the link');

    // The link's credit is for its guest only: another listener's watch stream finds an empty wallet.
    const stranger = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: other.token });
    assert.equal(stranger.status, 402);

    // The guest keeps the account: a name and password of their own; the credit left is theirs now.
    const badClaim = await node.api('POST', '/api/v1/users/me/claim', { token: gToken, body: { username: 'x', password: 'short' } });
    assert.equal(badClaim.status, 400);
    const claimed = await node.api('POST', '/api/v1/users/me/claim', { token: gToken, body: { username: `fan_${Date.now().toString(36)}`, password: 'a long secret 1' } });
    assert.equal(claimed.status, 200, claimed.text);
    assert.equal(claimed.body.guest, false);
    assert.equal(await balance(guest.user.id), 500 - spent);
    assert.equal((await node.api('GET', `/api/v1/live/watch-links/${code}`)).body.status, 'claimed');
    assert.equal((await node.api('POST', '/api/v1/users/me/claim', { token: gToken, body: { username: 'another_name', password: 'a long secret 2' } })).status, 409);
    const login = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: claimed.body.username, password: 'a long secret 1' } });
    assert.equal(login.status, 200, login.text);
    assert.equal(await balance(a.user.id), 1500 + spent, 'the artist was paid the seconds watched');

    // An admin may fund a link from the node.
    const admin = await node.user('admin');
    const nodeFunded = await make({ amount: 300, fundFrom: 'node' }, {}, admin.token);
    assert.equal(nodeFunded.status, 201, nodeFunded.text);
    assert.equal(nodeFunded.body.link.fundedFrom, 'node');
    const list = await node.api('GET', `/api/v1/channels/${a.channel.name}/live/watch-links`, { token: a.token });
    assert.deepEqual(list.body.map((l: any) => l.status).sort(), ['claimed', 'open']);
  } finally {
    publisher.kill('SIGKILL');
  }
  await assertBooksBalanced(node);
  const escrow = await money().streams.escrowIdentity();
  assert.equal(escrow.escrow, escrow.outstanding);
});
