// The feeds capability's service (RSS per channel and playlist, oEmbed, the embeddable player).
import type { NodeContext } from '../context.js';
import type { FeedsApi } from './contract.js';

export class FeedsService implements FeedsApi {
  constructor(readonly ctx: NodeContext) {}
}
