// The `live` config section: its schema and defaults, owned here and composed into the node's
// schema by server/config/schema.ts (read as `ctx.config.live`; docs/live.md explains each).
import { z } from 'zod';

export const liveConfigSchema = z.object({
  /** Listen for RTMP pushes (web or all role). Off: the live pages still show past streams. */
  enabled: z.boolean().default(true),
  rtmpHost: z.string().min(1).default('0.0.0.0'),
  /** 0: any free port (tests); the port in use is in GET /api/v1/live/ingest. */
  rtmpPort: z.number().int().min(0).max(65535).default(1935),
  /** The host name publishers are told to push to (rtmp://<rtmpPublicHost>:<port>/live/<key>); null: the public URL's host. */
  rtmpPublicHost: z.string().min(1).nullable().default(null),
  /** Streams live at once on this node (reconnecting ones count); a push past it is refused. */
  maxConcurrentStreams: z.number().int().min(1).max(1000).default(20),
  /** Longest stream; it ends with reason max_duration. */
  maxDurationSeconds: z.number().int().min(10).max(7 * 86_400).default(6 * 3600),
  /** Highest input bitrate, averaged over 10 s; above it the stream ends with reason bitrate_exceeded. */
  maxBitrateKbps: z.number().int().min(64).max(100_000).default(8000),
  /** No media for this long while connected: the stream ends with reason stalled. */
  stallSeconds: z.number().min(1).max(600).default(10),
  /** A publisher that drops without unpublishing may push again within this many seconds and resume the same stream. */
  reconnectGraceSeconds: z.number().min(0).max(600).default(15),
  /** Media waiting for ffmpeg (bytes): past it ffmpeg is falling behind and the stream ends with reason overloaded. */
  maxBacklogBytes: z.number().int().min(65_536).default(16 * 1024 * 1024),
  segmentSeconds: z.number().int().min(1).max(10).default(2),
  /** Segments a live playlist lists (the window a player may join in). */
  playlistSegments: z.number().int().min(3).max(1000).default(10),
  /** Segments kept on disk per rendition while live (older ones are deleted; their hashes stay). */
  keepSegments: z.number().int().min(3).max(100_000).default(150),
  /** AAC bitrate of the audio-only rendition and of the video renditions' audio. */
  audioBitrateKbps: z.number().int().min(32).max(320).default(128),
  /** Video rendition heights; none above the source's height (the lowest one when it is unknown). */
  videoHeights: z.array(z.number().int().min(144).max(2160)).default([360, 720]),
  /** libx264 preset of the live ladder (faster presets cost less CPU per stream). */
  x264Preset: z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium']).default('superfast'),
  /** Open RTMP connections from one address (an encoder uses one; a studio pushing many channels from one address needs more). */
  rtmpConnectionsPerAddress: z.number().int().min(1).max(10_000).default(8),
  /** Wrong stream keys one address may try per minute before its pushes are refused unread. */
  badKeysPerMinutePerAddress: z.number().int().min(1).default(10),
  /** A watch stream (pay as you watch) nobody was served a segment on for this long is closed, at the end of the last segment served. */
  // At least twice the 5 s at which each process writes what it served, so no process closes one another still serves.
  watchIdleSeconds: z.number().int().min(10).max(600).default(12),
  /** Watch links one client network may open a minute (each makes a guest account). */
  watchLinkOpensPerMinutePerAddress: z.number().int().min(1).default(10),
  /** Open event streams (SSE) per address. */
  eventStreamsPerAddress: z.number().int().min(1).default(20),
  /** Open event streams (SSE) in one process, all addresses together. */
  eventStreams: z.number().int().min(1).default(5000),
});

export type LiveConfig = z.infer<typeof liveConfigSchema>;
