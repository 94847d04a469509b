// GET /static/audio/:trackId.m4a: the progressive file (progressive.ts) of a track strangers may
// play without asking (free, ready, not private), with byte ranges. What a response really
// sends is metered as it goes: each part (one HLS segment's audio) is reported to listening as
// soon as its last byte of this response is sent, with its bytes' share of the part, and the
// rest when the response ends or breaks off, so a play that fetched 20 % of the file counts 20 %
// of its timeline, at the offset it fetched, and a slow download counts while it plays.
import type { Router } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { AppError, notFound } from '../http/errors.js';
import { isPublic } from '../accounts/middleware.js';
import type { MediaService } from './service.js';
import type { KnownFile } from './stream-cache.js';
import { isUuid } from './storage.js';
import { canViewTrack } from './track-view.js';
import { answerFor, setAnswerHeaders } from './http-range.js';
import { hourCacheControl, setCors } from './streaming-headers.js';
import { meteredRequestOf, servedEvent, type MeteredRequest } from './segment-meter.js';
import { progressiveFile, servedParts, type ProgressiveIndex } from './progressive.js';
import type { Streaming } from './streaming.js';

const PROGRESSIVE_URL = /^([0-9a-fA-F-]{36})\.m4a$/;

/** Reports the parts of `index` a response sends from `start` on, as its bytes go out. */
export class RangeMeter {
  private meteredTo: number;

  constructor(
    private readonly streaming: Pick<Streaming, 'emitSegmentServed'>,
    private readonly trackId: string,
    private readonly index: ProgressiveIndex,
    start: number,
    private readonly who: MeteredRequest,
  ) {
    this.meteredTo = start;
  }

  /** The response has sent every byte before `sentTo`: reports the parts now complete. */
  advance(sentTo: number): void {
    const slices = servedParts(this.index, this.meteredTo, sentTo);
    let to = this.meteredTo;
    for (const s of slices) {
      if (s.byteStart + s.bytes < s.part.bytes) break; // the part goes on past what was sent
      this.emit(s);
      to = s.part.offset + s.part.bytes;
    }
    this.meteredTo = to;
  }

  /** The response ended (or broke off) after `sentTo`: reports what is left. */
  end(sentTo: number): void {
    for (const s of servedParts(this.index, this.meteredTo, sentTo)) this.emit(s);
    this.meteredTo = sentTo;
  }

  private emit(s: ReturnType<typeof servedParts>[number]): void {
    const p = s.part;
    this.streaming.emitSegmentServed(
      servedEvent(this.trackId, progressiveFile, p.index, [p.startSeconds, p.durationSeconds], this.who, s.bytes, new Date(), { byteStart: s.byteStart, segmentBytes: p.bytes }),
    );
  }
}

/**
 * Answers a GET or HEAD of a track's progressive file on `res`: ranges, conditions, and the
 * metering of what is sent for `who`. Rejects before anything is sent (404, 403 for a paid
 * track) so the caller answers the problem; resolves once the response is handed off or broken.
 * The route below uses it; a protocol route of another capability (Subsonic `stream`) may too.
 */
export async function sendProgressive(media: Pick<MediaService, 'streaming' | 'storage'>, trackId: string, req: IncomingMessage, res: ServerResponse, who: MeteredRequest): Promise<void> {
  const { streaming, storage } = media;
  const id = trackId.toLowerCase();
  if (!isUuid(id)) throw notFound('Track');
  const entry = streaming.peekStreamEntry(id) ?? (await streaming.streamEntry(id));
  const row = entry.row;
  // Only what strangers may play: a private or unfinished track is not there at all.
  if (!row || !canViewTrack(row, undefined)) throw notFound('Track');
  if (row.access !== 'free') {
    throw new AppError(403, 'progressive_not_offered', `This track is for ${row.access === 'metered' ? 'paying listeners' : 'subscribers'}: it is played over HLS, segment by segment, not as one file`);
  }
  const index = await streaming.progressiveIndex(entry);
  if (!index) throw notFound('File');
  const known: KnownFile = { bytes: index.bytes, sha256: index.sha256, etag: `"${index.sha256.slice(0, 40)}"` };
  const answer = answerFor(req.headers, known);
  res.setHeader('Content-Type', index.mimeType);
  // The URL outlives a retranscode (a new file, a new ETag): an hour, then revalidated.
  res.setHeader('Cache-Control', hourCacheControl(row.visibility));
  setAnswerHeaders(res, answer, known);
  if (answer.status === 304 || answer.status === 416 || req.method === 'HEAD') return void res.end();

  const meter = new RangeMeter(streaming, row.id, index, answer.start, who);
  const file = createReadStream(path.join(storage.streamingDir(row.id), progressiveFile), { start: answer.start, end: answer.end, highWaterMark: 16 * 1024 });
  await new Promise<void>((resolve, reject) => {
    let sentTo = answer.start;
    let ended = false;
    const finish = () => {
      if (!ended) {
        ended = true;
        file.destroy();
        // What is still in the response's buffer when the client went away never left.
        meter.end(res.writableFinished ? sentTo : Math.max(answer.start, sentTo - res.writableLength));
      }
      resolve();
    };
    file.on('data', (chunk) => {
      if (!res.write(chunk)) file.pause();
      sentTo += chunk.length;
      meter.advance(sentTo);
    });
    res.on('drain', () => file.resume());
    file.on('end', () => res.end());
    file.on('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        finish();
        return void res.destroy(err);
      }
      ended = true;
      // Gone under the cache (a retranscode or a delete elsewhere): the next request looks again.
      streaming.forget(row.id);
      for (const h of ['Content-Range', 'Content-Length', 'ETag', 'Content-Type', 'Cache-Control']) res.removeHeader(h);
      res.statusCode = 200;
      reject(err.code === 'ENOENT' ? notFound('File') : err);
    });
    res.on('close', finish);
  });
}

export function progressiveRoute(r: Router, media: MediaService): void {
  r.get('/static/audio/:file', isPublic, (req, res, next) => {
    setCors(res);
    const trackId = PROGRESSIVE_URL.exec(req.params.file)?.[1];
    if (!trackId) return next(notFound('Track'));
    sendProgressive(media, trackId, req, res, meteredRequestOf(req)).catch(next);
  });
}
