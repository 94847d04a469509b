// A user's data as a download: one .tar.gz with a file per part that a capability registered
// (`accounts.onExport`: profile, playlists, channels, listening, wallet statement, follows, ...)
// and a README. Every part is collected before the first byte goes out, so a part that fails
// answers with a problem instead of a cut archive.
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { pack as tarPack } from 'tar-stream';
import type { NodeContext } from '../../context.js';
import { RetryLaterError } from '../../http/errors.js';
import type { AccountsService, User } from '../service.js';

/** One export per user (and per asker, for an admin's) in this many seconds: an export reads a lot. */
export const EXPORT_INTERVAL_SECONDS = 600;

export interface ExportFile {
  name: string;
  content: Buffer;
}

const asContent = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`, 'utf8');

function readme(ctx: NodeContext, user: User, names: string[], at: Date): string {
  return [
    `Data export of the account ${user.username} on ${ctx.config.nodeName} (${ctx.config.publicUrl})`,
    `Made ${at.toISOString()}.`,
    '',
    'Files:',
    ...names.map((n) => `  ${n}`),
    '',
    'JSON files are UTF-8 JSON; CSV files have a header row. Amounts of money are integers in',
    'minor units (cents) of the currency named beside them. Times are ISO 8601 in UTC.',
    'Tracks are described (title, tags, dates); their audio and video files are not in the',
    'archive (they can be large).',
    '',
  ].join('\n');
}

export class AccountExports {
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

  /** The archive's files: README.txt first, then every registered part. */
  async files(user: User, at = new Date()): Promise<ExportFile[]> {
    const parts: ExportFile[] = [];
    for (const part of this.accounts.exportParts) parts.push({ name: part.file, content: asContent(await part.collect(user)) });
    return [{ name: 'README.txt', content: asContent(readme(this.ctx, user, parts.map((p) => p.name), at)) }, ...parts];
  }

  /** Streams the archive of `user`'s data to `res`, as `asker` (the user, or an admin) asked. */
  async send(res: Response, user: User, asker: User): Promise<void> {
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
