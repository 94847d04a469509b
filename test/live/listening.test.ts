// Listening to a live stream counts for the monthly split like on-demand listening: a play
// session on the stream, the segments the node really served to it (on the stream's timeline,
// seq × segment length), the 30 s rule; claims past what was served do not count.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { liveArtist, play, push, rtmpUrl, startLiveNode, waitStream } from './support.js';
import { channelActorUri } from '../../shared/actor-uris.js';
import { monthOf } from '../../shared/month.js';
import type { TestNode } from '../helpers/node.js';

let node: TestNode;
before(async () => {
  node = await startLiveNode({ name: 'live-listening' });
});
after(async () => node?.stop());

test('a listener plays a live stream: served segments qualify a listen after 30 s for the channel, claims past them count nothing, ended streams start no play', { timeout: 150_000 }, async () => {
  const a = await liveArtist(node);
  const fan = await node.user('listener');
  const publisher = push(rtmpUrl(node, a.key), { seconds: 90 });
  try {
    const live = await waitStream(node, a.token, a.channel.name, 'live');
    const start = await node.api('POST', '/api/v1/plays', { token: fan.token, body: { trackId: live.id } });
    assert.equal(start.status, 201, start.text);
    const sessionId = start.body.sessionId;
    const headers = () => ({ authorization: `Bearer ${fan.token}`, 'x-play-session': sessionId });

    // 10 segments (20 s): claimed 20 s on the live timeline is covered, no listen yet.
    let n = 0;
    const first = await play(live.audioPlaylistUrl, headers, () => ++n > 10);
    const from = first.served[0] * 2;
    const report = (position: number, played: number) =>
      node.api('POST', `/api/v1/plays/${sessionId}/progress`, { token: fan.token, body: { positionSeconds: position, playedSeconds: played, state: 'playing' } });
    const early = await waitFor20(() => report(from + 20, 20), (r) => r.body.coveredSeconds >= 19.5);
    assert.equal(early.body.qualified, false);

    // A claim far past what was served adds nothing.
    const inflated = await report(from + 600, 600);
    assert.ok(inflated.body.coveredSeconds < 25, `only what was served counts (covered ${inflated.body.coveredSeconds} of 600 claimed)`);

    // Eight more segments: past 30 s served and claimed, the listen qualifies for the channel.
    n = 0;
    const more = await play(live.audioPlaylistUrl, headers, () => ++n > 8, 60_000, first.lastSeq);
    assert.ok(more.served.length >= 8);
    const lastEnd = (more.served.at(-1)! + 1) * 2;
    // A new session's worth of claims on the same timeline: the played span [from, lastEnd].
    const qualified = await waitFor20(() => report(lastEnd, 600 + (lastEnd - from)), (r) => r.body.qualified);
    assert.ok(qualified.body.coveredSeconds >= 30 && qualified.body.coveredSeconds <= lastEnd - from + 3, `covered ${qualified.body.coveredSeconds}`);
    assert.equal(qualified.body.listen.status, 'counted');

    const month = monthOf(new Date(), node.ctx.config.money.timeZone);
    const rows = await node.ctx.services.listening.qualifiedSeconds(month);
    const mine = rows.find((r) => r.userId === fan.user.id);
    assert.ok(mine, 'the live listening is in the month');
    assert.equal(mine!.artist, channelActorUri(node.ctx.config.publicUrl, a.channel.name));
    assert.equal(mine!.artistUserId, a.user.id);
    assert.ok(mine!.seconds >= 30);

    publisher.kill('SIGINT');
    await waitStream(node, a.token, a.channel.name, 'ended', 20_000);
    const late = await node.api('POST', '/api/v1/plays', { token: fan.token, body: { trackId: live.id } });
    assert.equal(late.status, 409, late.text);
  } finally {
    publisher.kill('SIGKILL');
  }
});

/** Retries a report until the segment log has flushed what was served (it writes in batches). */
async function waitFor20<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const until = Date.now() + 20_000;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
}
