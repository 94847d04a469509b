// What other capabilities may ask of money.
import type { Health } from './books.js';
import type { AllocationView } from './service.js';
import type { Subscription } from './subscriptions.js';

/** A listener's share of a closed month, held while its listening is disputed. */
export interface Hold {
  id: string;
  month: string;
  userId: string;
  artist: string;
  artistUserId: string | null;
  amount: number;
  status: 'held' | 'released' | 'refunded';
}

export interface HoldFilter {
  month?: string;
  artist?: string;
  artistUserId?: string;
  userId?: string;
}

export interface MoneyApi {
  readonly currency: string;
  /** Shares still held (status 'held'), oldest month first, then by artist and listener. */
  heldShares(filter?: HoldFilter): Promise<Hold[]>;
  /**
   * Releases a held share to its artist or refunds it to its listener, once: a hold already
   * resolved answers 409 `hold_resolved` with `details.status` ('released' or 'refunded'), so a
   * retry after a crash can tell that it was done its way.
   */
  resolveHold(holdId: string, decision: 'release' | 'refund'): Promise<'released' | 'refunded'>;
  /** Where a listener's subscription went in a month (closed), or would go now (provisional). */
  allocation(userId: string, month: string): Promise<AllocationView>;
  /** The sum over every account (zero when the books balance). */
  health(): Promise<Health>;
  subscription(id: string): Promise<Subscription | undefined>;
}
