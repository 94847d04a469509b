// The inbox: a `user.notify` event becomes one notification per user (once per key), shown in
// the app and sent by mail as each user chose for its kind; the routes read and mark them.
import type { NodeContext } from '../../context.js';
import type { Logger } from '../../logger.js';
import type { MailPort } from '../../accounts/contract.js';
import type { User } from '../../accounts/service.js';
import type { NotificationKind, UserNotification } from '../../events.js';
import { isUuid } from '../../../shared/ids.js';
import { InboxStore, type NewRow } from './store.js';
import { withDefaults, type Preferences, type PreferencesChange } from './preferences.js';

/** Longest title, body and link kept (a title is also a mail's subject). */
const limits = { title: 300, body: 4000, url: 2000, key: 500 };

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

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
    const ids = [...new Set(n.userIds)].filter(isUuid);
    if (!ids.length) return;
    // Unknown ids are skipped (a party of a dispute whose account is gone).
    const known = await this.ctx.services.accounts.usernames(ids);
    const users = ids.filter((id) => known.has(id));
    const prefs = await this.preferencesOf(users);
    const content = { title: clip(n.title.trim() || n.kind, limits.title), body: n.body ? clip(n.body, limits.body) : null, url: n.url && n.url.length <= limits.url ? n.url : null };
    const rows: NewRow[] = users
      .filter((u) => prefs.get(u)![n.kind].web || prefs.get(u)![n.kind].email)
      .map((u) => ({ userId: u, kind: n.kind, key: clip(n.key, limits.key), web: prefs.get(u)![n.kind].web, ...content }));
    const fresh = await this.store.insert(rows);
    if (!fresh.size || !this.mail.enabled()) return;
    for (const userId of fresh) {
      if (!prefs.get(userId)![n.kind].email) continue;
      await this.mailOne(userId, n.kind, content).catch((err) => this.log.warn({ err, userId, kind: n.kind }, 'notification mail not queued'));
    }
  }

  private async mailOne(userId: string, kind: NotificationKind, content: { title: string; body: string | null; url: string | null }): Promise<void> {
    const user = await this.ctx.services.accounts.byId(userId);
    const to = user && this.mailAddressOf(user);
    if (!to) return;
    const publicUrl = this.ctx.config.publicUrl;
    const link = content.url && (content.url.startsWith('/') ? `${publicUrl}${content.url}` : content.url);
    const text = [
      content.title,
      content.body,
      link,
      `--\nYou get this mail from ${new URL(publicUrl).host} because mail is on for this kind of notification. Choose what comes by mail: ${publicUrl}/notifications/settings`,
    ].filter(Boolean).join('\n\n');
    await this.mail.queue({ to, subject: content.title, text, kind: `notification.${kind}` });
  }

  /** Whether this node sends mail at all (SMTP configured). */
  mailEnabled(): boolean {
    return this.mail.enabled();
  }

  /** Where a user's notification mail goes: their address, verified when the node requires that; null for none. */
  mailAddressOf(user: User): string | null {
    if (!user.email) return null;
    // An address nobody confirmed may be someone else's: where the node asks for confirmation, it waits for it.
    if (this.ctx.config.auth.emailVerification === 'required' && !user.emailVerified) return null;
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
