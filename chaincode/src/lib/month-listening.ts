// A month of one node's listening as the month close needs it: per pseudonym, seconds per artist.
// Tens of millions of report rows pass through a large close; they are filed as numbers in typed
// arrays (which the garbage collector never scans) and grouped per listener once, so only a
// compact form outlives the day being read.
import type { ArtistTotal, ReportRow } from '../vendor/money/index.js';

export class MonthListening {
  private readonly artistIndex = new Map<string, number>();
  private readonly artists: string[] = [];
  private readonly listenerIndex = new Map<string, number>();
  // One entry per row of the month: listener, artist, seconds (grown by doubling).
  private rowListener = new Int32Array(4096);
  private rowArtist = new Int32Array(4096);
  private rowSeconds = new Float64Array(4096);
  private rows = 0;
  /** After seal(): rows grouped by listener; listener i's rows are [start[i], start[i + 1]). */
  private grouped?: { start: Int32Array; artist: Int32Array; seconds: Float64Array };
  // Per-day sums per artist, reused from day to day.
  private readonly daySeconds: number[] = [];
  private readonly dayPlays: number[] = [];
  private readonly dayTouched: number[] = [];
  /** The day number at which each artist was last touched (a row may carry 0 s and 0 plays). */
  private readonly dayMark: number[] = [];
  private day = 0;

  /**
   * Adds a day's rows after checking that `totals` are exactly their per-artist sums, in the same
   * pass that files the rows (ReportContract's checkTotals is this check on its own).
   */
  addDay(rows: readonly ReportRow[], totals: readonly ArtistTotal[], where: string): void {
    if (this.grouped) throw new Error('MonthListening: addDay after the month was sealed');
    const { daySeconds, dayPlays, dayTouched, dayMark } = this;
    const day = ++this.day;
    this.reserve(rows.length);
    for (const r of rows) {
      let a = this.artistIndex.get(r.artist);
      if (a === undefined) {
        a = this.artists.length;
        this.artistIndex.set(r.artist, a);
        this.artists.push(r.artist);
        daySeconds.push(0);
        dayPlays.push(0);
        dayMark.push(0);
      }
      if (dayMark[a] !== day) {
        dayMark[a] = day;
        dayTouched.push(a);
      }
      daySeconds[a] += r.seconds;
      dayPlays[a] += r.plays;
      let l = this.listenerIndex.get(r.pseudonym);
      if (l === undefined) this.listenerIndex.set(r.pseudonym, (l = this.listenerIndex.size));
      this.rowListener[this.rows] = l;
      this.rowArtist[this.rows] = a;
      this.rowSeconds[this.rows] = r.seconds;
      this.rows++;
    }
    try {
      this.checkDay(totals, where);
    } finally {
      for (const a of dayTouched) {
        daySeconds[a] = 0;
        dayPlays[a] = 0;
      }
      dayTouched.length = 0;
    }
  }

  private reserve(more: number): void {
    const need = this.rows + more;
    if (need <= this.rowListener.length) return;
    let size = this.rowListener.length;
    while (size < need) size *= 2;
    const grow = <T extends Int32Array | Float64Array>(old: T, fresh: T): T => {
      fresh.set(old.subarray(0, this.rows));
      return fresh;
    };
    this.rowListener = grow(this.rowListener, new Int32Array(size));
    this.rowArtist = grow(this.rowArtist, new Int32Array(size));
    this.rowSeconds = grow(this.rowSeconds, new Float64Array(size));
  }

  private checkDay(totals: readonly ArtistTotal[], where: string): void {
    const { daySeconds, dayPlays } = this;
    const matched = new Set<number>();
    for (const t of totals) {
      const a = this.artistIndex.get(t.artist);
      if (a !== undefined && matched.has(a)) throw new Error(`${where}: artist "${t.artist}" appears twice in artistTotals`);
      if (a === undefined || this.dayMark[a] !== this.day) throw new Error(`${where}: artistTotals list artist "${t.artist}" that no row has`);
      if (daySeconds[a] !== t.seconds || dayPlays[a] !== t.plays) {
        throw new Error(`${where}: rows of artist "${t.artist}" sum to ${daySeconds[a]}s/${dayPlays[a]} plays, artistTotals say ${t.seconds}s/${t.plays} plays`);
      }
      matched.add(a);
    }
    for (const a of this.dayTouched) {
      if (!matched.has(a)) throw new Error(`${where}: rows list artist "${this.artists[a]}" but artistTotals do not`);
    }
  }

  /** Groups the rows by listener (a counting sort); no day can be added after. */
  private seal(): NonNullable<MonthListening['grouped']> {
    if (this.grouped) return this.grouped;
    const listeners = this.listenerIndex.size;
    const start = new Int32Array(listeners + 1);
    for (let i = 0; i < this.rows; i++) start[this.rowListener[i] + 1]++;
    for (let l = 0; l < listeners; l++) start[l + 1] += start[l];
    const next = start.slice(0, listeners);
    const artist = new Int32Array(this.rows);
    const seconds = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) {
      const at = next[this.rowListener[i]]++;
      artist[at] = this.rowArtist[i];
      seconds[at] = this.rowSeconds[i];
    }
    this.rowListener = this.rowArtist = new Int32Array(0);
    this.rowSeconds = new Float64Array(0);
    this.grouped = { start, artist, seconds };
    return this.grouped;
  }

  /** The listener's month as rows (an artist may appear more than once; the split sums them). */
  artistSeconds(pseudonym: string): { artist: string; seconds: number }[] {
    const g = this.seal();
    const l = this.listenerIndex.get(pseudonym);
    const out: { artist: string; seconds: number }[] = [];
    if (l === undefined) return out;
    for (let i = g.start[l]; i < g.start[l + 1]; i++) out.push({ artist: this.artists[g.artist[i]], seconds: g.seconds[i] });
    return out;
  }

  /** Seconds the listener spent on one artist this month. */
  secondsOf(pseudonym: string, artist: string): number {
    const a = this.artistIndex.get(artist);
    if (a === undefined) return 0;
    let sum = 0;
    for (const r of this.artistSeconds(pseudonym)) if (r.artist === artist) sum += r.seconds;
    return sum;
  }
}
