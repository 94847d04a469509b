// One payment-provider interface with provider-neutral verbs. Each provider brings money
// into a wallet from its own source account; every top-up stores amount, fee and rate.
import type { Transaction } from 'sequelize';
import { accounts, type AccountRef, type Books, type PostedTransaction } from './books.js';
import { assertAmount, assertCurrency } from './amounts.js';

export interface TopUpArgs {
  /** The wallet's owner. */
  userId: string;
  amount: number;
  currency?: string;
  /** The same key twice credits once. */
  idempotencyKey: string;
  /** What the processor charged for this payment (kept for the books; not taken from the wallet). */
  fee?: number;
  /** The exchange rate the processor applied at charge time ("1" when none). */
  rate?: string;
  /** The processor's or admin's reference. */
  reference?: string;
  memo?: Record<string, unknown>;
}

export interface PaymentProvider {
  /** Stable name, stored on every transaction it makes. */
  readonly name: string;
  /** Where the money comes from in the books. */
  readonly source: AccountRef;
  /** Credits a wallet; idempotent per key. */
  topUp(args: TopUpArgs, t?: Transaction): Promise<PostedTransaction>;
}

/** Shared behaviour: validate, then move source → wallet. */
export abstract class BaseProvider implements PaymentProvider {
  abstract readonly name: string;
  abstract readonly source: AccountRef;

  constructor(protected readonly books: Books) {}

  async topUp(args: TopUpArgs, t?: Transaction): Promise<PostedTransaction> {
    assertAmount(args.amount);
    assertCurrency(args.currency, this.books.currency);
    return this.books.move(
      {
        key: args.idempotencyKey,
        kind: 'top-up',
        provider: this.name,
        from: this.source,
        to: accounts.wallet(args.userId),
        amount: args.amount,
        fee: args.fee ?? 0,
        rate: args.rate ?? '1',
        reference: args.reference,
        memo: args.memo,
      },
      t,
    );
  }
}

/** An admin credits a wallet by hand (cash, bank transfer, promotion): money enters the node. */
export class AdminCreditProvider extends BaseProvider {
  readonly name = 'admin';
  readonly source = accounts.externalIn('admin');
}
