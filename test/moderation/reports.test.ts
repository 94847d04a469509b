// Reports and the moderation queue on one real node: who may report and who may work the
// queue, bad input, one open report per user and object, the hourly limit, a Flag from another
// server made into one report however often it comes, and each measure (dismiss, hide a track,
// suspend and silence an account, lift them) with its note in the log, the reporter and the
// account concerned told.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { waitFor } from '../helpers/wait.js';
import { moderationService } from '../../server/moderation/index.js';
import type { UserNotification } from '../../server/events.js';
import { AppError } from '../../server/http/errors.js';
import { accountsService } from '../../server/accounts/index.js';

type Signed = Awaited<ReturnType<TestNode['user']>>;

let node: TestNode;
let dir: string;
let admin: Signed, moderator: Signed, moderator2: Signed, lena: Signed, lou: Signed;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let trackId: string;
let trackUri: string;
const told: UserNotification[] = [];

before(async () => {
  node = await startTestNode({ name: 'moderation', overrides: { media: { audioBitratesKbps: [64] } } });
  node.ctx.events.on('user.notify', (n) => void told.push(n));
  dir = mediaDir('moderation');
  [admin, moderator, moderator2, lena, lou] = [await node.user('admin'), await node.user('moderator'), await node.user('moderator'), await node.user('listener', 'lena'), await node.user('listener', 'lou')];
  artist = await makeArtist(node, 'loud_band');
  const up = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 2, tags: { title: 'Questionable Tune' } }));
  assert.equal(up.status, 200, up.text);
  trackId = up.body.trackId;
  assert.equal((await waitTrack(node, artist.token, trackId)).status, 'ready');
  trackUri = `${node.ctx.config.publicUrl}/ap/tracks/${trackId}`;
});
after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const as = (u: { token: string }, body?: unknown) => ({ token: u.token, body });
const report = (u: Signed, target: unknown, reason = 'This is spam, plainly', category = 'spam') => node.api('POST', '/api/v1/reports', as(u, { target, category, reason }));
const act = (u: Signed, id: string, action: string, note = 'Checked against the rules') => node.api('POST', `/api/v1/admin/moderation/reports/${id}/actions`, as(u, { action, note }));
const logOf = async (q = '') => (await node.api('GET', `/api/v1/admin/moderation/log${q}`, as(moderator))).body;

test('listeners cannot see the queue or act; anonymous users cannot report; moderators and admins work the queue', async () => {
  assert.equal((await node.api('GET', '/api/v1/admin/moderation/reports', as(lena))).status, 403);
  assert.equal((await node.api('GET', '/api/v1/admin/moderation/log', as(artist))).status, 403);
  assert.equal((await node.api('GET', '/api/v1/admin/moderation/reports')).status, 401);
  assert.equal((await node.api('POST', '/api/v1/reports', { body: { target: { kind: 'track', id: trackId }, category: 'spam', reason: 'nope nope' } })).status, 401);
  assert.equal((await node.api('PUT', `/api/v1/admin/moderation/tracks/${trackId}/hidden`, as(lena, { hidden: true, note: 'mine' }))).status, 403);
  assert.equal((await node.api('PUT', `/api/v1/admin/moderation/accounts/${lou.user.id}/standing`, as(artist, { suspended: true, note: 'x' }))).status, 403);
  for (const who of [moderator, admin]) {
    const res = await node.api('GET', '/api/v1/admin/moderation/reports?state=all', as(who));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.total, 0);
  }
});

test('bad input is refused with 400 and makes nothing', async () => {
  const bad: unknown[] = [
    {},
    { target: { kind: 'track', id: trackId }, category: 'spam' },
    { target: { kind: 'track', id: trackId }, category: 'boring', reason: 'not a category' },
    { target: { kind: 'track', id: trackId }, category: 'spam', reason: 'no' },
    { target: { kind: 'song', id: trackId }, category: 'spam', reason: 'not a kind' },
    { target: { kind: 'track', id: trackId, uri: trackUri }, category: 'spam', reason: 'both ways at once' },
    { target: { uri: 'ftp://example.org/x' }, category: 'spam', reason: 'not http' },
    { target: trackUri, category: 'spam', reason: 'a bare string' },
  ];
  for (const body of bad) {
    const res = await node.api('POST', '/api/v1/reports', as(lena, body));
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  }
  assert.equal((await node.api('GET', '/api/v1/admin/moderation/reports?state=bogus', as(moderator))).status, 400);
  assert.equal((await node.api('GET', '/api/v1/admin/moderation/log?reportId=nope', as(moderator))).status, 400);
  assert.equal((await node.api('PUT', `/api/v1/admin/moderation/accounts/${lou.user.id}/standing`, as(moderator, { note: 'nothing asked' }))).status, 400);
  assert.equal((await node.api('PUT', `/api/v1/admin/moderation/tracks/${trackId}/hidden`, as(moderator, { hidden: true }))).status, 400, 'a measure needs a note');
  assert.equal((await node.api('GET', '/api/v1/me/reports', as(lena))).body.total, 0);
});

test('a listener reports a track; the same report again while it is open is the same report', async () => {
  const first = await report(lena, { kind: 'track', id: trackId });
  assert.equal(first.status, 201, first.text);
  assert.deepEqual(first.body.target, { kind: 'track', uri: trackUri, id: trackId, name: 'Questionable Tune', host: null, actorUri: `${node.ctx.config.publicUrl}/ap/channels/loud_band` });
  assert.equal(first.body.state, 'open');
  const again = await report(lena, { uri: trackUri }, 'Still spam, said another way');
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.id, first.body.id);
  assert.equal(again.body.reason, 'This is spam, plainly');

  const queue = await node.api('GET', '/api/v1/admin/moderation/reports', as(moderator));
  assert.equal(queue.body.total, 1);
  assert.deepEqual(queue.body.data[0].reporter, { kind: 'local', id: lena.user.id, username: 'lena', actorUri: null });
  const detail = await node.api('GET', `/api/v1/admin/moderation/reports/${first.body.id}`, as(moderator));
  assert.equal(detail.status, 200, detail.text);
  assert.equal(detail.body.targetStatus.exists, true);
  assert.equal(detail.body.targetStatus.hidden, false);
  assert.equal(detail.body.targetStatus.owner.username, artist.user.username);
  assert.deepEqual(detail.body.log, []);
  assert.equal((await node.api('GET', '/api/v1/admin/moderation/reports/00000000-0000-4000-8000-000000000000', as(moderator))).status, 404);
  assert.equal((await node.api('GET', '/api/v1/admin/moderation/reports/not-an-id', as(moderator))).status, 404);
});

test('what a user may not see cannot be reported (nor its existence learnt), nor what they published themselves', async () => {
  const hidden = await node.api('POST', '/api/v1/playlists', as(lou, { title: 'Secret mix', visibility: 'private' }));
  assert.equal(hidden.status, 201, hidden.text);
  const missing = await report(lena, { kind: 'playlist', id: hidden.body.id });
  assert.equal(missing.status, 404, missing.text);
  assert.deepEqual(
    { ...(await report(lena, { kind: 'playlist', id: '00000000-0000-4000-8000-000000000000' })).body, detail: undefined, instance: undefined },
    { ...missing.body, detail: undefined, instance: undefined },
    'a private playlist answers as one that does not exist',
  );
  assert.equal((await report(lena, { uri: `${node.ctx.config.publicUrl}/ap/playlists/${hidden.body.id}` })).status, 404);
  assert.equal((await report(lena, { kind: 'account', id: 'nobody_here' })).status, 404);
  const own = await report(artist, { kind: 'track', id: trackId });
  assert.equal(own.status, 400);
  assert.equal(own.body.code, 'own_content');
});

test('new reports per user and hour are limited (the same open report again costs nothing)', async () => {
  const svc = moderationService(node.ctx);
  const configured = svc.reportsPerHour;
  svc.reportsPerHour = 2;
  try {
    assert.equal((await report(lou, { kind: 'channel', id: 'loud_band' })).status, 201);
    assert.equal((await report(lou, { kind: 'account', id: artist.user.username })).status, 201);
    assert.equal((await report(lou, { kind: 'channel', id: artist.channel.id })).status, 200, 'the channel again, by id: the same open report');
    const third = await report(lou, { kind: 'track', id: trackId });
    assert.equal(third.status, 429, third.text);
    assert.equal(third.body.code, 'too_many_reports');
    assert.ok(Number(third.headers.get('retry-after')) > 3000);
  } finally {
    svc.reportsPerHour = configured;
  }
  assert.equal((await node.api('GET', '/api/v1/me/reports', as(lou))).body.total, 2);
});

test('a Flag from another server becomes one report, however often it arrives; one naming nothing here is refused', async () => {
  const svc = moderationService(node.ctx);
  const flag = {
    activityId: 'https://remote.example/activities/flag-1',
    actorUri: 'https://remote.example/actor',
    objectUris: [`${node.ctx.config.publicUrl}/ap/channels/loud_band`, trackUri, 'https://remote.example/other'],
    content: 'Reported over there',
  };
  assert.deepEqual(await svc.receiveReport(flag), { created: true });
  assert.deepEqual(await svc.receiveReport(flag), { created: false });
  const mine = (await node.api('GET', '/api/v1/admin/moderation/reports', as(moderator))).body.data.filter((r: any) => r.reporter.kind === 'remote');
  assert.equal(mine.length, 1);
  assert.deepEqual(mine[0].reporter, { kind: 'remote', id: null, username: null, actorUri: 'https://remote.example/actor' });
  assert.equal(mine[0].target.kind, 'track', 'the most specific object named');
  assert.deepEqual(mine[0].relatedUris, [`${node.ctx.config.publicUrl}/ap/channels/loud_band`]);
  assert.equal(mine[0].category, 'other');
  assert.equal(mine[0].reason, 'Reported over there');
  await assert.rejects(svc.receiveReport({ ...flag, activityId: 'https://remote.example/activities/flag-2', objectUris: [`${node.ctx.config.publicUrl}/ap/tracks/00000000-0000-4000-8000-000000000000`] }), (err) => err instanceof AppError && err.status === 404);
});

test('a report is dismissed with a note: logged, closed for good, the reporter sees the outcome and is told', async () => {
  const r = (await report(lou, { kind: 'track', id: trackId }, 'I do not like it', 'other')).body;
  const noNote = await node.api('POST', `/api/v1/admin/moderation/reports/${r.id}/actions`, as(moderator, { action: 'dismiss' }));
  assert.equal(noNote.status, 400);
  const wrong = await act(moderator, r.id, 'block-domain');
  assert.equal(wrong.status, 400, 'a local track has no server to block');
  assert.equal(wrong.body.code, 'action_does_not_fit');
  assert.equal((await act(moderator, r.id, 'forward')).status, 400, 'nothing to forward a local report to');

  const done = await act(moderator, r.id, 'dismiss', 'Taste is not a rule');
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.report.state, 'dismissed');
  assert.equal(done.body.report.outcome, 'dismiss');
  assert.deepEqual(done.body.report.resolvedBy, { id: moderator.user.id, username: moderator.user.username });
  assert.equal(done.body.entry.note, 'Taste is not a rule');
  assert.equal((await act(moderator2, r.id, 'hide-track')).status, 409, 'closed already');

  const mine = (await node.api('GET', '/api/v1/me/reports', as(lou))).body.data.find((x: any) => x.id === r.id);
  assert.equal(mine.state, 'dismissed');
  assert.equal(mine.outcome, 'dismiss');
  const notice = await waitFor('the reporter told', () => told.find((n) => n.key === `report:${r.id}:closed`));
  assert.deepEqual(notice.userIds, [lou.user.id]);
  assert.equal(notice.kind, 'report');
  const entries = (await logOf(`?reportId=${r.id}`)).data;
  assert.deepEqual(entries.map((e: any) => [e.action, e.moderator.username, e.target.kind, e.target.ref, e.note]), [['dismiss', moderator.user.username, 'track', trackId, 'Taste is not a rule']]);
  // A new report about the same object may be made once the old one is closed.
  assert.equal((await report(lou, { kind: 'track', id: trackId }, 'Now it is worse', 'abuse')).status, 201);
});

test('a hidden track is gone for everyone but its owner and moderators: 404, out of listings, search and streaming; shown again, it is back', async () => {
  const r = (await node.api('GET', '/api/v1/me/reports', as(lena))).body.data.find((x: any) => x.target.id === trackId && x.state === 'open');
  const playlist = await node.api('POST', '/api/v1/playlists', as(lena, { title: 'Lena mix' }));
  assert.equal((await node.api('PATCH', `/api/v1/playlists/${playlist.body.id}`, as(lena, { trackIds: [trackId] }))).status, 200);
  assert.ok((await node.api('GET', `/api/v1/playlists/${playlist.body.id}`, as(lena))).text.includes(trackId));
  const master = (await node.api('GET', `/api/v1/tracks/${trackId}`)).body.streaming.masterPlaylistUrl as string;
  assert.equal((await fetch(master)).status, 200);

  const done = await act(moderator, r.id, 'hide-track', 'Spam: the same tune posted forty times');
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.report.state, 'resolved');
  assert.equal(done.body.report.outcome, 'hide-track');

  for (const who of [lena, undefined]) {
    assert.equal((await node.api('GET', `/api/v1/tracks/${trackId}`, who ? as(who) : {})).status, 404);
    assert.ok(!(await node.api('GET', '/api/v1/tracks', who ? as(who) : {})).text.includes(trackId), 'out of the listing');
    assert.ok(!(await node.api('GET', `/api/v1/search?q=${encodeURIComponent('Questionable Tune')}`, who ? as(who) : {})).text.includes(trackId), 'out of search');
    assert.ok(!(await node.api('GET', '/api/v1/channels/loud_band', who ? as(who) : {})).text.includes(trackId));
  }
  assert.ok(!(await node.api('GET', `/api/v1/playlists/${playlist.body.id}`, as(lena))).text.includes(trackId), 'out of the playlists it is in');
  assert.equal((await fetch(master)).status, 404, 'its streams are not served');
  assert.equal((await node.api('GET', `/ap/tracks/${trackId}`)).status, 404, 'not federated');
  const owners = await node.api('GET', `/api/v1/tracks/${trackId}`, as(artist));
  assert.equal(owners.status, 200);
  assert.equal(owners.body.hidden, true);
  assert.equal(owners.body.visibility, 'public', 'the owner\'s own choice is kept');
  assert.ok((await node.api('GET', '/api/v1/tracks?channel=loud_band', as(artist))).text.includes(trackId), 'the owner still lists it');
  assert.equal((await node.api('GET', `/api/v1/tracks/${trackId}`, as(moderator))).status, 200, 'moderators see it');
  const ownerTold = await waitFor('the owner told', () => told.find((n) => n.key === `moderation:${done.body.entry.id}`));
  assert.deepEqual(ownerTold.userIds, [artist.user.id]);
  assert.equal(ownerTold.kind, 'account');
  const detail = (await node.api('GET', `/api/v1/admin/moderation/reports/${r.id}`, as(moderator))).body;
  assert.equal(detail.targetStatus.hidden, true);

  const shown = await node.api('PUT', `/api/v1/admin/moderation/tracks/${trackId}/hidden`, as(moderator2, { hidden: false, note: 'The duplicates are gone; this one stays', reportId: r.id }));
  assert.equal(shown.status, 200, shown.text);
  assert.equal(shown.body.hidden, false);
  assert.equal((await node.api('GET', `/api/v1/tracks/${trackId}`, as(lena))).status, 200);
  assert.ok((await node.api('GET', '/api/v1/tracks')).text.includes(trackId));
  assert.equal((await fetch(master)).status, 200);
  const entries = (await logOf(`?target=${trackId}`)).data;
  assert.deepEqual(entries.slice(0, 2).map((e: any) => [e.action, e.moderator.username, e.reportId]), [['unhide-track', moderator2.user.username, r.id], ['hide-track', moderator.user.username, r.id]]);
  assert.equal((await node.api('PUT', '/api/v1/admin/moderation/tracks/00000000-0000-4000-8000-000000000000/hidden', as(moderator, { hidden: true, note: 'x' }))).status, 404);
});

test("moderators take no measure on an admin's account, and only admins on a moderator's; silenced accounts publish nothing, suspended ones cannot sign in", async () => {
  const aboutAdmin = (await report(lena, { kind: 'account', id: admin.user.id }, 'The admin is rude to me', 'abuse')).body;
  const refused = await act(moderator, aboutAdmin.id, 'suspend');
  assert.equal(refused.status, 403, refused.text);
  assert.equal((await act(admin, aboutAdmin.id, 'silence')).status, 403, 'no admin is moderated this way');
  assert.equal((await node.api('GET', `/api/v1/admin/moderation/reports/${aboutAdmin.id}`, as(admin))).body.state, 'open');
  assert.equal((await node.api('GET', `/api/v1/admin/moderation/log?reportId=${aboutAdmin.id}`, as(admin))).body.total, 0, 'a refused measure leaves no entry');

  const standing = (who: Signed, id: string, body: Record<string, unknown>) => node.api('PUT', `/api/v1/admin/moderation/accounts/${id}/standing`, as(who, { note: 'Per the rules', ...body }));
  assert.equal((await standing(moderator, moderator2.user.id, { suspended: true })).status, 403);
  assert.equal((await standing(moderator, moderator.user.id, { silenced: true })).status, 403, 'not on oneself');
  const byAdmin = await standing(admin, moderator2.user.id, { silenced: true });
  assert.equal(byAdmin.status, 200, byAdmin.text);
  assert.equal(byAdmin.body.account.silenced, true);
  assert.equal((await standing(admin, moderator2.user.id, { silenced: false })).body.account.silenced, false);

  // Silenced: signs in and reads, but cannot publish.
  const aboutArtist = (await report(lena, { kind: 'channel', id: 'loud_band' }, 'Spam channel, many copies', 'spam')).body;
  const silenced = await act(moderator, aboutArtist.id, 'silence', 'Posting the same tune again and again');
  assert.equal(silenced.status, 200, silenced.text);
  assert.equal(silenced.body.entry.target.ref, artist.user.id, 'the account the channel belongs to');
  assert.equal((await node.api('GET', '/api/v1/users/me', as(artist))).status, 200);
  const upload = await node.api('POST', '/api/v1/uploads', as(artist, { channelId: artist.channel.id, filename: 'x.mp3', size: 10 }));
  assert.equal(upload.status, 403, upload.text);
  assert.equal(upload.body.code, 'account_silenced');
  const lifted = await standing(moderator, artist.user.id, { silenced: false });
  assert.equal(lifted.status, 200, lifted.text);
  assert.equal((await node.api('POST', '/api/v1/uploads', as(artist, { channelId: artist.channel.id, filename: 'x.mp3', size: 10 }))).status, 201);

  // Suspended: the sessions end.
  const suspended = await standing(moderator, lou.user.id, { suspended: true, silenced: true });
  assert.equal(suspended.status, 200, suspended.text);
  assert.deepEqual(suspended.body.entries.map((e: any) => e.action), ['suspend', 'silence']);
  assert.equal((await node.api('GET', '/api/v1/users/me', as(lou))).status, 401);
  assert.equal((await standing(moderator, lou.user.id, { suspended: false, silenced: false })).status, 200);
  const actions = (await logOf(`?target=${lou.user.id}`)).data.map((e: any) => e.action);
  assert.deepEqual(actions, ['unsilence', 'unsuspend', 'silence', 'suspend']);
});

test("a user's reports are part of their data export", async () => {
  const part = accountsService(node.ctx).exportParts.find((p) => p.file === 'reports.json');
  assert.ok(part, 'moderation registered its part');
  const exported = (await part.collect(lena.user)) as { id: string; target: { id: string | null } }[];
  assert.deepEqual(exported.map((r) => r.id).sort(), (await node.api('GET', '/api/v1/me/reports', as(lena))).body.data.map((r: any) => r.id).sort());
  assert.ok(exported.some((r) => r.target.id === trackId));
});

// ajv is CommonJS; its draft 2020-12 build is the JSON Schema dialect of OpenAPI 3.1.
const Ajv2020 = createRequire(import.meta.url)('ajv/dist/2020') as new (opts?: object) => {
  addSchema(schema: object, key: string): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};

test('what the moderation routes answer fits the schemas the API description names (the client types come from them)', async () => {
  const doc = (await node.api('GET', '/api/openapi.json')).body;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(doc, 'api');
  const fits = async (method: string, path: string, template: string, who: Signed, body?: unknown) => {
    const res = await node.api(method.toUpperCase(), path, as(who, body));
    const pointer = template.replace(/~/g, '~0').replace(/\//g, '~1');
    assert.ok(doc.paths[template]?.[method]?.responses?.[res.status]?.content?.['application/json'], `${method} ${template} answered ${res.status}: ${res.text.slice(0, 300)}`);
    const validate = ajv.compile({ $ref: `api#/paths/${pointer}/${method}/responses/${res.status}/content/application~1json/schema` });
    assert.ok(validate(res.body), `${method} ${template} ${res.status}: ${JSON.stringify(validate.errors)}\n${res.text.slice(0, 600)}`);
    return res.body;
  };
  const made = await fits('post', '/api/v1/reports', '/api/v1/reports', lena, { target: { kind: 'account', id: 'lou' }, category: 'abuse', reason: 'Insults in every comment' });
  await fits('post', '/api/v1/reports', '/api/v1/reports', lena, { target: { kind: 'account', id: lou.user.id }, category: 'abuse', reason: 'Again' });
  await fits('get', '/api/v1/me/reports', '/api/v1/me/reports', lena);
  await fits('get', '/api/v1/admin/moderation/reports?state=all', '/api/v1/admin/moderation/reports', moderator);
  await fits('get', `/api/v1/admin/moderation/reports/${made.id}`, '/api/v1/admin/moderation/reports/{id}', moderator);
  await fits('put', `/api/v1/admin/moderation/tracks/${trackId}/hidden`, '/api/v1/admin/moderation/tracks/{id}/hidden', moderator, { hidden: true, note: 'Hidden' });
  await fits('put', `/api/v1/admin/moderation/accounts/${lou.user.id}/standing`, '/api/v1/admin/moderation/accounts/{id}/standing', moderator, { silenced: true, note: 'Insults', reportId: made.id });
  await fits('post', `/api/v1/admin/moderation/reports/${made.id}/actions`, '/api/v1/admin/moderation/reports/{id}/actions', moderator, { action: 'dismiss', note: 'Not insults' });
  await fits('get', `/api/v1/admin/moderation/reports/${made.id}`, '/api/v1/admin/moderation/reports/{id}', moderator);
  await fits('get', '/api/v1/admin/moderation/log', '/api/v1/admin/moderation/log', moderator);
});
