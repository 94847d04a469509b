// A Subsonic request's parameters: the query string and, for a form POST (OpenSubsonic's
// formPost extension), the form body, merged; a parameter may repeat (`id=1&id=2`).
import { missing, SubsonicCode, SubsonicError } from './envelope.js';

export class Params {
  constructor(private readonly raw: Record<string, unknown>) {}

  static of(query: unknown, body: unknown): Params {
    const merged: Record<string, unknown> = { ...(query as Record<string, unknown>) };
    if (body && typeof body === 'object' && !Buffer.isBuffer(body)) {
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) merged[k] = k in merged ? [...Params.list(merged[k]), ...Params.list(v)] : v;
    }
    return new Params(merged);
  }

  private static list(v: unknown): string[] {
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v.flatMap((x) => (typeof x === 'string' || typeof x === 'number' ? [String(x)] : []));
    return typeof v === 'string' || typeof v === 'number' ? [String(v)] : [];
  }

  all(name: string): string[] {
    return Params.list(this.raw[name]);
  }

  str(name: string): string | undefined {
    return this.all(name)[0];
  }

  required(name: string): string {
    const v = this.str(name);
    if (v === undefined || v === '') throw missing(name);
    return v;
  }

  int(name: string, fallback: number, range: { min: number; max: number } = { min: 0, max: Number.MAX_SAFE_INTEGER }): number {
    const v = this.str(name);
    if (v === undefined || v === '') return fallback;
    if (!/^-?\d+$/.test(v)) throw new SubsonicError(SubsonicCode.generic, `Parameter ${name} must be a whole number`);
    return Math.min(Math.max(Number(v), range.min), range.max);
  }

  optionalInt(name: string): number | undefined {
    const v = this.str(name);
    return v === undefined || v === '' ? undefined : this.int(name, 0, { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.str(name);
    if (v === undefined || v === '') return fallback;
    return /^(true|1|yes)$/i.test(v);
  }
}
