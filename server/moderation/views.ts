// Moderation's rows as the API shows them: a report to its reporter, a report and a log entry
// to moderators, a local account's standing.
import type * as api from '../../shared/api/index.js';
import type { LogRow, ReportRow } from './store.js';

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export function myReportView(r: ReportRow): api.MyReport {
  return {
    id: r.id,
    target: { kind: r.target_kind, uri: r.target_uri, id: r.target_id, name: r.target_name, host: r.target_host, actorUri: r.target_actor_uri },
    category: r.category,
    reason: r.reason,
    state: r.state,
    outcome: r.outcome,
    forwarded: !!r.forwarded_flag_uri,
    createdAt: iso(r.created_at)!,
    resolvedAt: iso(r.resolved_at),
  };
}

/** `usernames`: of the reporters and moderators named (accounts' usernames by id). */
export function reportView(r: ReportRow, usernames: Map<string, string>): api.ModerationReport {
  return {
    ...myReportView(r),
    reporter: r.reporter_id
      ? { kind: 'local', id: r.reporter_id, username: usernames.get(r.reporter_id) ?? null, actorUri: null }
      : { kind: 'remote', id: null, username: null, actorUri: r.reporter_actor_uri },
    relatedUris: r.related_uris,
    resolvedBy: r.resolved_by ? { id: r.resolved_by, username: usernames.get(r.resolved_by) ?? '' } : null,
    forwardedAt: iso(r.forwarded_at),
    forwardedFlagUri: r.forwarded_flag_uri,
  };
}

/** The accounts a report names (reporter, moderator who closed it), for one lookup of their usernames. */
export const accountsNamed = (rows: ReportRow[]): string[] => [...new Set(rows.flatMap((r) => [r.reporter_id, r.resolved_by]).filter((id): id is string => !!id))];

export function logView(e: LogRow): api.ModerationLogEntry {
  return {
    id: e.id,
    createdAt: iso(e.created_at)!,
    moderator: { id: e.moderator_id, username: e.moderator_username },
    action: e.action,
    reportId: e.report_id,
    target: { kind: e.target_kind, ref: e.target, name: e.target_name },
    note: e.note,
    details: e.details,
    state: e.state,
  };
}

/** Suspended is a disabled account; silenced comes with accounts' standing (migration 0006). */
export function standingView(user: api.User): api.AccountStanding {
  const silenced = 'silenced' in user && user.silenced === true;
  return { id: user.id, username: user.username, role: user.role, suspended: user.disabled, silenced };
}
