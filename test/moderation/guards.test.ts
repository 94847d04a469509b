// The guards around reports and measures, on one real node: other servers' Flags are one open
// report per actor and object and limited per server and hour, with one staff notice per
// reported object; a user's report limit holds before any remote lookup (failed lookups count);
// reports about moderators' and admins' things stay out of other moderators' sight and hands;
// a report is acted on once however many moderators click at the same moment; a measure is
// journalled before it is taken (a log that cannot be written means no measure); measures that
// change nothing are refused; a hidden track's Create is not served, comes back when it is
// shown again, and its files are never publicly cacheable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { moderationService } from '../../server/moderation/index.js';
import type { UserNotification } from '../../server/events.js';
import { AppError } from '../../server/http/errors.js';

type Signed = Awaited<ReturnType<TestNode['user']>>;
type Artist = Awaited<ReturnType<typeof makeArtist>>;

let node: TestNode;
let dir: string;
let admin: Signed, moderator: Signed, moderator2: Signed, lena: Signed, lou: Signed;
let artist: Artist, modArtist: Artist;
let trackId: string, modTrackId: string;
const told: UserNotification[] = [];

const as = (u: { token: string }, body?: unknown) => ({ token: u.token, body });
const uriOf = (path: string) => `${node.ctx.config.publicUrl}${path}`;
const report = (u: Signed, target: unknown, reason = 'This breaks the rules') => node.api('POST', '/api/v1/reports', as(u, { target, category: 'abuse', reason }));
const act = (u: { token: string }, id: string, action: string, note = 'Checked against the rules') => node.api('POST', `/api/v1/admin/moderation/reports/${id}/actions`, as(u, { action, note }));
const setHidden = (u: { token: string }, id: string, hidden: boolean, note = 'Per the rules') => node.api('PUT', `/api/v1/admin/moderation/tracks/${id}/hidden`, as(u, { hidden, note }));
const logOf = async (q: string) => (await node.api('GET', `/api/v1/admin/moderation/log${q}`, as(admin))).body;
const ownerSees = async (id: string, who: { token: string } = artist) => (await node.api('GET', `/api/v1/tracks/${id}`, as(who))).body;

async function newTrack(owner: Artist, title: string): Promise<string> {
  const up = await upload(node, owner.token, owner.channel.id, await makeAudio(dir, { seconds: 2, tags: { title } }));
  assert.equal(up.status, 200, up.text);
  assert.equal((await waitTrack(node, owner.token, up.body.trackId)).status, 'ready');
  return up.body.trackId;
}

before(async () => {
  node = await startTestNode({ name: 'mod-guards', overrides: { media: { audioBitratesKbps: [64] } } });
  node.ctx.events.on('user.notify', (n) => void told.push(n));
  dir = mediaDir('mod-guards');
  [admin, moderator, moderator2, lena, lou] = [await node.user('admin'), await node.user('moderator'), await node.user('moderator'), await node.user('listener', 'lena'), await node.user('listener', 'lou')];
  artist = await makeArtist(node, 'guard_band');
  modArtist = await makeArtist(node, 'mod_band');
  trackId = await newTrack(artist, 'Guarded Tune');
  modTrackId = await newTrack(modArtist, 'Moderator Tune');
  const promoted = await node.api('PATCH', `/api/v1/admin/users/${modArtist.user.id}`, as(admin, { role: 'moderator' }));
  assert.equal(promoted.status, 200, promoted.text);
});
after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test("another server's Flags: one open report per actor and object, one staff notice per object, and a cap per server and hour", async () => {
  const svc = moderationService(node.ctx);
  const trackUri = uriOf(`/ap/tracks/${trackId}`);
  const notices = () => told.filter((n) => n.kind === 'report' && n.key.startsWith('report-new:'));
  const before = notices().length;
  const flag = (i: number, actor: string, objects = [trackUri]) => svc.receiveReport({ activityId: `https://flood.example/flags/${i}`, actorUri: actor, objectUris: objects, content: `spam ${i}` });
  assert.deepEqual(await flag(0, 'https://flood.example/actor'), { created: true });
  for (let i = 1; i < 6; i++) assert.deepEqual(await flag(i, 'https://flood.example/actor'), { created: false }, 'the same actor on the same object: the open report');
  assert.deepEqual(await flag(6, 'https://flood.example/users/other'), { created: true }, 'another actor is another report');
  const open = (await node.api('GET', '/api/v1/admin/moderation/reports?limit=200', as(admin))).body.data.filter((r: any) => r.target.id === trackId);
  assert.deepEqual(open.map((r: any) => r.reporter.actorUri).sort(), ['https://flood.example/actor', 'https://flood.example/users/other']);
  assert.equal(notices().length - before, 1, 'one notice for the reported track, however many reports it gathers');

  const configured = svc.flagsPerHostPerHour;
  svc.flagsPerHostPerHour = 3;
  try {
    assert.deepEqual(await flag(7, 'https://flood.example/users/third', [uriOf('/ap/channels/guard_band')]), { created: true });
    await assert.rejects(flag(8, 'https://flood.example/users/fourth', [uriOf(`/ap/users/${lou.user.username}`)]), (err) => err instanceof AppError && err.status === 429, 'the 4th report from that server this hour');
    assert.deepEqual(await svc.receiveReport({ activityId: 'https://calm.example/flags/1', actorUri: 'https://calm.example/actor', objectUris: [uriOf(`/ap/users/${lou.user.username}`)], content: 'x' }), { created: true }, 'another server has its own count');
  } finally {
    svc.flagsPerHostPerHour = configured;
  }
});

test("a user's report limit holds before any remote lookup, and failed lookups count", async () => {
  let hits = 0;
  const srv = http.createServer((_req, res) => {
    hits++;
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const remote = (i: number) => ({ uri: `http://127.0.0.1:${(srv.address() as { port: number }).port}/x/${i}` });
  const svc = moderationService(node.ctx);
  const configured = svc.reportsPerHour;
  try {
    svc.reportsPerHour = 0;
    for (let i = 0; i < 4; i++) assert.equal((await report(lou, remote(i))).status, 429);
    assert.equal(hits, 0, 'nothing fetched once the limit is reached');

    svc.reportsPerHour = 2;
    assert.equal((await report(lou, remote(10))).status, 422);
    assert.equal((await report(lou, remote(11))).status, 422);
    const third = await report(lou, remote(12));
    assert.equal(third.status, 429, third.text);
    assert.equal(third.body.code, 'too_many_reports');
    assert.equal(hits, 2, 'each failed lookup counted');
  } finally {
    svc.reportsPerHour = configured;
    srv.close();
  }
});

test("reports about moderators' and admins' things: out of other moderators' queue, detail and hands; not told to the one reported", async () => {
  const aboutTrack = (await report(lena, { kind: 'track', id: modTrackId })).body;
  const aboutAccount = (await report(lena, { kind: 'account', id: moderator.user.id })).body;
  const aboutAdmin = (await report(lena, { kind: 'account', id: admin.user.id })).body;
  const reported = [aboutTrack.id, aboutAccount.id, aboutAdmin.id];
  for (const who of [moderator, modArtist]) {
    const queue = (await node.api('GET', '/api/v1/admin/moderation/reports?state=all&limit=200', as(who))).body;
    assert.ok(!queue.data.some((r: any) => reported.includes(r.id)), 'not in a moderator\'s queue');
    assert.equal(queue.total, queue.data.length);
    for (const id of reported) assert.equal((await node.api('GET', `/api/v1/admin/moderation/reports/${id}`, as(who))).status, 404);
  }
  const adminQueue = (await node.api('GET', '/api/v1/admin/moderation/reports?limit=200', as(admin))).body.data.map((r: any) => r.id);
  for (const id of reported) assert.ok(adminQueue.includes(id), 'admins see them');
  const notice = told.find((n) => n.key === `report-new:${aboutAccount.id}`);
  assert.ok(notice, 'admins are told');
  assert.ok(notice.userIds.includes(admin.user.id));
  assert.ok(!notice.userIds.includes(moderator.user.id) && !notice.userIds.includes(moderator2.user.id), 'no moderator is told of a report about a moderator');

  assert.equal((await act(moderator, aboutAccount.id, 'dismiss')).status, 403, 'the reported moderator cannot dismiss it');
  assert.equal((await act(moderator2, aboutTrack.id, 'dismiss')).status, 403, "nor another moderator a report on a moderator's track");
  assert.equal((await act(modArtist, aboutTrack.id, 'hide-track')).status, 403);
  assert.equal((await setHidden(moderator, modTrackId, true)).status, 403, "a moderator does not hide a moderator's track");
  assert.equal((await act(admin, aboutTrack.id, 'hide-track', 'Hateful lyrics')).status, 200);
  assert.equal((await setHidden(modArtist, modTrackId, false, 'mine, I disagree')).status, 403, 'nor shows their own track again');
  assert.equal((await ownerSees(modTrackId, modArtist)).hidden, true);
  assert.equal((await act(admin, aboutAccount.id, 'dismiss', 'No abuse found')).status, 200, 'an admin works it');
  assert.equal((await logOf(`?reportId=${aboutAccount.id}`)).total, 1);
});

test('one action per report however many moderators click at once; the entry is written before the measure, and a measure without its entry is not taken', async () => {
  const svc = moderationService(node.ctx);
  const raced = await newTrack(artist, 'Raced Tune');
  const r = (await report(lena, { kind: 'track', id: raced })).body;
  const answers = await Promise.all([act(moderator, r.id, 'hide-track', 'hide'), act(moderator2, r.id, 'dismiss', 'fine')]);
  assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], answers.map((a) => a.text).join('\n'));
  const detail = (await node.api('GET', `/api/v1/admin/moderation/reports/${r.id}`, as(admin))).body;
  assert.deepEqual(detail.log.map((e: any) => e.action), [detail.outcome], 'the log has the one action that closed it');
  assert.equal((await ownerSees(raced)).hidden, detail.outcome === 'hide-track');

  // The log cannot be written: nothing is done.
  const blip = await newTrack(artist, 'Blip Tune');
  const log = svc.store.log.bind(svc.store);
  svc.store.log = async () => {
    throw new Error('db blip');
  };
  try {
    assert.equal((await setHidden(moderator, blip, true)).status, 500);
    const r2 = (await report(lena, { kind: 'track', id: blip })).body;
    assert.equal((await act(moderator, r2.id, 'hide-track')).status, 500);
    assert.equal((await node.api('GET', `/api/v1/admin/moderation/reports/${r2.id}`, as(admin))).body.state, 'open');
  } finally {
    svc.store.log = log;
  }
  assert.equal((await ownerSees(blip)).hidden, false, 'no measure without its entry');

  // The entry cannot be finalised: the measure stands and its entry says it is pending.
  const finish = svc.store.finish.bind(svc.store);
  svc.store.finish = async () => {
    throw new Error('db blip');
  };
  try {
    assert.equal((await setHidden(moderator, blip, true)).status, 500);
  } finally {
    svc.store.finish = finish;
  }
  assert.equal((await ownerSees(blip)).hidden, true);
  assert.deepEqual((await logOf(`?target=${blip}`)).data.map((e: any) => [e.action, e.state]), [['hide-track', 'pending']]);

  // The measure fails: the report is open again and the entry says it failed.
  if (detail.outcome === 'hide-track') assert.equal((await setHidden(moderator, raced, false)).status, 200);
  const r3 = (await report(lou, { kind: 'track', id: raced })).body;
  assert.equal(r3.state, 'open');
  const media = node.ctx.services.media;
  const setTrackHidden = media.setTrackHidden;
  media.setTrackHidden = async () => {
    throw new Error('disk full');
  };
  try {
    assert.equal((await act(moderator, r3.id, 'hide-track')).status, 500);
  } finally {
    media.setTrackHidden = setTrackHidden;
  }
  const after = (await node.api('GET', `/api/v1/admin/moderation/reports/${r3.id}`, as(admin))).body;
  assert.equal(after.state, 'open');
  assert.deepEqual(after.log.map((e: any) => [e.action, e.state]), [['hide-track', 'failed']]);
});

test('a measure that changes nothing is refused and neither logged nor told; a report closed by one already in place tells the owner nothing', async () => {
  const t = await newTrack(artist, 'Calm Tune');
  const before = told.length;
  const unhide = await setHidden(moderator, t, false);
  assert.equal(unhide.status, 409, unhide.text);
  assert.equal(unhide.body.code, 'nothing_to_change');
  const standing = (body: Record<string, unknown>) => node.api('PUT', `/api/v1/admin/moderation/accounts/${lou.user.id}/standing`, as(moderator, { note: 'Per the rules', ...body }));
  assert.equal((await standing({ suspended: false, silenced: false })).status, 409);
  const one = await standing({ suspended: false, silenced: true });
  assert.equal(one.status, 200, one.text);
  assert.deepEqual(one.body.entries.map((e: any) => e.action), ['silence'], 'only what changed');
  assert.equal((await standing({ silenced: false })).status, 200);
  assert.equal((await logOf(`?target=${t}`)).total, 0);

  const r = (await report(lena, { kind: 'track', id: t })).body;
  assert.equal((await setHidden(moderator, t, true)).status, 200);
  const closed = await act(moderator2, r.id, 'hide-track', 'Hidden already');
  assert.equal(closed.status, 200, closed.text);
  assert.equal(closed.body.report.outcome, 'hide-track');
  assert.equal(closed.body.entry.details.changed, false);
  await new Promise((res) => setTimeout(res, 100));
  const toOwner = told.slice(before).filter((n) => n.userIds.includes(artist.user.id));
  assert.deepEqual(toOwner.map((n) => n.title), ['A moderator hid your track “Calm Tune”'], 'one notice: the hide that changed something');
});

test("a hidden track's Create is not served; its new Create is in the outboxes once it is shown again", async () => {
  const t = await newTrack(artist, 'Shy Tune');
  const uri = uriOf(`/ap/tracks/${t}`);
  const createOf = async () => ((await node.ctx.db.query(`SELECT id FROM federation_outbox WHERE type = 'Create' AND object_uri = :uri ORDER BY created_at DESC`, { replacements: { uri } }))[0] as { id: string }[])[0]?.id;
  await node.waitJobs();
  const created = await createOf();
  assert.ok(created, 'a Create in the outbox');
  assert.equal((await node.api('GET', `/ap/activities/${created}`)).status, 200);

  assert.equal((await setHidden(moderator, t, true)).status, 200);
  await node.waitJobs();
  const gone = await node.api('GET', `/ap/activities/${created}`);
  assert.equal(gone.status, 404, 'the Create of a hidden track (its title) is not served');
  assert.ok(!(await node.api('GET', '/ap/actor/outbox?page=1')).text.includes(t));

  assert.equal((await setHidden(moderator, t, false)).status, 200);
  await node.waitJobs();
  const again = await createOf();
  assert.notEqual(again, created);
  assert.equal((await node.api('GET', `/ap/activities/${again}`)).status, 200);
  assert.ok((await node.api('GET', '/ap/actor/outbox?page=1')).text.includes(t), "in the node's outbox again");
  assert.ok((await node.api('GET', '/ap/channels/guard_band/outbox?page=1')).text.includes(`/ap/activities/${again}`), "in the channel's outbox again");
});

test("a hidden track's files, served to its owner, are never publicly cacheable", async () => {
  const t = await newTrack(artist, 'Private Tune');
  const master = (await node.api('GET', `/api/v1/tracks/${t}`)).body.streaming.masterPlaylistUrl as string;
  assert.match((await fetch(master)).headers.get('cache-control') ?? '', /^public/);
  assert.equal((await setHidden(moderator, t, true)).status, 200);
  assert.equal((await fetch(master)).status, 404);
  const own = await fetch(master, { headers: { authorization: `Bearer ${artist.token}` } });
  assert.equal(own.status, 200);
  assert.match(own.headers.get('cache-control') ?? '', /^private/, 'served to its owner, never kept by a shared cache');
  const cover = await fetch(master.replace(/\/static\/streaming\/.*$/, `/static/download/${t}`), { headers: { authorization: `Bearer ${artist.token}` } });
  assert.equal(cover.status, 200);
  assert.match(cover.headers.get('cache-control') ?? '', /^private/, 'nor its original');
});
