// Canonical JSON and hashes that the chaincode and the server must compute byte for byte alike.
// Copied verbatim into chaincode/src/vendor/money/ (see allocate.ts).
import { createHash } from 'node:crypto';

import { compareKeys } from './allocate.js';

/**
 * JSON with object keys sorted (code-unit order) at every depth, no whitespace. Arrays keep their
 * order; undefined properties are left out (as JSON.stringify does). Refuses what JSON cannot carry
 * exactly: non-finite numbers, bigints, functions.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(obj).sort(compareKeys)) {
        if (obj[key] === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${canonicalJson(obj[key])}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new Error(`canonicalJson: cannot serialize a ${typeof value}`);
  }
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** One per-listener row of a daily listening report (private to the reporting node). */
export interface ReportRow {
  pseudonym: string;
  artist: string;
  seconds: number;
  plays: number;
}

/**
 * The canonical form of a day's per-listener rows: only the four fields, rows sorted by pseudonym
 * then artist (code-unit order), each object with sorted keys, no whitespace:
 * [{"artist":"…","plays":1,"pseudonym":"…","seconds":42},…]
 */
export function canonicalReportRows(rows: readonly ReportRow[]): string {
  const normalised = rows
    .map((r) => ({ artist: r.artist, plays: r.plays, pseudonym: r.pseudonym, seconds: r.seconds }))
    .sort((a, b) => compareKeys(a.pseudonym, b.pseudonym) || compareKeys(a.artist, b.artist));
  return canonicalJson(normalised);
}

/** sha256 hex (lowercase) of the UTF-8 canonical rows: the `hash` a daily report must carry. */
export function reportRowsHash(rows: readonly ReportRow[]): string {
  return sha256Hex(canonicalReportRows(rows));
}
