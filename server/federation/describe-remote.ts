// What a remote object is, for moderation (a report about another server's track or account).
// (Skeleton: filled in by the moderation work of issue 17.)
import type { FederationService } from './service.js';
import type { RemoteObjectInfo } from './contract.js';

export async function describeRemote(_svc: FederationService, _uri: string): Promise<RemoteObjectInfo | undefined> {
  throw new Error('describeRemote: not implemented yet');
}
