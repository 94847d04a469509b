// Two real nodes on loopback: a listener on B reports a track of A that B knows through a
// follow; a moderator on B forwards the report; A receives it as a Flag from B's instance
// actor and it lands in A's queue; A's moderator hides the track, which a listener on A then
// gets a 404 for and which leaves A's listings and B's copy; each node's log has its action.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { startNodes, waitFor, hostOf } from '../federation/support.js';

type Signed = Awaited<ReturnType<TestNode['user']>>;

let a: TestNode, b: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let modA: Signed, listenerA: Signed, modB: Signed, bea: Signed;
let trackId: string, trackUri: string, channelUri: string;
let reportB: { id: string };

before(async () => {
  [a, b] = await startNodes(['mod-a', 'mod-b'], { overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('mod-flag');
  artist = await makeArtist(a, 'flagged_band');
  [modA, listenerA] = [await a.user('moderator'), await a.user('listener')];
  [modB, bea] = [await b.user('moderator'), await b.user('listener', 'bea')];
  channelUri = `${a.ctx.config.publicUrl}/ap/channels/flagged_band`;
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

const as = (u: { token: string }, body?: unknown) => ({ token: u.token, body });

test('B knows a track of A through a follow', async () => {
  const follow = await b.api('POST', '/api/v1/federation/follows', as(bea, { handle: `flagged_band@${hostOf(a)}` }));
  assert.equal(follow.status, 201, follow.text);
  await waitFor('follow accepted', async () => (await b.api('GET', '/api/v1/federation/follows', as(bea))).body.data.some((f: any) => f.state === 'accepted'));
  const up = await upload(a, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 2, tags: { title: 'Flagged Song' } }));
  assert.equal(up.status, 200, up.text);
  trackId = up.body.trackId;
  assert.equal((await waitTrack(a, artist.token, trackId)).status, 'ready');
  trackUri = `${a.ctx.config.publicUrl}/ap/tracks/${trackId}`;
  await waitFor('the track listed on B', async () => (await b.api('GET', '/api/v1/federation/tracks')).body.data.some((t: any) => t.uri === trackUri));
});

test("a listener on B reports A's track; a moderator on B forwards it to A as a Flag, once", async () => {
  const res = await b.api('POST', '/api/v1/reports', as(bea, { target: { uri: trackUri }, category: 'copyright', reason: 'This is my song, uploaded without my consent' }));
  assert.equal(res.status, 201, res.text);
  assert.deepEqual(res.body.target, { kind: 'track', uri: trackUri, id: null, name: 'Flagged Song', host: hostOf(a), actorUri: channelUri });
  reportB = res.body;

  assert.equal((await b.api('POST', `/api/v1/admin/moderation/reports/${reportB.id}/actions`, as(modB, { action: 'hide-track', note: 'Hide it' }))).status, 400, "B cannot hide A's track");
  const forwarded = await b.api('POST', `/api/v1/admin/moderation/reports/${reportB.id}/actions`, as(modB, { action: 'forward', note: 'Theirs to judge: copyright claim' }));
  assert.equal(forwarded.status, 200, forwarded.text);
  assert.equal(forwarded.body.report.state, 'open', 'forwarding does not close the report');
  assert.equal(forwarded.body.report.forwarded, true);
  assert.equal(forwarded.body.entry.details.inboxes, 1);
  const again = await b.api('POST', `/api/v1/admin/moderation/reports/${reportB.id}/actions`, as(modB, { action: 'forward', note: 'Once more' }));
  assert.equal(again.status, 409, again.text);
  await b.waitJobs();

  const [sent] = (await b.ctx.db.query(`SELECT body FROM federation_outbox WHERE type = 'Flag'`))[0] as { body: any }[];
  assert.equal(sent.body.actor, `${b.ctx.config.publicUrl}/ap/actor`, 'from the instance actor: the reporter is not named');
  assert.deepEqual(sent.body.object, [channelUri, trackUri]);
  assert.equal(sent.body.content, 'copyright: This is my song, uploaded without my consent');
  assert.ok(!JSON.stringify(sent.body).includes('bea'));
});

test("the Flag lands in A's queue, once; A's moderator hides the track: 404 for A's listeners, gone from A's listings and from B", async () => {
  const queued = await waitFor("the report in A's queue", async () => (await a.api('GET', '/api/v1/admin/moderation/reports', as(modA))).body.data.find((r: any) => r.target.id === trackId));
  assert.deepEqual(queued.reporter, { kind: 'remote', id: null, username: null, actorUri: `${b.ctx.config.publicUrl}/ap/actor` });
  assert.equal(queued.target.kind, 'track');
  assert.equal(queued.target.host, null);
  assert.deepEqual(queued.relatedUris, [channelUri]);
  assert.equal(queued.reason, 'copyright: This is my song, uploaded without my consent');
  assert.equal((await a.api('GET', '/api/v1/admin/moderation/reports?state=all', as(modA))).body.total, 1);
  const [items] = (await a.ctx.db.query(`SELECT state FROM federation_inbox_items WHERE type = 'Flag'`)) as [{ state: string }[], unknown];
  assert.deepEqual(items, [{ state: 'processed' }]);

  assert.equal((await a.api('GET', `/api/v1/tracks/${trackId}`, as(listenerA))).status, 200);
  const hidden = await a.api('POST', `/api/v1/admin/moderation/reports/${queued.id}/actions`, as(modA, { action: 'hide-track', note: 'Copyright claim looks right; hidden until the artist shows a licence' }));
  assert.equal(hidden.status, 200, hidden.text);
  assert.equal((await a.api('GET', `/api/v1/tracks/${trackId}`, as(listenerA))).status, 404);
  assert.ok(!(await a.api('GET', '/api/v1/tracks', as(listenerA))).text.includes(trackId));
  assert.ok(!(await a.api('GET', `/api/v1/search?q=${encodeURIComponent('Flagged Song')}`, as(listenerA))).text.includes(trackId));
  await a.waitJobs();
  await waitFor('B drops the track (a Delete from A)', async () => !(await b.api('GET', '/api/v1/federation/tracks')).body.data.some((t: any) => t.uri === trackUri));

  const logA = (await a.api('GET', '/api/v1/admin/moderation/log', as(modA))).body.data;
  assert.deepEqual(logA.map((e: any) => [e.action, e.target.kind, e.target.ref, e.reportId]), [['hide-track', 'track', trackId, queued.id]]);
  const logB = (await b.api('GET', '/api/v1/admin/moderation/log', as(modB))).body.data;
  assert.deepEqual(logB.map((e: any) => [e.action, e.target.ref, e.note]), [['forward', trackUri, 'Theirs to judge: copyright claim']]);
});

test("B's moderator closes B's report by blocking A's server; the reporter sees the outcome", async () => {
  const blocked = await b.api('POST', `/api/v1/admin/moderation/reports/${reportB.id}/actions`, as(modB, { action: 'block-domain', note: 'That server ignores copyright' }));
  assert.equal(blocked.status, 200, blocked.text);
  assert.equal(blocked.body.entry.target.ref, hostOf(a));
  const admin = await b.user('admin');
  const blocks = (await b.api('GET', '/api/v1/federation/admin/blocks', as(admin))).body.data;
  assert.ok(blocks.some((x: any) => x.kind === 'domain' && x.value === hostOf(a)), JSON.stringify(blocks));
  const mine = (await b.api('GET', '/api/v1/me/reports', as(bea))).body.data;
  assert.deepEqual(mine.map((r: any) => [r.state, r.outcome, r.forwarded]), [['resolved', 'block-domain', true]]);
});
