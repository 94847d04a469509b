// Pay-per-segment access to metered tracks (HTLC-DASH in the shape of L402). A listener buys a
// span (a minute of the track by default) of one rendition and every cheaper one: the node
// offers it as an invoice and a macaroon (l402.ts), the listener pays the invoice from their
// wallet and gets the preimage, and the player sends both with each segment of the span. The
// node checks credentials from the request alone (media's SegmentAccessPort, on the hot path);
// only paying writes: one purchase row and one balanced books transaction per invoice, with a
// receipt signed by the node's Ed25519 key listing the SHA-256 of every segment covered.
// Subscribers never pay: their plays count in the monthly split.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import { AppError, badRequest, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { AccessDecision, GatedTrack, SegmentAccessPort } from '../media/contract.js';
import { accounts, type Books, type PostedTransaction } from './books.js';
import { nodeCutOf, type SaleDeps } from './sales.js';
import { Port } from '../context.js';
import type { LiveCatalogPort, LiveSaleItem, RemoteArtistsPort } from './contract.js';
import { pricePerMinuteOf } from '../../shared/prices.js';
import { canonicalJson } from '../../shared/money/index.js';
import type { InvoiceProvider } from './invoice-provider.js';
import { L402, type CredentialError, type Grant, type SpanTerms } from './l402.js';
import type * as api from '../../shared/api/index.js';

export type MeteredOffer = api.MeteredOffer;
export type MeteredPurchase = api.MeteredPurchase;
export type MeteredReceipt = api.MeteredReceipt;

/** How long an offered invoice may be paid, and how long a paid credential works. */
export const INVOICE_SECONDS = 15 * 60;
export const CREDENTIAL_SECONDS = 6 * 3600;
/** The most minutes one purchase may cover. */
export const MAX_SPAN_MINUTES = 60;
const SUBSCRIBER_CACHE_MS = 30_000;
const GRANT_CACHE_SIZE = 20_000;
const FAILED_CACHE_SIZE = 256;

interface PurchaseRow {
  invoice_id: string;
  payer_id: string;
  payee_user_id: string | null;
  artist_uri: string;
  track_id: string;
  track_title: string;
  renditions: string[];
  seg_from: number;
  seg_to: number;
  amount: string;
  node_cut: string;
  currency: string;
  expires_at: Date;
  request_key: string | null;
  receipt: MeteredReceipt;
  receipt_signature: string;
  paid_at: Date;
}

/** Segments of a rendition's span: the minutes of the track (by segment start) that hold `index`, `minutes` of them. */
export function spanOf(track: GatedTrack, rendition: string, index: number, minutes: number): { from: number; to: number; seconds: number } {
  const live = liveOf(track);
  if (live) {
    // A live stream's minutes are runs of nominal segments by sequence number, also those not made yet.
    const perMinute = Math.max(1, Math.round(60 / live.segmentSeconds));
    const from = Math.floor(Math.max(0, index) / perMinute) * perMinute;
    return { from, to: from + perMinute * minutes - 1, seconds: 60 * minutes };
  }
  const timeline = track.timeline[rendition] ?? [];
  const count = track.renditions.find((r) => r.name === rendition)?.segmentCount ?? timeline.length;
  const last = Math.max(0, Math.min(count, timeline.length || count) - 1);
  const i = Math.min(Math.max(0, index), last);
  if (!timeline.length) return { from: i, to: i, seconds: 60 };
  const minuteOf = (j: number) => Math.floor(timeline[j][0] / 60);
  const first = minuteOf(i);
  let from = i;
  while (from > 0 && minuteOf(from - 1) === first) from--;
  let to = i;
  while (to < last && minuteOf(to + 1) < first + minutes) to++;
  let seconds = 0;
  for (let j = from; j <= to; j++) seconds += timeline[j][1];
  return { from, to, seconds };
}

/** The live part of a sale item, when it is a live stream. */
export const liveOf = (track: GatedTrack): LiveSaleItem['live'] | undefined => (track as Partial<LiveSaleItem>).live;

const notForSale: AccessDecision = { ok: false, status: 404, code: 'not_found', message: 'File not found', challenge: null, payment: false };

/** A rendition's price per minute (shared/prices.ts; at least 1: a metered track always has prices). */
const priceOf = (track: GatedTrack, rendition: string): number => pricePerMinuteOf(track.pricesPerMinute, rendition) ?? 1;

export class Metered implements SegmentAccessPort {
  /** Remote tracks played through this node's cache (money's port, provided by federation). */
  readonly remote = new Port<RemoteArtistsPort>('remote artists');
  /** Live streams sold by the minute (money's port, provided by live). */
  readonly live = new Port<LiveCatalogPort>('live catalog');
  private l402?: L402;
  private receiptKey?: { privateKey: KeyObject; publicKey: KeyObject; publicKeyPem: string; keyId: string };
  private readonly grants = new Map<string, Grant>();
  private readonly failed = new Map<string, CredentialError>();
  private readonly subscribers = new Map<string, { value: boolean; until: number }>();
  /** Bumped by forgetSubscriber: a lookup that started before a change does not cache its stale answer. */
  private subscriberGeneration = 0;
  /** Today's invoice provider: the listener's wallet on this node. */
  readonly wallet: InvoiceProvider = {
    name: 'wallet',
    invoice: (terms) => ({ paymentRequest: this.keys.invoice(terms), paymentHash: this.keys.paymentHash(terms.tokenId).toString('hex') }),
    pay: (payer, paymentRequest, requestKey) => this.pay(payer, paymentRequest, requestKey),
    settled: async (paymentRequest) => {
      const terms = this.keys.readInvoice(paymentRequest);
      return !!terms && !!(await selectOne(this.db, 'SELECT 1 FROM money_metered_purchases WHERE invoice_id = :id', { id: terms.tokenId }));
    },
  };

  constructor(
    private readonly db: Sequelize,
    private readonly books: Books,
    private readonly deps: SaleDeps & {
      isSubscriber: (userId: string) => Promise<boolean>;
    },
  ) {}

  /** Loads the node's metered keys, making them on first start (money's init). */
  async loadKeys(): Promise<void> {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await select(
      this.db,
      `INSERT INTO money_metered_keys (secret, receipt_private_key, receipt_public_key) VALUES (:secret, :priv, :pub) ON CONFLICT (singleton) DO NOTHING RETURNING singleton`,
      { secret: randomBytes(32), priv: privateKey.export({ type: 'pkcs8', format: 'pem' }), pub: publicKey.export({ type: 'spki', format: 'pem' }) },
    );
    const row = await selectOne<{ secret: Buffer; receipt_private_key: string; receipt_public_key: string }>(this.db, 'SELECT * FROM money_metered_keys');
    this.l402 = new L402(row!.secret, this.deps.publicUrl);
    const pub = createPublicKey(row!.receipt_public_key);
    this.receiptKey = {
      privateKey: createPrivateKey(row!.receipt_private_key),
      publicKey: pub,
      publicKeyPem: row!.receipt_public_key,
      keyId: createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16),
    };
  }

  private get keys(): L402 {
    if (!this.l402) throw new Error('metered keys not loaded (Metered.loadKeys runs in money init)');
    return this.l402;
  }

  /** The public half of the receipt key, for whoever checks a receipt. */
  receiptPublicKey(): api.MeteredReceiptKey {
    return { algorithm: 'Ed25519', keyId: this.receiptKey!.keyId, publicKeyPem: this.receiptKey!.publicKeyPem };
  }

  // --- the SegmentAccessPort (media asks, on the hot path) ---

  decide(track: GatedTrack, rendition: string, index: number, authorization: string | undefined, userId: string | undefined): AccessDecision | Promise<AccessDecision> {
    // Only segments the track lists are for sale; anything else is refused, never served.
    const known = track.renditions.find((r) => r.name === rendition);
    if (!known || index >= known.segmentCount) return notForSale;
    const paid = (): AccessDecision => {
      if (track.access === 'subscribers') {
        return userId
          ? { ok: false, status: 403, code: 'subscription_required', message: 'This track is for subscribers: subscribe to play it', challenge: null, payment: false }
          : { ok: false, status: 401, code: 'subscription_required', message: 'This track is for subscribers: sign in with a subscription to play it', challenge: () => 'Bearer realm="9ten"', payment: false };
      }
      return this.payment(track, rendition, index, authorization);
    };
    if (!userId) return paid();
    const subscribed = this.isSubscriber(userId);
    if (typeof subscribed === 'boolean') return subscribed ? { ok: true } : paid();
    return subscribed.then((s) => (s ? { ok: true } : paid()));
  }

  isSubscriber(userId: string): boolean | Promise<boolean> {
    const hit = this.subscribers.get(userId);
    if (hit && hit.until > Date.now()) return hit.value;
    const generation = this.subscriberGeneration;
    return this.deps.isSubscriber(userId).then((value) => {
      if (generation !== this.subscriberGeneration) return value;
      if (this.subscribers.size > 50_000) this.subscribers.clear();
      this.subscribers.set(userId, { value, until: Date.now() + SUBSCRIBER_CACHE_MS });
      return value;
    });
  }

  /** A subscription changed (in this process; another process sees it within SUBSCRIBER_CACHE_MS): the next segment asks again. */
  forgetSubscriber(userId: string): void {
    this.subscriberGeneration++;
    this.subscribers.delete(userId);
  }

  /** An L402 credential (or its absence) for one metered segment; synchronous. */
  payment(track: GatedTrack, rendition: string, index: number, authorization: string | undefined): AccessDecision {
    const refuse = (status: 401 | 402, code: string, message: string, details?: Record<string, unknown>): AccessDecision => ({
      ok: false, status, code, message, challenge: () => this.keys.challenge(this.terms(track, rendition, index, 1)), payment: true, ...(details ? { details } : {}),
    });
    if (!authorization || !/^(L402|LSAT) /i.test(authorization)) {
      return refuse(402, 'payment_required', 'This track is paid as you play: pay the invoice in WWW-Authenticate, then send "Authorization: L402 <macaroon>:<preimage>"');
    }
    const grant = this.grant(authorization);
    if (typeof grant === 'string') return refuse(401, 'invalid_credential', `The L402 credential is not valid (${grant.replace('_', ' ')})`);
    if (grant.trackId !== track.id) return refuse(401, 'invalid_credential', 'The L402 credential is for another track');
    if (grant.expires <= Date.now() / 1000) return refuse(402, 'credential_expired', 'The L402 credential has expired: buy the span again', { expiredAt: new Date(grant.expires * 1000).toISOString() });
    if (!grant.renditions.has(rendition)) return refuse(402, 'rendition_not_covered', `The L402 credential covers ${[...grant.renditions].join(', ')}, not ${rendition}`, { renditions: [...grant.renditions] });
    if (index < grant.from || index > grant.to) return refuse(402, 'span_spent', `The L402 credential covers segments ${grant.from}–${grant.to}: buy the next span`, { from: grant.from, to: grant.to });
    return { ok: true };
  }

  /** Verified credentials by their header (a bounded memo: checking is the same every time). */
  private grant(authorization: string): Grant | CredentialError {
    const hit = this.grants.get(authorization) ?? this.failed.get(authorization);
    if (hit) return hit;
    const g = this.keys.verify(authorization);
    // Valid credentials are kept (bounded in count and, by verify, in size); the last few
    // failures too, so the fast path's refusal is not checked again by the route it hands to.
    const memo: Map<string, Grant | CredentialError> = typeof g === 'string' ? this.failed : this.grants;
    if (memo.size >= (typeof g === 'string' ? FAILED_CACHE_SIZE : GRANT_CACHE_SIZE)) memo.delete(memo.keys().next().value!);
    memo.set(authorization, g);
    return g;
  }

  /** The terms of a span starting at the minute of `index`, for `rendition` and every cheaper one (at `price` per minute when given: a subscriber's discount). */
  terms(track: GatedTrack, rendition: string, index: number, minutes: number, only?: { price: number; payer: string }): SpanTerms {
    const listed = priceOf(track, rendition);
    const price = only?.price ?? listed;
    const span = spanOf(track, rendition, index, minutes);
    const now = Math.floor(Date.now() / 1000);
    return {
      tokenId: this.keys.newTokenId(),
      trackId: track.id,
      renditions: track.renditions.filter((r) => priceOf(track, r.name) <= listed).map((r) => r.name),
      from: span.from,
      to: span.to,
      // The span's whole seconds (a minute of AAC frames is 60.02 s) at the minute's price, rounded up.
      amount: Math.max(1, Math.ceil((price * Math.round(span.seconds)) / 60)),
      currency: this.books.currency,
      payee: track.ownerId ?? track.artistUri,
      payBy: now + INVOICE_SECONDS,
      expires: now + CREDENTIAL_SECONDS,
      ...(only ? { payer: only.payer } : {}),
    };
  }

  // --- offers, payment, purchases (the API) ---

  /** A metered or subscribers' track here, or a remote one this node plays through its cache. */
  private async gatedTrack(id: string): Promise<GatedTrack | undefined> {
    return (await this.deps.media().gatedTrack(id)) ?? (await this.remote.get().remoteGatedTrack(id)) ?? (await this.live.get().saleItem(id));
  }

  /** An offer for `minutes` of a metered track from the minute holding segment `fromSegment`. */
  async offer(input: { track: string; rendition: string; fromSegment?: number; minutes?: number }): Promise<MeteredOffer> {
    const minutes = input.minutes ?? 1;
    const from = input.fromSegment ?? 0;
    if (!Number.isSafeInteger(minutes) || minutes < 1 || minutes > MAX_SPAN_MINUTES) throw badRequest('invalid_span', `minutes is a whole number from 1 to ${MAX_SPAN_MINUTES}`);
    if (!Number.isSafeInteger(from) || from < 0) throw badRequest('invalid_span', 'fromSegment is a segment index (0 or more)');
    const track = typeof input.track === 'string' ? await this.gatedTrack(input.track) : undefined;
    if (!track || track.access !== 'metered' || liveOf(track)) throw notFound('Metered track');
    const rendition = track.renditions.find((r) => r.name === input.rendition);
    if (!rendition) throw badRequest('invalid_rendition', `This track has no rendition "${input.rendition}"`, { renditions: track.renditions.map((r) => r.name) });
    if (from >= rendition.segmentCount) throw badRequest('invalid_span', `This rendition has ${rendition.segmentCount} segments`);
    return this.offerOf(this.terms(track, rendition.name, from, minutes));
  }

  offerOf(terms: SpanTerms): MeteredOffer {
    const { paymentRequest, paymentHash } = this.wallet.invoice(terms);
    return {
      invoice: paymentRequest,
      macaroon: this.keys.macaroon(terms),
      paymentHash,
      trackId: terms.trackId,
      renditions: terms.renditions,
      segments: { from: terms.from, to: terms.to },
      amount: terms.amount,
      currency: terms.currency,
      payBy: new Date(terms.payBy * 1000).toISOString(),
      expiresAt: new Date(terms.expires * 1000).toISOString(),
    };
  }

  /**
   * Pays an invoice of this node from the payer's wallet, once: the preimage, the credential
   * and the signed receipt. The same Idempotency-Key returns the same purchase; any other
   * second payment of the invoice is refused (409), and GET /api/v1/metered/purchases/{id}
   * gives the payer their credential again.
   */
  async pay(payer: User, invoice: unknown, requestKey?: string): Promise<{ purchase: MeteredPurchase; transaction: PostedTransaction; replayed: boolean }> {
    const terms = typeof invoice === 'string' ? this.keys.readInvoice(invoice) : undefined;
    if (!terms) throw badRequest('invalid_invoice', 'Not an invoice of this node (or altered)');
    const key = requestKey ? `${payer.id}:${requestKey}` : null;
    const existing = () => selectOne<PurchaseRow>(this.db, 'SELECT * FROM money_metered_purchases WHERE invoice_id = :id OR (CAST(:key AS text) IS NOT NULL AND request_key = :key) LIMIT 1', { id: terms.tokenId, key });
    // A paid invoice (or a used key) is found when the purchase row cannot be inserted; only a
    // retry of an invoice past its pay-by time needs to look first.
    if (terms.payBy <= Date.now() / 1000) {
      const paid = await existing();
      if (paid) return this.replay(paid, payer, terms, key);
    }
    if (terms.payBy <= Date.now() / 1000) throw new AppError(409, 'invoice_expired', 'This invoice can no longer be paid: ask for a new one (a new 402 or offer)', { payBy: new Date(terms.payBy * 1000).toISOString() });
    if (terms.currency !== this.books.currency) throw new AppError(422, 'unknown_currency', `This node keeps its books in ${this.books.currency}`);
    if (terms.payee === payer.id) throw badRequest('invalid_recipient', 'Your own tracks play free for you');
    if (terms.payer !== undefined && terms.payer !== payer.id) throw new AppError(403, 'invoice_not_yours', 'This invoice carries a subscriber\'s discount: only the subscriber it was made for may pay it');
    const track = await this.gatedTrack(terms.trackId);
    // Made subscribers-only (or free) since the offer: a credential would open nothing.
    if (!track || track.access !== 'metered') throw notFound('Metered track');
    const live = liveOf(track);
    // Subscribers play metered tracks free; live streams they pay (less the artist's discount), unless it is all of the price.
    if ((!live || live.subscriberDiscountPercent >= 100) && (await this.isSubscriber(payer.id))) {
      throw new AppError(409, 'subscriber_plays_free', live ? 'You subscribe: this live stream is free for you, so there is nothing to pay' : 'You subscribe: metered tracks play free for you, so there is nothing to pay');
    }
    const hashes: Record<string, string[]> = {};
    for (const r of terms.renditions) {
      if (live) {
        hashes[r] = await this.live.get().segmentHashes(terms.trackId, r, terms.from, terms.to);
        continue;
      }
      const all = track.ownerId ? await this.deps.media().segmentHashes(terms.trackId, r) : await this.remote.get().remoteSegmentHashes(terms.trackId, r);
      hashes[r] = (all ?? []).slice(terms.from, terms.to + 1);
    }
    const cut = nodeCutOf(terms.amount, this.deps.nodeCutBasisPoints());
    const artistUri = track.artistUri;
    // Everything but the movement is made first: the movement locks the payer's and the artist's
    // accounts, and is the last statement before the commit, so a hot artist's account is held
    // for as short a time as can be.
    const paidAt = new Date();
    const receipt: MeteredReceipt = {
      type: '9ten-metered-receipt',
      version: 1,
      node: this.deps.publicUrl,
      keyId: this.receiptKey!.keyId,
      invoice: terms.tokenId,
      paymentHash: this.keys.paymentHash(terms.tokenId).toString('hex'),
      payer: payer.id,
      artist: artistUri,
      track: track.uri,
      renditions: terms.renditions,
      segments: { from: terms.from, to: terms.to },
      segmentHashes: hashes,
      amount: terms.amount,
      currency: terms.currency,
      transactionKey: `metered:${terms.tokenId}`,
      paidAt: paidAt.toISOString(),
    };
    const signature = sign(null, Buffer.from(canonicalJson(receipt)), this.receiptKey!.privateKey).toString('base64url');
    const result = await this.db.transaction(async (t) => {
      const [row] = await select<PurchaseRow>(
        this.db,
        `INSERT INTO money_metered_purchases (invoice_id, payer_id, payee_user_id, artist_uri, track_id, track_title, renditions, seg_from, seg_to, amount, node_cut, currency, expires_at, request_key, receipt, receipt_signature, paid_at)
         VALUES (:id, :payer, :payee, :artistUri, :trackId, :title, ARRAY[:renditions]::text[], :from, :to, :amount, :cut, :currency, to_timestamp(:expires), :key, CAST(:receipt AS jsonb), :signature, :paidAt)
         ON CONFLICT DO NOTHING RETURNING *`,
        {
          id: terms.tokenId, payer: payer.id, payee: track.ownerId, artistUri, trackId: terms.trackId, title: track.title, renditions: terms.renditions,
          from: terms.from, to: terms.to, amount: terms.amount, cut, currency: terms.currency, expires: terms.expires, key,
          receipt: JSON.stringify(receipt), signature, paidAt,
        },
        t,
      );
      if (!row) return undefined; // a concurrent payment of the invoice (or with the key) won
      const transaction = await this.books.post(
        {
          key: receipt.transactionKey, kind: 'metered', reference: terms.tokenId,
          memo: { invoice: terms.tokenId, track: receipt.track, title: track.title, segments: `${terms.from}-${terms.to}`, renditions: terms.renditions },
          legs: [
            { account: accounts.wallet(payer.id), amount: -terms.amount },
            // A remote artist is owed, as remote payouts are; a local one is credited at once.
            { account: track.ownerId ? accounts.wallet(track.ownerId) : accounts.remotePayable(artistUri), amount: terms.amount - cut },
            ...(cut > 0 ? [{ account: accounts.nodeFee(), amount: cut }] : []),
          ],
        },
        t,
      );
      return { row, transaction };
    });
    if (!result) {
      const paid = await existing();
      // Gone again (the winner rolled back, e.g. an empty wallet): try once more.
      return paid ? this.replay(paid, payer, terms, key) : this.pay(payer, invoice, requestKey);
    }
    return { purchase: this.toPurchase(result.row), transaction: result.transaction, replayed: false };
  }

  private async replay(row: PurchaseRow, payer: User, terms: SpanTerms, key: string | null) {
    const sameRequest = key !== null && row.request_key === key;
    if (sameRequest && row.invoice_id !== terms.tokenId) throw new AppError(409, 'idempotency_key_reused', 'This Idempotency-Key was already used to pay another invoice');
    if (!sameRequest) {
      const yours = row.payer_id === payer.id;
      throw new AppError(
        409,
        'invoice_already_paid',
        yours ? 'You paid this invoice already: GET /api/v1/metered/purchases/{invoice} gives its credential again' : 'This invoice is paid already',
        { paidAt: new Date(row.paid_at).toISOString(), ...(yours ? { purchase: row.invoice_id } : {}) },
      );
    }
    const tx = await this.books.byKey(row.receipt!.transactionKey);
    return { purchase: this.toPurchase(row), transaction: { ...tx!.tx, replayed: true }, replayed: true };
  }

  private toPurchase(r: PurchaseRow): MeteredPurchase {
    const terms: SpanTerms = {
      tokenId: r.invoice_id, trackId: r.track_id, renditions: r.renditions, from: r.seg_from, to: r.seg_to, amount: Number(r.amount), currency: r.currency,
      payee: r.payee_user_id ?? '', payBy: 0, expires: Math.floor(new Date(r.expires_at).getTime() / 1000),
    };
    const macaroon = this.keys.macaroon(terms);
    const preimage = this.keys.preimage(r.invoice_id).toString('hex');
    return {
      invoice: r.invoice_id,
      trackId: r.track_id,
      trackTitle: r.track_title,
      artistUri: r.artist_uri,
      renditions: r.renditions,
      segments: { from: r.seg_from, to: r.seg_to },
      amount: Number(r.amount),
      nodeCut: Number(r.node_cut),
      currency: r.currency,
      preimage,
      macaroon,
      authorization: `L402 ${macaroon}:${preimage}`,
      expiresAt: new Date(r.expires_at).toISOString(),
      paidAt: new Date(r.paid_at).toISOString(),
      transactionKey: r.receipt.transactionKey,
      receipt: r.receipt,
      signature: r.receipt_signature,
    };
  }

  /** One of the payer's purchases (with its credential), or 404. */
  async purchase(payer: User, invoiceId: string): Promise<MeteredPurchase> {
    const row = /^[0-9a-f]{64}$/.test(invoiceId) ? await selectOne<PurchaseRow>(this.db, 'SELECT * FROM money_metered_purchases WHERE invoice_id = :invoiceId AND payer_id = :payer', { invoiceId, payer: payer.id }) : undefined;
    if (!row) throw notFound('Purchase');
    return this.toPurchase(row);
  }

  /** The payer's purchases, newest first. */
  async purchases(payer: User, limit = 50, offset = 0): Promise<{ total: number; spent: number; data: MeteredPurchase[] }> {
    const rows = await select<PurchaseRow>(this.db, 'SELECT * FROM money_metered_purchases WHERE payer_id = :payer ORDER BY paid_at DESC, invoice_id LIMIT :limit OFFSET :offset', { payer: payer.id, limit, offset });
    const n = await selectOne<{ n: string; spent: string | null }>(this.db, 'SELECT count(*) AS n, sum(amount) AS spent FROM money_metered_purchases WHERE payer_id = :payer', { payer: payer.id });
    return { total: Number(n?.n ?? 0), spent: Number(n?.spent ?? 0), data: rows.map((r) => this.toPurchase(r)) };
  }

  /** An artist's metered sales (after the node's cut): total, per day, per track. */
  async earnings(artistUserId: string, timeZone: string): Promise<api.MeteredEarnings> {
    const repl = { artistUserId, tz: timeZone };
    const total = await selectOne<{ amount: string | null; count: string }>(this.db, 'SELECT sum(amount - node_cut) AS amount, count(*) AS count FROM money_metered_purchases WHERE payee_user_id = :artistUserId', repl);
    const byDay = await select<{ day: string; amount: string; count: string }>(
      this.db,
      `SELECT to_char((paid_at AT TIME ZONE :tz)::date, 'YYYY-MM-DD') AS day, sum(amount - node_cut) AS amount, count(*) AS count
         FROM money_metered_purchases WHERE payee_user_id = :artistUserId GROUP BY 1 ORDER BY 1 DESC LIMIT 366`,
      repl,
    );
    const byTrack = await select<{ track_id: string; title: string; amount: string; count: string }>(
      this.db,
      `SELECT track_id, max(track_title) AS title, sum(amount - node_cut) AS amount, count(*) AS count
         FROM money_metered_purchases WHERE payee_user_id = :artistUserId GROUP BY track_id ORDER BY sum(amount - node_cut) DESC, track_id LIMIT 500`,
      repl,
    );
    return {
      currency: this.books.currency,
      total: Number(total?.amount ?? 0),
      count: Number(total?.count ?? 0),
      byDay: byDay.map((d) => ({ day: d.day, amount: Number(d.amount), count: Number(d.count) })),
      byTrack: byTrack.map((t) => ({ trackId: t.track_id, title: t.title, amount: Number(t.amount), count: Number(t.count) })),
    };
  }

  /** Whether a receipt's signature is this node's (for tests and auditors' tools). */
  verifyReceipt(receipt: MeteredReceipt, signature: string): boolean {
    return verify(null, Buffer.from(canonicalJson(receipt)), this.receiptKey!.publicKey, Buffer.from(signature, 'base64url'));
  }
}
