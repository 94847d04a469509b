// Reports and the moderation queue: users report what they see (here or on another server),
// other servers' Flags become reports (federation's report port), moderators read the queue and
// act (measures.ts), and everything they do is in the log.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import type { AccountStanding } from '../accounts/contract.js';
import type { IncomingReport } from '../federation/contract.js';
import type { Logger } from '../logger.js';
import { AppError, badRequest, notFound, RetryLaterError } from '../http/errors.js';
import { isUuid } from '../../shared/ids.js';
import * as uris from '../../shared/actor-uris.js';
import { tombstoneName } from '../accounts/lifecycle/deletion.js';
import type * as api from '../../shared/api/index.js';
import type { ModerationApi } from './contract.js';
import type { Category, ReportAction } from './model.js';
import { ModerationStore, type QueueState, type ReportRow, type TargetInput } from './store.js';
import { Targets, type TargetRef } from './targets.js';
import { Measures } from './measures.js';
import { accountsNamed, logView, myReportView, reportView, standingView } from './views.js';

/** New reports one user may make in an hour (the same open report again does not count; every lookup of another server's object does). */
export const REPORTS_PER_HOUR = 10;
/** New reports the actors of one other server may make in an hour (their Flags beyond are ignored). */
export const FLAGS_PER_HOST_PER_HOUR = 30;
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
  /** New reports per other server and hour (tests lower it). */
  flagsPerHostPerHour = FLAGS_PER_HOST_PER_HOUR;

  constructor(private readonly ctx: NodeContext) {
    this.store = new ModerationStore(ctx.db);
    this.targets = new Targets(ctx);
    this.measures = new Measures(ctx, this.store);
    this.log = ctx.logger.child({ component: 'moderation' });
  }

  // --- reporting ---

  /**
   * A user's report; the same user's open report on the same object is returned again
   * (`created` false). The hourly limit is checked before this node fetches anything for the
   * user: an object of another server is looked up only within it, and each lookup counts.
   */
  async report(user: api.User, input: NewReport): Promise<{ report: api.MyReport; created: boolean }> {
    const open = (uri: string) => this.store.openReportOf({ id: user.id }, uri);
    const again = 'uri' in input.target ? await open(input.target.uri) : undefined;
    if (again) return { report: myReportView(again), created: false };
    const remoteUri = 'uri' in input.target && !this.targets.isLocalUri(input.target.uri) ? input.target.uri : undefined;
    if (remoteUri) {
      await this.store.serialized(`moderation-reports:${user.id}`, async (t) => {
        await this.withinLimit(user.id, t);
        await this.store.lookedUp(user.id, remoteUri, t);
      });
    }
    const target = await this.targets.resolve(input.target, user);
    if (target.ownerId === user.id) throw badRequest('own_content', 'You cannot report your own account or what you published');
    const known = await open(target.uri);
    if (known) return { report: myReportView(known), created: false };
    const { row, created } = await this.store.serialized(`moderation-reports:${user.id}`, async (t) => {
      // A remote object's lookup was counted already.
      if (!remoteUri) await this.withinLimit(user.id, t);
      return this.store.insertByUser(user.id, target, input.category, input.reason, t);
    });
    if (created) {
      this.log.info({ reportId: row.id, kind: target.kind, target: target.uri }, 'report made');
      await this.tellModerators(row, target, input.category);
    }
    return { report: myReportView(row), created };
  }

  /** 429 when the user reached their hourly limit. */
  private async withinLimit(userId: string, t: Transaction): Promise<void> {
    const recent = await this.store.recentBy(userId, 3600, t);
    if (recent.count < this.reportsPerHour) return;
    const wait = recent.oldest ? Math.max(1, Math.ceil((new Date(recent.oldest).getTime() + 3600_000 - Date.now()) / 1000)) : 3600;
    throw new RetryLaterError(429, 'too_many_reports', `You made ${recent.count} reports or lookups of other servers' objects in the last hour; try again in ${wait} s`, wait);
  }

  async mine(userId: string, limit: number, offset: number): Promise<api.MyReportPage> {
    const { total, rows } = await this.store.byReporter(userId, limit, offset);
    return { total, data: rows.map(myReportView) };
  }

  /**
   * Federation's report port: a Flag about objects of this node; one report per Flag id, and
   * one open report per remote actor and object (a repeat answers `created` false). Another
   * server's actors make at most `flagsPerHostPerHour` reports an hour: beyond, 429 (the Flag
   * is ignored).
   */
  async receiveReport(report: IncomingReport): Promise<{ created: boolean }> {
    const found = await this.targets.ofFlag(report.objectUris);
    if (!found) throw new AppError(404, 'not_found', 'The Flag names nothing that exists on this node');
    const row = await this.ctx.db.transaction(async (t) => {
      const row = await this.store.insertFromFlag(report.activityId, report.actorUri, found.target, found.related, report.content.slice(0, MAX_FLAG_REASON), t);
      // Counted with this report in (the server as the table has it: one expression for both).
      if (row && (await this.store.fromHostWithin(row.reporter_host, 3600, t)) > this.flagsPerHostPerHour) {
        throw new AppError(429, 'too_many_reports', `${row.reporter_host} sent more than ${this.flagsPerHostPerHour} reports in the last hour`);
      }
      return row;
    });
    if (row) {
      this.log.info({ reportId: row.id, from: report.actorUri, target: found.target.uri }, 'report received from another server');
      await this.tellModerators(row, found.target, null, row.reporter_host ?? report.actorUri);
    }
    return { created: !!row };
  }

  /** The node's moderators and admins (who work the queue), enabled or not. */
  private async staff(): Promise<api.User[]> {
    const accounts = this.ctx.services.accounts;
    const all: api.User[] = [];
    for (const role of ['moderator', 'admin'] as const) {
      for (let offset = 0; ; offset += 200) {
        const page = await accounts.list({ role, limit: 200, offset });
        all.push(...page.data);
        if (page.data.length < 200) break;
      }
    }
    return all;
  }

  /**
   * Moderators and admins hear of a newly reported object in their bell (and by mail, unless
   * they turned it off): once while the object has open reports, however many come. A report
   * about what a moderator or an admin owns goes to the admins only, never to its owner.
   */
  private async tellModerators(row: ReportRow, target: TargetInput, category: string | null, fromHost?: string): Promise<void> {
    try {
      const first = await this.store.firstOpenAbout(row.target_uri);
      if (first && first.id !== row.id) return;
      const staff = await this.staff();
      const owner = target.ownerId ? staff.find((u) => u.id === target.ownerId) : undefined;
      const userIds = staff.filter((u) => !u.disabled && u.id !== target.ownerId && (!owner || u.role === 'admin')).map((u) => u.id);
      if (!userIds.length) return;
      const about = category ? `${target.kind} (${category})` : target.kind;
      this.ctx.events.emit('user.notify', {
        userIds,
        kind: 'report',
        title: fromHost ? `A report from ${fromHost} about a ${about}` : `A new report about a ${about}`,
        body: 'It waits in the moderation queue.',
        url: `/admin/moderation?report=${row.id}`,
        key: `report-new:${row.id}`,
      });
    } catch (err) {
      // The report is stored whatever happens to the notice.
      this.log.warn({ err, reportId: row.id }, 'moderators could not be told of a new report');
    }
  }

  /**
   * The accounts whose reports a viewer does not see: for a moderator, every moderator's and
   * admin's (themselves included); an admin sees all.
   */
  private async hiddenOwnersFor(viewer: Moderator): Promise<string[]> {
    if (viewer.role === 'admin') return [];
    return [...new Set([viewer.id, ...(await this.staff()).map((u) => u.id)])];
  }

  // --- the queue ---

  async queue(viewer: Moderator, state: QueueState, limit: number, offset: number): Promise<api.ModerationReportPage> {
    const { total, rows } = await this.store.list(state, limit, offset, await this.hiddenOwnersFor(viewer));
    const usernames = await this.ctx.services.accounts.usernames(accountsNamed(rows));
    return { total, data: rows.map((r) => reportView(r, usernames)) };
  }

  private async reportRow(id: string) {
    const row = isUuid(id) ? await this.store.byId(id) : undefined;
    if (!row) throw notFound('Report');
    return row;
  }

  async detail(viewer: Moderator, id: string): Promise<api.ModerationReportDetail> {
    const row = await this.visibleReport(viewer, id);
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

  /** Accounts' hook: a deleted account is named by its tombstone in reports and the log (see `store.forgetAccount`). */
  async forgetAccount(user: Pick<api.User, 'id' | 'username'>): Promise<void> {
    const { publicUrl } = this.ctx.config;
    const name = tombstoneName(user.id);
    await this.store.forgetAccount(user.id, uris.userActorUri(publicUrl, user.username), name, uris.userActorUri(publicUrl, name));
  }

  /**
   * The log as `viewer` may read it: a moderator sees no entry about staff or about themselves
   * (nor, by its id, a report hidden from their queue: 404), as in their queue.
   */
  async logPage(viewer: Moderator, q: { reportId?: string; target?: string; limit: number; offset: number }): Promise<api.ModerationLogPage> {
    const hiddenOwners = await this.hiddenOwnersFor(viewer);
    if (q.reportId) await this.visibleReport(viewer, q.reportId, hiddenOwners);
    const { total, rows } = await this.store.logEntries({ ...q, hiddenOwners });
    return { total, data: rows.map(logView) };
  }

  /** The report, unless it is about what `viewer` may not see (404, as if it were not there). */
  private async visibleReport(viewer: Moderator, id: string, hidden?: string[]): Promise<ReportRow> {
    const row = await this.reportRow(id);
    if (row.target_owner_id && (hidden ?? (await this.hiddenOwnersFor(viewer))).includes(row.target_owner_id)) throw notFound('Report');
    return row;
  }
}
