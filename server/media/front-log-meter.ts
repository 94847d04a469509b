// Metering for segments an nginx in front of the node served from disk (nginx-site.ts): each
// line of its access log becomes the SegmentServed event the node's own route would have
// emitted for that response, at the time nginx logged it. Requests nginx passed on to the
// node are not in this log; the node meters those itself, so nothing is counted twice.
// A partial (206) response is reported with where its bytes start (`cr`, nginx's Content-Range)
// and the segment file's size, so listening credits only their share of the segment's span.
import type { Logger } from 'pino';
import type { Streaming } from './streaming.js';
import { parseContentRange, parseSegmentUrl, playSessionOf, segmentServed, type ServedPart } from './segment-meter.js';
import { LogTail } from './log-tail.js';

/** One line of the nineten_segments log format (SEGMENT_LOG_FORMAT). */
interface FrontLogLine {
  t: number;
  s: number;
  b: number;
  m: string;
  u: string;
  ps: string;
  ip: string;
  ua: string;
  /** The response's Content-Range (206 only); lines logged before it was in the format lack it. */
  cr?: string;
}

export interface FrontLogMeterOptions {
  file: string;
  cursorFile: string;
  streaming: Pick<Streaming, 'peekStreamEntry' | 'streamEntry' | 'emitSegmentServed'>;
  segmentSeconds: number;
  log: Logger;
  pollMs?: number;
  /** See LogTailOptions.mayRead: one reader per log across the node's processes. */
  mayRead?: () => Promise<boolean>;
}

export class FrontLogMeter {
  private readonly tail: LogTail;
  private badLines = 0;
  private metered = 0;

  constructor(private readonly o: FrontLogMeterOptions) {
    this.tail = new LogTail({ file: o.file, cursorFile: o.cursorFile, log: o.log, pollMs: o.pollMs, mayRead: o.mayRead, onLines: (lines) => this.meter(lines) });
  }

  start(): void {
    this.o.log.info({ file: this.o.file }, 'metering segments served by the front nginx from its access log');
    this.tail.start();
  }

  stop(): Promise<void> {
    return this.tail.stop();
  }

  /** Reads what the log has now; resolves once those lines are metered. */
  poll(): Promise<void> {
    return this.tail.poll();
  }

  stats(): { metered: number; badLines: number } {
    return { metered: this.metered, badLines: this.badLines };
  }

  private async meter(lines: string[]): Promise<void> {
    for (const text of lines) {
      const line = parseLine(text);
      if (!line) {
        // A line we cannot read is one serve we cannot count: say so, but not once per line.
        if (this.badLines++ % 1000 === 0) this.o.log.warn({ line: text.slice(0, 300), badLines: this.badLines }, 'unreadable front access log line skipped');
        continue;
      }
      if (line.m !== 'GET' || (line.s !== 200 && line.s !== 206)) continue;
      const seg = parseSegmentUrl(line.u);
      if (!seg) continue;
      // The cached entry when there is one: no await (a microtask per line) on the common path.
      const entry = this.o.streaming.peekStreamEntry(seg.trackId) ?? (await this.o.streaming.streamEntry(seg.trackId).catch(() => undefined));
      if (!entry?.row) continue;
      const who = { userId: null, session: playSessionOf(line.ps || undefined, seg.session), ip: line.ip, userAgent: line.ua || null };
      const part = servedPart(line, entry.files.get(seg.file)?.bytes);
      if (part === null) continue;
      this.o.streaming.emitSegmentServed(segmentServed(entry, seg.rendition, seg.index, who, line.b, this.o.segmentSeconds, new Date(Math.round(line.t * 1000)), part));
      this.metered++;
    }
  }
}

/**
 * Which bytes of the file a logged response carried: undefined for the whole file (a full 200),
 * null for a response not to meter. A 206 is placed by its Content-Range; one logged without it
 * (an older log format) is placed at the segment's start, so ranges repeated at other offsets
 * cannot add up to more than their bytes are worth; one of a file whose size is unknown is not
 * metered (it would otherwise count as the whole segment). A 200 cut short (the client went
 * away) counts as the part it carried.
 */
function servedPart(line: FrontLogLine, fileBytes: number | undefined): ServedPart | undefined | null {
  if (line.s === 200) return fileBytes && line.b < fileBytes ? { byteStart: 0, segmentBytes: fileBytes } : undefined;
  const range = parseContentRange(line.cr);
  if (range) return { byteStart: range.start, segmentBytes: range.size };
  return fileBytes ? { byteStart: 0, segmentBytes: fileBytes } : null;
}

function parseLine(text: string): FrontLogLine | undefined {
  let v: Partial<FrontLogLine>;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const ok =
    typeof v === 'object' && v !== null &&
    Number.isFinite(v.t) && Number.isInteger(v.s) && Number.isInteger(v.b) && (v.b as number) >= 0 &&
    typeof v.m === 'string' && typeof v.u === 'string' && typeof v.ps === 'string' && typeof v.ip === 'string' && typeof v.ua === 'string' && (v.cr === undefined || typeof v.cr === 'string');
  return ok ? (v as FrontLogLine) : undefined;
}
