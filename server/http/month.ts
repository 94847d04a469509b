// Months at the HTTP edge: the zod schema routes parse with, the check services call, and
// the OpenAPI schema, all from the one pattern in shared/month.ts.
import { z } from 'zod';
import { monthPattern, type Month } from '../../shared/month.js';
import { badRequest } from './errors.js';

export const monthSchema = z.string().regex(monthPattern, 'a month as YYYY-MM (01-12)');

/** The OpenAPI schema of a month parameter or property. */
export const monthOpenApi = { type: 'string', pattern: monthPattern.source, example: '2026-03' } as const;

/** A month given by a caller, or 400 invalid_month. */
export function assertMonth(month: string): Month {
  if (!monthPattern.test(month)) throw badRequest('invalid_month', `month must look like 2026-03, got "${month}"`);
  return month;
}
