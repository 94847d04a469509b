// Deliveries per remote host, for the admin's view of the machine.
// (Skeleton: filled in by the admin-view work of issue 17.)
import type { FederationService } from './service.js';
import type { DeliveryHealth } from './contract.js';

export async function deliveryHealth(_svc: FederationService): Promise<DeliveryHealth[]> {
  throw new Error('deliveryHealth: not implemented yet');
}
