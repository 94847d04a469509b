// Calendar months ("YYYY-MM") in the node's configured time zone.
import { badRequest } from '../http/errors.js';

export const monthPattern = /^\d{4}-(0[1-9]|1[0-2])$/;

export function assertMonth(month: string): string {
  if (!monthPattern.test(month)) throw badRequest('invalid_month', `month must look like 2026-03, got "${month}"`);
  return month;
}

function parts(at: Date, timeZone: string): { year: number; month: number; day: number } {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const p = Object.fromEntries(fmt.formatToParts(at).map((x) => [x.type, x.value]));
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day) };
}

/** The month a moment falls in, in the time zone. */
export function monthOf(at: Date, timeZone: string): string {
  const p = parts(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

/** The day of the month a moment falls on, in the time zone. */
export function dayOf(at: Date, timeZone: string): number {
  return parts(at, timeZone).day;
}

export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  const idx = y * 12 + (m - 1) + n;
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
}

export const previousMonth = (month: string) => addMonths(month, -1);
export const nextMonth = (month: string) => addMonths(month, 1);
