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

/**
 * Writes canonicalJson(value) in pieces to `write` (never one giant string: months of a million
 * subscriptions do not fit one JavaScript string). Pieces are batched to about 64 KiB.
 */
export function writeCanonicalJson(value: unknown, write: (piece: string) => void): void {
  let buffer = '';
  const emit = (piece: string) => {
    buffer += piece;
    if (buffer.length >= 65_536) {
      write(buffer);
      buffer = '';
    }
  };
  const walk = (v: unknown): void => {
    if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) {
        emit('[');
        for (let i = 0; i < v.length; i++) {
          if (i > 0) emit(',');
          if (v[i] === undefined) emit('null');
          else walk(v[i]);
        }
        emit(']');
        return;
      }
      const obj = v as Record<string, unknown>;
      let first = true;
      emit('{');
      for (const key of Object.keys(obj).sort(compareKeys)) {
        if (obj[key] === undefined) continue;
        if (!first) emit(',');
        first = false;
        emit(JSON.stringify(key));
        emit(':');
        walk(obj[key]);
      }
      emit('}');
      return;
    }
    emit(canonicalJson(v));
  };
  walk(value);
  if (buffer) write(buffer);
}

/**
 * sha256 hex of a JSON array given as its items' canonical JSON texts, in order: the same digest
 * as canonicalHash(items) when each text is canonicalJson(item). Lets a caller serialise each item
 * once and use the text both for storage and for the hash.
 */
export function canonicalArrayHash(itemTexts: readonly string[]): string {
  const hash = createHash('sha256');
  let buffer = '[';
  for (let i = 0; i < itemTexts.length; i++) {
    if (i > 0) buffer += ',';
    buffer += itemTexts[i];
    if (buffer.length >= 65_536) {
      hash.update(buffer);
      buffer = '';
    }
  }
  hash.update(buffer + ']');
  return hash.digest('hex');
}

/** sha256 hex of canonicalJson(value), streamed: the same digest as sha256Hex(canonicalJson(value)). */
export function canonicalHash(value: unknown): string {
  const hash = createHash('sha256');
  writeCanonicalJson(value, (piece) => hash.update(piece));
  return hash.digest('hex');
}

/** One per-listener row of a daily listening report (private to the reporting node). */
export interface ReportRow {
  pseudonym: string;
  artist: string;
  seconds: number;
  plays: number;
}

/** A report's public per-artist total: the sum of its rows for that artist. */
export interface ArtistTotal {
  artist: string;
  seconds: number;
  plays: number;
}

/** Per-artist sums of a day's rows, sorted by artist (code-unit order): the public totals a
 * node submits and the chaincode checks, so both sides compute them with this one function. */
export function artistTotalsOf(rows: readonly ReportRow[]): ArtistTotal[] {
  const sums = new Map<string, ArtistTotal>();
  for (const r of rows) {
    const t = sums.get(r.artist) ?? { artist: r.artist, seconds: 0, plays: 0 };
    t.seconds += r.seconds;
    t.plays += r.plays;
    sums.set(r.artist, t);
  }
  return [...sums.values()].sort((a, b) => compareKeys(a.artist, b.artist));
}

/**
 * The canonical form of a day's per-listener rows: only the four fields, rows sorted by pseudonym
 * then artist (code-unit order), each object with sorted keys, no whitespace:
 * [{"artist":"…","plays":1,"pseudonym":"…","seconds":42},…]
 */
export function canonicalReportRows(rows: readonly ReportRow[]): string {
  return canonicalJson(normaliseRows(rows));
}

function normaliseRows(rows: readonly ReportRow[]) {
  return rows
    .map((r) => ({ artist: r.artist, plays: r.plays, pseudonym: r.pseudonym, seconds: r.seconds }))
    .sort((a, b) => compareKeys(a.pseudonym, b.pseudonym) || compareKeys(a.artist, b.artist));
}

/** sha256 hex (lowercase) of the UTF-8 canonical rows: the `hash` a daily report must carry (streamed). */
export function reportRowsHash(rows: readonly ReportRow[]): string {
  return canonicalHash(normaliseRows(rows));
}
