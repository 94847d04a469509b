// Calendar months ("YYYY-MM") and their arithmetic: the one definition the server, the
// client and the tests share. Months are computed in a time zone (the node's), never UTC
// by accident.

/** A calendar month as "YYYY-MM" (month 01-12). */
export type Month = string;

/** The one check of a month's spelling. */
export const monthPattern = /^\d{4}-(0[1-9]|1[0-2])$/;

export const isMonth = (value: unknown): value is Month => typeof value === 'string' && monthPattern.test(value);

/** A month from inside the node (a job, another capability): a bad one is a bug, not a client's error (that is server/http/month.ts). */
export function requireMonth(value: string): Month {
  if (!isMonth(value)) throw new Error(`month must be YYYY-MM, got ${value}`);
  return value;
}

function parts(at: Date, timeZone: string): { year: number; month: number; day: number } {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const p = Object.fromEntries(fmt.formatToParts(at).map((x) => [x.type, x.value]));
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day) };
}

/** The month a moment falls in, in the time zone (the node's; the web app uses UTC, as the API does). */
export function monthOf(at: Date, timeZone: string): Month {
  const p = parts(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

/** The calendar date (YYYY-MM-DD) a moment falls on, in the time zone. */
export function dateOf(at: Date, timeZone: string): string {
  const p = parts(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The day of the month a moment falls on, in the time zone. */
export function dayOf(at: Date, timeZone: string): number {
  return parts(at, timeZone).day;
}

export function addMonths(month: Month, n: number): Month {
  const [y, m] = month.split('-').map(Number);
  const idx = y * 12 + (m - 1) + n;
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
}

export const previousMonth = (month: Month) => addMonths(month, -1);
export const nextMonth = (month: Month) => addMonths(month, 1);
