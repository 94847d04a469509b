// What month close splits: qualified listening per listener and artist. Listening provides
// it (ListeningApi.qualifiedSeconds); tests and imports may put another source in its place,
// with only the fields month close reads.
import type { QualifiedSecondsRow as ListeningRow } from '../listening/index.js';
import type * as api from '../../shared/api/index.js';

/** A listener's qualified seconds for one artist in a month; held listening's share is held until its dispute resolves. */
export type QualifiedSecondsRow = Pick<ListeningRow, 'userId' | 'artist' | 'artistUserId' | 'seconds' | 'held'> & {
  /** Optional split of the seconds per track (for per-track earnings). */
  tracks?: { trackId: string; seconds: number }[];
};

export interface QualifiedSecondsSource {
  qualifiedSeconds(month: string): Promise<QualifiedSecondsRow[]>;
}

/** The parts of the chaincode's month statement (MonthCloseContract:close) the books are checked against. */
export type LedgerStatement = Pick<api.LedgerStatement, 'nodeFeeTotal' | 'payouts' | 'heldTotal' | 'rolledOver' | 'toNodeTotal' | 'refundedTotal' | 'incomeTotals'>;
