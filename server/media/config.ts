// The `uploads` and `media` config sections: their schemas and defaults, owned here and composed into the
// node's schema by server/config/schema.ts (environment variables are mapped in server/config/index.ts).
import { z } from 'zod';

/** Uploads: sizes, quotas and how many may be open at once. */
export const uploadsConfigSchema = z.object({
  maxFileBytes: z.number().int().positive(),
  chunkBytes: z.number().int().positive(),
  maxBodyBytes: z.number().int().positive(),
  /** Bytes of originals one user (a channel owner) may store, unfinished uploads included; admins override it per user. */
  quotaBytesPerUser: z.number().int().nonnegative().default(21_474_836_480),
  /** Tracks one user may have (unfinished uploads included); admins override it per user. */
  quotaTracksPerUser: z.number().int().nonnegative().default(5000),
  /** Unfinished uploads one user may have open at once (429 past it); admins override it per user. */
  maxConcurrentPerUser: z.number().int().positive().default(10),
});

/** Transcoding, seeding and the nginx front. */
export const mediaConfigSchema = z.object({
  audioBitratesKbps: z.array(z.number().int().min(16).max(512)).min(1),
  videoHeights: z.array(z.number().int().min(144).max(4320)).min(1),
  segmentSeconds: z.number().int().min(1).max(10),
  /** The audio rendition nearest this bitrate is remuxed into the progressive file apps play inline (decision 0102). */
  progressiveBitrateKbps: z.number().int().min(16).max(512).default(128),
  /** Payment challenges (402/401 on metered segments) one client network may get per minute, per process. */
  paymentChallengesPerMinute: z.number().int().positive().default(3000),
  transcodeConcurrency: z.number().int().min(1).max(16),
  waveformPeaks: z.number().int().min(50).max(10000),
  /** Longest source accepted (seconds): longer uploads are refused; ffmpeg never encodes more than this of any input. */
  maxDurationSeconds: z.number().positive().default(14_400),
  /** Largest video source accepted, in either orientation: long side ≤ maxSourceWidth, short side ≤ maxSourceHeight. */
  maxSourceWidth: z.number().int().positive().default(3840),
  maxSourceHeight: z.number().int().positive().default(2160),
  /** A transcode is killed after max(transcodeTimeoutMinSeconds, transcodeTimeoutFactor × source duration) of wall-clock time. */
  transcodeTimeoutFactor: z.number().positive().default(10),
  transcodeTimeoutMinSeconds: z.number().positive().default(300),
  /** Fair share: a user's tracks in the transcode queue at once (waiting or running); the rest wait in the node's own line. */
  maxQueuedTranscodesPerUser: z.number().int().min(1).default(2),
  /** How often a worker queues again processing tracks whose job is lost, and moves the fair-share line on. */
  sweepIntervalSeconds: z.number().positive().default(60),
  /** Seed every rendition over WebTorrent from the worker (env MEDIA_SEED=false turns it off). */
  seed: z.boolean().default(true),
  /**
   * The access log of an nginx in front of the node that serves public segments from disk
   * (`npm run nginx-site` writes its configuration; env MEDIA_FRONT_ACCESS_LOG). When set, the
   * node keeps media/public-streaming (links to public tracks' folders) for nginx and meters the
   * segments nginx served from this log. Null: the node serves and meters every segment itself.
   */
  frontAccessLog: z.string().min(1).refine((p) => p.startsWith('/'), 'must be an absolute path').nullable().default(null),
});

export type MediaConfig = z.infer<typeof mediaConfigSchema>;
