// Helpers for listening tests: play sessions made as POST /api/v1/plays makes them (for
// tests of the counting logic that need no transcoded track), segment serves through the
// service's entry point (the one media calls), and progress through the HTTP API.
import { randomUUID } from 'node:crypto';
import { selectOne, execute } from '../../server/db/index.js';
import { listeningConfigSchema, listeningService } from '../../server/listening/index.js';
import type { TestNode } from '../helpers/node.js';

export interface SessionInput {
  userId: string;
  trackId?: string;
  channelId?: string;
  channelName?: string;
  ownerId?: string | null;
  durationSeconds?: number;
  ip?: string | null;
  userAgent?: string | null;
  /** Seconds before now the session started (default 0). */
  startedSecondsAgo?: number;
}

export async function createSession(node: TestNode, s: SessionInput): Promise<{ sessionId: string; trackId: string }> {
  const trackId = s.trackId ?? randomUUID();
  const row = await selectOne<{ id: string }>(
    node.ctx.db,
    `INSERT INTO listening_sessions (user_id, track_id, channel_id, channel_owner_id, artist_uri, track_duration_seconds, ip, user_agent, started_at)
     VALUES (:userId, :trackId, :channelId, :ownerId, :artist, :duration, :ip, :ua, now() - make_interval(secs => :ago)) RETURNING id`,
    {
      userId: s.userId,
      trackId,
      channelId: s.channelId ?? 'channel-1',
      ownerId: s.ownerId ?? null,
      artist: `${node.ctx.config.publicUrl}/ap/channels/${s.channelName ?? 'band'}`,
      duration: s.durationSeconds ?? 120,
      ip: s.ip === undefined ? '10.0.0.1' : s.ip,
      ua: s.userAgent === undefined ? 'test-agent' : s.userAgent,
      ago: s.startedSecondsAgo ?? 0,
    },
  );
  return { sessionId: row!.id, trackId };
}

/** Serves segments [from, to) of `seconds` each to a session through the listening entry point. */
export function serve(node: TestNode, sessionId: string | null, trackId: string, from: number, to: number, seconds = 4, userId: string | null = null): void {
  const svc = listeningService(node.ctx);
  for (let i = from; i < to; i++) {
    svc.recordSegmentServed({
      trackId,
      rendition: '128k',
      segmentIndex: i,
      segmentStartSeconds: i * seconds,
      segmentDurationSeconds: seconds,
      bytes: 64_000,
      userId,
      sessionId,
      ip: '10.0.0.1',
      userAgent: 'test-agent',
      at: new Date(),
    });
  }
}

export async function progress(node: TestNode, token: string, sessionId: string, positionSeconds: number, playedSeconds: number, state = 'playing') {
  return node.api('POST', `/api/v1/plays/${sessionId}/progress`, { token, body: { positionSeconds, playedSeconds, state } });
}

/** Replaces the node's listening settings (read on every use): the keys not given take their defaults. */
export function setListening(node: TestNode, settings: Record<string, unknown>): void {
  node.ctx.config.listening = listeningConfigSchema.parse(settings);
}

/** Settings that switch every anomaly rule off except those given. */
export function lenientRules(rules: Record<string, unknown> = {}) {
  return {
    rules: {
      maxPlaysPerTrackPerDay: 1000,
      wallClockToleranceSeconds: 100_000,
      maxAccountsPerAddress: 1000,
      maxAccountsPerDevice: 1000,
      burstMaxShortPlays: 1000,
      ...rules,
    },
  };
}

export async function moveListenToDay(node: TestNode, listenId: string, day: string): Promise<void> {
  await execute(node.ctx.db, 'UPDATE listens SET day = :day, qualified_at = (:day::date + time \'12:00\') AT TIME ZONE \'UTC\' WHERE id = :id', { id: listenId, day });
}

/** Uploads a generated tone through media's API as a new artist's channel and waits until it streams. */
export async function uploadTrack(node: TestNode, seconds = 40): Promise<{ trackId: string; channelName: string; artist: { user: { id: string }; token: string }; track: any }> {
  const { mediaDir, makeAudio, removeMediaDir } = await import('../helpers/media.js');
  const { readFileSync } = await import('node:fs');
  const artist = await node.user('artist');
  const channelName = `band_${randomUUID().slice(0, 8)}`;
  const ch = await node.api('POST', '/api/v1/channels', { token: artist.token, body: { name: channelName, displayName: 'The Band' } });
  if (ch.status !== 201) throw new Error(`channel: ${ch.status} ${ch.text}`);
  const dir = mediaDir('listening');
  try {
    const file = await makeAudio(dir, { format: 'mp3', seconds });
    const bytes = readFileSync(file);
    const up = await node.api('POST', '/api/v1/uploads', { token: artist.token, body: { channelId: ch.body.id, filename: 'tone.mp3', size: bytes.length, mimeType: 'audio/mpeg' } });
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${up.text}`);
    const put = await node.api('PUT', `/api/v1/uploads/${up.body.id}`, {
      token: artist.token,
      body: new Uint8Array(bytes),
      headers: { 'content-range': `bytes 0-${bytes.length - 1}/${bytes.length}`, 'content-type': 'application/octet-stream' },
    });
    if (put.status !== 200 || !put.body.trackId) throw new Error(`chunk: ${put.status} ${put.text}`);
    const trackId = put.body.trackId as string;
    const until = Date.now() + 120_000;
    for (;;) {
      const t = await node.api('GET', `/api/v1/tracks/${trackId}`, { token: artist.token });
      if (t.body.status === 'ready') return { trackId, channelName, artist, track: t.body };
      if (t.body.status === 'failed' || Date.now() > until) throw new Error(`track not ready: ${t.text}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    removeMediaDir(dir);
  }
}
