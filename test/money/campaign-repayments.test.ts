// Campaign repayments from every kind of income the node produces (a month's payout, a
// released hold, a tip, a metered sale, a payment-stream withdrawal), each through its real
// path, against a model that replays the rule: each funded campaign still repaying takes
// floor(income * share / 10000), split by what each investor put in (largest remainders), none
// past their cap. A seeded property test (the seed is printed; REPAYMENTS_SEED replays it) runs
// random campaigns and incomes; a payout that fails after its repayment leaves nothing behind
// and its retry repays once. After every income: logs, investors, wallets and books agree.
// Payouts come from month close over the money tests' qualified-seconds source (the documented
// source interface), as the month-close tests produce them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { streamAndWithdraw, sweepPastDeadline } from '../helpers/campaigns.js';
import { mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, readyShortTrack } from '../media/support.js';
import { accounts } from '../../server/money/index.js';
import { INCOME_KINDS } from '../../server/money/books.js';
import { splitCapped } from '../../shared/money/index.js';
import { select } from '../../server/db/index.js';
import { assertBooksBalanced, credit, money, TestSecondsSource } from './helpers.js';

const TIP_CUT_BP = 250;
const CAMPAIGN_CUT_BP = 500;
const POOL_SIZE = 50;
const POOL_FUNDS = 100_000_000;

type Person = Awaited<ReturnType<TestNode['user']>>;
type Artist = Person & { channel: { id: string; name: string } };

let node: TestNode;
let dir: string;
const source = new TestSecondsSource();
let star: Artist;
let trackId: string;
let renditions: string[];
let pool: Person[];
let tipper: Person;
let buyer: Person;
let listeners: Person[];

before(async () => {
  node = await startTestNode({
    name: 'money-repayments',
    overrides: { media: { audioBitratesKbps: [64] }, money: { tipNodeCutBasisPoints: TIP_CUT_BP, campaignNodeCutBasisPoints: CAMPAIGN_CUT_BP } },
  });
  money(node).setQualifiedSecondsSource(source);
  dir = mediaDir('repayments');
  const ready = await readyShortTrack(node, dir, 'repay');
  star = ready.artist;
  trackId = ready.track.id;
  renditions = ready.track.streaming.renditions.map((r: { name: string }) => r.name);
  // Investors are shared by every campaign here (password hashing makes users dear).
  pool = [];
  for (let i = 0; i < POOL_SIZE; i += 5) {
    pool.push(...(await Promise.all(Array.from({ length: Math.min(5, POOL_SIZE - i) }, () => node.user('listener')))));
  }
  for (const p of pool) {
    await credit(node, p.user.id, POOL_FUNDS);
    world.wallets.set(p.user.id, POOL_FUNDS);
  }
  [tipper, buyer, ...listeners] = await Promise.all([node.user('listener'), node.user('listener'), node.user('listener'), node.user('listener')]);
  world.wallets.set(star.user.id, 0);
});
after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

// ---- the model: what every campaign, investor and wallet should hold ----

interface Holder { id: string; invested: number; cap: number; received: number }
interface Stake { id: string; artistId: string; shareBp: number; holders: Map<string, Holder>; totalCap: number; shareSum: number; repaid: number; done: boolean }
interface Credit { key: string; kind: string; amount: number }
interface Repaid { share: number; paid: number; parts: Map<string, number> }

const world = {
  campaigns: new Map<string, Stake>(),
  byArtist: new Map<string, Stake[]>(),
  wallets: new Map<string, number>(),
  lastEntry: new Map<string, number>(),
  months: 0,
  holds: new Map<string, { id: string; amount: number }[]>(),
};
const expectWallet = (userId: string, delta: number) => world.wallets.set(userId, (world.wallets.get(userId) ?? 0) + delta);
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The rule replayed: each campaign still repaying, oldest first, takes its share, split capped. */
function replayIncome(artistId: string, c: Credit): Map<string, Repaid> {
  const out = new Map<string, Repaid>();
  let total = 0;
  for (const stake of world.byArtist.get(artistId) ?? []) {
    if (stake.done) continue;
    const share = Math.floor((c.amount * stake.shareBp) / 10_000);
    if (share <= 0) continue;
    stake.shareSum += share;
    const open = [...stake.holders.values()].filter((h) => h.received < h.cap).sort(byId);
    const room = open.reduce((s, h) => s + h.cap - h.received, 0);
    const parts = splitCapped(share, open.map((h) => ({ key: h.id, weight: h.invested, room: h.cap - h.received })));
    let paid = 0;
    for (const h of open) {
      const part = parts.get(h.id) ?? 0;
      assert.ok(part >= 0 && part <= h.cap - h.received, 'the model never passes a cap');
      h.received += part;
      expectWallet(h.id, part);
      paid += part;
    }
    assert.equal(paid, Math.min(share, room), 'the model places the whole share up to the rooms');
    stake.repaid += paid;
    stake.done = [...stake.holders.values()].every((h) => h.received >= h.cap);
    out.set(stake.id, { share, paid, parts: new Map([...parts].filter(([, v]) => v > 0)) });
    total += paid;
  }
  expectWallet(artistId, c.amount - total);
  return out;
}

// ---- campaigns ----

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

/** Opens a campaign on the artist's channel, takes the pledges, settles it funded; returns its model. */
async function fundCampaign(artist: Artist, shareBp: number, capMultiple: number, pledges: [Person, number][]): Promise<Stake> {
  const raised = pledges.reduce((s, [, a]) => s + a, 0);
  const made = await node.api('POST', `/api/v1/channels/${artist.channel.name}/campaigns`, {
    token: artist.token,
    body: { title: `Repaid ${world.campaigns.size + 1}`, goal: raised, minPledge: 1, deadline: inDays(1), shareBasisPoints: shareBp, capMultiple },
  });
  assert.equal(made.status, 201, made.text);
  const id: string = made.body.id;
  for (const [p, amount] of pledges) {
    await money(node).campaigns.pledge(p.user, id, amount);
    expectWallet(p.user.id, -amount);
  }
  await sweepPastDeadline(node, 2);
  const view = (await node.api('GET', `/api/v1/campaigns/${id}`)).body;
  assert.deepEqual([view.status, view.raised, view.repaid], ['funded', raised, 0]);
  expectWallet(artist.user.id, raised - Math.floor((raised * CAMPAIGN_CUT_BP) / 10_000));
  const capBp = Math.round(capMultiple * 10_000);
  const holders = new Map<string, Holder>();
  for (const [p, amount] of pledges) {
    const h = holders.get(p.user.id) ?? { id: p.user.id, invested: 0, cap: 0, received: 0 };
    h.invested += amount;
    holders.set(p.user.id, h);
  }
  for (const h of holders.values()) h.cap = Math.floor((h.invested * capBp) / 10_000);
  const stake: Stake = { id, artistId: artist.user.id, shareBp, holders, totalCap: [...holders.values()].reduce((s, h) => s + h.cap, 0), shareSum: 0, repaid: 0, done: false };
  assert.equal(view.owed, stake.totalCap);
  world.campaigns.set(id, stake);
  world.byArtist.set(artist.user.id, [...(world.byArtist.get(artist.user.id) ?? []), stake]);
  return stake;
}

// ---- incomes, each through its real path; each returns what the artist was credited ----

async function tip(artist: Artist, amount: number): Promise<number> {
  await credit(node, tipper.user.id, amount);
  const res = await node.api('POST', '/api/v1/tips', { token: tipper.token, body: { channel: artist.channel.name, amount } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.tip.toArtist, amount - Math.floor((amount * TIP_CUT_BP) / 10_000));
  return res.body.tip.toArtist;
}

async function streamWithdrawal(artist: Artist, amount: number): Promise<number> {
  await credit(node, tipper.user.id, amount);
  await streamAndWithdraw(node, tipper, artist, amount);
  return amount;
}

/** A minute of the star's metered track bought from a fan's wallet at `pricePerMinute`. */
async function meteredSale(pricePerMinute: number): Promise<number> {
  const priced = await node.api('PATCH', `/api/v1/tracks/${trackId}`, { token: star.token, body: { access: { mode: 'metered', pricesPerMinute: Object.fromEntries(renditions.map((r) => [r, pricePerMinute])) } } });
  assert.equal(priced.status, 200, priced.text);
  const offer = await node.api('POST', '/api/v1/metered/offers', { body: { track: trackId, rendition: renditions[0], minutes: 1 } });
  assert.equal(offer.status, 200, offer.text);
  await credit(node, buyer.user.id, offer.body.amount);
  const paid = await node.api('POST', '/api/v1/metered/pay', { token: buyer.token, body: { invoice: offer.body.invoice } });
  assert.equal(paid.status, 201, paid.text);
  return paid.body.purchase.amount - paid.body.purchase.nodeCut;
}

const actorUri = (a: Person) => `${node.url}/ap/actors/${a.user.username}`;
const elsewhere = 'https://other.example/ap/actors/someone';

const nextMonth = () => {
  const i = world.months++;
  return `${2001 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
};

/**
 * A past month closed: two subscribers listened to the artist (one also to a remote artist);
 * `heldSeconds` of the second's listening is flagged, so part of their share waits as a hold.
 */
async function closedMonth(artist: Artist, seconds: [number, number], otherSeconds: number, heldSeconds = 0): Promise<string> {
  const month = nextMonth();
  for (const l of listeners) {
    await credit(node, l.user.id, 1000);
    await money(node).subscriptions.subscribe(l.user.id, new Date(`${month}-05T12:00:00Z`));
  }
  const row = (l: Person, s: number, held = false) => ({ userId: l.user.id, artist: actorUri(artist), artistUserId: artist.user.id, seconds: s, held });
  source.add(month, [
    row(listeners[0], seconds[0]),
    { userId: listeners[0].user.id, artist: elsewhere, artistUserId: null, seconds: otherSeconds, held: false },
    row(listeners[1], seconds[1]),
    ...(heldSeconds ? [row(listeners[1], heldSeconds, true)] : []),
  ]);
  assert.equal((await money(node).closeMonth(month)).status, 'closed');
  const holds = (await money(node).holds({ month, status: 'held' })).filter((h) => h.artistUserId === artist.user.id);
  world.holds.set(artist.user.id, [...(world.holds.get(artist.user.id) ?? []), ...holds.map((h) => ({ id: h.id, amount: h.amount }))]);
  return month;
}

/** The month's payout day; returns the artist's payout. */
async function payout(artist: Artist, month: string): Promise<number> {
  await money(node).payMonth(month);
  const [row] = await select<{ amount: string; status: string }>(node.ctx.db, 'SELECT amount, status FROM money_payouts WHERE month = :month AND artist_user_id = :id', { month, id: artist.user.id });
  assert.equal(row?.status, 'paid');
  return Number(row.amount);
}

const monthPayout = async (artist: Artist, seconds: [number, number], otherSeconds: number, heldSeconds = 0) =>
  payout(artist, await closedMonth(artist, seconds, otherSeconds, heldSeconds));

/** A dispute decided for the artist: the oldest of their holds is released to them. */
async function holdRelease(artist: Artist): Promise<number> {
  const hold = world.holds.get(artist.user.id)?.shift();
  assert.ok(hold, 'a hold to release');
  assert.equal(await money(node).resolveHold(hold.id, 'release'), 'released');
  return hold.amount;
}

/** The income credits to the artist's wallet the books took since last asked (entry order). */
async function newCredits(artistId: string): Promise<Credit[]> {
  const rows = await select<{ id: string; key: string; kind: string; amount: string }>(
    node.ctx.db,
    `SELECT e.id, t.idempotency_key AS key, t.kind, e.amount FROM money_entries e
       JOIN money_accounts a ON a.id = e.account_id JOIN money_transactions t ON t.id = e.transaction_id
      WHERE a.key = :wallet AND e.amount > 0 AND t.kind IN (:kinds) AND e.id > :since ORDER BY e.id`,
    { wallet: accounts.wallet(artistId).key, kinds: [...INCOME_KINDS], since: world.lastEntry.get(artistId) ?? 0 },
  );
  if (rows.length) world.lastEntry.set(artistId, Number(rows.at(-1)!.id));
  return rows.map((r) => ({ key: r.key, kind: r.kind, amount: Number(r.amount) }));
}

/** Runs one income, replays it in the model, and checks everything against the model. */
async function income(artist: Artist, kind: string, run: () => Promise<number>, label: string): Promise<void> {
  const credited = await run();
  const credits = await newCredits(artist.user.id);
  assert.deepEqual(credits.map((c) => c.kind), [kind], `${label}: one ${kind} income`);
  assert.equal(credits[0].amount, credited, `${label}: credited what the ${kind} says`);
  const expected = replayIncome(artist.user.id, credits[0]);
  await checkRepayment(artist.user.id, credits[0], expected, label);
  await checkCampaigns(artist.user.id, label);
}

// ---- checks ----

async function checkRepayment(artistId: string, c: Credit, expected: Map<string, Repaid>, label: string): Promise<void> {
  const logged = await select<{ seq: string; campaign_id: string; income_kind: string; income_amount: string; share: string; paid: string }>(
    node.ctx.db,
    'SELECT * FROM money_campaign_repayments WHERE income_key = :key ORDER BY seq',
    { key: c.key },
  );
  assert.deepEqual(logged.map((r) => r.campaign_id).sort(), [...expected.keys()].sort(), `${label}: one repayment logged per campaign paid`);
  for (const r of logged) {
    const want = expected.get(r.campaign_id)!;
    assert.deepEqual([r.income_kind, Number(r.income_amount), Number(r.share), Number(r.paid)], [c.kind, c.amount, want.share, want.paid], `${label}: repayment of ${r.campaign_id}`);
    const shares = await select<{ investor_id: string; amount: string }>(node.ctx.db, 'SELECT investor_id, amount FROM money_campaign_repayment_shares WHERE seq = :seq', { seq: r.seq });
    assert.deepEqual(new Map(shares.map((s) => [s.investor_id, Number(s.amount)])), want.parts, `${label}: each investor's part as split by largest remainders, capped`);
  }
  const total = [...expected.values()].reduce((s, r) => s + r.paid, 0);
  const repay = await money(node).books.byKey(`campaign:repay:${c.key}:${artistId}`);
  if (!total) return assert.equal(repay, undefined, `${label}: no repayment transaction when nothing is paid`);
  assert.ok(repay, `${label}: the repayment transaction`);
  assert.equal(repay.tx.kind, 'campaign.repay');
  const legs = new Map<string, number>();
  for (const e of repay.tx.entries) legs.set(e.account, (legs.get(e.account) ?? 0) + e.amount);
  const want = new Map<string, number>([[accounts.wallet(artistId).key, -total]]);
  for (const r of expected.values()) for (const [id, amount] of r.parts) want.set(accounts.wallet(id).key, (want.get(accounts.wallet(id).key) ?? 0) + amount);
  assert.deepEqual(legs, want, `${label}: the artist pays exactly what the investors get`);
}

/** The artist's campaigns, their investors, logs, views and every known wallet as modelled; the books balance. */
async function checkCampaigns(artistId: string, label: string): Promise<void> {
  for (const stake of world.byArtist.get(artistId) ?? []) {
    const rows = await select<{ investor_id: string; invested: string; cap: string; received: string }>(node.ctx.db, 'SELECT * FROM money_campaign_investors WHERE campaign_id = :id', { id: stake.id });
    assert.deepEqual(
      new Map(rows.map((r) => [r.investor_id, [Number(r.invested), Number(r.cap), Number(r.received)]])),
      new Map([...stake.holders.values()].map((h) => [h.id, [h.invested, h.cap, h.received]])),
      `${label}: investors of ${stake.id}`,
    );
    for (const r of rows) assert.ok(Number(r.received) <= Number(r.cap), `${label}: nobody past their cap`);
    assert.equal(stake.repaid, Math.min(stake.shareSum, stake.totalCap), `${label}: repaid = the shares taken, until the caps`);
    const [logs] = await select<{ paid: string | null; shares: string | null; mismatched: string }>(
      node.ctx.db,
      `SELECT (SELECT sum(paid) FROM money_campaign_repayments WHERE campaign_id = :id) AS paid,
              (SELECT sum(s.amount) FROM money_campaign_repayment_shares s JOIN money_campaign_repayments r ON r.seq = s.seq WHERE r.campaign_id = :id) AS shares,
              (SELECT count(*) FROM money_campaign_repayments r WHERE r.campaign_id = :id
                 AND r.paid <> (SELECT coalesce(sum(amount), 0) FROM money_campaign_repayment_shares s WHERE s.seq = r.seq)) AS mismatched`,
      { id: stake.id },
    );
    assert.deepEqual([Number(logs.paid ?? 0), Number(logs.shares ?? 0), Number(logs.mismatched)], [stake.repaid, stake.repaid, 0], `${label}: the logs add up to what was repaid`);
    const perInvestor = await select<{ investor_id: string; amount: string }>(
      node.ctx.db,
      'SELECT s.investor_id, sum(s.amount) AS amount FROM money_campaign_repayment_shares s JOIN money_campaign_repayments r ON r.seq = s.seq WHERE r.campaign_id = :id GROUP BY s.investor_id',
      { id: stake.id },
    );
    assert.deepEqual(new Map(perInvestor.map((r) => [r.investor_id, Number(r.amount)])), new Map([...stake.holders.values()].filter((h) => h.received > 0).map((h) => [h.id, h.received])), `${label}: shares logged = received`);
    const view = (await node.api('GET', `/api/v1/campaigns/${stake.id}`)).body;
    const owed = [...stake.holders.values()].reduce((s, h) => s + h.cap - h.received, 0);
    assert.deepEqual([view.repaid, view.owed, view.repaidAt !== null], [stake.repaid, owed, stake.done], `${label}: campaign view of ${stake.id}`);
  }
  const ids = [...world.wallets.keys()];
  const balances = await select<{ user_id: string; balance: string }>(node.ctx.db, "SELECT user_id, balance FROM money_accounts WHERE kind = 'wallet' AND user_id IN (:ids)", { ids });
  const got = new Map(ids.map((id) => [id, 0]));
  for (const b of balances) got.set(b.user_id, Number(b.balance));
  assert.deepEqual(got, world.wallets, `${label}: every investor's and artist's wallet`);
  await assertBooksBalanced(node);
}

/** What investors see over the API: their investments and the repayment history, as modelled. */
async function checkInvestorsOverApi(investors: Person[]): Promise<void> {
  for (const p of investors) {
    const mine = await node.api('GET', '/api/v1/me/investments', { token: p.token });
    assert.equal(mine.status, 200, mine.text);
    const held = [...world.campaigns.values()].filter((s) => s.holders.has(p.user.id));
    assert.deepEqual(
      new Map(mine.body.map((i: any) => [i.campaignId, [i.invested, i.cap, i.received, i.remaining, i.done]])),
      new Map(held.map((s) => { const h = s.holders.get(p.user.id)!; return [s.id, [h.invested, h.cap, h.received, h.cap - h.received, h.received >= h.cap]]; })),
      `investments of ${p.user.username}`,
    );
    const history = await node.api('GET', '/api/v1/me/investments/history', { token: p.token });
    assert.equal(history.status, 200, history.text);
    const sums = new Map<string, number>();
    for (const r of history.body) {
      assert.ok(INCOME_KINDS.has(r.incomeKind) && r.amount > 0, `a repayment from income: ${JSON.stringify(r)}`);
      sums.set(r.campaignId, (sums.get(r.campaignId) ?? 0) + r.amount);
    }
    assert.deepEqual(sums, new Map(held.filter((s) => s.holders.get(p.user.id)!.received > 0).map((s) => [s.id, s.holders.get(p.user.id)!.received])), `history of ${p.user.username} sums to received`);
  }
}

/** A tip large enough that every campaign of the artist still repaying reaches its caps. */
async function finishAll(artist: Artist, label: string): Promise<void> {
  const open = (world.byArtist.get(artist.user.id) ?? []).filter((s) => !s.done);
  if (!open.length) return;
  const need = Math.max(...open.map((s) => Math.ceil((s.totalCap - s.repaid) * 10_000 / s.shareBp)));
  await income(artist, 'tip', () => tip(artist, Math.ceil(((need + 1) * 10_000) / (10_000 - TIP_CUT_BP)) + 1), `${label}: finishing tip`);
  for (const s of open) {
    assert.ok(s.done, `${label}: ${s.id} repaid`);
    for (const h of s.holders.values()) assert.equal(h.received, h.cap, `${label}: cap met exactly`);
  }
}

// ---- the tests ----

test('every kind of income repays its share: payout, released hold, tip, metered sale, stream withdrawal; the caps are met exactly', async () => {
  const [a, b, c] = pool;
  // 20 % of income until each investor has 1.5 times their stake: 900, 450 and 150.
  const stake = await fundCampaign(star, 2000, 1.5, [[a, 600], [b, 200], [c, 100], [b, 100]]);
  assert.deepEqual([...stake.holders.values()].sort(byId).map((h) => h.cap), [...stake.holders.values()].sort(byId).map((h) => h.invested * 1.5));
  await income(star, 'payout', () => monthPayout(star, [300, 200], 100, 100), 'payout');
  await income(star, 'hold.release', () => holdRelease(star), 'hold.release');
  await income(star, 'tip', () => tip(star, 1001), 'tip');
  await income(star, 'metered', () => meteredSale(4999), 'metered');
  await income(star, 'stream.withdraw', () => streamWithdrawal(star, 777), 'stream.withdraw');
  for (const p of [a, b, c]) {
    const kinds = new Set((await node.api('GET', '/api/v1/me/investments/history', { token: p.token })).body.map((r: { incomeKind: string }) => r.incomeKind));
    assert.deepEqual([...kinds].sort(), [...INCOME_KINDS].sort(), 'repaid from every kind of income');
  }
  await finishAll(star, 'every kind');
  // Past the caps the income stays the artist's.
  await income(star, 'tip', () => tip(star, 5000), 'after the caps');
  assert.equal(stake.repaid, stake.totalCap);
  await checkInvestorsOverApi([a, b, c]);
});

test('a payout whose transaction fails after the repayment leaves no repayment and no log; its retry repays once', async () => {
  const artist = await makeArtist(node);
  world.wallets.set(artist.user.id, 0);
  const stake = await fundCampaign(artist, 3333, 2, [[pool[3], 700], [pool[4], 300]]);
  const month = await closedMonth(artist, [100, 50], 1);
  // The payout row's update (after the wallet was credited and the investors repaid) fails.
  await node.ctx.db.query(`CREATE FUNCTION test_fail_payout() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'crash after the payout moved'; END $$ LANGUAGE plpgsql`);
  await node.ctx.db.query(`CREATE TRIGGER test_fail_payout BEFORE UPDATE ON money_payouts FOR EACH ROW WHEN (NEW.status = 'paid' AND NEW.artist_user_id = '${artist.user.id}') EXECUTE FUNCTION test_fail_payout()`);
  try {
    await assert.rejects(money(node).payMonth(month), /crash after the payout moved/);
  } finally {
    await node.ctx.db.query('DROP TRIGGER test_fail_payout ON money_payouts; DROP FUNCTION test_fail_payout()');
  }
  const key = `payout:${month}:${actorUri(artist)}`;
  assert.deepEqual(await newCredits(artist.user.id), [], 'no income credited');
  assert.deepEqual(await select(node.ctx.db, 'SELECT seq FROM money_campaign_repayments WHERE income_key = :key', { key }), [], 'no repayment logged');
  assert.equal(await money(node).books.byKey(key), undefined);
  assert.equal(await money(node).books.byKey(`campaign:repay:${key}:${artist.user.id}`), undefined);
  await checkCampaigns(artist.user.id, 'after the failed payout');
  assert.equal(stake.repaid, 0);

  // The payout runs again: the same income key, repaid once.
  await income(artist, 'payout', () => payout(artist, month), 'payout retried');
  assert.equal((await money(node).payMonth(month)).amount, 0, 'paid once');
  const once = await money(node).books.byKey(key);
  assert.ok(once);
  // The same income posted again by key is a replay: nothing repaid twice.
  const replay = await money(node).books.move({ key, kind: 'payout', amount: once.tx.amount, from: accounts.payoutDue(month), to: accounts.wallet(artist.user.id), reference: actorUri(artist) });
  assert.equal(replay.replayed, true);
  assert.deepEqual(await newCredits(artist.user.id), []);
  assert.equal((await select(node.ctx.db, 'SELECT seq FROM money_campaign_repayments WHERE income_key = :key', { key })).length, 1);
  await checkCampaigns(artist.user.id, 'after the replay');
  assert.ok(stake.repaid > 0);
});

/** mulberry32: small, seedable, the same on every machine. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

test('property: random campaigns and incomes — repaid = shares of income until the caps, split as replayed, logs, APIs and books agree', async () => {
  const seed = Number(process.env.REPAYMENTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`campaign repayments property test: seed ${seed} (REPAYMENTS_SEED=${seed} replays it)`);
  const rnd = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  /** Log-uniform from 1 to `max`: small and large amounts alike. */
  const amount = (max: number) => Math.max(1, Math.floor(Math.exp(rnd() * Math.log(max))));
  const runs = Number(process.env.REPAYMENTS_RUNS ?? 15);
  for (let run = 0; run < runs; run++) {
    const label = `seed ${seed} run ${run}`;
    const repaying = (world.byArtist.get(star.user.id) ?? []).filter((s) => !s.done);
    let room = 10_000 - repaying.reduce((s, c) => s + c.shareBp, 0);
    if (room < 1) {
      await finishAll(star, label);
      room = 10_000;
    }
    const shareBp = rnd() < 0.2 ? int(1, Math.min(room, 20)) : int(1, room);
    const capMultiple = [1, 10][int(0, 4)] ?? int(100, 1000) / 100;
    const investors = [...pool].sort(() => rnd() - 0.5).slice(0, int(1, POOL_SIZE));
    const pledges: [Person, number][] = investors.flatMap((p) => Array.from({ length: int(1, 2) }, () => [p, amount(3000)] as [Person, number]));
    await fundCampaign(star, shareBp, capMultiple, pledges);
    const kinds = ['tip', 'tip', 'stream.withdraw', 'metered', 'payout', 'hold.release'];
    for (let n = int(2, 7); n > 0; n--) {
      let kind = kinds[int(0, kinds.length - 1)];
      if (kind === 'hold.release' && !world.holds.get(star.user.id)?.length) kind = 'tip';
      const what = `${label} ${kind}`;
      if (kind === 'tip') await income(star, kind, () => tip(star, amount(2_000_000)), what);
      else if (kind === 'stream.withdraw') await income(star, kind, () => streamWithdrawal(star, amount(500_000)), what);
      else if (kind === 'metered') await income(star, kind, () => meteredSale(amount(100_000)), what);
      else if (kind === 'hold.release') await income(star, kind, () => holdRelease(star), what);
      else await income(star, kind, () => monthPayout(star, [int(1, 5000), int(1, 5000)], int(1, 5000), rnd() < 0.5 ? int(1, 3000) : 0), what);
    }
    if (rnd() < 0.7) await finishAll(star, label);
    await checkInvestorsOverApi(investors);
  }
});
