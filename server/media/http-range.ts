// Byte ranges and conditional requests (RFC 9110) for a file whose size and strong ETag are
// known without touching the disk: segments and init files, from their track's file table
// (stream-cache.ts). The streaming route answers every case with it; the fast path takes only
// plain requests and sends the same headers. Other files go through Express's sendFile.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { KnownFile } from './stream-cache.js';

/** What a request gets of a file: all of it or one range (`end` inclusive), 304, or 416. */
export type FileAnswer = { status: 200; start: number; end: number } | { status: 206; start: number; end: number } | { status: 304 } | { status: 416 };

/** Neither a range nor a condition: the whole file, 200. */
export const isPlainRequest = (headers: IncomingHttpHeaders): boolean => headers.range === undefined && headers['if-none-match'] === undefined;

/** If-None-Match against a strong ETag: the weak comparison, and `*`. */
function noneMatchHits(inm: string, etag: string): boolean {
  return inm === etag || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*');
}

export function answerFor(headers: IncomingHttpHeaders, file: KnownFile): FileAnswer {
  const inm = headers['if-none-match'];
  if (inm && noneMatchHits(inm, file.etag)) return { status: 304 };
  const size = file.bytes;
  const whole: FileAnswer = { status: 200, start: 0, end: size - 1 };
  const range = headers.range;
  const ifRange = headers['if-range'];
  if (!range || (ifRange && ifRange !== file.etag)) return whole;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  // Multiple ranges or a malformed header: the whole file (allowed by RFC 9110).
  if (!m || !(m[1] || m[2])) return whole;
  const start = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
  const end = m[1] && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start > end || start >= size) return { status: 416 };
  return { status: 206, start, end };
}

/** Sets the answer's status and its ETag, Accept-Ranges, Content-Range and Content-Length headers. */
export function setAnswerHeaders(res: ServerResponse, answer: FileAnswer, file: KnownFile): void {
  res.setHeader('ETag', file.etag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.statusCode = answer.status;
  if (answer.status === 416) res.setHeader('Content-Range', `bytes */${file.bytes}`);
  if (answer.status === 304 || answer.status === 416) return;
  if (answer.status === 206) res.setHeader('Content-Range', `bytes ${answer.start}-${answer.end}/${file.bytes}`);
  res.setHeader('Content-Length', String(answer.end - answer.start + 1));
}

/** The same headers of a plain request's answer, as a flat list for `writeHead` (the fast path). */
export const plainAnswerHeaders = (file: KnownFile): string[] => ['ETag', file.etag, 'Accept-Ranges', 'bytes', 'Content-Length', String(file.bytes)];

/** The bytes of the answer out of the whole file's. */
export function answerBytes(buf: Buffer, answer: { start: number; end: number }): Buffer {
  return answer.start === 0 && answer.end === buf.length - 1 ? buf : buf.subarray(answer.start, answer.end + 1);
}
