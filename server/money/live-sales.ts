// Paying for live streams. A priced live stream is sold two ways once a viewer's free minutes
// are used: minutes bought as L402 credentials (the metered flow, spans numbered by segment
// sequence), or a rate stream from the viewer's wallet to the artist that the node opens on the
// viewer's word and closes when they stop watching, so they pay for the seconds watched.
// Subscribers pay too, less the discount the artist set (all of it: they watch free).
import type { User } from '../accounts/service.js';
import type { Transaction } from '../db/index.js';
import type { Sequelize } from 'sequelize';
import type { AccessDecision } from '../media/contract.js';
import { AppError, badRequest } from '../http/errors.js';
import type { LiveSaleItem, LiveSalesApi } from './contract.js';
import type { Metered } from './metered.js';
import { SWEEP_SECONDS, TOP_UP_AHEAD_SECONDS, type Streams } from './streams.js';
import { accounts, type AccountRef, type Books, type PostedTransaction } from './books.js';
import { assertAmount } from './amounts.js';
import type * as api from '../../shared/api/index.js';

/** The longest span of live minutes one offer sells. */
const MAX_LIVE_MINUTES = 60;
/** A watch stream's chunk: this many minutes move into escrow at a time (at least what the sweep needs). */
const WATCH_CHUNK_MINUTES = 5;

export class LiveSales implements LiveSalesApi {
  constructor(
    private readonly metered: Metered,
    private readonly streams: Streams,
    private readonly books: Books,
    private readonly db: Sequelize,
  ) {}

  // ---- pre-funded watch links: credit held for one guest's watching of one channel ----

  /** A watch link's credit, held in its own escrow until spent on watch streams or released to the guest who claims their account. */
  static watchLinkEscrow(code: string): AccountRef {
    return { key: `escrow:watch-link:${code}`, kind: 'escrow' };
  }

  /** Moves a new watch link's credit into its escrow: from the creator's wallet, or (an admin) from the node. Once per code. */
  async fundWatchLink(creator: User, input: { code: string; amount: number; fundFrom: 'wallet' | 'node' }, t?: Transaction): Promise<PostedTransaction> {
    assertAmount(input.amount);
    if (input.fundFrom === 'node' && creator.role !== 'admin') throw new AppError(403, 'forbidden', 'Only an admin funds a watch link from the node');
    return this.books.move({
      key: `watch-link:fund:${input.code}`, kind: 'watch-link.fund', amount: input.amount,
      from: input.fundFrom === 'node' ? accounts.externalIn('watch-links') : accounts.wallet(creator.id),
      to: LiveSales.watchLinkEscrow(input.code), reference: input.code, memo: { code: input.code, creator: creator.id },
    }, t);
  }

  watchLinkCredit(code: string): Promise<number> {
    return this.books.balance(LiveSales.watchLinkEscrow(code).key);
  }

  /** What is left of a watch link goes to the wallet of the guest who claimed their account (once; nothing left: null). */
  async releaseWatchLink(code: string, userId: string): Promise<PostedTransaction | null> {
    const escrow = LiveSales.watchLinkEscrow(code);
    // The balance read is the one moved: the escrow is locked from the read to the move.
    return this.db.transaction(async (t) => {
      const left = (await this.books.lock([escrow], t)).get(escrow.key) ?? 0;
      if (left <= 0) return null;
      return this.books.move({ key: `watch-link:release:${code}`, kind: 'watch-link.release', amount: left, from: escrow, to: accounts.wallet(userId), reference: code, memo: { code } }, t);
    });
  }

  credential(item: LiveSaleItem, rendition: string, seq: number, authorization: string): AccessDecision {
    return this.metered.payment(item, rendition, seq, authorization);
  }

  paymentRequired(item: LiveSaleItem, rendition: string, seq: number, code: string, message: string, details: Record<string, unknown>): AccessDecision {
    const refusal = this.metered.payment(item, rendition, seq, undefined);
    return refusal.ok ? refusal : { ...refusal, code, message, details };
  }

  async priceFor(item: LiveSaleItem, userId: string | undefined): Promise<number> {
    const listed = item.live.pricePerMinute;
    const off = item.live.subscriberDiscountPercent;
    if (!userId || off <= 0 || !(await this.metered.isSubscriber(userId))) return listed;
    // The discount rounds in the viewer's favour; a price never rounds down to nothing unless all of it is off.
    return off >= 100 ? 0 : Math.max(1, Math.floor((listed * (100 - off)) / 100));
  }

  async offer(item: LiveSaleItem, input: { rendition: string; fromSeq: number; minutes: number }, payer: User): Promise<api.MeteredOffer> {
    const { rendition, fromSeq, minutes } = input;
    if (!Number.isSafeInteger(minutes) || minutes < 1 || minutes > MAX_LIVE_MINUTES) throw badRequest('invalid_span', `minutes is a whole number from 1 to ${MAX_LIVE_MINUTES}`);
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 0) throw badRequest('invalid_span', 'fromSeq is a segment sequence number (0 or more)');
    if (!item.renditions.some((r) => r.name === rendition)) throw badRequest('invalid_rendition', `This stream has no rendition "${rendition}"`, { renditions: item.renditions.map((r) => r.name) });
    const price = await this.priceFor(item, payer.id);
    if (price === 0) throw new AppError(409, 'subscriber_plays_free', 'You subscribe: this live stream is free for you, so there is nothing to pay');
    const listed = item.live.pricePerMinute;
    const terms = this.metered.terms(item, rendition, fromSeq, minutes, price < listed ? { price, payer: payer.id } : undefined);
    return this.metered.offerOf(terms);
  }

  async openWatchStream(viewer: User, recipientUserId: string, pricePerMinute: number, requestKey: string, watchLink?: string): Promise<api.PaymentStream> {
    if (watchLink) {
      // On a watch link's credit: five minutes a chunk, or what is left (at least what the sweep needs).
      const fundedFrom = LiveSales.watchLinkEscrow(watchLink);
      const min = Math.ceil((pricePerMinute * (TOP_UP_AHEAD_SECONDS + SWEEP_SECONDS)) / 60);
      const left = await this.books.balance(fundedFrom.key);
      if (left < min) throw new AppError(402, 'insufficient_funds', `The watch link's credit (${left}) is less than 2.5 minutes of watching (${min}): claim your account and top up your wallet to keep watching`, { needed: min, available: left });
      const chunk = Math.min(pricePerMinute * WATCH_CHUNK_MINUTES, left);
      const rate = { amount: pricePerMinute, periodSeconds: 60 };
      return (await this.streams.createRate(viewer, { recipient: recipientUserId, rate, chunk, cancelable: false, fundedFrom }, requestKey)).stream;
    }
    // Not cancelable by the viewer: the node closes it (DELETE …/watch-stream), paying the artist
    // the seconds watched; a cancel behind the gate's back would play on for free.
    const open = (chunk: number) =>
      this.streams.createRate(viewer, { recipient: recipientUserId, rate: { amount: pricePerMinute, periodSeconds: 60 }, chunk, cancelable: false }, requestKey);
    try {
      return (await open(pricePerMinute * WATCH_CHUNK_MINUTES)).stream;
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'insufficient_funds') throw err;
      // A wallet short of five minutes still watches, on the smallest chunk the sweep allows.
      return (await open(Math.ceil((pricePerMinute * (TOP_UP_AHEAD_SECONDS + SWEEP_SECONDS)) / 60))).stream;
    }
  }

  watchStreamByKey(viewerId: string, requestKey: string): Promise<api.PaymentStream | undefined> {
    return this.streams.byRequestKey(viewerId, requestKey);
  }

  watchStream(id: string): Promise<api.PaymentStream | undefined> {
    return this.streams.peek(id);
  }

  closeWatchStream(id: string, at: number): Promise<api.PaymentStream> {
    return this.streams.close(id, at);
  }
}
