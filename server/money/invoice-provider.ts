// What a metered purchase needs of a way to pay (docs/money.md, "The payment-provider
// interface"): a payment request for a span's terms, paying it (which reveals the preimage
// whose SHA-256 is the payment hash in the credential), and whether a request is settled. The
// listener's wallet on this node is the provider today (Metered.wallet); a Lightning provider
// would issue BOLT 11 invoices with the same payment hash and record the purchase when its
// Lightning node reports the payment settled. Not built: it needs a Lightning node.
import type { User } from '../accounts/service.js';
import type { PostedTransaction } from './books.js';
import type { SpanTerms } from './l402.js';
import type * as api from '../../shared/api/index.js';

export interface InvoiceProvider {
  /** Stable name, as a purchase records it. */
  readonly name: string;
  /** A payment request for the terms, and the payment hash it pays to (hex). */
  invoice(terms: SpanTerms): { paymentRequest: string; paymentHash: string };
  /** Pays a request for `payer`, once per request (the same key answers the same purchase). */
  pay(payer: User, paymentRequest: string, requestKey?: string): Promise<{ purchase: api.MeteredPurchase; transaction: PostedTransaction; replayed: boolean }>;
  /** Whether a request of this provider has been paid. */
  settled(paymentRequest: string): Promise<boolean>;
}
