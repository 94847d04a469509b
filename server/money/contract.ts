// What other capabilities may ask of money.
import type { Health } from './books.js';
import type { AllocationView } from './service.js';
import type { Subscription } from './subscriptions.js';
import type { AccessDecision, GatedTrack, SegmentAccessPort } from '../media/contract.js';
import type { User } from '../accounts/service.js';
import type { Transaction } from '../db/index.js';
import type * as api from '../../shared/api/index.js';
import type { NodeCampaignFigures } from '../ledger/contract.js';

/** A listener's share of a closed month, held while its listening is disputed. */
export interface Hold {
  id: string;
  month: string;
  userId: string;
  artist: string;
  artistUserId: string | null;
  amount: number;
  status: 'held' | 'released' | 'refunded';
}

export interface HoldFilter {
  month?: string;
  artist?: string;
  artistUserId?: string;
  userId?: string;
}

/** A remote artist (channel actor) or track this node knows, for a tip (money's port, provided by federation). */
export interface RemoteArtistsPort {
  remoteArtist(uri: string): Promise<{ artistUri: string; name: string | null } | undefined>;
  remoteTrack(uri: string): Promise<{ trackUri: string; artistUri: string; title: string } | undefined>;
  /** A remote track that is not free, by its id here, as the segment gate sees it (metered here, owed to its artist). */
  remoteGatedTrack(id: string): Promise<GatedTrack | undefined>;
  /** SHA-256 of each segment of a remote track's rendition, by index, as its home node published them. */
  remoteSegmentHashes(id: string, rendition: string): Promise<string[] | undefined>;
}

/** A tip as federation sends it to the artist's home node. */
export interface TipToSend {
  id: string;
  tipperId: string;
  artistUri: string;
  /** The tipped track, or the channel actor itself. */
  objectUri: string;
  amount: number;
  currency: string;
  message: string | null;
  createdAt: string;
}

/** A tip another node's listener sent to an artist here (the money is owed by that node). */
export interface IncomingTip {
  activityUri: string;
  tipperUri: string;
  /** The local channel actor or track tipped. */
  objectUri: string;
  amount: number;
  currency: string;
  message: string | null;
}

/** A tip an artist here received (from a listener here or on another node). */
export interface ReceivedTip {
  id: string;
  /** The tipped channel actor. */
  artistUri: string;
  /** The tipper's actor URI. */
  tipperUri: string;
  amount: number;
  currency: string;
  message: string | null;
  at: string;
}

/** A live stream sold by the minute, as the metered gate sees it (spans are minutes of nominal segments, numbered by sequence). */
export interface LiveSaleItem extends GatedTrack {
  live: {
    /** The nominal segment length: a minute is 60 / segmentSeconds sequence numbers. */
    segmentSeconds: number;
    /** Off the price for viewers with an active subscription (100: they watch free). */
    subscriberDiscountPercent: number;
    /** The price per minute, every rendition alike (also before any rendition is known). */
    pricePerMinute: number;
  };
}

/** Where money finds live streams sold by the minute (live's port, wired by node.ts). */
export interface LiveCatalogPort {
  saleItem(id: string): Promise<LiveSaleItem | undefined>;
  /** SHA-256 of the segments from..to of a rendition that exist (a receipt lists them). */
  segmentHashes(id: string, rendition: string, from: number, to: number): Promise<string[]>;
}

/** Paying for live streams: L402 credentials per minute, and rate streams the node closes when the viewer stops watching. */
export interface LiveSalesApi {
  /** Whether an L402 credential opens this segment (synchronous: the segment hot path). */
  credential(item: LiveSaleItem, rendition: string, seq: number, authorization: string): AccessDecision;
  /** The 402 for a segment nothing pays for: the challenge offers the minute holding it. */
  paymentRequired(item: LiveSaleItem, rendition: string, seq: number, code: string, message: string, details: Record<string, unknown>): AccessDecision;
  /** An offer of `minutes` from the minute holding `fromSeq`; a subscriber gets the artist's discount (an invoice only they may pay). */
  offer(item: LiveSaleItem, input: { rendition: string; fromSeq: number; minutes: number }, payer: User): Promise<api.MeteredOffer>;
  /** The price per minute this user pays (the discount applied for subscribers). */
  priceFor(item: LiveSaleItem, userId: string | undefined): Promise<number>;
  /** Opens a rate stream from the viewer to the artist at `pricePerMinute`; the node closes it (closeWatchStream). */
  openWatchStream(viewer: User, recipientUserId: string, pricePerMinute: number, requestKey: string, watchLink?: string): Promise<api.PaymentStream>;
  /** A pre-funded watch link's credit moves into its own escrow (from the creator's wallet, or an admin's node funds). */
  fundWatchLink(creator: User, input: { code: string; amount: number; fundFrom: 'wallet' | 'node' }, t?: Transaction): Promise<unknown>;
  /** What is left of a watch link's credit. */
  watchLinkCredit(code: string): Promise<number>;
  /** The rest of a watch link's credit to the wallet of the guest who claimed their account (once). */
  releaseWatchLink(code: string, userId: string): Promise<unknown>;
  /** The watch stream opened with this key, if money made it (a crash between money and live's row). */
  watchStreamByKey(viewerId: string, requestKey: string): Promise<api.PaymentStream | undefined>;
  /** A watch stream as it stands now (topped up or stopped first). */
  watchStream(id: string): Promise<api.PaymentStream | undefined>;
  /** Closes a watch stream at `at` (epoch seconds): the artist gets what streamed until then, the viewer the rest. Once. */
  closeWatchStream(id: string, at: number): Promise<api.PaymentStream>;
}

export interface MoneyApi {
  readonly currency: string;
  /** Shares still held (status 'held'), oldest month first, then by artist and listener. */
  heldShares(filter?: HoldFilter): Promise<Hold[]>;
  /**
   * Releases a held share to its artist or refunds it to its listener, once: a hold already
   * resolved answers 409 `hold_resolved` with `details.status` ('released' or 'refunded'), so a
   * retry after a crash can tell that it was done its way.
   */
  resolveHold(holdId: string, decision: 'release' | 'refund'): Promise<'released' | 'refunded'>;
  /** Where a listener's subscription went in a month (closed), or would go now (provisional). */
  allocation(userId: string, month: string): Promise<AllocationView>;
  /** The sum over every account (zero when the books balance). */
  health(): Promise<Health>;
  subscription(id: string): Promise<Subscription | undefined>;
  /** A tip sent to a remote artist, for federation to announce (undefined: no such tip, or a local one). */
  tipToSend(id: string): Promise<TipToSend | undefined>;
  /** Tips to remote artists made since `since`, oldest first: federation announces any it has not (a crash can lose the after-commit event). */
  tipsToAnnounce(since: Date, limit: number): Promise<TipToSend[]>;
  /** Records a tip from another node for an artist here, once per activity; refused (400/404) when it names nothing here. */
  receiveTip(tip: IncomingTip): Promise<{ created: boolean }>;
  /** Who may play segments of tracks that are not free: subscribers and L402 payers (media's port). */
  readonly segmentAccess: SegmentAccessPort;
  /** Event: an artist here received a tip (after it committed). */
  onTipReceived(listener: (tip: ReceivedTip) => void): void;
  /** Wires the remote-artists port (node.ts, once). */
  useRemoteArtists(port: RemoteArtistsPort): void;
  /** Paying for live streams (live's side of money). */
  readonly live: LiveSalesApi;
  /** Wires the live catalog port (node.ts, once). */
  useLiveCatalog(port: LiveCatalogPort): void;
  /** An investment campaign as anyone may read it (federation sends it to the channel's followers). */
  campaign(id: string): Promise<api.Campaign | undefined>;
  /** A local channel's campaigns (by id or name), newest first, as anyone may read them (feeds link an open one); [] for no such channel. */
  channelCampaigns(channelIdOrName: string): Promise<api.Campaign[]>;
  /** A settled campaign's repaid total and each investor's received, by pseudonym, as they stood after repayment `throughSeq` (the ledger's investment recompute). */
  campaignFigures(campaignId: string, throughSeq: number): Promise<NodeCampaignFigures | undefined>;
}
