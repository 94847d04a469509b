// Decision 0305 on the embedded engine: a close that rolls credit over writes one private
// `creditsIn` record for the next month, which the next close reads by key (Fabric refuses a
// write after a private range query). A ledger closed before that record existed still pays
// its credits: the next close lists the credit keys as it used to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDatabase, daysExcept, realChaincode, reportArgs } from './helpers.js';
import { EmbeddedLedger, ledgerPool } from '../../server/ledger/embedded.js';
import { compositeKey } from '../../server/ledger/audit.js';
import { loadContracts } from '../../server/ledger/contracts.js';
import type { ReportRow } from '../../shared/money/index.js';

const chaincode = realChaincode();
const skip = chaincode ? false : 'chaincode/dist is not built (the test runner builds it with tsc)';
const NODE = 'https://credits.test/ap/actor';
const ADA = 'https://x.test/ap/artists/ada';
const COLLECTION = 'private:reportRows_Org1MSP';

let db: Awaited<ReturnType<typeof createDatabase>>;
let pool: ReturnType<typeof ledgerPool>;

before(async () => {
  if (skip) return;
  db = await createDatabase('credits');
  pool = ledgerPool(db.url);
  await EmbeddedLedger.ensureSchema(pool);
});
after(async () => {
  await pool?.end();
  await db?.drop();
});

/** March: p3 does not listen and its pool rolls over to April's q3; April: q3 listens. */
async function twoMonths(ledger: EmbeddedLedger, between: () => Promise<void>) {
  const submit = (fn: string, input: unknown, transient?: Record<string, string>) => ledger.submit(fn, [JSON.stringify(input)], { transient });
  const rows: ReportRow[] = [{ pseudonym: 'p1', artist: ADA, seconds: 60, plays: 1 }];
  await submit('SubscriptionContract:record', { nodeId: NODE, month: '2026-03', pseudonym: 'p1', amount: 1000, currency: 'USD', kind: 'new' });
  await submit('SubscriptionContract:record', { nodeId: NODE, month: '2026-03', pseudonym: 'p3', amount: 1000, currency: 'USD', kind: 'new' });
  await ledger.submit('ReportContract:submit', reportArgs(NODE, '2026-03-01', rows), { transient: { rows: JSON.stringify(rows) } });
  const march = (await submit('MonthCloseContract:close', { nodeId: NODE, month: '2026-03', nodeFee: 100, policy: 'rollover', missingDays: daysExcept('2026-03', 31, 1) }, { nextPseudonyms: JSON.stringify({ p3: 'q3' }) })).result as { rolledOver: number };
  assert.equal(march.rolledOver, 900);
  await between();
  const april: ReportRow[] = [{ pseudonym: 'q3', artist: ADA, seconds: 30, plays: 1 }];
  await submit('SubscriptionContract:record', { nodeId: NODE, month: '2026-04', pseudonym: 'q3', amount: 1000, currency: 'USD', kind: 'renewal' });
  await ledger.submit('ReportContract:submit', reportArgs(NODE, '2026-04-02', april), { transient: { rows: JSON.stringify(april) } });
  return (await submit('MonthCloseContract:close', { nodeId: NODE, month: '2026-04', nodeFee: 100, policy: 'rollover', missingDays: daysExcept('2026-04', 30, 2) })).result as { creditsIn: number; payouts: { artist: string; amount: number }[] };
}

const creditsInKey = (month: string) => Buffer.from(compositeKey('creditsIn', [NODE, month]), 'utf8');

test('the credits carried into a month are one private record, read by key; a ledger from before it still pays them', { skip }, async () => {
  for (const legacy of [false, true]) {
    await pool.query('TRUNCATE ledger_state, ledger_transactions');
    const ledger = new EmbeddedLedger({ pool, contracts: loadContracts(chaincode!), identity: { mspId: 'Org1MSP', nodeId: NODE } });
    await ledger.submit('NodeRegistryContract:join', [JSON.stringify({ nodeId: NODE, actorUrl: NODE, cluster: 'c', organisation: 'Org1MSP' })]);
    const april = await twoMonths(ledger, async () => {
      const record = await pool.query<{ value: Buffer }>('SELECT value FROM ledger_state WHERE collection = $1 AND key = $2', [COLLECTION, creditsInKey('2026-04')]);
      assert.equal(record.rowCount, 1, 'the March close wrote April\'s creditsIn record');
      assert.deepEqual(JSON.parse(record.rows[0].value.toString('utf8')).map((c: { pseudonym: string; amount: number }) => [c.pseudonym, c.amount]), [['q3', 900]]);
      // A ledger whose March was closed by the chaincode of before decision 0305: no record.
      if (legacy) await pool.query('DELETE FROM ledger_state WHERE collection = $1 AND key = $2', [COLLECTION, creditsInKey('2026-04')]);
    });
    assert.equal(april.creditsIn, 900, legacy ? 'found by listing the credit keys' : 'found by key');
    assert.deepEqual(april.payouts, [{ artist: ADA, amount: 1800 }]);
  }
});
