// Campaign repayments benchmark (npm run bench:money), printed, never asserted: one month's
// payout to an artist whose funded campaign has 10,000 investors (goal: the payout, with every
// investor repaid, in < 2 s), against the same payout to an artist with no campaign in the same
// run. Both are real month closes and payout days (payMonth: one keyed books.post whose onIncome
// hook repays the campaign in the same transaction). The campaign's users and pledges are bulk
// SQL (setup only); its settlement is the real deadline sweep.
// Env: BENCH_INVESTORS [10000], BENCH_LISTENERS [30] (each month's subscribers: 900 each to the artist),
// BENCH_PROFILE=1 (print the slowest SQL statements of each timed payout).
import { performance } from 'node:perf_hooks';
import { startTestNode, type TestNode } from '../../test/helpers/node.js';
import { makeArtist } from '../../test/media/support.js';
import { sweepPastDeadline } from '../../test/helpers/campaigns.js';
import { moneyService, accounts, type QualifiedSecondsRow } from '../../server/money/index.js';
import { campaignEscrow } from '../../server/money/campaigns.js';
import { select, selectOne } from '../../server/db/index.js';
import { ratio } from '../load-runner.js';

const investors = Number(process.env.BENCH_INVESTORS ?? 10_000);
const listenerCount = Number(process.env.BENCH_LISTENERS ?? 30);
const profile = process.env.BENCH_PROFILE === '1';
const log = (msg: string) => process.stdout.write(`${msg}\n`);
const ms = (x: number) => `${x.toFixed(0)} ms`;

const node: TestNode = await startTestNode({ name: 'benchmoney' });
try {
  const money = moneyService(node.ctx);
  const db = node.ctx.db;
  // Sequelize reads logging and benchmark from its options at each query (not in its typings).
  const sqlOptions = (db as unknown as { options: Record<string, unknown> }).options;
  const rows = new Map<string, QualifiedSecondsRow[]>();
  money.setQualifiedSecondsSource({ qualifiedSeconds: async (month) => rows.get(month) ?? [] });
  const backer = await makeArtist(node, 'bench_backed');
  const plain = await makeArtist(node, 'bench_plain');
  const listeners = await Promise.all(Array.from({ length: listenerCount }, () => node.user('listener')));

  // 10,000 investors, each with a wallet (they pledged from it), 100 to 200 cents each.
  const t0 = performance.now();
  const made = await node.api('POST', `/api/v1/channels/${backer.channel.name}/campaigns`, {
    token: backer.token,
    body: { title: 'Ten thousand backers', goal: 1, minPledge: 1, deadline: new Date(Date.now() + 86_400_000).toISOString(), shareBasisPoints: 10_000, capMultiple: 10 },
  });
  if (made.status !== 201) throw new Error(made.text);
  const campaignId: string = made.body.id;
  await db.query(
    `INSERT INTO users (username, password_hash, role) SELECT 'bench_investor_' || i, 'bench-no-login', 'listener' FROM generate_series(1, :n) AS i`,
    { replacements: { n: investors } },
  );
  await db.query(
    `INSERT INTO money_accounts (key, kind, user_id, currency, may_go_negative)
     SELECT 'wallet:' || id, 'wallet', id, :currency, false FROM users WHERE username LIKE 'bench_investor_%'`,
    { replacements: { currency: money.books.currency } },
  );
  await db.query(
    `INSERT INTO money_pledges (campaign_id, investor_id, amount)
     SELECT :c, id, 100 + (row_number() OVER (ORDER BY id)) % 101 FROM users WHERE username LIKE 'bench_investor_%'`,
    { replacements: { c: campaignId } },
  );
  const raised = Number((await selectOne<{ s: string }>(db, 'SELECT sum(amount) AS s FROM money_pledges WHERE campaign_id = :c', { c: campaignId }))!.s);
  // The pledges' money in escrow (one setup movement standing for the 10,000 wallet-to-escrow pledges).
  await money.books.move({ key: `bench:pledges:${campaignId}`, kind: 'bench.setup', amount: raised, from: accounts.externalIn('bench'), to: campaignEscrow(campaignId) });
  await select(db, 'UPDATE money_campaigns SET raised = :raised WHERE id = :c', { raised, c: campaignId });
  await sweepPastDeadline(node, 2);
  const view = await money.campaigns.get(campaignId);
  if (view.status !== 'funded' || view.investors !== investors) throw new Error(`campaign ${view.status} with ${view.investors} investors`);
  log(`setup: ${investors} investors, ${raised} cents raised, funded (100 % of income until 10x) in ${ms(performance.now() - t0)}`);

  // Each month: every listener subscribed, all their listening to one artist (900 cents each).
  let m = 0;
  const pastMonth = async (artist: typeof backer) => {
    const month = `2010-${String(++m).padStart(2, '0')}`;
    for (const l of listeners) {
      await money.adminCredit.topUp({ userId: l.user.id, amount: 1000, idempotencyKey: `bench:sub:${month}:${l.user.id}` });
      await money.subscriptions.subscribe(l.user.id, new Date(`${month}-05T12:00:00Z`));
    }
    rows.set(month, listeners.map((l) => ({ userId: l.user.id, artist: `${node.url}/ap/actors/${artist.user.username}`, artistUserId: artist.user.id, seconds: 600, held: false })));
    await money.closeMonth(month);
    return month;
  };
  const timedPayout = async (artist: typeof backer) => {
    const month = await pastMonth(artist);
    const statements: { sql: string; ms: number }[] = [];
    if (profile) {
      // Every statement's time, as sequelize measures it (BENCH_PROFILE=1).
      Object.assign(sqlOptions, { benchmark: true, logging: (sql: string, took?: number) => statements.push({ sql, ms: took ?? 0 }) });
    }
    const start = performance.now();
    await money.payMonth(month);
    const took = performance.now() - start;
    if (profile) {
      Object.assign(sqlOptions, { benchmark: false, logging: false });
      log(`  statements of the payout to ${artist.channel.name} (${statements.length}, slowest first):`);
      for (const s of statements.sort((a, b) => b.ms - a.ms).slice(0, 8)) log(`    ${ms(s.ms)}  ${s.sql.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
    const paid = await selectOne<{ amount: string }>(db, "SELECT amount FROM money_payouts WHERE month = :month AND artist_user_id = :id AND status = 'paid'", { month, id: artist.user.id });
    return { took, amount: Number(paid?.amount ?? 0) };
  };
  const repaidCount = async () => Number((await selectOne<{ n: string }>(db, 'SELECT count(*) AS n FROM money_campaign_investors WHERE campaign_id = :c AND received > 0', { c: campaignId }))!.n);

  await timedPayout(plain); // warm-up: code paths, connections
  const baseline = await timedPayout(plain);
  const cold = await timedPayout(backer);
  const afterFirst = await repaidCount();
  const warm = await timedPayout(backer);
  const baseline2 = await timedPayout(plain);
  const base = (baseline.took + baseline2.took) / 2;
  const repaid = await money.campaigns.get(campaignId);
  const health = await money.health();

  log(`payout of ${cold.amount} cents, the whole of it repaying ${investors} investors (goal < 2 s):`);
  log(`  no campaign (baseline):      ${ms(baseline.took)}, again ${ms(baseline2.took)}`);
  log(`  10,000 investors, 1st payout: ${ms(cold.took)} (${ratio(cold.took, base)} the baseline; ${afterFirst} investors repaid; account ids not cached yet)`);
  log(`  10,000 investors, 2nd payout: ${ms(warm.took)} (${ratio(warm.took, base)} the baseline)`);
  log(`  repaid ${repaid.repaid} of ${repaid.repaid + repaid.owed} owed; books balanced: ${health.balanced}`);
} finally {
  await node.stop();
}
