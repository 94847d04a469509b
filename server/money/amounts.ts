// Amount and currency validation: integer minor units only, one configured currency.
import { z } from 'zod';
import { AppError, badRequest } from '../http/errors.js';

/** The largest amount one movement may carry (well inside Number's safe integers). */
export const maxAmount = 1_000_000_000_000;

export const amountSchema = z
  .number({ error: 'amount must be a number of minor units (e.g. cents)' })
  .int('amount must be a whole number of minor units (e.g. 1000 for $10.00)')
  .positive('amount must be greater than zero')
  .max(maxAmount, `amount must be at most ${maxAmount}`);

/** Throws a clear 400 unless `amount` is a positive safe integer. */
export function assertAmount(amount: unknown, what = 'amount'): asserts amount is number {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) throw badRequest('invalid_amount', `${what} must be a number of minor units`);
  if (!Number.isInteger(amount)) throw badRequest('invalid_amount', `${what} must be a whole number of minor units, got ${amount}`);
  if (amount <= 0) throw badRequest('invalid_amount', `${what} must be greater than zero, got ${amount}`);
  if (amount > maxAmount) throw badRequest('invalid_amount', `${what} must be at most ${maxAmount}`);
}

/** Only the node's configured currency is accepted (no conversion happens in the books). */
export function assertCurrency(currency: string | undefined, configured: string): string {
  if (currency === undefined) return configured;
  if (currency !== configured) throw badRequest('unknown_currency', `Unknown currency "${currency}": this node keeps its books in ${configured}`);
  return currency;
}

export const insufficientFunds = (needed: number, available: number) =>
  new AppError(402, 'insufficient_funds', `Insufficient balance: needs ${needed}, has ${available}`, { needed, available });
