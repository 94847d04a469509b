// Gift links: pre-funded vouchers. Creating one moves its amount into escrow; redeeming it
// (once, by link or QR code) moves it into the redeemer's wallet, creating the wallet.
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import type { Sequelize } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import { AppError, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import { accounts, type Books, type PostedTransaction } from './books.js';
import { assertAmount, assertCurrency } from './amounts.js';
import { BaseProvider } from './providers.js';
import type * as api from '../../shared/api/index.js';

export type GiftLink = api.GiftLink;

interface GiftRow {
  code: string;
  creator_id: string;
  amount: string;
  currency: string;
  message: string | null;
  status: 'open' | 'redeemed';
  funded_from: 'wallet' | 'node';
  redeemed_by: string | null;
  redeemed_at: Date | null;
  created_at: Date;
}

export class GiftLinkProvider extends BaseProvider {
  readonly name = 'gift-link';
  readonly source = accounts.giftEscrow();

  constructor(
    books: Books,
    private readonly db: Sequelize,
    private readonly publicUrl: string,
  ) {
    super(books);
  }

  url(code: string): string {
    return `${this.publicUrl}/gift/${code}`;
  }

  private toLink(r: GiftRow): GiftLink {
    return {
      code: r.code, amount: Number(r.amount), currency: r.currency, message: r.message, status: r.status, fundedFrom: r.funded_from,
      createdAt: new Date(r.created_at).toISOString(), redeemedAt: r.redeemed_at ? new Date(r.redeemed_at).toISOString() : null, url: this.url(r.code),
    };
  }

  async qr(code: string): Promise<{ svg: string; png: string }> {
    const url = this.url(code);
    const [svg, png] = await Promise.all([QRCode.toString(url, { type: 'svg', margin: 2 }), QRCode.toDataURL(url, { margin: 2 })]);
    return { svg, png };
  }

  /**
   * Creates a link funded from the creator's wallet; an admin may fund it from the node
   * instead (money enters the node). `requestKey` makes a retried create return the same link.
   */
  async create(
    creator: User,
    input: { amount: number; currency?: string; message?: string; fundFrom?: 'wallet' | 'node' },
    requestKey?: string,
  ): Promise<GiftLink & { qr: { svg: string; png: string }; replayed: boolean }> {
    assertAmount(input.amount);
    assertCurrency(input.currency, this.books.currency);
    const fundFrom = input.fundFrom ?? (creator.role === 'admin' ? 'node' : 'wallet');
    if (fundFrom === 'node' && creator.role !== 'admin') throw new AppError(403, 'forbidden', 'Only an admin can fund a gift link from the node');
    const code = randomBytes(12).toString('base64url');
    const key = requestKey ? `gift-link:create:${creator.id}:${requestKey}` : `gift-link:create:${code}`;
    const result = await this.db.transaction(async (t) => {
      const moved = await this.books.move(
        {
          key, kind: 'gift-link.fund', provider: this.name, amount: input.amount,
          from: fundFrom === 'node' ? accounts.externalIn('gift-links') : accounts.wallet(creator.id),
          to: accounts.giftEscrow(), memo: { code },
        },
        t,
      );
      if (moved.replayed) return { code: String(moved.memo.code), replayed: true };
      await select(
        this.db,
        `INSERT INTO money_gift_links (code, creator_id, amount, currency, message, status, funded_from)
         VALUES (:code, :creator, :amount, :currency, :message, 'open', :fundFrom)`,
        { code, creator: creator.id, amount: input.amount, currency: this.books.currency, message: input.message ?? null, fundFrom },
        t,
      );
      return { code, replayed: false };
    });
    const link = await this.byCode(result.code);
    return { ...link!, qr: await this.qr(result.code), replayed: result.replayed };
  }

  async byCode(code: string): Promise<GiftLink | undefined> {
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(code)) return undefined;
    const row = await selectOne<GiftRow>(this.db, 'SELECT * FROM money_gift_links WHERE code = :code', { code });
    return row && this.toLink(row);
  }

  async listByCreator(userId: string): Promise<GiftLink[]> {
    const rows = await select<GiftRow>(this.db, 'SELECT * FROM money_gift_links WHERE creator_id = :userId ORDER BY created_at DESC LIMIT 200', { userId });
    return rows.map((r) => this.toLink(r));
  }

  /** Redeems the link into the user's wallet: exactly once, whatever runs in parallel. */
  async redeem(code: string, user: User): Promise<{ link: GiftLink; transaction: PostedTransaction }> {
    const found = await this.byCode(code);
    if (!found) throw notFound('Gift link');
    const transaction = await this.db.transaction(async (t) => {
      // The status flip is the gate: of parallel redemptions exactly one updates the row.
      const claimed = await select<GiftRow>(
        this.db,
        `UPDATE money_gift_links SET status = 'redeemed', redeemed_by = :userId, redeemed_at = now()
         WHERE code = :code AND status = 'open' RETURNING *`,
        { code, userId: user.id },
        t,
      );
      if (!claimed.length) throw new AppError(410, 'gift_link_redeemed', 'This gift link has already been redeemed');
      return this.topUp({ userId: user.id, amount: Number(claimed[0].amount), idempotencyKey: `gift-link:redeem:${code}`, reference: code, memo: { code } }, t);
    });
    return { link: (await this.byCode(code))!, transaction };
  }
}
