// A capability reads and writes only its own tables (docs/architecture.md). Every migration is
// mapped to the capability that owns what it creates; the SQL in each capability's folder may
// name only that capability's tables. Another capability's data is asked for through its
// contract (server/<capability>/contract.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../server/config/index.js';

/** Which capability owns what each migration creates ('node': the node itself, server/jobs and server/db). */
const migrationOwners: Record<string, string> = {
  '0001-accounts': 'accounts',
  '0002-node-identity': 'node',
  '0003-accounts-guests': 'accounts',
  '0005-accounts-api-keys': 'accounts',
  '0006-accounts-moderation': 'accounts',
  '0007-accounts-email': 'accounts',
  '0009-accounts-deletion': 'accounts',
  '0004-text-search': 'node',
  '0100-media-channels-tracks': 'media',
  '0101-media-playlists': 'media',
  '0102-media-quotas': 'media',
  '0103-media-track-access': 'media',
  '0104-media-search': 'media',
  '0105-media-progressive-audio': 'media',
  '0106-media-track-hidden': 'media',
  '0107-media-reserved-channel-names': 'media',
  '0200-federation-core': 'federation',
  '0201-federation-remote-access': 'federation',
  '0202-federation-stream-hls': 'federation',
  '0203-federation-remote-campaigns': 'federation',
  '0204-federation-discovery-indexes': 'federation',
  '0205-federation-search': 'federation',
  '0206-federation-actor-tombstones': 'federation',
  '0207-federation-delivery-health': 'federation',
  '0300-ledger-world-state': 'ledger',
  '0301-ledger-outbox': 'ledger',
  '0400-money-books': 'money',
  '0401-money-payments': 'money',
  '0402-money-subscriptions': 'money',
  '0403-money-month-close': 'money',
  '0404-money-track-seconds': 'money',
  '0405-money-streams': 'money',
  '0406-money-tips': 'money',
  '0407-money-income-reports': 'money',
  '0408-money-metered': 'money',
  '0409-money-stream-close': 'money',
  '0410-money-stream-funding': 'money',
  '0411-money-campaigns': 'money',
  '0412-money-campaign-repayments': 'money',
  '0413-money-campaign-repayment-log': 'money',
  '0414-money-campaign-ledger-reports': 'money',
  '0415-money-entries-triggers-linear': 'money',
  '0500-listening-core': 'listening',
  '0501-listening-served-bytes': 'listening',
  '0502-listening-remote-arrival': 'listening',
  '0503-listening-remote-listens-day': 'listening',
  '0505-listening-channel-day': 'listening',
  '0506-listening-pending-erasures': 'listening',
  '0504-listening-app-listens': 'listening',
  '0600-disputes-core': 'disputes',
  '0700-live-core': 'live',
  '0701-live-pricing': 'live',
  '0702-live-watch-links': 'live',
  '0900-apps-subsonic': 'apps',
  '1000-notifications-mails': 'notifications',
  '1005-notifications-inbox': 'notifications',
  '1006-notifications-inbox-guards': 'notifications',
  '1100-moderation-reports': 'moderation',
  '1101-moderation-guards': 'moderation',
  '1102-moderation-log-owner': 'moderation',
};

/** Folders of server/ that belong to the node rather than to a capability. */
const nodeFolders = ['api', 'config', 'db', 'http', 'jobs'];

const createTable = /CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)/g;
const tableUse = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE|TRUNCATE|COPY)\s+(?:ONLY\s+)?([a-z_][a-z0-9_]*)/g;

/** The TypeScript files below a folder. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));

/** The tables a migration creates, including those of the server modules it imports its SQL from. */
function tablesOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const sources = [text];
  for (const m of text.matchAll(/from '(\.\.\/server\/[^']+)\.js'/g)) sources.push(readFileSync(path.resolve(path.dirname(file), `${m[1]}.ts`), 'utf8'));
  return sources.flatMap((s) => [...s.matchAll(createTable)].map((m) => m[1]));
}

export function tableOwners(): Map<string, string> {
  const owners = new Map<string, string>();
  const dir = path.join(projectRoot, 'migrations');
  for (const name of readdirSync(dir).filter((f) => /^\d{4}-.*\.ts$/.test(f))) {
    const id = name.replace(/\.ts$/, '');
    const owner = migrationOwners[id];
    assert.ok(owner, `migrations/${name} is not in the map of migration owners in ${path.relative(projectRoot, import.meta.filename)}: add it`);
    for (const table of tablesOf(path.join(dir, name))) owners.set(table, owner);
  }
  return owners;
}

export interface ForeignUse {
  file: string;
  line: number;
  table: string;
  owner: string;
}

/** The places in `text` (a file of capability `capability`) whose SQL names a table another owns. */
export function foreignTableUses(capability: string, file: string, text: string, owners: Map<string, string>): ForeignUse[] {
  const found: ForeignUse[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(tableUse)) {
      const owner = owners.get(m[1]);
      if (owner && owner !== capability) found.push({ file, line: i + 1, table: m[1], owner });
    }
  });
  return found;
}

function capabilityOf(file: string): string {
  const folder = path.relative(path.join(projectRoot, 'server'), file).split(path.sep)[0];
  return nodeFolders.includes(folder) || !folder.length || folder.endsWith('.ts') ? 'node' : folder;
}

test('every migration is mapped to a capability and every table has one owner', () => {
  const owners = tableOwners();
  assert.ok(owners.size >= 40, `found the tables the migrations create (${owners.size})`);
  for (const t of ['users', 'media_tracks', 'federation_outbox', 'ledger_outbox', 'money_holds', 'listens', 'disputes']) assert.ok(owners.has(t), `${t} has an owner`);
});

test("no capability's SQL names a table another capability's migration created", () => {
  const owners = tableOwners();
  const uses = filesUnder(path.join(projectRoot, 'server')).flatMap((file) =>
    foreignTableUses(capabilityOf(file), path.relative(projectRoot, file), readFileSync(file, 'utf8'), owners),
  );
  assert.deepEqual(
    uses.map((u) => `${u.file}:${u.line} names ${u.table} (owned by ${u.owner})`),
    [],
    'ask the owner through its contract (server/<owner>/contract.ts) instead',
  );
});

test('the check finds a query on another capability’s table', () => {
  const owners = tableOwners();
  const sql = "const rows = await select(db, `SELECT h.* FROM money_holds h\n  JOIN listens l ON l.id = h.listen_id WHERE EXISTS (SELECT 1 FROM disputes)`);";
  assert.deepEqual(
    foreignTableUses('disputes', 'x.ts', sql, owners).map((u) => [u.line, u.table, u.owner]),
    [[1, 'money_holds', 'money'], [2, 'listens', 'listening']],
  );
});
