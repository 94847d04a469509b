// Loads config/default.json, an optional operator file, environment variables and
// explicit overrides (tests), in that order, then validates the result.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, type Config } from './schema.js';

export type { Config } from './schema.js';

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Json, v) : v;
  }
  return out;
}

function readJson(file: string): Json {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (err) {
    throw new ConfigError([`${file}: ${(err as Error).message}`]);
  }
}

function int(name: string, raw: string, problems: string[]): number | undefined {
  if (!/^-?\d+$/.test(raw)) {
    problems.push(`${name}: expected a whole number, got "${raw}"`);
    return undefined;
  }
  return Number(raw);
}

function bool(name: string, raw: string, problems: string[]): boolean | undefined {
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  problems.push(`${name}: expected true or false, got "${raw}"`);
  return undefined;
}

/** The environment variables operators expect, mapped onto the schema. */
export function fromEnvironment(env: NodeJS.ProcessEnv, problems: string[] = []): Json {
  const out: Json = {};
  const fed: Json = {};
  const money: Json = {};
  const ledger: Json = {};
  if (env.PORT) out.port = int('PORT', env.PORT, problems);
  if (env.HOST) out.host = env.HOST;
  if (env.PUBLIC_URL) out.publicUrl = env.PUBLIC_URL;
  // Without a public URL, a node on another port is reached at that port.
  else if (typeof out.port === 'number') out.publicUrl = `http://localhost:${out.port}`;
  if (env.DATA_DIR) out.dataDir = env.DATA_DIR;
  if (env.DATABASE_URL) out.databaseUrl = env.DATABASE_URL;
  if (env.REDIS_URL) out.redisUrl = env.REDIS_URL;
  if (env.REDIS_PREFIX) out.redisPrefix = env.REDIS_PREFIX;
  if (env.NODE_ROLE) out.role = env.NODE_ROLE;
  if (env.LOG_LEVEL) out.logLevel = env.LOG_LEVEL;
  if (env.NODE_NAME) out.nodeName = env.NODE_NAME;
  if (env.TRUST_PROXY) out.trustProxy = bool('TRUST_PROXY', env.TRUST_PROXY, problems);
  if (env.FEDERATION_ALLOW_PRIVATE_ADDRESSES) {
    fed.allowPrivateAddresses = bool('FEDERATION_ALLOW_PRIVATE_ADDRESSES', env.FEDERATION_ALLOW_PRIVATE_ADDRESSES, problems);
  }
  if (env.CLUSTER) fed.cluster = env.CLUSTER;
  if (env.ORGANISATION) fed.organisation = env.ORGANISATION;
  const media: Json = {};
  if (env.MEDIA_SEED) media.seed = bool('MEDIA_SEED', env.MEDIA_SEED, problems);
  if (env.MEDIA_FRONT_ACCESS_LOG) media.frontAccessLog = env.MEDIA_FRONT_ACCESS_LOG;
  if (Object.keys(media).length) out.media = media;
  if (env.CURRENCY) money.currency = env.CURRENCY;
  if (env.TIME_ZONE) money.timeZone = env.TIME_ZONE;
  if (env.LEDGER_ENGINE) ledger.engine = env.LEDGER_ENGINE;
  if (env.LEDGER_DATABASE_URL) ledger.databaseUrl = env.LEDGER_DATABASE_URL;
  if (env.LEDGER_MSP_ID) ledger.mspId = env.LEDGER_MSP_ID;
  if (env.PAYMENT_WEBHOOK_SECRET) money.webhookSecret = env.PAYMENT_WEBHOOK_SECRET;
  if (Object.keys(fed).length) out.federation = fed;
  if (Object.keys(money).length) out.money = money;
  if (Object.keys(ledger).length) out.ledger = ledger;
  return out;
}

let shipped: Json | undefined;

/** config/default.json as shipped, read once per process (deepMerge copies it, never changes it). */
function shippedDefaults(): Json {
  return (shipped ??= readJson(path.join(projectRoot, 'config/default.json')));
}

/** federation.organisation as shipped: what a node signs as when nobody set it. */
export function shippedOrganisation(): string {
  const organisation = (shippedDefaults().federation as Json | undefined)?.organisation;
  if (typeof organisation !== 'string') throw new ConfigError(['config/default.json: federation.organisation is missing']);
  return organisation;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: Json;
  /** Skip environment variables entirely (tests building several nodes in one process). */
  ignoreEnv?: boolean;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  let merged = shippedDefaults();
  const file = options.ignoreEnv ? undefined : env.NINETEN_CONFIG;
  if (file) {
    if (!existsSync(file)) throw new ConfigError([`NINETEN_CONFIG: no such file ${file}`]);
    merged = deepMerge(merged, readJson(file));
  }
  if (!options.ignoreEnv) merged = deepMerge(merged, fromEnvironment(env, problems));
  if (options.overrides) merged = deepMerge(merged, options.overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const config = parsed.data;
  config.dataDir = path.resolve(projectRoot, config.dataDir);
  return config;
}
