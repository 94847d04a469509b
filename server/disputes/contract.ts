// What other capabilities may ask of disputes: it receives review requests (federation's
// FlagReceiver port) and otherwise only calls the others.
import type { FlagReceiver } from '../federation/contract.js';

export interface DisputesApi extends FlagReceiver {
  receiveFlag(activity: unknown, verifiedActorUri: string): Promise<{ disputeId: string; created: boolean }>;
}
