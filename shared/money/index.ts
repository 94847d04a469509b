// The money split and canonical hashing shared by the server and the chaincode.
export {
  allocate,
  compareKeys,
  splitSubscription,
  subscriptionDetail,
  sumByArtist,
  topArtists,
  type ArtistAmount,
  type ArtistSeconds,
  type Share,
  type SplitSubscriptionInput,
  type SubscriptionSplit,
  type SubscriptionDetail,
  type SubscriptionDetailInput,
  type NoListeningPolicy,
  type Weight,
} from './allocate.js';
export { artistTotalsOf, CanonicalArrayChunker, canonicalArrayChunks, canonicalHash, canonicalJson, canonicalReportRows, reportRowsHash, sha256Hex, writeCanonicalJson, type ArtistTotal, type ReportRow } from './canonical.js';
export { basisPointsOf, investorRowsHash, replayRepayments, splitCapped, type InvestorRow, type ReplayedRepayments } from './investment.js';
