// What moderators do: act on a report (dismiss, hide the track, suspend or silence the account
// it belongs to, block the remote actor or its server, forward it as a Flag), or take or lift a
// measure directly. Every action is written to the moderation log with its note; the reporter
// is told when their report is closed, and the account concerned when a measure changes
// something for it.
// The measure itself belongs to the capability that owns the thing (media hides, accounts
// suspends, federation blocks and sends). Who may act and whether the action fits are checked
// first (a refusal leaves no entry); then the report is claimed and the entry written as
// pending in one transaction, the measure taken, and the entry marked done or failed (see
// `journal`): one moderator's action wins a report, and no measure is taken without a trace.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import type { AccountStanding } from '../accounts/contract.js';
import type { NotificationKind } from '../events.js';
import type { Logger } from '../logger.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../http/errors.js';
import type * as api from '../../shared/api/index.js';
import { outcomeText, type Action, type Outcome, type ReportAction } from './model.js';
import type { LogRow, ModerationStore, ReportRow } from './store.js';
import { standingView } from './views.js';

type Moderator = Pick<api.User, 'id' | 'username' | 'role'>;
type Entry = Pick<LogRow, 'target_kind' | 'target' | 'target_name' | 'target_owner_id'> & { details?: Record<string, unknown> };
type Track = NonNullable<Awaited<ReturnType<NodeContext['services']['media']['getTrack']>>>;

/** What a measure did: whether it changed anything (hiding a hidden track does not), and what its entry adds. */
interface Done {
  changed: boolean;
  details?: Record<string, unknown>;
}

/** The steps of one journalled action (see `journal`). */
interface Steps<R> {
  /** In the transaction that writes the pending entries (claims the report; throws to refuse). */
  claim?: (t: Transaction) => Promise<void>;
  measure: () => Promise<Done>;
  /** In the transaction that marks the entries failed (gives the claim back). */
  undo?: (t: Transaction) => Promise<void>;
  /** In the transaction that marks the entries done. */
  done: (t: Transaction, rows: LogRow[], changed: boolean) => Promise<R>;
}

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

const isStaff = (user: Pick<api.User, 'role'>): boolean => user.role === 'admin' || user.role === 'moderator';

/**
 * Refuses an action about what `owner` owns (their account, their track, a report about
 * either) when it is the moderator's own, or a moderator's or an admin's unless the moderator
 * is an admin; `onAccount`: a measure on the account itself, which nobody takes on an admin's.
 */
export function mayTouch(moderator: Moderator, owner: Pick<api.User, 'id' | 'role'>, onAccount: boolean): void {
  if (owner.id === moderator.id) throw forbidden('Not on your own account, nor on what you own or a report about it');
  if (onAccount && owner.role === 'admin') throw forbidden("An admin's account is not moderated: another admin changes its role first");
  if (isStaff(owner) && moderator.role !== 'admin') throw forbidden("Only an admin acts on a moderator's or an admin's account, on what they own, or on a report about either");
}

export class Measures {
  private readonly log: Logger;

  constructor(
    private readonly ctx: NodeContext,
    private readonly store: ModerationStore,
  ) {
    this.log = ctx.logger.child({ component: 'moderation' });
  }

  /**
   * Writes the entries as pending (with `claim`, in one transaction), takes the measure, then
   * marks them done (with `done`) or failed (with `undo`). The entries cannot be written: no
   * measure. The measure fails: failed, the claim given back. The entries cannot be marked
   * done: the measure stands and its entries say pending (the trace a moderator looks at).
   */
  private async journal<R>(moderator: Moderator, note: string, reportId: string | null, entries: { action: Action; entry: Entry }[], steps: Steps<R>): Promise<R> {
    const pending = await this.ctx.db.transaction(async (t) => {
      await steps.claim?.(t);
      const rows: LogRow[] = [];
      for (const { action, entry } of entries) {
        rows.push(await this.store.log({ ...entry, details: entry.details ?? {}, action, note, report_id: reportId, moderator_id: moderator.id, moderator_username: moderator.username, state: 'pending' }, t));
      }
      return rows;
    });
    let done: Done;
    try {
      done = await steps.measure();
    } catch (err) {
      const error = err instanceof Error ? err.message.slice(0, 500) : String(err);
      await this.ctx.db
        .transaction(async (t) => {
          for (const row of pending) await this.store.finish(row.id, 'failed', { error }, t);
          await steps.undo?.(t);
        })
        .catch((e) => this.log.error({ err: e, entries: pending.map((r) => r.id) }, 'a measure failed and its log entries could not say so: they stay pending'));
      throw err;
    }
    try {
      return await this.ctx.db.transaction(async (t) => {
        const rows: LogRow[] = [];
        for (const row of pending) rows.push(await this.store.finish(row.id, 'done', { ...done.details, ...(done.changed ? {} : { changed: false }) }, t));
        return steps.done(t, rows, done.changed);
      });
    } catch (err) {
      this.log.error({ err, entries: pending.map((r) => r.id) }, 'a measure was taken but its log entries could not be marked done: they stay pending');
      throw err;
    }
  }

  private notify(t: Transaction, userIds: string[], kind: NotificationKind, n: { title: string; body: string; url?: string; key: string }): void {
    t.afterCommit(() => this.ctx.events.emit('user.notify', { userIds, kind, ...n }));
  }

  /** Tells the account concerned of a measure that changed something for it (after commit). */
  private tellOwner(t: Transaction, owner: string | undefined, row: LogRow): void {
    const told = owner && toldOwner[row.action]?.(row.target_name ?? '');
    if (told) this.notify(t, [owner], 'account', { ...told, url: row.target_kind === 'track' ? `/tracks/${row.target}` : undefined, key: `moderation:${row.id}` });
  }

  private tellReporter(t: Transaction, report: ReportRow, outcome: Outcome): void {
    this.notify(t, [report.reporter_id!], 'report', {
      title: `Your report about ${report.target_name ? `“${report.target_name}”` : `a ${report.target_kind}`} was reviewed`,
      body: outcomeText[outcome],
      url: '/me/reports',
      key: `report:${report.id}:closed`,
    });
  }

  /** The owner of what an action is about, once `mayTouch` lets the moderator act (undefined: no local account). */
  private async mayActOn(moderator: Moderator, ownerId: string | null, onAccount: boolean): Promise<api.User | undefined> {
    const owner = ownerId ? await this.ctx.services.accounts.byId(ownerId) : undefined;
    if (!owner) {
      if (onAccount) throw notFound('Account');
      return undefined;
    }
    mayTouch(moderator, owner, onAccount);
    return owner;
  }

  private async track(trackId: string): Promise<Track> {
    const track = await this.ctx.services.media.getTrack(trackId);
    if (!track) throw notFound('Track');
    return track;
  }

  /** Hides or shows a track (as read before: nothing when it is so already). */
  private async hide(track: Track, hidden: boolean): Promise<Done> {
    if (track.hidden === hidden) return { changed: false };
    if (!(await this.ctx.services.media.setTrackHidden(track.id, hidden))) throw notFound('Track');
    return { changed: true };
  }

  private trackEntry = (track: Track): Entry => ({ target_kind: 'track', target: track.id, target_name: track.title, target_owner_id: track.channel.ownerId });
  private accountEntry = (account: api.User): Entry => ({ target_kind: 'account', target: account.id, target_name: account.username, target_owner_id: account.id });

  /** Acts on a report; every action but forward closes it (claimed before the measure: one action wins). */
  async onReport(moderator: Moderator, report: ReportRow, action: ReportAction, note: string): Promise<{ report: ReportRow; entry: LogRow }> {
    if (action === 'forward') return this.forward(moderator, report, note);
    if (report.state !== 'open') throw conflict('report_closed', 'This report is closed already');
    const local = report.target_host === null;
    const fits = (ok: boolean, why: string) => {
      if (!ok) throw badRequest('action_does_not_fit', why);
    };
    let entry: Entry;
    let owner: string | undefined;
    let measure: () => Promise<Done> = async () => ({ changed: true });
    switch (action) {
      case 'dismiss':
        await this.mayActOn(moderator, report.target_owner_id, false);
        entry = { target_kind: report.target_kind, target: report.target_id ?? report.target_uri, target_name: report.target_name, target_owner_id: report.target_owner_id };
        break;
      case 'hide-track': {
        fits(local && report.target_kind === 'track' && !!report.target_id, 'Only a track of this node can be hidden');
        const track = await this.track(report.target_id!);
        await this.mayActOn(moderator, track.channel.ownerId, false);
        entry = this.trackEntry(track);
        owner = track.channel.ownerId;
        measure = () => this.hide(track, true);
        break;
      }
      case 'suspend':
      case 'silence': {
        fits(local && !!report.target_owner_id, 'Only an account of this node can be suspended or silenced (block a remote one)');
        const account = (await this.mayActOn(moderator, report.target_owner_id, true))!;
        const asked: AccountStanding = action === 'suspend' ? { suspended: true } : { silenced: true };
        entry = this.accountEntry(account);
        owner = account.id;
        measure = () => this.standing(account, asked);
        break;
      }
      case 'block-actor':
      case 'block-domain': {
        fits(!local && !!report.target_actor_uri && !!report.target_host, 'Only another server, or an actor of one, can be blocked');
        const [kind, value] = action === 'block-actor' ? (['actor', report.target_actor_uri!] as const) : (['domain', report.target_host!] as const);
        entry = { target_kind: kind, target: value, target_name: action === 'block-actor' ? report.target_name : report.target_host, target_owner_id: null };
        measure = async () => {
          await this.ctx.services.federation.block(kind, value, `Report ${report.id}: ${note}`.slice(0, 500));
          return { changed: true };
        };
        break;
      }
    }
    let claimed: ReportRow | undefined;
    return this.journal(moderator, note, report.id, [{ action, entry }], {
      claim: async (t) => {
        claimed = await this.store.claim(report.id, action, moderator.id, t);
        if (!claimed) throw conflict('report_closed', 'This report is closed already');
      },
      measure,
      undo: (t) => this.store.reopen(report.id, t),
      done: async (t, [row], changed) => {
        if (changed) this.tellOwner(t, owner, row);
        if (claimed!.reporter_id) this.tellReporter(t, claimed!, action);
        return { report: claimed!, entry: row };
      },
    });
  }

  /** Sends the report on to the remote server as a Flag from this node (once); the report stays as it is. */
  private async forward(moderator: Moderator, report: ReportRow, note: string): Promise<{ report: ReportRow; entry: LogRow }> {
    if (report.target_host === null || !report.target_actor_uri) throw badRequest('action_does_not_fit', 'Only a report about another server\'s content can be forwarded to it');
    const to = report.target_actor_uri;
    const entry: Entry = { target_kind: report.target_kind, target: report.target_uri, target_name: report.target_name, target_owner_id: null, details: { to } };
    return this.journal(moderator, note, report.id, [{ action: 'forward', entry }], {
      claim: async (t) => {
        if (!(await this.store.claimForward(report.id, t))) throw conflict('already_forwarded', 'This report was forwarded already');
      },
      measure: async () => {
        const sent = await this.ctx.services.federation.sendFlag({ targetActorUri: to, objectUris: [report.target_uri], content: flagContent(report) });
        if (sent.inboxes === 0) throw new AppError(502, 'not_delivered', `No inbox of ${report.target_host} could be reached for ${to}`);
        return { changed: true, details: { flag: sent.uri, inboxes: sent.inboxes } };
      },
      undo: (t) => this.store.unclaimForward(report.id, t),
      done: async (t, [row]) => ({ report: await this.store.forwarded(report.id, String(row.details.flag), t), entry: row }),
    });
  }

  /** Hides a local track or shows it again; 409 when it is so already. */
  async setTrackHidden(moderator: Moderator, trackId: string, hidden: boolean, note: string, reportId: string | null): Promise<{ track: { id: string; title: string }; entry: LogRow }> {
    const track = await this.track(trackId);
    await this.mayActOn(moderator, track.channel.ownerId, false);
    if (track.hidden === hidden) throw conflict('nothing_to_change', hidden ? 'The track is hidden already' : 'The track is not hidden');
    const entry = await this.journal(moderator, note, reportId, [{ action: hidden ? 'hide-track' : 'unhide-track', entry: this.trackEntry(track) }], {
      measure: () => this.hide(track, hidden),
      done: async (t, [row], changed) => {
        if (changed) this.tellOwner(t, track.channel.ownerId, row);
        return row;
      },
    });
    return { track, entry };
  }

  /** Sets what of `asked` differs from the account's standing (as read before). */
  private async standing(account: api.User, asked: AccountStanding): Promise<Done> {
    const changes = this.changes(account, asked);
    if (!Object.keys(changes).length) return { changed: false };
    await this.ctx.services.accounts.setStanding(account.id, changes);
    return { changed: true };
  }

  private changes(account: api.User, asked: AccountStanding): AccountStanding {
    const now = standingView(account);
    const changes: AccountStanding = {};
    if (asked.suspended !== undefined && asked.suspended !== now.suspended) changes.suspended = asked.suspended;
    if (asked.silenced !== undefined && asked.silenced !== now.silenced) changes.silenced = asked.silenced;
    return changes;
  }

  /** Suspends or silences a local account, or lifts that: one entry per change; 409 when nothing changes. */
  async setStanding(moderator: Moderator, userId: string, standing: AccountStanding, note: string, reportId: string | null): Promise<{ account: api.User; entries: LogRow[] }> {
    const account = (await this.mayActOn(moderator, userId, true))!;
    const changes = this.changes(account, standing);
    const actions: Action[] = [];
    if (changes.suspended !== undefined) actions.push(changes.suspended ? 'suspend' : 'unsuspend');
    if (changes.silenced !== undefined) actions.push(changes.silenced ? 'silence' : 'unsilence');
    if (!actions.length) throw conflict('nothing_to_change', 'The account is so already');
    const entry = this.accountEntry(account);
    const entries = await this.journal(moderator, note, reportId, actions.map((action) => ({ action, entry })), {
      measure: () => this.standing(account, changes),
      done: async (t, rows, changed) => {
        if (changed) for (const row of rows) this.tellOwner(t, account.id, row);
        return rows;
      },
    });
    return { account: (await this.ctx.services.accounts.byId(account.id)) ?? account, entries };
  }
}
