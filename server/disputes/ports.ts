// What disputes needs from the other capabilities, typed by the shape disputes relies on
// and read lazily (money, listening and federation may initialise before or after us).
// Where a capability does not (yet) publish what is needed, the fallback here reads its
// tables read-only; every such place says so, and docs/disputes.md lists what to publish.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import { select } from '../db/index.js';
import { AppError } from '../http/errors.js';
import type { HeldListenEvidence } from '../listening/index.js';

// ---------- ledger ----------

export interface LedgerPort {
  readonly nodeId: string;
  readonly mspId: string;
  submit(fn: string, args: string[]): Promise<{ txId: string; result: unknown }>;
  evaluate(fn: string, args: string[]): Promise<unknown>;
  enqueueSubmit(t: Transaction, fn: string, args: string[]): Promise<string>;
  waitForOutbox(id: string, timeoutMs?: number): Promise<{ txId: string; result: unknown }>;
}

export function ledgerPort(ctx: NodeContext): LedgerPort {
  const ledger = ctx.services.ledger as LedgerPort | undefined;
  if (!ledger) throw new AppError(503, 'ledger_unavailable', 'The ledger capability is not available on this node');
  return ledger;
}

/** Whether the chaincode this node runs has a function (embedded engine: asked; Fabric: assumed). */
export async function ledgerHas(ctx: NodeContext, fn: string): Promise<boolean> {
  try {
    const mod = (await import('../ledger/index.js')) as { ledgerEngine?: (c: NodeContext) => { engine: string; contracts?: { has(f: string): boolean } } };
    const engine = mod.ledgerEngine?.(ctx);
    if (!engine) return false;
    if (engine.engine !== 'embedded' || !engine.contracts) return true;
    return engine.contracts.has(fn);
  } catch {
    return false;
  }
}

// ---------- money ----------

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
  month: string;
  artist?: string;
  artistUserId?: string;
  userId?: string;
}

export interface MoneyPort {
  readonly currency: string;
  /** Held shares of a closed month (status 'held' only). */
  heldShares(filter: HoldFilter): Promise<Hold[]>;
  /** Artist and month pairs whose held shares, not yet in a dispute, exceed `amount`. */
  heldOver(amount: number): Promise<{ month: string; artist: string; amount: number }[]>;
  /** Releases a held share to its artist or refunds it to its listener; already done the same way = no-op. */
  resolveHold(holdId: string, decision: 'release' | 'refund'): Promise<'released' | 'refunded'>;
  /** Where a listener's subscription went in a month. */
  allocation(userId: string, month: string): Promise<{ artists: { artist: string; seconds: number; amount: number; held: number }[] } | null>;
  /** The sum over every account (zero when the books balance). */
  health(): Promise<{ balanced: boolean; sum: number }>;
}

interface MoneyLike {
  books?: { currency: string };
  resolveHold?(holdId: string, decision: 'release' | 'refund'): Promise<{ status: string }>;
  allocation?(userId: string, month: string): Promise<{ artists: { artist: string; seconds: number; amount: number; held: number }[] }>;
  health?(): Promise<{ balanced: boolean; sum: number }>;
  /** Not published by money yet; used when it appears. */
  heldShares?(filter: HoldFilter): Promise<Hold[]>;
}

function money(ctx: NodeContext): MoneyLike {
  const m = ctx.services.money as MoneyLike | undefined;
  if (!m) throw new AppError(503, 'money_unavailable', 'The money capability is not available on this node');
  return m;
}

const toHold = (r: Record<string, unknown>): Hold => ({
  id: String(r.id),
  month: String(r.month),
  userId: String(r.user_id),
  artist: String(r.artist),
  artistUserId: (r.artist_user_id as string | null) ?? null,
  amount: Number(r.amount),
  status: r.status as Hold['status'],
});

export function moneyPort(ctx: NodeContext): MoneyPort {
  return {
    get currency() {
      return ctx.config.money.currency;
    },
    async heldShares(filter) {
      const m = money(ctx);
      if (m.heldShares) return m.heldShares(filter);
      // Fallback until money publishes heldShares(): read money_holds (read-only).
      const rows = await select<Record<string, unknown>>(
        ctx.db,
        `SELECT * FROM money_holds WHERE month = :month AND status = 'held'
            AND (CAST(:artist AS text) IS NULL OR artist = :artist)
            AND (CAST(:artistUserId AS uuid) IS NULL OR artist_user_id = CAST(:artistUserId AS uuid))
            AND (CAST(:userId AS uuid) IS NULL OR user_id = CAST(:userId AS uuid))
          ORDER BY artist, user_id, id`,
        { month: filter.month, artist: filter.artist ?? null, artistUserId: filter.artistUserId ?? null, userId: filter.userId ?? null },
      );
      return rows.map(toHold);
    },
    async heldOver(amount) {
      // Fallback until money publishes a query for it: read money_holds (read-only).
      const rows = await select<{ month: string; artist: string; amount: string }>(
        ctx.db,
        `SELECT h.month, h.artist, sum(h.amount) AS amount FROM money_holds h
          WHERE h.status = 'held' AND NOT EXISTS (SELECT 1 FROM dispute_holds d WHERE d.hold_id = h.id)
          GROUP BY h.month, h.artist HAVING sum(h.amount) > :amount ORDER BY h.month, h.artist`,
        { amount },
      );
      return rows.map((r) => ({ month: r.month, artist: r.artist, amount: Number(r.amount) }));
    },
    async resolveHold(holdId, decision) {
      const m = money(ctx);
      if (!m.resolveHold) throw new AppError(503, 'money_unavailable', 'money does not publish resolveHold');
      const want = decision === 'release' ? 'released' : 'refunded';
      try {
        const r = await m.resolveHold(holdId, decision);
        return r.status as 'released' | 'refunded';
      } catch (err) {
        // Already resolved (a retry after a crash): fine when it went the same way.
        if (err instanceof AppError && err.code === 'hold_resolved') {
          const [row] = await select<{ status: string }>(ctx.db, 'SELECT status FROM money_holds WHERE id = :id', { id: holdId });
          if (row?.status === want) return want;
        }
        throw err;
      }
    },
    async allocation(userId, month) {
      const m = money(ctx);
      return m.allocation ? m.allocation(userId, month) : null;
    },
    async health() {
      const m = money(ctx);
      if (!m.health) throw new AppError(503, 'money_unavailable', 'money does not publish health');
      return m.health();
    },
  };
}

// ---------- listening ----------

export type { HeldListenEvidence };

export interface ListeningPort {
  pseudonym(userId: string, month: string): Promise<string>;
  /** The held listens of a listener for an artist in a month, with their serve log figures. */
  heldListens(userId: string, artist: string, month: string): Promise<HeldListenEvidence[]>;
  /** A decided dispute: count the held listens after all, or reject them for good. */
  resolveHeldListen(listenId: string, decision: 'counted' | 'rejected'): Promise<void>;
}

interface ListeningLike {
  pseudonym?(userId: string, month: string): Promise<string>;
  resolveHeldListen?(listenId: string, decision: 'counted' | 'rejected'): Promise<unknown>;
  /** Not published by listening yet; used when it appears. */
  heldListens?(userId: string, artist: string, month: string): Promise<HeldListenEvidence[]>;
}

export function listeningPort(ctx: NodeContext): ListeningPort {
  const l = () => ctx.services.listening as ListeningLike | undefined;
  const m = () => ctx.services.money as { pseudonym?(u: string, m: string): Promise<string> } | undefined;
  return {
    async pseudonym(userId, month) {
      const fn = l()?.pseudonym ?? m()?.pseudonym;
      if (!fn) throw new AppError(503, 'listening_unavailable', 'No pseudonym source on this node');
      return fn.call(l()?.pseudonym ? l() : m(), userId, month);
    },
    async heldListens(userId, artist, month) {
      const svc = l();
      if (svc?.heldListens) return svc.heldListens(userId, artist, month);
      if (!svc) return [];
      // Fallback until listening publishes heldListens(): read its tables (read-only).
      const rows = await select<Record<string, unknown>>(
        ctx.db,
        `SELECT l.id, l.day::text AS day, l.qualified_seconds, s.played_seconds, s.started_at,
                coalesce((SELECT array_agg(DISTINCT f.rule ORDER BY f.rule) FROM listening_flags f WHERE f.listen_id = l.id), '{}') AS rules,
                (SELECT count(*) FROM segment_serves g WHERE g.session_id = l.session_id) AS segments,
                (SELECT min(served_at) FROM segment_serves g WHERE g.session_id = l.session_id) AS first_served,
                (SELECT max(served_at) FROM segment_serves g WHERE g.session_id = l.session_id) AS last_served
           FROM listens l JOIN listening_sessions s ON s.id = l.session_id
          WHERE l.user_id = :userId AND l.artist_uri = :artist AND l.status = 'held'
            AND l.day >= CAST(:start AS date) AND l.day < (CAST(:start AS date) + interval '1 month')
          ORDER BY l.qualified_at, l.id`,
        { userId, artist, start: `${month}-01` },
      );
      const iso = (v: unknown) => (v ? new Date(v as Date).toISOString() : null);
      return rows.map((r) => ({
        listenId: String(r.id),
        day: String(r.day),
        qualifiedSeconds: Number(r.qualified_seconds),
        playedSeconds: Math.round(Number(r.played_seconds) * 10) / 10,
        rules: (r.rules as string[]) ?? [],
        segmentsServed: Number(r.segments),
        firstServedAt: iso(r.first_served),
        lastServedAt: iso(r.last_served),
        sessionStartedAt: iso(r.started_at)!,
      }));
    },
    async resolveHeldListen(listenId, decision) {
      const svc = l();
      if (!svc?.resolveHeldListen) return;
      try {
        await svc.resolveHeldListen(listenId, decision);
      } catch (err) {
        // Already resolved (by an earlier run of the same outcome): nothing left to do.
        if (err instanceof AppError && err.code === 'not_held') return;
        throw err;
      }
    },
  };
}

// ---------- federation ----------

export interface FlagDelivery {
  /** Queues the activity from this node's instance actor to the reviewer node's actor, after `t` commits. */
  send(t: Transaction, toActorUri: string, activity: Record<string, unknown>): Promise<{ uri: string }>;
  instanceActorUri(): string;
}

interface FederationLike {
  delivery?: {
    queue(
      input: { actorUri: string; activity: Record<string, unknown>; toActors?: string[]; objectUri?: string },
      t?: Transaction,
    ): Promise<{ id: string; uri: string; inboxes: number }>;
  };
  rt?: { instanceActorUri(): string };
}

/** Sending through federation's signed delivery queue; undefined while federation cannot send. */
export function flagDelivery(ctx: NodeContext): FlagDelivery | undefined {
  const fed = ctx.services.federation as FederationLike | undefined;
  if (!fed?.delivery?.queue || !fed.rt?.instanceActorUri) return undefined;
  const actorUri = fed.rt.instanceActorUri();
  return {
    instanceActorUri: () => actorUri,
    async send(t, toActorUri, activity) {
      const q = await fed.delivery!.queue({ actorUri, activity: { ...activity, actor: actorUri }, toActors: [toActorUri], objectUri: String(activity.object ?? '') }, t);
      if (q.inboxes === 0) throw new AppError(503, 'reviewer_unreachable', `No inbox found for reviewer ${toActorUri}`);
      return { uri: q.uri };
    },
  };
}
