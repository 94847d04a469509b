// What moderators do: act on a report (dismiss, hide the track, suspend or silence the account
// it belongs to, block the remote actor or its server, forward it as a Flag), or take or lift a
// measure directly. Every action is written to the moderation log with its note; the reporter
// is told when their report is closed, and the account concerned when a measure touches it.
// The measure itself belongs to the capability that owns the thing (media hides, accounts
// suspends, federation blocks and sends); it is taken first, then logged, so a refused measure
// (403, 404) leaves no entry.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import type { AccountStanding } from '../accounts/contract.js';
import type { NotificationKind } from '../events.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../http/errors.js';
import type * as api from '../../shared/api/index.js';
import { outcomeText, type Action, type Outcome, type ReportAction } from './model.js';
import type { LogRow, ModerationStore, ReportRow } from './store.js';

type Moderator = Pick<api.User, 'id' | 'username' | 'role'>;
type Entry = Pick<LogRow, 'target_kind' | 'target' | 'target_name'> & { details?: Record<string, unknown> };

/** What the account concerned is told of a measure on it. */
const toldOwner: Partial<Record<Action, (name: string) => { title: string; body: string }>> = {
  'hide-track': (name) => ({ title: `A moderator hid your track “${name}”`, body: 'Only you, admins and moderators can see it now. Ask the admins of this node if you think this is a mistake.' }),
  'unhide-track': (name) => ({ title: `Your track “${name}” is shown again`, body: 'A moderator lifted the measure: it is listed and played as before.' }),
  suspend: () => ({ title: 'Your account was suspended', body: 'You can no longer sign in to this node. Ask its admins if you think this is a mistake.' }),
  unsuspend: () => ({ title: 'Your account is no longer suspended', body: 'You can sign in again.' }),
  silence: () => ({ title: 'Your account was silenced', body: 'You can still sign in and listen, but not publish: no uploads, channels or live streams.' }),
  unsilence: () => ({ title: 'Your account can publish again', body: 'A moderator lifted the silence on your account.' }),
};

/** The reason as the other server's moderators read it: the category first unless it is 'other'. */
const flagContent = (r: ReportRow): string => (r.category === 'other' ? r.reason : `${r.category}: ${r.reason}`);

export class Measures {
  constructor(
    private readonly ctx: NodeContext,
    private readonly store: ModerationStore,
  ) {}

  /** Refuses a measure on one's own account, on an admin's, and on a moderator's unless by an admin. */
  private mayTouch(moderator: Moderator, account: api.User): void {
    if (account.id === moderator.id) throw forbidden('Not on your own account');
    if (account.role === 'admin') throw forbidden("An admin's account is not moderated: another admin changes its role first");
    if (account.role === 'moderator' && moderator.role !== 'admin') throw forbidden("Only an admin takes measures on a moderator's account");
  }

  /** Writes the entry in `t` and tells the account concerned (after commit). */
  private async logged(t: Transaction, moderator: Moderator, action: Action, note: string, reportId: string | null, entry: Entry, owner?: string | null): Promise<LogRow> {
    const row = await this.store.log({ ...entry, details: entry.details ?? {}, action, note, report_id: reportId, moderator_id: moderator.id, moderator_username: moderator.username }, t);
    const told = owner && toldOwner[action]?.(entry.target_name ?? '');
    if (told) this.notify(t, [owner], 'account', { ...told, url: entry.target_kind === 'track' ? `/tracks/${entry.target}` : undefined, key: `moderation:${row.id}` });
    return row;
  }

  private notify(t: Transaction, userIds: string[], kind: NotificationKind, n: { title: string; body: string; url?: string; key: string }): void {
    t.afterCommit(() => this.ctx.events.emit('user.notify', { userIds, kind, ...n }));
  }

  private async hide(trackId: string, hidden: boolean) {
    const track = await this.ctx.services.media.setTrackHidden(trackId, hidden);
    if (!track) throw notFound('Track');
    return track;
  }

  private async standing(moderator: Moderator, userId: string, standing: AccountStanding): Promise<api.User> {
    const account = await this.ctx.services.accounts.byId(userId);
    if (!account) throw notFound('Account');
    this.mayTouch(moderator, account);
    return this.ctx.services.accounts.setStanding(userId, standing);
  }

  /** Acts on a report; every action but forward closes it. */
  async onReport(moderator: Moderator, report: ReportRow, action: ReportAction, note: string): Promise<{ report: ReportRow; entry: LogRow }> {
    if (action === 'forward') return this.forward(moderator, report, note);
    if (report.state !== 'open') throw conflict('report_closed', 'This report is closed already');
    const local = report.target_host === null;
    const fits = (ok: boolean, why: string) => {
      if (!ok) throw badRequest('action_does_not_fit', why);
    };
    let entry: Entry;
    let owner: string | null = null;
    switch (action) {
      case 'dismiss':
        entry = { target_kind: report.target_kind, target: report.target_id ?? report.target_uri, target_name: report.target_name };
        break;
      case 'hide-track': {
        fits(local && report.target_kind === 'track' && !!report.target_id, 'Only a track of this node can be hidden');
        const track = await this.hide(report.target_id!, true);
        entry = { target_kind: 'track', target: track.id, target_name: track.title };
        owner = track.channel.ownerId;
        break;
      }
      case 'suspend':
      case 'silence': {
        fits(local && !!report.target_owner_id, 'Only an account of this node can be suspended or silenced (block a remote one)');
        const account = await this.standing(moderator, report.target_owner_id!, action === 'suspend' ? { suspended: true } : { silenced: true });
        entry = { target_kind: 'account', target: account.id, target_name: account.username };
        owner = account.id;
        break;
      }
      case 'block-actor':
      case 'block-domain': {
        fits(!local && !!report.target_actor_uri && !!report.target_host, 'Only another server, or an actor of one, can be blocked');
        const [kind, value] = action === 'block-actor' ? (['actor', report.target_actor_uri!] as const) : (['domain', report.target_host!] as const);
        await this.ctx.services.federation.block(kind, value, `Report ${report.id}: ${note}`.slice(0, 500));
        entry = { target_kind: kind, target: value, target_name: action === 'block-actor' ? report.target_name : report.target_host };
        break;
      }
    }
    return this.ctx.db.transaction(async (t) => {
      const row = await this.logged(t, moderator, action, note, report.id, entry, owner);
      const closed = await this.store.close(report.id, action, moderator.id, t);
      if (closed?.reporter_id) this.tellReporter(t, closed, action);
      return { report: closed ?? (await this.store.byId(report.id))!, entry: row };
    });
  }

  private tellReporter(t: Transaction, report: ReportRow, outcome: Outcome): void {
    this.notify(t, [report.reporter_id!], 'report', {
      title: `Your report about ${report.target_name ? `“${report.target_name}”` : `a ${report.target_kind}`} was reviewed`,
      body: outcomeText[outcome],
      url: '/me/reports',
      key: `report:${report.id}:closed`,
    });
  }

  /** Sends the report on to the remote server as a Flag from this node (once); the report stays as it is. */
  private async forward(moderator: Moderator, report: ReportRow, note: string): Promise<{ report: ReportRow; entry: LogRow }> {
    if (report.target_host === null || !report.target_actor_uri) throw badRequest('action_does_not_fit', 'Only a report about another server\'s content can be forwarded to it');
    if (!(await this.store.claimForward(report.id))) throw conflict('already_forwarded', 'This report was forwarded already');
    let sent: { uri: string; inboxes: number };
    try {
      sent = await this.ctx.services.federation.sendFlag({ targetActorUri: report.target_actor_uri, objectUris: [report.target_uri], content: flagContent(report) });
      if (sent.inboxes === 0) throw new AppError(502, 'not_delivered', `No inbox of ${report.target_host} could be reached for ${report.target_actor_uri}`);
    } catch (err) {
      await this.store.unclaimForward(report.id);
      throw err;
    }
    return this.ctx.db.transaction(async (t) => {
      const entry = await this.logged(t, moderator, 'forward', note, report.id, {
        target_kind: report.target_kind, target: report.target_uri, target_name: report.target_name, details: { flag: sent.uri, inboxes: sent.inboxes, to: report.target_actor_uri },
      });
      return { report: await this.store.forwarded(report.id, sent.uri, t), entry };
    });
  }

  /** Hides a local track or shows it again. */
  async setTrackHidden(moderator: Moderator, trackId: string, hidden: boolean, note: string, reportId: string | null): Promise<{ track: { id: string; title: string }; entry: LogRow }> {
    const track = await this.hide(trackId, hidden);
    const entry = await this.ctx.db.transaction((t) =>
      this.logged(t, moderator, hidden ? 'hide-track' : 'unhide-track', note, reportId, { target_kind: 'track', target: track.id, target_name: track.title }, track.channel.ownerId),
    );
    return { track, entry };
  }

  /** Suspends or silences a local account, or lifts that: one entry per change asked. */
  async setStanding(moderator: Moderator, userId: string, standing: AccountStanding, note: string, reportId: string | null): Promise<{ account: api.User; entries: LogRow[] }> {
    const account = await this.standing(moderator, userId, standing);
    const changes: Action[] = [];
    if (standing.suspended !== undefined) changes.push(standing.suspended ? 'suspend' : 'unsuspend');
    if (standing.silenced !== undefined) changes.push(standing.silenced ? 'silence' : 'unsilence');
    const entries = await this.ctx.db.transaction(async (t) => {
      const rows: LogRow[] = [];
      for (const action of changes) rows.push(await this.logged(t, moderator, action, note, reportId, { target_kind: 'account', target: account.id, target_name: account.username }, account.id));
      return rows;
    });
    return { account, entries };
  }
}
