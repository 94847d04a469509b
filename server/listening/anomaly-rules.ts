// Anomaly rules, checked when a listen qualifies (a counted listen that grows is checked against
// its own session's wall clock on each report, and against the day's at the end-of-day sweep).
// A rule that fires holds the listen
// (never paid silently, never dropped silently) and records its evidence. Evidence is
// pseudonymous: account ids and IP addresses appear only as keyed hashes.
import type { Sequelize, Transaction } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import type { ListeningConfig } from './config.js';
import type { Pseudonyms } from './pseudonyms.js';
import { union, measure, type Interval } from './intervals.js';

export const ruleNames = ['plays_per_track_per_day', 'listening_exceeds_wall_clock', 'accounts_per_address', 'accounts_per_device', 'short_play_burst'] as const;
export type RuleName = (typeof ruleNames)[number];

export interface RuleInput {
  db: Sequelize;
  t: Transaction;
  rules: ListeningConfig['rules'];
  timeZone: string;
  pseudonyms: Pseudonyms;
  /** The month (YYYY-MM) whose pseudonyms the evidence uses. */
  month: string;
  /** The qualifying day (YYYY-MM-DD, node time zone). */
  day: string;
  userId: string;
  trackId: string;
  sessionId: string;
  /** When the session started and its verified listening now (the row the caller holds). */
  sessionStartedAt: Date | string;
  coveredSeconds: number;
  ip: string | null;
  userAgent: string | null;
}

export interface RuleFinding {
  rule: RuleName;
  evidence: Record<string, unknown>;
}

type Rule = (i: RuleInput) => Promise<RuleFinding | null>;

const iso = (d: Date | string) => new Date(d).toISOString();

const playsPerTrackPerDay: Rule = async (i) => {
  const earlier = await select<{ qualified_at: Date }>(
    i.db,
    'SELECT qualified_at FROM listens WHERE user_id = :userId AND track_id = :trackId AND day = :day ORDER BY qualified_at',
    { userId: i.userId, trackId: i.trackId, day: i.day },
    i.t,
  );
  const plays = earlier.length + 1;
  if (plays <= i.rules.maxPlaysPerTrackPerDay) return null;
  return {
    rule: 'plays_per_track_per_day',
    evidence: { trackId: i.trackId, day: i.day, playsThatDay: plays, limit: i.rules.maxPlaysPerTrackPerDay, earlierQualifiedAt: earlier.slice(-50).map((r) => iso(r.qualified_at)) },
  };
};

/**
 * Whether one session's verified listening ran ahead of the time since it started: plain
 * arithmetic on the session row the caller holds, cheap enough for every progress report.
 */
export function sessionOutrunsClock(startedAt: Date | string, coveredSeconds: number, toleranceSeconds: number, now = Date.now()): { sessionCoveredSeconds: number; sessionWallClockSeconds: number } | null {
  const wallClock = Math.max(0, (now - new Date(startedAt).getTime()) / 1000);
  if (coveredSeconds <= wallClock + toleranceSeconds) return null;
  return { sessionCoveredSeconds: round(coveredSeconds), sessionWallClockSeconds: round(wallClock) };
}

/**
 * The listener's sessions active on the day: their verified listening against the wall-clock
 * time they span together (overlapping sessions count once). Read when a listen qualifies and
 * by the end-of-day sweep (day-sweep.ts), not on every progress report.
 */
export async function dayWallClock(db: Sequelize, t: Transaction, userId: string, day: string, timeZone: string) {
  const sessions = await select<{ id: string; track_id: string; started_at: Date; last_at: Date; covered_seconds: number }>(
    db,
    `SELECT id, track_id, started_at, coalesce(last_progress_at, started_at) AS last_at, covered_seconds
       FROM listening_sessions
      WHERE user_id = :userId AND covered_seconds > 0
        AND started_at < (:day::date + 2)::timestamp AT TIME ZONE 'UTC' -- index-friendly upper bound
        AND timezone(:tz, started_at)::date <= :day
        AND timezone(:tz, coalesce(last_progress_at, started_at))::date >= :day
      ORDER BY started_at`,
    { userId, tz: timeZone, day },
    t,
  );
  const listening = sessions.reduce((s, r) => s + Number(r.covered_seconds), 0);
  const wallClock = measure(union(sessions.map((r): Interval => [new Date(r.started_at).getTime() / 1000, new Date(r.last_at).getTime() / 1000])));
  return {
    listening,
    wallClock,
    evidence: {
      day,
      listeningSeconds: round(listening),
      wallClockSeconds: round(wallClock),
      sessions: sessions.slice(-50).map((r) => ({ sessionId: r.id, trackId: r.track_id, startedAt: iso(r.started_at), lastActivityAt: iso(r.last_at), coveredSeconds: round(Number(r.covered_seconds)) })),
    },
  };
}

const listeningExceedsWallClock: Rule = async (i) => {
  // The session itself first: its verified listening cannot run ahead of the time since it
  // started, whatever other sessions of the day span (a long idle session would otherwise lend
  // its wall-clock time to a burst in another one).
  const own = sessionOutrunsClock(i.sessionStartedAt, i.coveredSeconds, i.rules.wallClockToleranceSeconds);
  const day = await dayWallClock(i.db, i.t, i.userId, i.day, i.timeZone);
  if (day.listening <= day.wallClock + i.rules.wallClockToleranceSeconds && !own) return null;
  return {
    rule: 'listening_exceeds_wall_clock',
    evidence: { ...day.evidence, ...own, toleranceSeconds: i.rules.wallClockToleranceSeconds },
  };
};

async function accountsFrom(i: RuleInput, withUserAgent: boolean): Promise<string[]> {
  const rows = await select<{ user_id: string }>(
    i.db,
    `SELECT DISTINCT user_id FROM listening_sessions
      WHERE ip = :ip ${withUserAgent ? 'AND user_agent IS NOT DISTINCT FROM :ua' : ''}
        AND started_at >= (:day::date - 2)::timestamp AT TIME ZONE 'UTC' -- index-friendly lower bound
        AND timezone(:tz, started_at)::date = :day`,
    { ip: i.ip, ua: i.userAgent, tz: i.timeZone, day: i.day },
    i.t,
  );
  return rows.map((r) => r.user_id);
}

async function accountsRule(i: RuleInput, device: boolean): Promise<RuleFinding | null> {
  if (!i.ip) return null;
  const limit = device ? i.rules.maxAccountsPerDevice : i.rules.maxAccountsPerAddress;
  const accounts = await accountsFrom(i, device);
  if (accounts.length <= limit) return null;
  const pseudonyms = await Promise.all(accounts.slice(0, 100).map((u) => i.pseudonyms.pseudonym(u, i.month)));
  return {
    rule: device ? 'accounts_per_device' : 'accounts_per_address',
    evidence: {
      day: i.day,
      addressHash: await i.pseudonyms.hashOf('ip', i.ip, i.month),
      ...(device ? { userAgent: i.userAgent?.slice(0, 200) ?? null } : {}),
      distinctAccounts: accounts.length,
      limit,
      accounts: pseudonyms.sort(),
    },
  };
}

const shortPlayBurst: Rule = async (i) => {
  const short = await select<{ id: string; track_id: string; started_at: Date; covered_seconds: number }>(
    i.db,
    `SELECT id, track_id, started_at, covered_seconds FROM listening_sessions
      WHERE user_id = :userId AND id <> :sessionId
        AND started_at >= now() - make_interval(secs => :window)
        AND covered_seconds > 0 AND covered_seconds < :short
      ORDER BY started_at`,
    { userId: i.userId, sessionId: i.sessionId, window: i.rules.burstWindowSeconds, short: i.rules.shortPlaySeconds },
    i.t,
  );
  if (short.length < i.rules.burstMaxShortPlays) return null;
  return {
    rule: 'short_play_burst',
    evidence: {
      windowSeconds: i.rules.burstWindowSeconds,
      shortPlaySeconds: i.rules.shortPlaySeconds,
      shortPlaysInWindow: short.length,
      limit: i.rules.burstMaxShortPlays,
      plays: short.slice(-50).map((r) => ({ sessionId: r.id, trackId: r.track_id, startedAt: iso(r.started_at), coveredSeconds: round(Number(r.covered_seconds)) })),
    },
  };
};

const rules: Rule[] = [playsPerTrackPerDay, listeningExceedsWallClock, (i) => accountsRule(i, false), (i) => accountsRule(i, true), shortPlayBurst];

/** Every rule that fires for a listen about to qualify. */
export async function checkListen(i: RuleInput): Promise<RuleFinding[]> {
  const out: RuleFinding[] = [];
  for (const rule of rules) {
    const finding = await rule(i);
    if (finding) out.push(finding);
  }
  return out;
}

/** What the node served to a session, for a flag's evidence. */
export async function servedEvidence(db: Sequelize, sessionId: string, t?: Transaction) {
  const row = await selectOne<{ served: string; distinct_segments: string; bytes: string | null; first_at: Date | null; last_at: Date | null; renditions: string[] | null }>(
    db,
    `SELECT count(*) AS served, count(DISTINCT start_seconds) AS distinct_segments, sum(bytes) AS bytes,
            min(served_at) AS first_at, max(served_at) AS last_at, array_agg(DISTINCT rendition) AS renditions
       FROM segment_serves WHERE session_id = :sessionId`,
    { sessionId },
    t,
  );
  return {
    segmentsServed: Number(row?.served ?? 0),
    distinctSegments: Number(row?.distinct_segments ?? 0),
    bytesServed: Number(row?.bytes ?? 0),
    firstServedAt: row?.first_at ? iso(row.first_at) : null,
    lastServedAt: row?.last_at ? iso(row.last_at) : null,
    renditions: (row?.renditions ?? []).filter((r) => r !== null),
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
