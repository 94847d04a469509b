// The daily listening report: once a day has ended in the node's time zone, its qualified
// listening (counted and held) per pseudonymous listener and artist goes to the shared ledger
// (ReportContract:submit; per-listener rows in the transient map, their hash public).
// Every unreported day up to yesterday is reported, in order; a day is never reported twice
// (the daily_reports row and the ledger outbox row commit together).
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import { execute, select, selectOne } from '../db/index.js';
import { artistTotalsOf, reportRowsHash, compareKeys, type ReportRow } from '../../shared/money/index.js';
import type { Pseudonyms } from './pseudonyms.js';
import { sweepDay } from './day-sweep.js';

export interface DailyReport {
  nodeId: string;
  day: string;
  artistTotals: { artist: string; seconds: number; plays: number }[];
  hash: string;
  /** A correction names the report it replaces (`<nodeId>#<day>#<version>`). */
  correctionOf?: string;
  reason?: string;
}

const REPORT_LOCK = 9_010_501;

/**
 * The next day to report (the day after the last reported one; at first, the day of the first
 * listen) and the last day that may be reported (`upTo`, at most yesterday in the time zone).
 * `day` is null while nothing was ever listened to.
 */
async function nextDay(ctx: NodeContext, upTo: string | null, t?: Transaction): Promise<{ day: string | null; last: string }> {
  const next = await selectOne<{ day: string | null; last: string }>(
    ctx.db,
    `SELECT coalesce((SELECT max(day) + 1 FROM daily_reports), (SELECT min(day) FROM listens))::text AS day,
            least(timezone(:tz, now())::date - 1, coalesce(:upTo::date, timezone(:tz, now())::date - 1))::text AS last`,
    { tz: ctx.config.money.timeZone, upTo },
    t,
  );
  return next!;
}

/** Yesterday (in the time zone) when a finished day is still unreported, else null. */
export async function reportDue(ctx: NodeContext): Promise<string | null> {
  const { day, last } = await nextDay(ctx, null);
  return day && day <= last ? last : null;
}

/**
 * The rows of a day: qualified listening per listener pseudonym and artist, counted and held
 * together (the chaincode's month close sets the held part aside from the `held` money passes;
 * held seconds must be part of the reported listening). Rejected listening is left out.
 */
export async function reportRows(ctx: NodeContext, pseudonyms: Pseudonyms, day: string, t?: Transaction): Promise<ReportRow[]> {
  const sums = await select<{ user_id: string; artist_uri: string; seconds: string; plays: string }>(
    ctx.db,
    `SELECT user_id, artist_uri, sum(qualified_seconds) AS seconds, count(*) AS plays
       FROM listens WHERE day = :day AND status IN ('counted', 'held') GROUP BY user_id, artist_uri`,
    { day },
    t,
  );
  const month = day.slice(0, 7);
  const rows: ReportRow[] = [];
  for (const s of sums) {
    rows.push({ pseudonym: await pseudonyms.pseudonym(s.user_id, month), artist: s.artist_uri, seconds: Number(s.seconds), plays: Number(s.plays) });
  }
  return rows.sort((a, b) => compareKeys(a.pseudonym, b.pseudonym) || compareKeys(a.artist, b.artist));
}

/**
 * Reports every finished, unreported day up to `upTo` (default and at most: yesterday in the
 * node's time zone), oldest first. The first day reported is the day of the first listen.
 * Returns the days reported by this call.
 */
export async function reportDueDays(ctx: NodeContext, pseudonyms: Pseudonyms, upTo?: string): Promise<string[]> {
  const done: string[] = [];
  for (;;) {
    const day = await ctx.db.transaction(async (t) => {
      await execute(ctx.db, 'SELECT pg_advisory_xact_lock(:lock)', { lock: REPORT_LOCK }, t);
      const next = await nextDay(ctx, upTo ?? null, t);
      if (!next.day || next.day > next.last) return null;
      await sweepDay(ctx, pseudonyms, next.day, t);
      const rows = await reportRows(ctx, pseudonyms, next.day, t);
      const report: DailyReport = { nodeId: ctx.services.ledger.nodeId, day: next.day, artistTotals: artistTotalsOf(rows), hash: reportRowsHash(rows) };
      await execute(
        ctx.db,
        `INSERT INTO daily_reports (day, node_id, rows, artist_totals, hash)
         VALUES (:day, :nodeId, :rows::jsonb, :totals::jsonb, :hash)`,
        { day: report.day, nodeId: report.nodeId, rows: JSON.stringify(rows), totals: JSON.stringify(report.artistTotals), hash: report.hash },
        t,
      );
      await ctx.services.ledger.enqueueSubmit(t, 'ReportContract:submit', [JSON.stringify(report)], { rows: JSON.stringify(rows) });
      return report.day;
    });
    if (!day) return done;
    done.push(day);
    ctx.logger.child({ component: 'listening' }).info({ day }, 'daily listening report recorded');
  }
}

/**
 * Re-reports a day that was already reported, when its reported listening changed (held
 * listening rejected by a dispute): a new version that names the current one. Runs in the
 * caller's transaction; returns the new version, or null when the day is not reported yet or
 * its rows did not change.
 */
export async function correctDay(ctx: NodeContext, pseudonyms: Pseudonyms, day: string, reason: string, t: Transaction): Promise<number | null> {
  await execute(ctx.db, 'SELECT pg_advisory_xact_lock(:lock)', { lock: REPORT_LOCK }, t);
  const current = await selectOne<{ node_id: string; hash: string; version: number }>(
    ctx.db,
    'SELECT node_id, hash, version FROM daily_reports WHERE day = :day FOR UPDATE',
    { day },
    t,
  );
  if (!current) return null;
  const rows = await reportRows(ctx, pseudonyms, day, t);
  const hash = reportRowsHash(rows);
  if (hash === current.hash) return null;
  const version = current.version + 1;
  const report: DailyReport = {
    nodeId: current.node_id,
    day,
    artistTotals: artistTotalsOf(rows),
    hash,
    correctionOf: `${current.node_id}#${day}#${current.version}`,
    reason: reason.slice(0, 4000),
  };
  await execute(
    ctx.db,
    `UPDATE daily_reports SET rows = :rows::jsonb, artist_totals = :totals::jsonb, hash = :hash, version = :version, reason = :reason, corrected_at = now()
      WHERE day = :day`,
    { day, rows: JSON.stringify(rows), totals: JSON.stringify(report.artistTotals), hash, version, reason: report.reason },
    t,
  );
  await ctx.services.ledger.enqueueSubmit(t, 'ReportContract:submit', [JSON.stringify(report)], { rows: JSON.stringify(rows) });
  ctx.logger.child({ component: 'listening' }).info({ day, version }, 'daily listening report corrected');
  return version;
}

export interface StoredReport extends DailyReport {
  rows: ReportRow[];
  version: number;
  createdAt: string;
}

export async function storedReports(ctx: NodeContext): Promise<StoredReport[]> {
  const rows = await select<{ day: string; node_id: string; rows: ReportRow[]; artist_totals: DailyReport['artistTotals']; hash: string; version: number; reason: string | null; created_at: Date }>(
    ctx.db,
    'SELECT day::text AS day, node_id, rows, artist_totals, hash, version, reason, created_at FROM daily_reports ORDER BY day',
  );
  return rows.map((r) => ({
    nodeId: r.node_id,
    day: r.day,
    rows: r.rows,
    artistTotals: r.artist_totals,
    hash: r.hash,
    version: r.version,
    ...(r.reason ? { reason: r.reason } : {}),
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
