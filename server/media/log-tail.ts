// Follows a log file another program appends to (nginx's access log), line by line, across
// restarts of this process and rotations of the file:
// - where it stopped (the file's inode and offset) is saved before the lines are handed on,
//   so a crash may lose the lines in flight but never hands a line on twice;
// - a rotated file (renamed, a new one opened at the path) is read to its end for a while
//   after the switch, since its writer keeps appending until it reopens the path;
// - a truncated file (copytruncate) is read again from its start.
import { open, readFile, rename, stat, writeFile, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';

export interface LogTailOptions {
  file: string;
  /** Where the position is kept (a small JSON file). */
  cursorFile: string;
  /** Gets every complete line once, in order; the next read waits for it. */
  onLines: (lines: string[]) => Promise<void> | void;
  log: Logger;
  pollMs?: number;
  /** How long a rotated file is still read after its last new line. */
  drainMs?: number;
  /**
   * Asked before each timed read: false while another process holds the right to read this
   * log (the reader then lets go of its files and reads again from the saved position).
   */
  mayRead?: () => Promise<boolean>;
}

interface Cursor {
  ino: number;
  offset: number;
}

interface Reader {
  fh: FileHandle;
  ino: number;
  offset: number;
  rest: Buffer;
  lastDataAt: number;
}

const CHUNK = 1 << 20;

export class LogTail {
  private current?: Reader;
  private rotated?: Reader;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(private readonly o: LogTailOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.current?.fh.close().catch(() => undefined);
    await this.rotated?.fh.close().catch(() => undefined);
    this.current = this.rotated = undefined;
  }

  /** Reads what is new now (the timer does this every pollMs). */
  poll(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pollIfAllowed()
        .catch((err) => this.o.log.warn({ err, file: this.o.file }, 'reading the access log failed; retrying'))
        .finally(() => this.schedule(this.o.pollMs ?? 250));
    }, ms);
    this.timer.unref();
  }

  private async pollIfAllowed(): Promise<void> {
    if (!this.o.mayRead || (await this.o.mayRead())) return this.poll();
    // Another reader has the log: forget our position in memory; the cursor file has theirs.
    await this.current?.fh.close().catch(() => undefined);
    await this.rotated?.fh.close().catch(() => undefined);
    this.current = this.rotated = undefined;
  }

  private async pollOnce(): Promise<void> {
    if (this.rotated) {
      await this.drain(this.rotated);
      if (Date.now() - this.rotated.lastDataAt > (this.o.drainMs ?? 5000)) {
        await this.rotated.fh.close().catch(() => undefined);
        this.rotated = undefined;
      }
    }
    if (!this.current) {
      this.current = await this.openAt(await this.savedCursor());
      if (!this.current) return;
    }
    await this.drain(this.current);
    const now = await stat(this.o.file).catch(() => undefined);
    if (now && now.ino !== this.current.ino) {
      // Rotated: the old file may still get lines until nginx reopens the path.
      await this.rotated?.fh.close().catch(() => undefined);
      this.rotated = this.current;
      this.current = await this.openAt(undefined);
      if (this.current) await this.drain(this.current);
    }
  }

  private async openAt(cursor: Cursor | undefined): Promise<Reader | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(this.o.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const s = await fh.stat();
    const offset = cursor && cursor.ino === s.ino && cursor.offset <= s.size ? cursor.offset : 0;
    return { fh, ino: s.ino, offset, rest: Buffer.alloc(0), lastDataAt: Date.now() };
  }

  private async drain(r: Reader): Promise<void> {
    const size = (await r.fh.stat()).size;
    if (size < r.offset) {
      this.o.log.warn({ file: this.o.file }, 'access log was truncated: reading it from the start');
      r.offset = 0;
      r.rest = Buffer.alloc(0);
    }
    for (let chunk = 0; ; chunk++) {
      // A long backlog: renew the right to read between chunks, so it never lapses mid-way.
      if (chunk > 0 && this.o.mayRead && !(await this.o.mayRead())) return;
      const { bytesRead } = await r.fh.read(this.buf, 0, CHUNK, r.offset + r.rest.length);
      if (bytesRead === 0) return;
      r.lastDataAt = Date.now();
      const data = r.rest.length ? Buffer.concat([r.rest, this.buf.subarray(0, bytesRead)]) : this.buf.subarray(0, bytesRead);
      const end = data.lastIndexOf(0x0a);
      if (end < 0) {
        if (data.length < CHUNK) {
          r.rest = Buffer.from(data);
          continue;
        }
        // A megabyte without a line end is not a log line: step over it rather than hold it.
        this.o.log.warn({ file: this.o.file, bytes: data.length }, 'access log: skipped a run of bytes with no line end');
        r.offset += data.length;
        r.rest = Buffer.alloc(0);
        continue;
      }
      const lines = data.subarray(0, end).toString('utf8').split('\n');
      r.rest = Buffer.from(data.subarray(end + 1));
      r.offset += end + 1;
      if (r === this.current) await this.saveCursor({ ino: r.ino, offset: r.offset });
      await this.o.onLines(lines.filter((l) => l.length > 0));
    }
  }

  private async savedCursor(): Promise<Cursor | undefined> {
    try {
      const c = JSON.parse(await readFile(this.o.cursorFile, 'utf8')) as Cursor;
      return Number.isSafeInteger(c.ino) && Number.isSafeInteger(c.offset) ? c : undefined;
    } catch {
      return undefined;
    }
  }

  private async saveCursor(c: Cursor): Promise<void> {
    const tmp = `${this.o.cursorFile}.tmp`;
    await writeFile(tmp, JSON.stringify(c));
    await rename(tmp, this.o.cursorFile);
  }
}
