// Login and sign-up throttling through the real HTTP routes of real nodes: failed logins
// per account (from one address, and from all), per client address, sign-ups per address
// (sliding windows in Redis),
// 429 + Retry-After before any password is checked, unlock by time, and unknown names
// that cost and answer exactly as known ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestNode, type TestNode, type ApiResponse } from '../helpers/node.js';

const WINDOW = 8; // seconds: long enough for a few scrypt checks on a busy machine, short enough to wait out

let proxied: TestNode; // behind a trusted proxy: the address comes from X-Forwarded-For
let direct: TestNode; // no trusted proxy: X-Forwarded-For is the client's own claim and ignored

before(async () => {
  proxied = await startTestNode({
    name: 'throttle',
    overrides: {
      trustProxy: true,
      auth: {
        throttle: {
          // One name from one address is the strict limit; the tests below that spread guesses
          // over many addresses lock the name through the ceiling for all addresses.
          loginFailuresPerAccount: { max: 2, windowSeconds: WINDOW },
          loginFailuresPerAccountAnyAddress: { max: 3, windowSeconds: WINDOW },
          loginFailuresPerAddress: { max: 5, windowSeconds: WINDOW },
          signupsPerAddress: { max: 2, windowSeconds: WINDOW },
        },
      },
    },
  });
  direct = await startTestNode({
    name: 'throttledirect',
    overrides: {
      trustProxy: false,
      auth: { throttle: { loginFailuresPerAccount: { max: 100, windowSeconds: WINDOW }, loginFailuresPerAddress: { max: 3, windowSeconds: WINDOW } } },
    },
  });
});
after(async () => {
  await proxied?.stop();
  await direct?.stop();
});

const login = (node: TestNode, username: string, password: string, from?: string) =>
  node.api('POST', '/api/v1/oauth/token', {
    body: new URLSearchParams({ grant_type: 'password', username, password }),
    headers: from ? { 'x-forwarded-for': from } : {},
  });

function assertThrottled(res: ApiResponse, limit: string): number {
  assert.equal(res.status, 429, `expected 429 (${limit}), got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.body.code, 'too_many_attempts');
  assert.equal(res.body.limit, limit);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW, `Retry-After ${res.headers.get('retry-after')}`);
  assert.equal(res.body.retryAfterSeconds, retryAfter);
  return retryAfter;
}

/** Password hash verifications the node has run (its public /metrics), NaN when it does not say. */
async function passwordVerifications(node: TestNode): Promise<number> {
  const res = await node.api('GET', '/metrics');
  const m = /^nineten_auth_password_verifications_total(?:\{[^}]*\})? (\d+)$/m.exec(res.text);
  return m ? Number(m[1]) : NaN;
}

test('a flood against one account from many addresses locks it; the right password is refused until it unlocks by itself', async () => {
  const { user, password } = await proxied.user('listener');
  for (let i = 1; i <= 3; i++) {
    const wrong = await login(proxied, user.username, `guess number ${i}`, `198.51.100.${i}`);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.code, 'invalid_grant');
  }
  // A fresh address, the right password, a differently cased name: still locked.
  const before = await passwordVerifications(proxied);
  const locked = await login(proxied, user.username.toUpperCase(), password, '198.51.100.50');
  const retryAfter = assertThrottled(locked, 'account');
  assert.equal(locked.body.access_token, undefined);
  assert.equal(await passwordVerifications(proxied), before, 'a locked account is refused before its password is checked');

  await sleep(retryAfter * 1000 + 200);
  const unlocked = await login(proxied, user.username, password, '198.51.100.51');
  assert.equal(unlocked.status, 200, unlocked.text);
  assert.ok(unlocked.body.access_token);
});

test('guesses from one address lock the account for that address only: its owner elsewhere still logs in', async () => {
  const { user, password } = await proxied.user('listener');
  const guesser = '198.51.100.66';
  for (let i = 1; i <= 2; i++) assert.equal((await login(proxied, user.username, `guess number ${i}`, guesser)).status, 400);
  assertThrottled(await login(proxied, user.username, 'guess number 3', guesser), 'accountAddress');
  assertThrottled(await login(proxied, user.username, password, guesser), 'accountAddress');
  const owner = await login(proxied, user.username, password, '198.51.100.67');
  assert.equal(owner.status, 200, owner.text);
});

test('behind the trusted proxy only the address the proxy added counts, not what the client wrote before it', async () => {
  // nginx appends the address it saw ($proxy_add_x_forwarded_for) to the client's own header.
  const real = '203.0.113.99';
  for (let i = 1; i <= 5; i++) assert.equal((await login(proxied, `forger_${i}`, 'not the password', `10.1.1.${i}, ${real}`)).status, 400);
  assertThrottled(await login(proxied, 'forger_6', 'not the password', `10.1.1.6, ${real}`), 'address');
  assertThrottled(await login(proxied, 'forger_7', 'not the password', real), 'address');
});

test('a flood from one address against many accounts is stopped, other addresses are not', async () => {
  const from = '203.0.113.7';
  for (let i = 1; i <= 5; i++) {
    const wrong = await login(proxied, `someone_${i}`, 'not the password', from);
    assert.equal(wrong.status, 400, wrong.text);
  }
  assertThrottled(await login(proxied, 'someone_6', 'not the password', from), 'address');
  // The account limit is not what stopped it: the same name from elsewhere still gets an answer.
  assert.equal((await login(proxied, 'someone_6', 'not the password', '203.0.113.8')).status, 400);

  // IPv6 clients are counted per /64: one host has a whole /64 to pick from.
  for (let i = 1; i <= 5; i++) assert.equal((await login(proxied, `v6_user_${i}`, 'not the password', `2001:db8:7:7::${i.toString(16)}`)).status, 400);
  assertThrottled(await login(proxied, 'v6_user_9', 'not the password', '2001:db8:7:7:ffff:1:2:3'), 'address');
  assert.equal((await login(proxied, 'v6_user_9', 'not the password', '2001:db8:7:8::1')).status, 400, 'the next /64 is another address');
});

test('unknown names cost the same as known ones: one password check each, the same answer, the same lock', async () => {
  const { user } = await proxied.user('listener');
  const unknownName = 'nobody_by_this_name';

  let before = await passwordVerifications(proxied);
  assert.ok(Number.isInteger(before), 'the node counts password verifications in /metrics');
  const known = await login(proxied, user.username, 'wrong password', '192.0.2.10');
  assert.equal(await passwordVerifications(proxied), before + 1, 'a known name with a wrong password costs one password verify');
  before = await passwordVerifications(proxied);
  const unknown = await login(proxied, unknownName, 'wrong password', '192.0.2.11');
  assert.equal(await passwordVerifications(proxied), before + 1, 'an unknown name costs one password verify too');
  before = await passwordVerifications(proxied);
  const malformed = await login(proxied, 'not a valid username!', 'wrong password', '192.0.2.12');
  assert.equal(await passwordVerifications(proxied), before + 1, 'a name that cannot exist costs one password verify too');

  for (const res of [known, unknown, malformed]) {
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, known.body, 'the answer does not tell whether the account exists');
  }

  // Unknown names are counted and locked like known ones.
  for (let i = 0; i < 2; i++) {
    assert.equal((await login(proxied, user.username, 'wrong password', `192.0.2.${20 + i}`)).status, 400);
    assert.equal((await login(proxied, unknownName, 'wrong password', `192.0.2.${30 + i}`)).status, 400);
  }
  const knownLocked = await login(proxied, user.username, 'wrong password', '192.0.2.40');
  const unknownLocked = await login(proxied, unknownName, 'wrong password', '192.0.2.41');
  assertThrottled(knownLocked, 'account');
  assertThrottled(unknownLocked, 'account');
  assert.deepEqual({ ...unknownLocked.body, retryAfterSeconds: 0, detail: '' }, { ...knownLocked.body, retryAfterSeconds: 0, detail: '' });
});

test('parallel guesses cannot slip past the limit', async () => {
  const { user } = await proxied.user('listener');
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => login(proxied, user.username, `parallel guess ${i}`, `100.64.0.${i + 1}`)));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [400, 400, 400, 429, 429, 429, 429, 429, 429, 429]);
});

test('a successful login clears the account\'s failures', async () => {
  const { user, password } = await proxied.user('listener');
  for (let i = 0; i < 2; i++) assert.equal((await login(proxied, user.username, 'wrong password', `100.65.0.${i + 1}`)).status, 400);
  assert.equal((await login(proxied, user.username, password, '100.65.0.9')).status, 200);
  for (let i = 0; i < 3; i++) assert.equal((await login(proxied, user.username, 'wrong password', `100.65.0.${i + 3}`)).status, 400, 'failures start from zero again');
  assertThrottled(await login(proxied, user.username, 'wrong password', '100.65.0.6'), 'account');
});

test('sign-ups per address: the third is refused with 429; other addresses and admins are not counted', async () => {
  const signUp = (username: string, from: string, token?: string) =>
    proxied.api('POST', '/api/v1/users', { token, body: { username, password: 'long enough pw' }, headers: { 'x-forwarded-for': from } });
  const from = '198.18.0.1';
  assert.equal((await signUp('signup_one', from)).status, 201);
  // A form error is not a sign-up: fixing a typo does not use up the budget.
  assert.equal((await proxied.api('POST', '/api/v1/users', { body: { username: 'x', password: 'short' }, headers: { 'x-forwarded-for': from } })).status, 400);
  assert.equal((await signUp('signup_two', from)).status, 201);
  const third = await signUp('signup_three', from);
  assertThrottled(third, 'signup');
  assert.equal((await proxied.api('GET', `/api/v1/admin/users?limit=200`, { token: (await proxied.user('admin')).token })).body.data.some((u: { username: string }) => u.username === 'signup_three'), false);

  assert.equal((await signUp('signup_three', '198.18.0.2')).status, 201, 'another address signs up');
  const admin = await proxied.user('admin');
  for (const name of ['made_by_admin_1', 'made_by_admin_2', 'made_by_admin_3']) {
    assert.equal((await signUp(name, from, admin.token)).status, 201, 'an admin creating accounts is not a sign-up flood');
  }
});

test('Redis down: logins and sign-ups fail closed with 503, signed-in users carry on', async () => {
  const { token, user, password } = await direct.user('listener');
  direct.ctx.redis.disconnect();
  try {
    const res = await direct.api('POST', '/api/v1/oauth/token', { body: new URLSearchParams({ grant_type: 'password', username: user.username, password }) });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.code, 'throttle_unavailable');
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    const signup = await direct.api('POST', '/api/v1/users', { body: { username: 'while_redis_down', password: 'long enough pw' } });
    assert.equal(signup.status, 503, signup.text);
    assert.equal((await direct.api('GET', '/api/v1/users/me', { token })).status, 200);
  } finally {
    await direct.ctx.redis.connect();
  }
  assert.equal((await login(direct, user.username, password)).status, 200, 'logins resume with Redis');
});

test('without a trusted proxy, X-Forwarded-For cannot spread a flood over made-up addresses', async () => {
  for (let i = 1; i <= 3; i++) assert.equal((await login(direct, `spoof_${i}`, 'not the password', `10.9.9.${i}`)).status, 400);
  assertThrottled(await login(direct, 'spoof_4', 'not the password', '10.9.9.4'), 'address');
});
