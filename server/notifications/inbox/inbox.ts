// The inbox: a `user.notify` event becomes one notification per user (once per key), shown in
// the app and sent by mail as each user chose for its kind; the routes read and mark them.
import { createHash } from 'node:crypto';
import type { NodeContext } from '../../context.js';
import type { Logger } from '../../logger.js';
import type { MailPort } from '../../accounts/contract.js';
import type { User } from '../../accounts/service.js';
import { notificationKinds, type NotificationKind, type UserNotification } from '../../events.js';
import { isUuid } from '../../../shared/ids.js';
import { InboxStore, summaryKeyPrefix, type NewRow } from './store.js';
import { safeLink } from './links.js';
import { withDefaults, type Preferences, type PreferencesChange } from './preferences.js';

/** Longest title, body and key kept (a title is also a mail's subject). */
const limits = { title: 300, body: 4000, key: 500 };

/**
 * Notification mails per user, kind and clock hour; the next one says the rest of the hour's
 * are in the app only. Whoever can make news for a user (another server following with a new
 * account each time, tipping with messages, flagging) cannot fill their mailbox.
 */
export const mailBudgetPerHour = 10;

/** What the hourly pruning keeps: each user's newest notifications, and read ones this many days. */
export const kept = { perUser: 500, readDays: 90 };

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A key over the limit is kept whole, as its hash (a summary's stays one): clipping would make two news one. */
function keyOf(key: string): string {
  if (key.length <= limits.key) return key;
  const hash = `sha256:${createHash('sha256').update(key).digest('hex')}`;
  return key.startsWith(summaryKeyPrefix) ? `${summaryKeyPrefix}${hash}` : hash;
}

/** accounts/lifecycle names a deleted account `deleted-<hex>`; a live username has no hyphen. */
const isTombstone = (username: string) => username.startsWith('deleted-');

/** Now, in microseconds since the epoch (two tellings in one millisecond still have an order). */
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

export class Inbox {
  readonly store: InboxStore;
  private readonly log: Logger;

  constructor(
    private readonly ctx: NodeContext,
    private readonly mail: MailPort,
  ) {
    this.store = new InboxStore(ctx.db);
    this.log = ctx.logger.child({ component: 'notifications' });
  }

  /** Stores the notification for each known user (once per key) and mails those who want it. */
  async deliver(n: UserNotification): Promise<void> {
    // Taken as the event is heard: of two tellings of one key, the later one's words are kept.
    const toldUs = nowUs();
    const ids = [...new Set(n.userIds)].filter(isUuid);
    if (!ids.length) return;
    // Unknown ids (a party of a dispute whose account is gone) and deleted accounts are skipped.
    const known = await this.ctx.services.accounts.usernames(ids);
    const users = ids.filter((id) => known.has(id) && !isTombstone(known.get(id)!));
    const prefs = await this.preferencesOf(users);
    const content = { title: clip(n.title.trim() || n.kind, limits.title), body: n.body ? clip(n.body, limits.body) : null, url: safeLink(n.url) };
    const rows: NewRow[] = users
      .filter((u) => prefs.get(u)![n.kind].web || prefs.get(u)![n.kind].email)
      .map((u) => ({ userId: u, kind: n.kind, key: keyOf(n.key), web: prefs.get(u)![n.kind].web, toldUs, ...content }));
    const fresh = await this.store.insert(rows);
    if (!fresh.size || !this.mail.enabled()) return;
    for (const userId of fresh) {
      if (!prefs.get(userId)![n.kind].email) continue;
      await this.mailOne(userId, n.kind, content).catch((err) => this.log.warn({ err, userId, kind: n.kind }, 'notification mail not queued'));
    }
  }

  private async mailOne(userId: string, kind: NotificationKind, content: { title: string; body: string | null; url: string | null }): Promise<void> {
    const user = await this.ctx.services.accounts.byId(userId);
    // A suspended (or closing) account hears only about the account itself: why it was suspended.
    if (!user || (user.disabled && kind !== 'account')) return;
    const to = this.mailAddressOf(user);
    if (!to) return;
    const spent = await this.spendMailBudget(userId, kind);
    if (spent > mailBudgetPerHour + 1) return;
    const publicUrl = this.ctx.config.publicUrl;
    const footer = `--\nYou get this mail from ${new URL(publicUrl).host} because mail is on for this kind of notification. Choose what comes by mail: ${publicUrl}/notifications/settings`;
    if (spent === mailBudgetPerHour + 1) {
      const text = [`You were sent ${mailBudgetPerHour} notification mails of this kind (${kind}) within the hour. The rest of this hour's are in the app only:`, `${publicUrl}/notifications`, footer].join('\n\n');
      await this.mail.queue({ to, subject: `More notifications (${kind}) are in the app only this hour`, text, kind: `notification.${kind}` });
      return;
    }
    const link = content.url && (content.url.startsWith('/') ? `${publicUrl}${content.url}` : content.url);
    const text = [content.title, content.body, link, footer].filter(Boolean).join('\n\n');
    await this.mail.queue({ to, subject: content.title, text, kind: `notification.${kind}` });
  }

  /** Counts one more mail of this kind to this user in this clock hour; when it cannot be counted, it is not sent. */
  private async spendMailBudget(userId: string, kind: NotificationKind): Promise<number> {
    const key = `notifications:mail-budget:${userId}:${kind}:${Math.floor(Date.now() / 3_600_000)}`;
    try {
      const [[err, n]] = (await this.ctx.redis.multi().incr(key).expire(key, 7200).exec()) as [[Error | null, number]];
      if (err) throw err;
      return n;
    } catch (err) {
      this.log.warn({ err, userId, kind }, 'mail budget not counted: no mail');
      return Infinity;
    }
  }

  /** The kinds a user turned off in the app: what is there of them is not shown. */
  async hiddenKinds(userId: string): Promise<NotificationKind[]> {
    const prefs = (await this.preferencesOf([userId])).get(userId)!;
    return notificationKinds.filter((k) => !prefs[k].web);
  }

  /** Whether this node sends mail at all (SMTP configured). */
  mailEnabled(): boolean {
    return this.mail.enabled();
  }

  /** Where a user's notification mail goes: their address once confirmed; null for none. */
  mailAddressOf(user: User): string | null {
    // An address nobody confirmed may be someone else's (a typo, or typed on purpose): they
    // would read the account's notifications. Also where the node does not require confirmation.
    if (!user.email || !user.emailVerified) return null;
    return user.email;
  }

  async preferencesOf(userIds: string[]): Promise<Map<string, Preferences>> {
    const stored = new Map<string, { kind: string; web: boolean; email: boolean }[]>();
    for (const s of await this.store.preferences(userIds)) stored.set(s.user_id, [...(stored.get(s.user_id) ?? []), s]);
    return new Map(userIds.map((u) => [u, withDefaults(stored.get(u) ?? [])]));
  }

  /** Changes some kinds' channels; returns the user's whole settings. */
  async changePreferences(userId: string, change: PreferencesChange): Promise<Preferences> {
    const current = (await this.preferencesOf([userId])).get(userId)!;
    const changed = Object.entries(change.settings).map(([kind, c]) => {
      const k = kind as NotificationKind;
      return [k, { web: c?.web ?? current[k].web, email: c?.email ?? current[k].email }] as [NotificationKind, { web: boolean; email: boolean }];
    });
    await this.store.setPreferences(userId, changed);
    return (await this.preferencesOf([userId])).get(userId)!;
  }
}
