// The segment-serve log (`segment_serves`): the streaming endpoints call `record` on their hot
// path (a push onto an in-memory buffer); a timer flushes the buffer every flushIntervalMs,
// or at once when flushRows are waiting, as one COPY of all the rows waiting. The progress
// check reads a session's serves here, logged and buffered alike.
import type { Sequelize } from 'sequelize';
import { copyIn } from '../db/copy.js';
import { select, type Transaction } from '../db/index.js';
import { servedSpan, type Interval } from './intervals.js';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { metricOnce } from '../http/metrics.js';
import type { SegmentServed as MediaSegmentServed } from '../media/index.js';
import { isUuid } from '../../shared/ids.js';

/** What media reports for each segment it really served; remote-track segments served from
 * federation's cache have no client address when they come from a background fetch. */
export type SegmentServed = Omit<MediaSegmentServed, 'ip'> & { ip: string | null };

export interface SegmentLogOptions {
  flushIntervalMs: number;
  flushRows: number;
  maxBufferedRows: number;
}

/** The most rows one INSERT carries. */
const maxRowsPerWrite = 20_000;


// The rows travel as one COPY in text format: PostgreSQL reads it with about a third less CPU
// than the same rows as a JSON parameter through json_to_recordset (5.1-5.7 against 8.4 µs
// a row with the table's indexes), and the line for a row is built without an intermediate
// object. The CPU matters where the node shares its cores with the server in front of it.
const copySql = `COPY segment_serves (session_id, user_id, track_id, rendition, segment_index, start_seconds,
                                      duration_seconds, bytes, byte_start, segment_bytes, ip, user_agent, served_at) FROM STDIN`;

const SPECIAL = /[\\\n\r\t\0]/;
const SPECIALS = /[\\\n\r\t\0]/g;
const escaped: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '' };

/** A text field of COPY's text format: NULL as \N; backslash, line ends and tabs escaped; NUL dropped (text cannot hold it). */
function field(v: string | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  return SPECIAL.test(v) ? v.replace(SPECIALS, (c) => escaped[c]) : v;
}

/** The COPY text of the rows, one line each. */
export function copyText(rows: SegmentServed[]): string {
  let out = '';
  for (const e of rows) {
    const s = e.sessionId && isUuid(e.sessionId) ? e.sessionId : '\\N';
    const u = e.userId && isUuid(e.userId) ? e.userId : '\\N';
    const ua = e.userAgent ? e.userAgent.slice(0, 512) : null;
    const part = e.segmentBytes && e.segmentBytes > 0 ? `${Math.trunc(e.byteStart ?? 0)}\t${Math.trunc(e.segmentBytes)}` : '\\N\t\\N';
    out += `${s}\t${u}\t${field(String(e.trackId))}\t${field(String(e.rendition))}\t${Math.trunc(e.segmentIndex)}\t${e.segmentStartSeconds}\t${e.segmentDurationSeconds}\t${Math.trunc(e.bytes)}\t${part}\t${field(e.ip)}\t${field(ua)}\t${e.at.toISOString()}\n`;
  }
  return out;
}

export class SegmentLog {
  private buffer: SegmentServed[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private stopped = false;
  private kicked = false;
  /** Rows being written right now: not in the buffer, not yet committed. */
  private inFlight: SegmentServed[] = [];
  private readonly logged: Counter;
  private readonly dropped: Counter;
  private readonly flushSeconds: Histogram;

  constructor(
    private readonly db: Sequelize,
    private readonly logger: Logger,
    private readonly options: () => SegmentLogOptions,
    metrics: Registry,
  ) {
    this.logged = metricOnce(metrics, 'nineten_listening_segments_logged_total', () => new Counter({ name: 'nineten_listening_segments_logged_total', help: 'Segment serves written to the segment log', registers: [metrics] }));
    this.dropped = metricOnce(metrics, 'nineten_listening_segments_dropped_total', () => new Counter({ name: 'nineten_listening_segments_dropped_total', help: 'Segment serves dropped because the buffer was full', registers: [metrics] }));
    this.flushSeconds = metricOnce(metrics, 'nineten_listening_segment_flush_seconds', () => new Histogram({ name: 'nineten_listening_segment_flush_seconds', help: 'Duration of one batched segment-log write', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [metrics] }));
  }

  /** Hot path: never awaits, never throws. */
  record(e: SegmentServed): void {
    if (this.stopped) {
      this.logger.warn({ trackId: e.trackId }, 'segment served after the log stopped; not recorded');
      return;
    }
    this.buffer.push(e);
    if (this.buffer.length >= this.options().flushRows) {
      if (!this.kicked) {
        this.kicked = true;
        this.kick();
      }
    } else this.arm();
  }

  private kick(): void {
    this.flush().catch(() => this.arm());
  }

  private arm(): void {
    if (!this.timer && !this.stopped) this.timer = setTimeout(() => this.kick(), this.options().flushIntervalMs).unref();
  }

  /** Rows not yet written for a play session. */
  pendingFor(sessionId: string): SegmentServed[] {
    const mine = (e: SegmentServed) => e.sessionId === sessionId;
    return [...this.inFlight.filter(mine), ...this.buffer.filter(mine)];
  }

  /**
   * The spans of a track's timeline served to a play session, logged or still buffered: each
   * response stands for its bytes' share of its segment's span (see `servedSpan`).
   */
  async servedSpans(sessionId: string, trackId: string, t: Transaction): Promise<Interval[]> {
    const rows = await select<{ start_seconds: number; duration_seconds: number; byte_start: string | null; bytes: string; segment_bytes: string | null }>(
      this.db,
      `SELECT DISTINCT start_seconds, duration_seconds, byte_start, bytes, segment_bytes
         FROM segment_serves WHERE session_id = :id AND track_id = :trackId`,
      { id: sessionId, trackId },
      t,
    );
    const num = (v: string | null) => (v === null ? null : Number(v));
    const served: Interval[] = rows.map((r) =>
      servedSpan(Number(r.start_seconds), Number(r.duration_seconds), { byteStart: num(r.byte_start), bytes: Number(r.bytes), segmentBytes: num(r.segment_bytes) }),
    );
    for (const e of this.pendingFor(sessionId)) {
      if (String(e.trackId) !== trackId) continue;
      served.push(servedSpan(e.segmentStartSeconds, e.segmentDurationSeconds, { byteStart: e.byteStart ?? null, bytes: e.bytes, segmentBytes: e.segmentBytes ?? null }));
    }
    return served;
  }

  /** Drops serves older than the retention period (0: keeps them); returns how many. */
  async prune(retentionDays: number): Promise<number> {
    if (!retentionDays) return 0;
    const [, result] = await this.db.query('DELETE FROM segment_serves WHERE served_at < now() - make_interval(days => :days)', { replacements: { days: retentionDays } });
    return Number((result as { rowCount?: number } | undefined)?.rowCount ?? 0);
  }

  get pendingCount(): number {
    return this.buffer.length;
  }

  /** Writes everything buffered so far; resolves when it is in the database. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // One write at a time keeps rows in order and bounds the connections used.
    while (this.flushing) await this.flushing.catch(() => undefined);
    this.kicked = false;
    while (this.buffer.length) {
      // Under load batches grow (rows arrive while a write is in flight), up to a bound.
      const rows = this.buffer.length <= maxRowsPerWrite ? this.buffer : this.buffer.slice(0, maxRowsPerWrite);
      this.buffer = rows === this.buffer ? [] : this.buffer.slice(maxRowsPerWrite);
      this.inFlight = rows;
      this.flushing = this.write(rows).finally(() => {
        this.flushing = undefined;
        this.inFlight = [];
      });
      await this.flushing;
      if (this.buffer.length < maxRowsPerWrite) break;
    }
    if (this.buffer.length >= this.options().flushRows && !this.kicked) {
      this.kicked = true;
      this.kick();
    } else if (this.buffer.length) this.arm();
  }

  private async write(rows: SegmentServed[]): Promise<void> {
    const end = this.flushSeconds.startTimer();
    const text = copyText(rows);
    try {
      await copyIn(this.db, copySql, text);
      this.logged.inc(rows.length);
    } catch (err) {
      // Keep the rows for the next flush (in order), up to the bound.
      this.buffer = rows.concat(this.buffer);
      const over = this.buffer.length - this.options().maxBufferedRows;
      if (over > 0) {
        this.buffer.splice(0, over);
        this.dropped.inc(over);
        this.logger.error({ dropped: over }, 'segment log buffer full: oldest rows dropped');
      }
      this.logger.error({ err, rows: rows.length }, 'segment log flush failed; will retry');
      throw err;
    } finally {
      end();
    }
  }

  /** Flushes what is left and stops accepting rows. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.flush();
    } finally {
      this.stopped = true;
    }
  }
}
