// Chunked, resumable upload of one file (POST /api/v1/uploads, then one PUT per chunk).
// XMLHttpRequest rather than fetch: its upload.onprogress moves the bar smoothly inside a chunk.
import { accessToken, api, ApiError, refresh } from './api.js';
import { contentRange, nextChunk, resumeKey, uploadFraction, type ChunkRange } from './lib/chunks.js';
import type { UploadProgress, UploadStarted } from '../../shared/api/index.js';

export interface UploadOptions {
  channelId: string;
  file: File;
  visibility?: string;
  allowDownload?: boolean;
  /** fraction 0..1 of the file on the server (or on the wire). */
  onProgress?: (fraction: number, bytes: number, total: number) => void;
  onStatus?: (message: string) => void;
  signal?: AbortSignal;
}

export interface UploadResult {
  uploadId: string;
  trackId: string;
}

/** Where an upload stands: the node names the chunk size when it starts one, and a resume remembers it. */
type UploadState = UploadProgress & Partial<Pick<UploadStarted, 'chunkSize'>>;

const defaultChunkSize = 5 * 1024 * 1024;
const maxRetries = 5;

interface PutResult {
  status: number;
  body: any;
}

function putChunk(uploadId: string, file: File, chunk: ChunkRange, onSent: (bytes: number) => void, signal?: AbortSignal): Promise<PutResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/api/v1/uploads/${encodeURIComponent(uploadId)}`);
    const token = accessToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Content-Range', contentRange(chunk, file.size));
    xhr.upload.onprogress = (e) => onSent(e.loaded);
    xhr.onload = () => {
      let body: any = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = xhr.responseText;
      }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new Error('network error while sending a chunk'));
    xhr.onabort = () => reject(new DOMException('upload cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file.slice(chunk.start, chunk.end + 1));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startOrResume(opts: UploadOptions, key: string): Promise<UploadState> {
  const known = readResume(key);
  if (known) {
    try {
      const state = await api<UploadProgress>('GET', `/api/v1/uploads/${encodeURIComponent(known.id)}`);
      if (state.size === opts.file.size && !(state.complete && !state.trackId)) {
        opts.onStatus?.(`Resuming at ${Math.floor((state.received / state.size) * 100)} %`);
        return { ...state, chunkSize: known.chunkSize };
      }
    } catch {
      /* expired or unknown upload: start a new one */
    }
    localStorage.removeItem(key);
  }
  const created = await api<UploadStarted>('POST', '/api/v1/uploads', {
    body: {
      channelId: opts.channelId,
      filename: opts.file.name,
      size: opts.file.size,
      mimeType: opts.file.type || undefined,
      visibility: opts.visibility,
      allowDownload: opts.allowDownload,
    },
  });
  localStorage.setItem(key, JSON.stringify({ id: created.id, chunkSize: created.chunkSize }));
  return created;
}

function readResume(key: string): { id: string; chunkSize?: number } | null {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? 'null');
    return v && typeof v.id === 'string' ? v : null;
  } catch {
    return null;
  }
}

export async function uploadFile(opts: UploadOptions): Promise<UploadResult> {
  const { file } = opts;
  const key = resumeKey(file, opts.channelId);
  const state = await startOrResume(opts, key);
  const uploadId = state.id;
  let chunkSize = state.chunkSize && state.chunkSize > 0 ? state.chunkSize : defaultChunkSize;
  let received = state.received ?? 0;
  let trackId = state.trackId ?? null;
  let failures = 0;
  const report = (sent: number) => opts.onProgress?.(uploadFraction(received, sent, file.size), Math.min(file.size, received + sent), file.size);
  report(0);

  for (let chunk = nextChunk(received, file.size, chunkSize); chunk; chunk = nextChunk(received, file.size, chunkSize)) {
    opts.signal?.throwIfAborted();
    let res: PutResult;
    try {
      res = await putChunk(uploadId, file, chunk, report, opts.signal);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      res = { status: 0, body: null };
    }
    if (res.status >= 200 && res.status < 300) {
      failures = 0;
      received = Number(res.body?.received ?? chunk.end + 1);
      if (res.body?.trackId) trackId = res.body.trackId;
      report(0);
      continue;
    }
    if ((res.status === 409 || res.status === 416) && typeof res.body?.received === 'number') {
      // The server has a different offset (another tab, a lost reply): continue from there.
      received = res.body.received;
      opts.onStatus?.('Resynchronised with the server');
      report(0);
      continue;
    }
    if (res.status === 413 && typeof res.body?.chunkSize === 'number' && res.body.chunkSize > 0 && res.body.chunkSize < chunkSize) {
      chunkSize = res.body.chunkSize; // the node takes smaller chunks than we assumed
      continue;
    }
    if (res.status === 401 && (await refresh())) continue;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      localStorage.removeItem(key);
      const detail = res.body?.detail ?? `upload refused (HTTP ${res.status})`;
      throw new ApiError(res.status, res.body?.code ?? `http_${res.status}`, detail, res.body);
    }
    if (++failures > maxRetries) throw new Error(`Upload interrupted after ${maxRetries} retries; choose the same file again to resume`);
    opts.onStatus?.(`Connection problem; retrying (${failures}/${maxRetries})…`);
    await sleep(Math.min(8000, 500 * 2 ** failures));
    try {
      const s = await api<UploadProgress>('GET', `/api/v1/uploads/${encodeURIComponent(uploadId)}`);
      received = s.received;
    } catch {
      /* keep our offset; the server answers 409 with its own if it differs */
    }
  }

  // All bytes are there; the track id comes with the last chunk (or shortly after).
  for (let i = 0; !trackId && i < 20; i++) {
    const s = await api<UploadProgress>('GET', `/api/v1/uploads/${encodeURIComponent(uploadId)}`);
    trackId = s.trackId ?? null;
    if (!trackId) await sleep(500);
  }
  localStorage.removeItem(key);
  if (!trackId) throw new Error('The upload finished but the node did not create a track');
  return { uploadId, trackId };
}
