// What money tells artists here (the `user.notify` event, after commit): a tip received (from a
// listener here or on another node) and a month's payout landed in their wallet.
import type { UserNotification } from '../events.js';
import type { Tip } from './tips.js';

/** Emits a notification (money's service wires it to the domain events). */
export type Notify = (n: UserNotification) => void;

/** 1234 USD → "12.34 USD": integers only. */
export function formatAmount(minor: number, currency: string): string {
  const units = Math.floor(Math.abs(minor) / 100);
  const cents = String(Math.abs(minor) % 100).padStart(2, '0');
  return `${minor < 0 ? '-' : ''}${units}.${cents} ${currency}`;
}

/** An actor URI as people read it: `@name@host`. */
function actorLabel(uri: string): string {
  try {
    const u = new URL(uri);
    const name = decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? '');
    return name ? `@${name}@${u.host}` : u.host;
  } catch {
    return uri;
  }
}

/** A tip credited to a local artist (its owner is told); once per tip. */
export function tipReceived(tip: Tip, artistUserId: string | null): UserNotification {
  return {
    userIds: artistUserId ? [artistUserId] : [],
    kind: 'tip',
    title: `${actorLabel(tip.tipperUri)} tipped you ${formatAmount(tip.toArtist, tip.currency)}${tip.trackTitle ? ` for “${tip.trackTitle}”` : ''}`,
    ...(tip.message ? { body: tip.message } : {}),
    url: '/earnings',
    key: `tip:${tip.id}`,
  };
}

/** A month's payout to a local artist's channel reached their wallet; once per month and channel. */
export function payoutMade(p: { month: string; artist: string; artistUserId: string; amount: number; currency: string }): UserNotification {
  return {
    userIds: [p.artistUserId],
    kind: 'payout',
    title: `Payout for ${p.month}: ${formatAmount(p.amount, p.currency)} is in your wallet`,
    body: `Your share of ${p.month}'s subscriptions for ${actorLabel(p.artist)}, as the month's close computed it.`,
    url: '/earnings',
    key: `payout:${p.month}:${p.artist}`,
  };
}
