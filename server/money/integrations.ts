// What money needs from other capabilities, read lazily (they may initialise after money)
// and typed here by the shape money relies on. Each is optional: money works without.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';

/** One row of qualified listening: a listener's seconds for one artist in a month. */
export interface QualifiedSecondsRow {
  userId: string;
  /** The artist's actor URI (local or remote). */
  artist: string;
  /** The local user id of the artist, or null when the artist lives on another node. */
  artistUserId: string | null;
  seconds: number;
  /** Listening flagged by anomaly rules: its share is held until a dispute resolves. */
  held: boolean;
  /** Optional split of the seconds per track (for per-track earnings). */
  tracks?: { trackId: string; seconds: number }[];
}

/** Where month close reads qualified seconds from (the listening capability by default). */
export interface QualifiedSecondsSource {
  qualifiedSeconds(month: string): Promise<QualifiedSecondsRow[]>;
}

/** What listening's `qualifiedSeconds(month)` returns (it names the artist's channel; money needs its owner). */
export interface ListeningSecondsRow {
  userId: string;
  artist: string;
  artistUserId?: string | null;
  artistChannelId?: string;
  seconds: number;
  held: boolean;
  tracks?: { trackId: string; seconds: number }[];
}

export interface ListeningLike {
  qualifiedSeconds?(month: string): Promise<ListeningSecondsRow[]>;
  pseudonym?(userId: string, month: string): Promise<string>;
}

export interface LedgerLike {
  readonly nodeId?: string;
  enqueueSubmit?(t: Transaction, fn: string, args: string[]): Promise<unknown> | unknown;
  submit?(fn: string, args: string[], opts?: { transient?: Record<string, string> }): Promise<{ result: unknown }>;
  evaluate?(fn: string, args: string[]): Promise<unknown>;
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

export const listeningOf = (ctx: NodeContext) => ctx.services.listening as ListeningLike | undefined;
interface MediaLike {
  getChannel?(idOrName: string): Promise<{ ownerId: string } | undefined>;
}
const mediaOf = (ctx: NodeContext) => ctx.services.media as MediaLike | undefined;
export const ledgerOf = (ctx: NodeContext) => ctx.services.ledger as LedgerLike | undefined;

/** The default source: the listening capability's `qualifiedSeconds(month)`. */
export function listeningSource(ctx: NodeContext): QualifiedSecondsSource {
  return {
    async qualifiedSeconds(month) {
      const listening = listeningOf(ctx);
      if (!listening?.qualifiedSeconds) throw new Error('No qualified-seconds source: the listening capability does not publish qualifiedSeconds(month)');
      const rows = await listening.qualifiedSeconds(month);
      // A local artist is paid into the wallet of the channel's owner; anyone else by actor URI.
      const owners = new Map<string, string | null>();
      const ownerOf = async (r: ListeningSecondsRow): Promise<string | null> => {
        if (r.artistUserId !== undefined) return r.artistUserId;
        if (!r.artistChannelId || !r.artist.startsWith(`${ctx.config.publicUrl}/`)) return null;
        if (!owners.has(r.artistChannelId)) owners.set(r.artistChannelId, (await mediaOf(ctx)?.getChannel?.(r.artistChannelId))?.ownerId ?? null);
        return owners.get(r.artistChannelId)!;
      };
      const out: QualifiedSecondsRow[] = [];
      for (const r of rows) out.push({ userId: r.userId, artist: r.artist, artistUserId: await ownerOf(r), seconds: r.seconds, held: r.held, tracks: r.tracks });
      return out;
    },
  };
}
