// Tips: a listener pays an artist from their wallet, now, with an optional short message.
// A local artist is credited at once; a remote artist gets an obligation (remote:<channel>)
// paid like payouts, and federation tells the artist's node (`tip.sent`). Tips from other
// nodes' listeners to artists here are recorded when their activity arrives. The node keeps
// `money.tipNodeCutBasisPoints` of each tip it moves (default none).
import { createHash } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import { AppError, badRequest, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import { channelActorUri, localChannelNameOf, localTrackIdOf, trackUri } from '../../shared/actor-uris.js';
import { isUuid } from '../../shared/ids.js';
import { Port } from '../context.js';
import { accounts, type Books, type PostedTransaction } from './books.js';
import { assertAmount, assertCurrency, maxAmount } from './amounts.js';
import { nodeCutOf, type SaleDeps } from './sales.js';
import { tipReceived, type Notify } from './notify.js';
import type { IncomingTip, ReceivedTip, RemoteArtistsPort, TipToSend } from './contract.js';
import type * as api from '../../shared/api/index.js';

export type Tip = api.Tip;
export type TipEarnings = api.TipEarnings;

export const MAX_TIP_MESSAGE = 280;

interface TipRow {
  id: string;
  direction: 'local' | 'out' | 'in';
  tipper_id: string | null;
  tipper_uri: string;
  artist_user_id: string | null;
  artist_uri: string;
  track_uri: string | null;
  track_title: string | null;
  amount: string;
  node_cut: string;
  currency: string;
  message: string | null;
  transaction_id: string | null;
  activity_uri: string | null;
  created_at: Date;
}

export interface TipInput {
  /** A local track id, or a track's ActivityPub URI (local or remote). */
  track?: string;
  /** A local channel name, or a channel actor URI (local or remote). */
  channel?: string;
  amount: number;
  currency?: string;
  message?: string;
}

interface Target {
  artistUri: string;
  artistUserId: string | null;
  trackUri: string | null;
  trackTitle: string | null;
}

function toTip(r: TipRow): Tip {
  return {
    id: r.id,
    direction: r.direction,
    tipperUri: r.tipper_uri,
    artistUri: r.artist_uri,
    trackUri: r.track_uri,
    trackTitle: r.track_title,
    amount: Number(r.amount),
    nodeCut: Number(r.node_cut),
    toArtist: Number(r.amount) - Number(r.node_cut),
    currency: r.currency,
    message: r.message,
    transactionId: r.transaction_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

function toSend(row: TipRow): TipToSend {
  return {
    id: row.id, tipperId: row.tipper_id!, artistUri: row.artist_uri, objectUri: row.track_uri ?? row.artist_uri,
    amount: Number(row.amount), currency: row.currency, message: row.message, createdAt: new Date(row.created_at).toISOString(),
  };
}

function cleanMessage(message: string | undefined | null): string | null {
  if (message === undefined || message === null) return null;
  if (typeof message !== 'string') throw badRequest('invalid_message', 'message must be text');
  // Control characters other than line breaks go; the rest is shown as text, never as HTML.
  const text = message.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '').trim();
  if (text.length > MAX_TIP_MESSAGE) throw badRequest('invalid_message', `A tip's message is at most ${MAX_TIP_MESSAGE} characters`);
  return text || null;
}

export class Tips {
  readonly remote = new Port<RemoteArtistsPort>('remote artists');

  constructor(
    private readonly db: Sequelize,
    private readonly books: Books,
    private readonly deps: SaleDeps & {
      /** After the tip's transaction commits: federation announces tips to remote artists. */
      sent: (tipId: string) => void;
      /** After a tip to an artist here commits (from a listener here or another node): live's on-screen alerts. */
      received: (tip: ReceivedTip) => void;
      /** Tells the artist (after commit); test/notifications/notify-money.test.ts fails when it is not wired. */
      notify: Notify;
    },
  ) {}

  private isLocal(uri: string): boolean {
    return uri.startsWith(`${this.deps.publicUrl}/`);
  }

  /** Who is tipped: a local channel's owner, or a remote channel this node knows. */
  private async target(input: Pick<TipInput, 'track' | 'channel'>): Promise<Target> {
    if ((input.track === undefined) === (input.channel === undefined)) throw badRequest('invalid_tip_target', 'Tip a track or a channel: give one of "track" and "channel"');
    const media = this.deps.media();
    const local = this.deps.publicUrl;
    const remoteRef = (ref: string) => /^https?:\/\//.test(ref) && !this.isLocal(ref);
    if (input.track !== undefined) {
      const ref = input.track;
      if (remoteRef(ref)) {
        const remote = await this.remote.get().remoteTrack(ref);
        if (!remote) throw notFound('Track');
        return { artistUri: remote.artistUri, artistUserId: null, trackUri: remote.trackUri, trackTitle: remote.title };
      }
      const id = isUuid(ref) ? ref : localTrackIdOf(local, ref);
      const track = id && isUuid(id) ? await media.getTrack(id) : undefined;
      if (!track || track.visibility === 'private' || track.status !== 'ready') throw notFound('Track');
      return { artistUri: channelActorUri(local, track.channel.name), artistUserId: track.channel.ownerId, trackUri: trackUri(local, track.id), trackTitle: track.title };
    }
    const ref = input.channel!;
    if (remoteRef(ref)) {
      const remote = await this.remote.get().remoteArtist(ref);
      if (!remote) throw notFound('Channel');
      return { artistUri: remote.artistUri, artistUserId: null, trackUri: null, trackTitle: null };
    }
    const name = /^https?:\/\//.test(ref) ? localChannelNameOf(local, ref) : ref;
    const channel = name ? await media.getChannel(name) : undefined;
    if (!channel) throw notFound('Channel');
    return { artistUri: channelActorUri(local, channel.name), artistUserId: channel.ownerId, trackUri: null, trackTitle: null };
  }

  /** The tipper pays now; the same request key returns the same tip. */
  async send(tipper: User, input: TipInput, tipperUri: string, requestKey?: string): Promise<{ tip: Tip; transaction: PostedTransaction; replayed: boolean }> {
    assertAmount(input.amount);
    assertCurrency(input.currency, this.books.currency);
    const message = cleanMessage(input.message);
    const key = requestKey ? `${tipper.id}:${requestKey}` : null;
    const requestHash = createHash('sha256').update(JSON.stringify([input.track ?? null, input.channel ?? null, input.amount, message])).digest('hex');
    // A retry answers with the first tip, even if the track has since gone private.
    if (key) {
      const existing = await selectOne<TipRow & { request_hash: string | null }>(this.db, 'SELECT * FROM money_tips WHERE request_key = :key', { key });
      if (existing) {
        if (existing.request_hash !== requestHash) throw new AppError(409, 'idempotency_key_reused', `The Idempotency-Key "${requestKey}" was already used for a different tip`);
        return { tip: toTip(existing), transaction: { ...(await this.books.transaction(existing.transaction_id!)), replayed: true }, replayed: true };
      }
    }
    const target = await this.target(input);
    if (target.artistUserId === tipper.id) throw badRequest('invalid_recipient', 'You cannot tip your own channel');
    const cut = nodeCutOf(input.amount, this.deps.nodeCutBasisPoints());
    const toArtist = input.amount - cut;
    const direction = target.artistUserId ? 'local' : 'out';
    const result = await this.db.transaction(async (t) => {
      const [row] = await select<TipRow>(
        this.db,
        `INSERT INTO money_tips (direction, tipper_id, tipper_uri, artist_user_id, artist_uri, track_uri, track_title, amount, node_cut, currency, message, request_key, request_hash)
         VALUES (:direction, :tipper, :tipperUri, :artistUserId, :artistUri, :trackUri, :trackTitle, :amount, :cut, :currency, :message, :key, :requestHash)
         ON CONFLICT (request_key) DO NOTHING RETURNING *`,
        {
          direction, tipper: tipper.id, tipperUri, artistUserId: target.artistUserId, artistUri: target.artistUri, trackUri: target.trackUri, trackTitle: target.trackTitle,
          amount: input.amount, cut, currency: this.books.currency, message, key, requestHash,
        },
        t,
      );
      if (!row) return undefined; // a concurrent request with the same key won
      const transaction = await this.books.post(
        {
          key: `tip:${row.id}`, kind: 'tip', reference: row.id,
          memo: { tipId: row.id, artist: target.artistUri, ...(target.trackUri ? { track: target.trackUri, title: target.trackTitle } : {}), ...(message ? { message } : {}) },
          legs: [
            { account: accounts.wallet(tipper.id), amount: -input.amount },
            { account: target.artistUserId ? accounts.wallet(target.artistUserId) : accounts.remotePayable(target.artistUri), amount: toArtist },
            ...(cut > 0 ? [{ account: accounts.nodeFee(), amount: cut }] : []),
          ],
        },
        t,
      );
      const [stored] = await select<TipRow>(this.db, 'UPDATE money_tips SET transaction_id = :tx WHERE id = :id RETURNING *', { id: row.id, tx: transaction.id }, t);
      if (direction === 'out') t.afterCommit(() => this.deps.sent(row.id));
      else {
        t.afterCommit(() => {
          this.deps.received(receivedOf(stored));
          this.deps.notify(tipReceived(toTip(stored), stored.artist_user_id));
        });
      }
      return { row: stored, transaction };
    });
    if (!result) return this.send(tipper, input, tipperUri, requestKey);
    return { tip: toTip(result.row), transaction: result.transaction, replayed: false };
  }

  /** Tips I sent, newest first. */
  async sent(userId: string, limit = 50, offset = 0): Promise<{ total: number; data: Tip[] }> {
    const rows = await select<TipRow>(this.db, 'SELECT * FROM money_tips WHERE tipper_id = :userId ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset', { userId, limit, offset });
    const n = await selectOne<{ n: string }>(this.db, 'SELECT count(*) AS n FROM money_tips WHERE tipper_id = :userId', { userId });
    return { total: Number(n?.n ?? 0), data: rows.map(toTip) };
  }

  /**
   * An artist's tips: those credited here (total, per day, per track), those listeners of other
   * nodes sent (owed by their nodes, as those nodes claim: shown apart, per node), and the latest
   * of both.
   */
  async earnings(artistUserId: string, timeZone: string, from?: string, to?: string): Promise<TipEarnings> {
    const inRange = `artist_user_id = :artistUserId
      AND (CAST(:from AS date) IS NULL OR (created_at AT TIME ZONE :tz)::date >= CAST(:from AS date))
      AND (CAST(:to AS date) IS NULL OR (created_at AT TIME ZONE :tz)::date <= CAST(:to AS date))`;
    const where = `${inRange} AND direction = 'local'`;
    const repl = { artistUserId, tz: timeZone, from: from ?? null, to: to ?? null };
    const total = await selectOne<{ amount: string | null; count: string }>(this.db, `SELECT sum(amount - node_cut) AS amount, count(*) AS count FROM money_tips WHERE ${where}`, repl);
    const byDay = await select<{ day: string; amount: string; count: string }>(
      this.db,
      `SELECT to_char((created_at AT TIME ZONE :tz)::date, 'YYYY-MM-DD') AS day, sum(amount - node_cut) AS amount, count(*) AS count
         FROM money_tips WHERE ${where} GROUP BY 1 ORDER BY 1 DESC LIMIT 366`,
      repl,
    );
    const byTrack = await select<{ track_uri: string | null; title: string | null; amount: string; count: string }>(
      this.db,
      `SELECT track_uri, max(track_title) AS title, sum(amount - node_cut) AS amount, count(*) AS count
         FROM money_tips WHERE ${where} GROUP BY track_uri ORDER BY sum(amount - node_cut) DESC, track_uri NULLS LAST LIMIT 500`,
      repl,
    );
    const recent = await select<TipRow>(this.db, `SELECT * FROM money_tips WHERE ${inRange} AND direction IN ('local', 'in') ORDER BY created_at DESC, id LIMIT 50`, repl);
    const owed = await select<{ tipper_uri: string; amount: string; count: string }>(
      this.db,
      `SELECT tipper_uri, sum(amount) AS amount, count(*) AS count FROM money_tips WHERE ${inRange} AND direction = 'in' GROUP BY tipper_uri`,
      repl,
    );
    const byNode = new Map<string, { amount: number; count: number }>();
    for (const o of owed) {
      const host = new URL(o.tipper_uri).host;
      const n = byNode.get(host) ?? { amount: 0, count: 0 };
      byNode.set(host, { amount: n.amount + Number(o.amount), count: n.count + Number(o.count) });
    }
    const nodes = [...byNode].map(([node, v]) => ({ node, ...v })).sort((a, b) => b.amount - a.amount || (a.node < b.node ? -1 : 1));
    return {
      fromOtherNodes: { total: nodes.reduce((a, n) => a + n.amount, 0), count: nodes.reduce((a, n) => a + n.count, 0), byNode: nodes },
      currency: this.books.currency,
      total: Number(total?.amount ?? 0),
      count: Number(total?.count ?? 0),
      byDay: byDay.map((d) => ({ day: d.day, amount: Number(d.amount), count: Number(d.count) })),
      byTrack: byTrack.map((t) => ({ trackUri: t.track_uri, title: t.title, amount: Number(t.amount), count: Number(t.count) })),
      recent: recent.map(toTip),
    };
  }

  async toSend(id: string): Promise<TipToSend | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await selectOne<TipRow>(this.db, "SELECT * FROM money_tips WHERE id = :id AND direction = 'out'", { id });
    return row ? toSend(row) : undefined;
  }

  /** Tips to remote artists since `since`, oldest first. */
  async toAnnounce(since: Date, limit: number): Promise<TipToSend[]> {
    const rows = await select<TipRow>(this.db, "SELECT * FROM money_tips WHERE direction = 'out' AND created_at >= :since ORDER BY created_at, id LIMIT :limit", { since, limit });
    return rows.map(toSend);
  }

  /** A tip from another node's listener to an artist here: recorded once per activity. */
  async receive(tip: IncomingTip): Promise<{ created: boolean }> {
    if (!Number.isSafeInteger(tip.amount) || tip.amount <= 0 || tip.amount > maxAmount) throw badRequest('invalid_amount', 'A tip amount is a positive whole number of minor units');
    if (tip.currency !== this.books.currency) throw new AppError(422, 'unknown_currency', `This node keeps its books in ${this.books.currency}, not ${tip.currency}`);
    const message = cleanMessage(typeof tip.message === 'string' ? tip.message.slice(0, MAX_TIP_MESSAGE) : null);
    if (!this.isLocal(tip.objectUri)) throw notFound('Channel or track');
    const target = localTrackIdOf(this.deps.publicUrl, tip.objectUri) !== undefined ? await this.target({ track: tip.objectUri }) : await this.target({ channel: tip.objectUri });
    const rows = await select<TipRow>(
      this.db,
      `INSERT INTO money_tips (direction, tipper_uri, artist_user_id, artist_uri, track_uri, track_title, amount, currency, message, activity_uri)
       VALUES ('in', :tipper, :artistUserId, :artistUri, :trackUri, :trackTitle, :amount, :currency, :message, :activity)
       ON CONFLICT (activity_uri) DO NOTHING RETURNING *`,
      {
        tipper: tip.tipperUri, artistUserId: target.artistUserId, artistUri: target.artistUri, trackUri: target.trackUri, trackTitle: target.trackTitle,
        amount: tip.amount, currency: tip.currency, message, activity: tip.activityUri,
      },
    );
    if (rows[0]) {
      this.deps.received(receivedOf(rows[0]));
      this.deps.notify(tipReceived(toTip(rows[0]), rows[0].artist_user_id));
    }
    return { created: rows.length > 0 };
  }
}

function receivedOf(r: TipRow): ReceivedTip {
  return { id: r.id, artistUri: r.artist_uri, tipperUri: r.tipper_uri, amount: Number(r.amount), currency: r.currency, message: r.message, at: r.created_at.toISOString() };
}
