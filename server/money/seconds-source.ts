// What month close splits: qualified listening per listener and artist. Listening provides
// it (ListeningApi.qualifiedSeconds); tests and imports may put another source in its place.

/** One row of qualified listening: a listener's seconds for one artist in a month. */
export interface QualifiedSecondsRow {
  userId: string;
  /** The artist's actor URI (local or remote). */
  artist: string;
  /** The local account that owns the artist's channel, or null when the artist lives on another node. */
  artistUserId: string | null;
  seconds: number;
  /** Listening flagged by anomaly rules: its share is held until a dispute resolves. */
  held: boolean;
  /** Optional split of the seconds per track (for per-track earnings). */
  tracks?: { trackId: string; seconds: number }[];
}

export interface QualifiedSecondsSource {
  qualifiedSeconds(month: string): Promise<QualifiedSecondsRow[]>;
}

/** The parts of the chaincode's month statement (MonthCloseContract:close) the books are checked against. */
export interface LedgerStatement {
  nodeFeeTotal: number;
  payouts: { artist: string; amount: number }[];
  heldTotal: number;
  rolledOver: number;
  toNodeTotal: number;
  refundedTotal: number;
}
