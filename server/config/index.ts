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
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  problems.push(`${name}: expected true or false, got "${raw}"`);
  return undefined;
}

type EnvKind = 'text' | 'int' | 'bool';

/** The environment variables operators expect, and where each goes in the schema (docs/operations.md). */
export const environmentVariables: readonly (readonly [name: string, path: string, kind: EnvKind])[] = [
  ['PORT', 'port', 'int'],
  ['HOST', 'host', 'text'],
  ['PUBLIC_URL', 'publicUrl', 'text'],
  ['DATA_DIR', 'dataDir', 'text'],
  ['DATABASE_URL', 'databaseUrl', 'text'],
  ['REDIS_URL', 'redisUrl', 'text'],
  ['REDIS_PREFIX', 'redisPrefix', 'text'],
  ['NODE_ROLE', 'role', 'text'],
  ['LOG_LEVEL', 'logLevel', 'text'],
  ['NODE_NAME', 'nodeName', 'text'],
  ['TRUST_PROXY', 'trustProxy', 'bool'],
  ['FEDERATION_ALLOW_PRIVATE_ADDRESSES', 'federation.allowPrivateAddresses', 'bool'],
  ['CLUSTER', 'federation.cluster', 'text'],
  ['ORGANISATION', 'federation.organisation', 'text'],
  ['INSTANCE_FOLLOWERS', 'federation.instanceFollowers', 'text'],
  ['MEDIA_SEED', 'media.seed', 'bool'],
  ['MEDIA_FRONT_ACCESS_LOG', 'media.frontAccessLog', 'text'],
  ['CURRENCY', 'money.currency', 'text'],
  ['TIME_ZONE', 'money.timeZone', 'text'],
  ['PAYMENT_WEBHOOK_SECRET', 'money.webhookSecret', 'text'],
  ['TIP_NODE_CUT_BP', 'money.tipNodeCutBasisPoints', 'int'],
  ['METERED_NODE_CUT_BP', 'money.meteredNodeCutBasisPoints', 'int'],
  ['CAMPAIGN_NODE_CUT_BP', 'money.campaignNodeCutBasisPoints', 'int'],
  ['LIVE_ENABLED', 'live.enabled', 'bool'],
  ['LIVE_RTMP_PORT', 'live.rtmpPort', 'int'],
  ['LIVE_RTMP_HOST', 'live.rtmpHost', 'text'],
  ['LIVE_RTMP_PUBLIC_HOST', 'live.rtmpPublicHost', 'text'],
  ['LIVE_MAX_STREAMS', 'live.maxConcurrentStreams', 'int'],
  ['LEDGER_ENGINE', 'ledger.engine', 'text'],
  ['LEDGER_DATABASE_URL', 'ledger.databaseUrl', 'text'],
  ['LEDGER_MSP_ID', 'ledger.mspId', 'text'],
  ['SMTP_HOST', 'mail.smtp.host', 'text'],
  ['SMTP_PORT', 'mail.smtp.port', 'int'],
  ['SMTP_SECURE', 'mail.smtp.secure', 'bool'],
  ['SMTP_REQUIRE_TLS', 'mail.smtp.requireTLS', 'bool'],
  ['SMTP_IGNORE_TLS', 'mail.smtp.ignoreTLS', 'bool'],
  ['SMTP_TLS_REJECT_UNAUTHORIZED', 'mail.smtp.tlsRejectUnauthorized', 'bool'],
  ['SMTP_USER', 'mail.smtp.user', 'text'],
  ['SMTP_PASS', 'mail.smtp.pass', 'text'],
  ['MAIL_FROM', 'mail.from', 'text'],
  ['METRICS_TOKEN', 'metrics.token', 'text'],
  ['EMAIL_VERIFICATION', 'auth.emailVerification', 'text'],
];

function setPath(out: Json, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let at = out;
  for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Json;
  at[keys[keys.length - 1]] = value;
}

/** The environment variables that are set, mapped onto the schema. */
export function fromEnvironment(env: NodeJS.ProcessEnv, problems: string[] = []): Json {
  const out: Json = {};
  for (const [name, dotted, kind] of environmentVariables) {
    const raw = env[name];
    if (!raw) continue;
    const value = kind === 'int' ? int(name, raw, problems) : kind === 'bool' ? bool(name, raw, problems) : raw;
    if (value !== undefined) setPath(out, dotted, value);
  }
  // Without a public URL, a node on another port is reached at that port.
  if (!env.PUBLIC_URL && typeof out.port === 'number') out.publicUrl = `http://localhost:${out.port}`;
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

/**
 * The ffmpeg and ffprobe binaries an operator named (FFMPEG_PATH, FFPROBE_PATH). Read on their
 * own: fluent-ffmpeg is set up once per process, before or without a node's config (scripts, benches).
 */
export function mediaToolsFromEnvironment(env: NodeJS.ProcessEnv = process.env): { ffmpeg?: string; ffprobe?: string } {
  return { ffmpeg: env.FFMPEG_PATH || undefined, ffprobe: env.FFPROBE_PATH || undefined };
}

/** fabric-contract-api logs every decorator at info level to stdout unless told otherwise; keep it quiet. */
export function quietChaincodeLogging(env: NodeJS.ProcessEnv = process.env): void {
  env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'error';
}
