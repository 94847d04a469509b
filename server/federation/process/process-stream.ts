// A followed channel on another node started or ended a live stream: store it.
import { select } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { hostOf, idOf } from '../vocabulary.js';
import { sanitizeText } from '../sanitize.js';
import { notifyRemoteLiveStarted } from '../notify.js';

export async function processStream(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const object = activity.object as unknown;
  const streamUri = idOf(object);
  if (!streamUri || hostOf(streamUri) !== hostOf(actorUri)) return 'ignored';
  const o = (object && typeof object === 'object' ? object : {}) as Record<string, unknown>;
  const url = typeof o.url === 'string' && /^https?:\/\//.test(o.url) ? o.url.slice(0, 2048) : null;
  const hls = hlsLinkOf(o.attachment, actorUri);
  const rows = await select(
    svc.rt.db,
    `INSERT INTO federation_streams (activity_uri, actor_uri, stream_uri, state, name, url, hls_url, at, direction)
     VALUES (:id, :actor, :stream, :state, :name, :url, :hls, :at, 'in') ON CONFLICT DO NOTHING RETURNING activity_uri`,
    {
      id: activity.id, actor: actorUri, stream: streamUri, state: activity.streamState,
      name: typeof o.name === 'string' ? sanitizeText(o.name, 300) : null, url, hls,
      at: publishedAt(activity.published),
    },
  );
  if (!rows.length) return 'ignored';
  if (activity.streamState === 'started') await notifyRemoteLiveStarted(svc, actorUri, streamUri, typeof o.name === 'string' ? sanitizeText(o.name, 300) : null);
  return 'processed';
}

/** The HLS playlist among a Stream's attachments: an http(s) Link on the actor's own host, or null. */
function hlsLinkOf(attachment: unknown, actorUri: string): string | null {
  for (const a of Array.isArray(attachment) ? attachment.slice(0, 10) : [attachment]) {
    if (!a || typeof a !== 'object') continue;
    const { type, mediaType, href } = a as Record<string, unknown>;
    if (type !== 'Link' || typeof mediaType !== 'string' || !/^application\/(x-mpegurl|vnd\.apple\.mpegurl)$/i.test(mediaType)) continue;
    if (typeof href !== 'string' || href.length > 2048 || !/^https?:\/\//.test(href) || hostOf(href) !== hostOf(actorUri)) continue;
    return href;
  }
  return null;
}

/** When the Stream says it happened, never in the future (a start dated ahead would stay "live" and shadow its end). */
function publishedAt(published: unknown): string {
  const t = typeof published === 'string' ? Date.parse(published) : NaN;
  return new Date(Number.isFinite(t) ? Math.min(t, Date.now()) : Date.now()).toISOString();
}
