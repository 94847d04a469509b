// What money needs to sell to a listener on behalf of an artist (tips, metered spans): the
// node's address, media's tracks and channels, and the node's cut.
import type { MediaApi } from '../media/contract.js';

export interface SaleDeps {
  publicUrl: string;
  media: () => MediaApi;
  /** The node's cut, in basis points, read per sale (config may change). */
  nodeCutBasisPoints: () => number;
}

/** The node's cut of an amount: floored, so the artist gets any remainder. */
export const nodeCutOf = (amount: number, basisPoints: number): number => Math.floor((amount * basisPoints) / 10_000);
