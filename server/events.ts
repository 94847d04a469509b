// Domain events: a capability records a change, commits, then emits; others (the
// federation bridge, the ledger writer) react. Emitted only after commit.
import { EventEmitter } from 'node:events';

/** What a user is told about (in the app, and by mail when they did not turn that kind off). */
export const notificationKinds = ['follower', 'new-track', 'tip', 'payout', 'dispute', 'live', 'report', 'account'] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/** A notification for some of this node's users, emitted by the capability that knows them (after commit). */
export interface UserNotification {
  /** Local user ids (unknown or deleted ones are skipped). */
  userIds: string[];
  kind: NotificationKind;
  /** One line, shown in the bell and as the mail's subject. */
  title: string;
  /** A few sentences (plain text). */
  body?: string;
  /** Where the notification leads (a path of the web app, or an absolute URL). */
  url?: string;
  /**
   * Same key, same user: told once (a retried job, a redelivered activity). A key starting
   * "summary:" names a notice that sums up: a later telling's words replace the earlier ones
   * (not unread again, not mailed again).
   */
  key: string;
}

export interface DomainEvents {
  /** A moderator suspended or silenced an account, or lifted that (after commit). */
  'account.standing': { userId: string; suspended: boolean; silenced: boolean };
  /** Tell users something (notifications capability: in-app, and mail unless turned off). */
  'user.notify': UserNotification;
  'track.published': { trackId: string };
  'track.updated': { trackId: string };
  /** The track's status moved (processing, ready, failed), whatever its visibility. */
  'track.status': { trackId: string; status: 'processing' | 'ready' | 'failed' };
  'track.deleted': { trackId: string; channelId: string; apId: string };
  'playlist.changed': { playlistId: string };
  'playlist.deleted': { playlistId: string; apId: string; channelId: string };
  'listen.qualified': { listenId: string };
  'subscription.changed': { subscriptionId: string };
  /** A tip to an artist on another node was paid (its obligation recorded). */
  'tip.sent': { tipId: string };
  'stream.changed': { streamId: string };
  'dispute.changed': { disputeId: string };
  /** An investment campaign opened, was funded, failed, was cancelled or finished repaying. */
  'campaign.changed': { campaignId: string };
}

export class DomainEventBus {
  private emitter = new EventEmitter();

  emit<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): void {
    this.emitter.emit(name, payload);
  }

  on<K extends keyof DomainEvents>(name: K, listener: (payload: DomainEvents[K]) => void | Promise<void>): void {
    this.emitter.on(name, (p: DomainEvents[K]) => {
      Promise.resolve(listener(p)).catch((err) => this.emitter.emit('error', err));
    });
  }

  onError(fn: (err: unknown) => void): void {
    this.emitter.on('error', fn);
  }
}
