// Held listening: what anomaly rules flagged, as admins review it and disputes decide it. A
// dispute counts a held listen after all, or rejects it for good (which corrects its day's
// report when that day was reported already).
import type { NodeContext } from '../context.js';
import { conflict, notFound } from '../http/errors.js';
import { isMonth, type Month } from '../../shared/month.js';
import { correctDay } from './daily-report.js';
import type { Pseudonyms } from './pseudonyms.js';
import { isUuid, type HeldListenEvidence, type ListensStore, type ListenStatus } from './listens-store.js';

export class HeldListening {
  constructor(
    private readonly ctx: NodeContext,
    private readonly store: ListensStore,
    private readonly pseudonyms: Pseudonyms,
  ) {}

  /** A listener's held listens for an artist in a month, with what was served (for a dispute's evidence). */
  async heldListens(userId: string, artist: string, month: Month): Promise<HeldListenEvidence[]> {
    if (!isMonth(month) || !isUuid(userId)) return [];
    return this.store.heldListens(userId, artist, month);
  }

  /**
   * A dispute's outcome for held listening: count it after all, or reject it for good. Held
   * listening is part of the daily report already, so counting it changes no reported figure;
   * a listen rejected after its day was reported corrects that day's report (a new version
   * without it).
   */
  async resolve(listenId: string, decision: 'counted' | 'rejected', reason: string): Promise<void> {
    if (!isUuid(listenId)) throw notFound('Listen');
    await this.ctx.db.transaction(async (t) => {
      const resolved = await this.store.resolveHeld(listenId, decision, t);
      if (!resolved) throw conflict('not_held', 'That listen is not held');
      if (decision === 'rejected') await correctDay(this.ctx, this.pseudonyms, resolved.day, reason, t);
    });
    // Counted at last: what follows qualified listens (a Listen to a remote track's home node) runs now.
    if (decision === 'counted') this.ctx.events.emit('listen.qualified', { listenId });
  }

  /** Flags with their evidence, newest first (admins). */
  async flags(opts: { limit: number; offset: number; status?: ListenStatus }) {
    const { total, rows } = await this.store.flags(opts);
    const usernames = await this.ctx.services.accounts.usernames(rows.map((r) => r.listen.userId));
    const items = await Promise.all(
      rows.map(async ({ listen, ...flag }) => ({
        ...flag,
        // userId is for this node's admins; the pseudonym is what may leave the node.
        listen: { ...listen, username: usernames.get(listen.userId) ?? null, pseudonym: await this.pseudonyms.pseudonym(listen.userId, listen.day.slice(0, 7)) },
      })),
    );
    return { total, items };
  }
}
