// The ledger id of a dispute: derived from what is disputed, never chosen by whoever opens it, so
// the reporting node and the DisputeContract compute the same id, and an opener can neither pick
// an id outright nor take the id another dispute would get. It does not stop an opener from
// varying its evidence offline until the reviewer order the id seeds suits it (the registry is
// public): what guards a dispute is that its three seats belong to three organisations.
import { canonicalHash } from './canonical.js';

export interface DisputeIdInput {
  /** The reporting node (its instance actor URI). */
  nodeId: string;
  month: string;
  subject: { type: string; ref: string };
  /** SHA-256 of the dispute's canonical evidence. */
  evidenceHash: string;
}

/**
 * SHA-256 of the canonical JSON of the inputs, laid out as a version-8 (custom) UUID (RFC 9562):
 * the same inputs give the same id on every node and peer, and it fits where ids are UUIDs.
 */
export function disputeIdOf(input: DisputeIdInput): string {
  const h = canonicalHash({
    kind: '9ten/dispute',
    nodeId: input.nodeId,
    month: input.month,
    subject: { type: input.subject.type, ref: input.subject.ref },
    evidenceHash: input.evidenceHash,
  });
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
