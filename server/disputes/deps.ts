// What the use cases of disputes share: the node, this capability's store and log, the
// contracts of the capabilities it calls (all initialised before disputes) and the settings.
import type { Transaction } from 'sequelize';
import type { NodeContext, Services } from '../context.js';
import type { Logger } from '../logger.js';
import { DisputeStore } from './store.js';
import { disputeUri } from '../../shared/actor-uris.js';

export class DisputesDeps {
  readonly store: DisputeStore;
  readonly log: Logger;
  /** Seats the ledger refused to replace (no unused node left): not asked again before this time. */
  readonly replaceBackoff = new Map<string, number>();
  readonly ledger: Services['ledger'];
  readonly money: Services['money'];
  readonly listening: Services['listening'];
  readonly federation: Services['federation'];

  constructor(readonly ctx: NodeContext) {
    this.store = new DisputeStore(ctx.db);
    this.log = ctx.logger.child({ component: 'disputes' });
    this.ledger = ctx.services.ledger;
    this.money = ctx.services.money;
    this.listening = ctx.services.listening;
    this.federation = ctx.services.federation;
  }

  get settings() {
    return this.ctx.config.disputes;
  }
  /** This node's identity on the ledger (its instance actor URI). */
  get nodeId(): string {
    return this.ledger.nodeId;
  }

  disputeUri(id: string): string {
    return disputeUri(this.ctx.config.publicUrl, id);
  }

  /** After `t` commits: the dispute moves on (its tick) and its pages refresh. */
  changedAfterCommit(t: Transaction, disputeId: string): void {
    this.ctx.jobs.enqueueAfterCommit(t, 'disputes.tick', { disputeId });
    t.afterCommit(() => this.ctx.events.emit('dispute.changed', { disputeId }));
  }

  /** A change no tick has to follow (a refusal, an outcome applied, a review request). */
  changed(disputeId: string, t?: Transaction): void {
    if (t) t.afterCommit(() => this.ctx.events.emit('dispute.changed', { disputeId }));
    else this.ctx.events.emit('dispute.changed', { disputeId });
  }
}
