// The ListenBrainz-compatible door: token check, the three listen types, ListenBrainz's limits,
// matching to play sessions the node served, and that nothing submitted counts for the split.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { removeMediaDir } from '../helpers/media.js';
import { select } from '../../server/db/index.js';
import { listenerWithKey, monthSeconds, startCatalogue, type Catalogue } from './support.js';
import { listenBrainzRequestsPerKeyPerMinute } from '../../server/apps/limits.js';

let c: Catalogue;

before(async () => {
  c = await startCatalogue('listenbrainz');
});

after(async () => {
  await c?.node.stop();
  if (c) removeMediaDir(c.dir);
});

const now = () => Math.floor(Date.now() / 1000);

function submit(key: string | undefined, body: unknown) {
  return c.node.api('POST', '/1/submit-listens', { body, headers: key ? { authorization: `Token ${key}` } : {} });
}

const listen = (over: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  listened_at: now() - 60,
  track_metadata: { artist_name: 'Somebody Else', track_name: 'Elsewhere', release_name: 'Far Away', ...meta },
  ...over,
});

const stored = (userId: string) => select<{ track_name: string; session_id: string | null; source: string }>(c.node.ctx.db, 'SELECT track_name, session_id, source FROM submitted_listens WHERE user_id = :userId ORDER BY listened_at', { userId });

test('validate-token: a key is valid (header or ?token=), anything else is not', async () => {
  const l = await listenerWithKey(c.node);
  const ok = await c.node.api('GET', '/1/validate-token', { headers: { authorization: `Token ${l.key}` } });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { code: 200, message: 'Token valid.', valid: true, user_name: l.user.username });
  assert.equal((await c.node.api('GET', `/1/validate-token?token=${l.key}`)).body.valid, true);
  const bad = await c.node.api('GET', '/1/validate-token', { headers: { authorization: 'Token 9t_nope' } });
  assert.equal(bad.status, 200);
  assert.equal(bad.body.valid, false);
  assert.equal((await c.node.api('GET', '/1/validate-token', { headers: { authorization: `Token ${l.password}` } })).body.valid, false, 'never the account password');
});

test('submit-listens: single, playing_now and import are taken; submitted listens count for nothing', async () => {
  const l = await listenerWithKey(c.node);
  const single = await submit(l.key, { listen_type: 'single', payload: [listen()] });
  assert.equal(single.status, 200);
  assert.deepEqual(single.body, { status: 'ok' });
  const playing = await submit(l.key, { listen_type: 'playing_now', payload: [{ track_metadata: { artist_name: 'A', track_name: 'B' } }] });
  assert.equal(playing.status, 200);
  // An import naming this node's track that the node never served to this listener.
  const imported = await submit(l.key, {
    listen_type: 'import',
    payload: [
      listen({ listened_at: now() - 3600 }, { artist_name: 'The Testers', track_name: 'Morning Tide', additional_info: { track_id: c.tracks.one.id, duration_ms: 8000 } }),
      listen({ listened_at: now() - 7200 }, { track_name: 'Second' }),
      listen({ listened_at: Date.UTC(2002, 9, 1) / 1000 }, { track_name: 'On the floor' }),
    ],
  });
  assert.equal(imported.status, 200, imported.text);
  assert.ok(imported.headers.get('x-ratelimit-limit'));
  // The same listen again is stored once.
  await submit(l.key, { listen_type: 'single', payload: [listen({ listened_at: now() - 3600 }, { artist_name: 'The Testers', track_name: 'Morning Tide' })] });
  const rows = await stored(l.user.id);
  assert.deepEqual(rows.map((r) => r.track_name).sort(), ['Elsewhere', 'Morning Tide', 'On the floor', 'Second']);
  assert.ok(rows.every((r) => r.session_id === null && r.source === 'listenbrainz'));
  assert.equal(await monthSeconds(c.node, l.user.id), 0, 'a listen the node never served is not in the month');
});

test('submit-listens: ListenBrainz limits and errors', async () => {
  const l = await listenerWithKey(c.node);
  const status = async (body: unknown, key: string | null = l.key) => {
    const res = await submit(key ?? undefined, body);
    if (res.status !== 200) assert.equal(res.body.code, res.status);
    return res.status;
  };
  assert.equal(await status({ listen_type: 'single', payload: [listen()] }, null), 401);
  assert.equal(await status({ listen_type: 'single', payload: [listen()] }, '9t_wrong'), 401);
  assert.equal(await status({ listen_type: 'import', payload: Array.from({ length: 1001 }, (_, i) => listen({ listened_at: now() - 100 - i })) }), 400);
  assert.equal(await status({ listen_type: 'single', payload: [listen({}, { additional_info: { comment: 'x'.repeat(10_300) } })] }), 400);
  assert.equal(await status({ listen_type: 'single', payload: [listen({ listened_at: Date.UTC(2002, 8, 30) / 1000 })] }), 400);
  assert.equal(await status({ listen_type: 'single', payload: [listen({ listened_at: now() + 86_400 })] }), 400);
  assert.equal(await status({ listen_type: 'single', payload: [listen(), listen()] }), 400);
  assert.equal(await status({ listen_type: 'playing_now', payload: [listen()] }), 400, 'playing_now carries no time');
  assert.equal(await status({ listen_type: 'single', payload: [listen({}, { track_name: '' })] }), 400);
  assert.equal(await status({ listen_type: 'loud', payload: [listen()] }), 400);
  assert.equal(await status({ listen_type: 'import', payload: Array.from({ length: 1000 }, (_, i) => listen({ listened_at: now() - 100 - i })) }), 200, '1,000 is the limit, not over it');
});

test('a listen of a track the node served to the listener is stored with that play session, which it leaves for a scrobble (its listen counts by the served bytes only)', async () => {
  const l = await listenerWithKey(c.node);
  const play = await c.node.api('POST', '/api/v1/plays', { token: l.token, body: { trackId: c.tracks.two.id } });
  assert.equal(play.status, 201);
  const res = await submit(l.key, { listen_type: 'single', payload: [listen({ listened_at: now() }, { artist_name: 'the testers', track_name: 'Evening Tide' })] });
  assert.equal(res.status, 200);
  const rows = await stored(l.user.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].session_id, play.body.sessionId, 'matched by title and artist, case folded');
  const [session] = await select<{ confirmed_at: Date | null }>(c.node.ctx.db, 'SELECT confirmed_at FROM listening_sessions WHERE id = :id', { id: play.body.sessionId });
  assert.equal(session.confirmed_at, null, 'left for a Subsonic scrobble of the same play');
  assert.equal(await monthSeconds(c.node, l.user.id), 0, 'nothing was served, so nothing counts');
});

test('each key has its own rate limit', async () => {
  const l = await listenerWithKey(c.node);
  // The limit counts per clock minute: start well inside one.
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 100));
  let last = 0;
  for (let i = 0; i <= listenBrainzRequestsPerKeyPerMinute; i++) {
    last = (await c.node.api('GET', '/1/validate-token', { headers: { authorization: `Token ${l.key}` } })).status;
  }
  assert.equal(last, 429);
  const other = await listenerWithKey(c.node);
  assert.equal((await c.node.api('GET', '/1/validate-token', { headers: { authorization: `Token ${other.key}` } })).status, 200);
});
