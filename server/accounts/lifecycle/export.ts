// A user's data as a download: one .tar.gz with a file per part that a capability registered
// (`accounts.onExport`: profile, playlists, channels, listening, wallet statement, follows, ...)
// and a README. Every part is collected before the first byte goes out, so a part that fails
// answers with a problem instead of a cut archive. That holds the archive in memory: a long
// list is cut at EXPORT_MAX_ROWS, and only EXPORTS_AT_ONCE exports are built at once per node.
import { randomUUID } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { pack as tarPack } from 'tar-stream';
import type { NodeContext } from '../../context.js';
import { RetryLaterError } from '../../http/errors.js';
import type { AccountsService, User } from '../service.js';

/** One export per user (and per asker, for an admin's) in this many seconds: an export reads a lot. */
export const EXPORT_INTERVAL_SECONDS = 600;

/**
 * The most rows of one list a part writes (the newest: listening history, wallet statement):
 * an archive is built in memory, so one with years of plays is cut, and says so (README.txt, and
 * `"truncated"` in a JSON file or a last line `# truncated` in a CSV file).
 */
export const EXPORT_MAX_ROWS = 50_000;

/** Exports being built at once on the whole node (each holds its archive in memory): beyond, 429 export_busy. */
export const EXPORTS_AT_ONCE = 2;
/** How long a running export holds its place at most (one whose process died gives it back then). */
const EXPORT_SLOT_SECONDS = 15 * 60;
/** What a refused export is told to wait. */
const EXPORT_BUSY_RETRY_SECONDS = 30;

// Takes a place among the running exports when fewer than ARGV[3] run (places past their end go first).
const takeSlotScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1`;

export interface ExportFile {
  name: string;
  content: Buffer;
}

const asContent = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`, 'utf8');

/** Whether a part's content says it was cut at EXPORT_MAX_ROWS (see there). */
function isTruncated(value: unknown): boolean {
  if (typeof value === 'string') return /\n# truncated[^\n]*\n?$/.test(value);
  return !!value && typeof value === 'object' && !Array.isArray(value) && !!(value as { truncated?: unknown }).truncated;
}

function readme(ctx: NodeContext, user: User, files: { name: string; truncated: boolean }[], at: Date): string {
  return [
    `Data export of the account ${user.username} on ${ctx.config.nodeName} (${ctx.config.publicUrl})`,
    `Made ${at.toISOString()}.`,
    '',
    'Files:',
    ...files.map((f) => `  ${f.name}${f.truncated ? ` (truncated: the newest ${EXPORT_MAX_ROWS} rows of a long list)` : ''}`),
    '',
    `A list longer than ${EXPORT_MAX_ROWS} rows (plays, listens, wallet entries) holds its newest`,
    `${EXPORT_MAX_ROWS}; a file cut so says it: "truncated" in JSON, a last line "# truncated" in CSV.`,
    'Ask the admins of this node for the rest.',
    '',
    'JSON files are UTF-8 JSON; CSV files have a header row. Amounts of money are integers in',
    'minor units (cents) of the currency named beside them. Times are ISO 8601 in UTC.',
    'Tracks are described (title, tags, dates); their audio and video files are not in the',
    'archive (they can be large).',
    '',
  ].join('\n');
}

export class AccountExports {
  /** Exports built at once on the node (tests change it). */
  exportsAtOnce = EXPORTS_AT_ONCE;

  constructor(
    private readonly ctx: NodeContext,
    private readonly accounts: AccountsService,
  ) {}

  /** Refuses a second export within the interval (429 with Retry-After); returns how to give the turn back. */
  private async takeTurn(user: User, asker: User): Promise<() => Promise<void>> {
    const key = `accounts:export:${asker.id}:${user.id}`;
    const taken = await this.ctx.redis.set(key, '1', 'EX', EXPORT_INTERVAL_SECONDS, 'NX');
    if (taken !== 'OK') {
      const ttl = Math.max(1, await this.ctx.redis.ttl(key));
      throw new RetryLaterError(429, 'export_too_soon', `An export of this account was made in the last ${EXPORT_INTERVAL_SECONDS / 60} minutes; try again in ${ttl} s`, ttl);
    }
    return async () => void (await this.ctx.redis.del(key));
  }

  /**
   * A place among the node's running exports (429 export_busy with Retry-After when
   * `exportsAtOnce` run); returns how to give it back.
   */
  private async takeSlot(): Promise<() => Promise<void>> {
    const key = 'accounts:export:running';
    const member = randomUUID();
    const now = Date.now();
    const taken = await this.ctx.redis.eval(takeSlotScript, 1, key, now, now + EXPORT_SLOT_SECONDS * 1000, this.exportsAtOnce, member, EXPORT_SLOT_SECONDS);
    if (Number(taken) !== 1) {
      throw new RetryLaterError(429, 'export_busy', `${this.exportsAtOnce} data exports are being made on this node; try again in ${EXPORT_BUSY_RETRY_SECONDS} s`, EXPORT_BUSY_RETRY_SECONDS);
    }
    return async () => void (await this.ctx.redis.zrem(key, member));
  }

  /** The archive's files: README.txt first, then every registered part. */
  async files(user: User, at = new Date()): Promise<ExportFile[]> {
    const parts: (ExportFile & { truncated: boolean })[] = [];
    for (const part of this.accounts.exportParts) {
      const value = await part.collect(user);
      parts.push({ name: part.file, content: asContent(value), truncated: isTruncated(value) });
    }
    return [{ name: 'README.txt', content: asContent(readme(this.ctx, user, parts, at)) }, ...parts.map(({ name, content }) => ({ name, content }))];
  }

  /** Streams the archive of `user`'s data to `res`, as `asker` (the user, or an admin) asked. */
  async send(res: Response, user: User, asker: User): Promise<void> {
    const leave = await this.takeSlot();
    try {
      await this.build(res, user, asker);
    } finally {
      await leave().catch((err) => this.ctx.logger.child({ component: 'account-export' }).warn({ err }, 'a running export could not give its place back (it expires)'));
    }
  }

  private async build(res: Response, user: User, asker: User): Promise<void> {
    const giveBack = await this.takeTurn(user, asker);
    const at = new Date();
    let files: ExportFile[];
    try {
      files = await this.files(user, at);
    } catch (err) {
      await giveBack();
      throw err;
    }
    const folder = `9ten-export-${user.username}-${at.toISOString().slice(0, 10)}`;
    res
      .status(200)
      .type('application/gzip')
      .set('Content-Disposition', `attachment; filename="${folder}.tar.gz"`)
      .set('Cache-Control', 'no-store');
    const tar = tarPack();
    for (const f of files) tar.entry({ name: `${folder}/${f.name}`, mtime: at }, f.content);
    tar.finalize();
    await pipeline(tar, createGzip(), res);
    this.ctx.logger.child({ component: 'account-export' }).info({ userId: user.id, by: asker.id, files: files.length }, 'data export sent');
  }
}
