// Reports and the moderation queue: users report what they see (here or on another server),
// other servers' Flags become reports (federation's report port), moderators read the queue and
// act (measures.ts), and everything they do is in the log.
import type { NodeContext } from '../context.js';
import type { AccountStanding } from '../accounts/contract.js';
import type { IncomingReport } from '../federation/contract.js';
import type { Logger } from '../logger.js';
import { AppError, badRequest, notFound, RetryLaterError } from '../http/errors.js';
import { isUuid } from '../../shared/ids.js';
import type * as api from '../../shared/api/index.js';
import type { ModerationApi } from './contract.js';
import type { Category, ReportAction } from './model.js';
import { ModerationStore, type QueueState } from './store.js';
import { Targets, type TargetRef } from './targets.js';
import { Measures } from './measures.js';
import { accountsNamed, logView, myReportView, reportView, standingView } from './views.js';

/** New reports one user may make in an hour (the same open report again does not count). */
export const REPORTS_PER_HOUR = 10;
/** The longest reason kept from another server's Flag. */
const MAX_FLAG_REASON = 3000;

export interface NewReport {
  target: TargetRef;
  category: Category;
  reason: string;
}

type Moderator = api.User;

export class ModerationService implements ModerationApi {
  readonly store: ModerationStore;
  readonly targets: Targets;
  readonly measures: Measures;
  private readonly log: Logger;
  /** New reports per user and hour (tests lower it). */
  reportsPerHour = REPORTS_PER_HOUR;

  constructor(private readonly ctx: NodeContext) {
    this.store = new ModerationStore(ctx.db);
    this.targets = new Targets(ctx);
    this.measures = new Measures(ctx, this.store);
    this.log = ctx.logger.child({ component: 'moderation' });
  }

  // --- reporting ---

  /** A user's report; the same user's open report on the same object is returned again (`created` false). */
  async report(user: api.User, input: NewReport): Promise<{ report: api.MyReport; created: boolean }> {
    const target = await this.targets.resolve(input.target, user);
    if (target.ownerId === user.id) throw badRequest('own_content', 'You cannot report your own account or what you published');
    const open = await this.store.openReportOf(user.id, target.uri);
    if (open) return { report: myReportView(open), created: false };
    const recent = await this.store.recentBy(user.id, 3600);
    if (recent.count >= this.reportsPerHour) {
      const wait = Math.max(1, Math.ceil((new Date(recent.oldest!).getTime() + 3600_000 - Date.now()) / 1000));
      throw new RetryLaterError(429, 'too_many_reports', `You made ${recent.count} reports in the last hour; try again in ${wait} s`, wait);
    }
    const { row, created } = await this.store.insertByUser(user.id, target, input.category, input.reason);
    if (created) {
      this.log.info({ reportId: row.id, kind: target.kind, target: target.uri }, 'report made');
      await this.tellModerators(row.id, target.kind, input.category);
    }
    return { report: myReportView(row), created };
  }

  async mine(userId: string, limit: number, offset: number): Promise<api.MyReportPage> {
    const { total, rows } = await this.store.byReporter(userId, limit, offset);
    return { total, data: rows.map(myReportView) };
  }

  /** Federation's report port: a Flag about objects of this node; one report per Flag id. */
  async receiveReport(report: IncomingReport): Promise<{ created: boolean }> {
    const found = await this.targets.ofFlag(report.objectUris);
    if (!found) throw new AppError(404, 'not_found', 'The Flag names nothing that exists on this node');
    const row = await this.store.insertFromFlag(report.activityId, report.actorUri, found.target, found.related, report.content.slice(0, MAX_FLAG_REASON));
    if (row) {
      this.log.info({ reportId: row.id, from: report.actorUri, target: found.target.uri }, 'report received from another server');
      await this.tellModerators(row.id, found.target.kind, null, new URL(report.actorUri).host);
    }
    return { created: !!row };
  }

  /** Moderators and admins hear of a new report in their bell (and by mail, unless they turned it off). */
  private async tellModerators(reportId: string, kind: string, category: string | null, fromHost?: string): Promise<void> {
    try {
      const accounts = this.ctx.services.accounts;
      const staff = (await Promise.all((['moderator', 'admin'] as const).map((role) => accounts.list({ role, limit: 200 })))).flatMap((p) => p.data);
      const userIds = staff.filter((u) => !u.disabled).map((u) => u.id);
      if (!userIds.length) return;
      const about = category ? `${kind} (${category})` : kind;
      this.ctx.events.emit('user.notify', {
        userIds,
        kind: 'report',
        title: fromHost ? `A report from ${fromHost} about a ${about}` : `A new report about a ${about}`,
        body: 'It waits in the moderation queue.',
        url: `/admin/moderation?report=${reportId}`,
        key: `report-new:${reportId}`,
      });
    } catch (err) {
      // The report is stored whatever happens to the notice.
      this.log.warn({ err, reportId }, 'moderators could not be told of a new report');
    }
  }

  // --- the queue ---

  async queue(state: QueueState, limit: number, offset: number): Promise<api.ModerationReportPage> {
    const { total, rows } = await this.store.list(state, limit, offset);
    const usernames = await this.ctx.services.accounts.usernames(accountsNamed(rows));
    return { total, data: rows.map((r) => reportView(r, usernames)) };
  }

  private async reportRow(id: string) {
    const row = isUuid(id) ? await this.store.byId(id) : undefined;
    if (!row) throw notFound('Report');
    return row;
  }

  async detail(id: string): Promise<api.ModerationReportDetail> {
    const row = await this.reportRow(id);
    const [usernames, status, log] = await Promise.all([
      this.ctx.services.accounts.usernames(accountsNamed([row])),
      this.targetStatus(row.target_kind, row.target_id, row.target_owner_id),
      this.store.logEntries({ reportId: row.id, limit: 200, offset: 0, oldestFirst: true }),
    ]);
    return { ...reportView(row, usernames), targetStatus: status, log: log.rows.map(logView) };
  }

  /** How a local target is now (a remote one: as far as this node can tell, it exists). */
  private async targetStatus(kind: string, id: string | null, ownerId: string | null): Promise<api.ModerationReportDetail['targetStatus']> {
    const { media, accounts } = this.ctx.services;
    if (!id) return { exists: true, hidden: null, owner: null };
    const owner = ownerId ? await accounts.byId(ownerId) : undefined;
    const track = kind === 'track' ? await media.getTrack(id) : undefined;
    const exists = kind === 'track' ? !!track : kind === 'account' ? !!owner : kind === 'channel' ? !!(await media.getChannel(id)) : !!(await media.getPlaylist(id));
    return { exists, hidden: track ? 'hidden' in track && track.hidden === true : null, owner: owner ? standingView(owner) : null };
  }

  async act(moderator: Moderator, reportId: string, action: ReportAction, note: string): Promise<api.ModerationActionResult> {
    const { report, entry } = await this.measures.onReport(moderator, await this.reportRow(reportId), action, note);
    const usernames = await this.ctx.services.accounts.usernames(accountsNamed([report]));
    return { report: reportView(report, usernames), entry: logView(entry) };
  }

  /** The report a direct measure names must exist (it is logged with it). */
  private async reportIdOf(reportId: string | undefined): Promise<string | null> {
    return reportId ? (await this.reportRow(reportId)).id : null;
  }

  async setTrackHidden(moderator: Moderator, trackId: string, hidden: boolean, note: string, reportId?: string): Promise<api.TrackHiddenResult> {
    const report = await this.reportIdOf(reportId);
    if (!isUuid(trackId)) throw notFound('Track');
    const { track, entry } = await this.measures.setTrackHidden(moderator, trackId, hidden, note, report);
    return { trackId: track.id, title: track.title, hidden, entry: logView(entry) };
  }

  async setStanding(moderator: Moderator, userId: string, standing: AccountStanding, note: string, reportId?: string): Promise<api.AccountStandingResult> {
    const report = await this.reportIdOf(reportId);
    if (!isUuid(userId)) throw notFound('Account');
    const { account, entries } = await this.measures.setStanding(moderator, userId, standing, note, report);
    return { account: standingView(account), entries: entries.map(logView) };
  }

  async logPage(q: { reportId?: string; target?: string; limit: number; offset: number }): Promise<api.ModerationLogPage> {
    const { total, rows } = await this.store.logEntries(q);
    return { total, data: rows.map(logView) };
  }
}
