// A moderation report forwarded to the server whose content it is about: a Flag from the
// instance actor. (Skeleton: filled in by the moderation work of issue 17.)
import type { FederationService } from '../service.js';
import type { OutgoingFlag } from '../contract.js';

export async function sendFlag(_svc: FederationService, _flag: OutgoingFlag): Promise<{ uri: string; inboxes: number }> {
  throw new Error('sendFlag: not implemented yet');
}
