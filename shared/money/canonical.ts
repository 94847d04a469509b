// Canonical JSON and hashes that the chaincode and the server must compute byte for byte alike.
// Copied verbatim into chaincode/src/vendor/money/ (see allocate.ts).
import { createHash } from 'node:crypto';

import { compareKeys } from './allocate.js';

// Objects of one shape (the same keys in the same insertion order) recur by the hundred thousand
// in a month close; their sorted key order is computed once per shape. Bounded, so arbitrary input
// cannot grow it without limit; the output never depends on it.
interface Shape {
  /** The keys in code-unit order. */
  keys: string[];
  /** `"key":` for each of them, serialised once. */
  heads: string[];
}
const shapes = new Map<string, Shape>();
const SHAPE_CACHE_LIMIT = 1024;

function shapeOf(obj: object): Shape {
  const keys = Object.keys(obj);
  const id = keys.join('\u0000');
  let shape = shapes.get(id);
  if (!shape) {
    const sorted = keys.sort(compareKeys);
    shape = { keys: sorted, heads: sorted.map((k) => `${JSON.stringify(k)}:`) };
    if (shapes.size >= SHAPE_CACHE_LIMIT) shapes.clear();
    shapes.set(id, shape);
  }
  return shape;
}

function appendCanonical(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += value[i] === undefined ? 'null' : appendCanonical(value[i]);
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const { keys, heads } = shapeOf(obj);
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const v = obj[keys[i]];
        if (v === undefined) continue;
        if (out.length > 1) out += ',';
        out += heads[i] + appendCanonical(v);
      }
      return out + '}';
    }
    default:
      throw new Error(`canonicalJson: cannot serialize a ${typeof value}`);
  }
}

/**
 * JSON with object keys sorted (code-unit order) at every depth, no whitespace. Arrays keep their
 * order; undefined properties are left out (as JSON.stringify does). Refuses what JSON cannot carry
 * exactly: non-finite numbers, bigints, functions.
 */
export function canonicalJson(value: unknown): string {
  return appendCanonical(value);
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
      for (const key of shapeOf(obj).keys) {
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
 * Builds a JSON array from its items' canonical JSON texts, added one by one, as stored chunks of
 * `chunkSize` items (each chunk itself a JSON array, UTF-8) and the sha256 hex of the whole array:
 * the same digest as canonicalHash(items) when each text is canonicalJson(item), whatever the
 * chunk size. Each text is encoded once and its bytes serve both the chunk and the hash, and no
 * more than one chunk of text is held at a time.
 */
export class CanonicalArrayChunker {
  readonly chunks: Buffer[] = [];
  private readonly hash = createHash('sha256').update('[');
  private text = '';
  private inChunk = 0;

  constructor(private readonly chunkSize: number) {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new Error(`canonicalArrayChunks: chunkSize must be a positive integer, got ${chunkSize}`);
  }

  add(itemText: string): void {
    this.text = this.inChunk === 0 ? itemText : `${this.text},${itemText}`;
    if (++this.inChunk === this.chunkSize) this.flush();
  }

  /** The chunks and the whole array's hash; adds nothing after. */
  finish(): { chunks: Buffer[]; hash: string } {
    this.flush();
    return { chunks: this.chunks, hash: this.hash.update(']').digest('hex') };
  }

  private flush(): void {
    if (this.inChunk === 0) return;
    const chunk = Buffer.from(`[${this.text}]`, 'utf8');
    if (this.chunks.length > 0) this.hash.update(',');
    this.hash.update(chunk.subarray(1, chunk.length - 1));
    this.chunks.push(chunk);
    this.text = '';
    this.inChunk = 0;
  }
}

/** CanonicalArrayChunker over a list of texts at once. */
export function canonicalArrayChunks(itemTexts: readonly string[], chunkSize: number): { chunks: Buffer[]; hash: string } {
  const chunker = new CanonicalArrayChunker(chunkSize);
  for (const text of itemTexts) chunker.add(text);
  return chunker.finish();
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
