// Reports and the moderation queue. (Skeleton: filled in by the moderation work of issue 17.)
import type { NodeContext } from '../context.js';
import type { IncomingReport } from '../federation/contract.js';
import type { ModerationApi } from './contract.js';

export class ModerationService implements ModerationApi {
  constructor(private readonly ctx: NodeContext) {}

  async receiveReport(_report: IncomingReport): Promise<{ created: boolean }> {
    void this.ctx;
    throw new Error('receiveReport: not implemented yet');
  }
}
