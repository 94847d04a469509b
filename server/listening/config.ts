// The `listening` config section: its schema and defaults, owned here and composed into the
// node's schema by server/config/schema.ts (read as `ctx.config.listening`, complete).
import { z } from 'zod';

export const listeningConfigSchema = z.object({
  /** Seconds of served-and-played audio after which a listen counts. */
  qualifySeconds: z.number().positive().max(3600).default(30),
  segmentLog: z
    .object({
      /** The batched segment log flushes at least this often... */
      flushIntervalMs: z.number().int().min(10).max(60_000).default(250),
      /** ...or as soon as this many rows are waiting. */
      flushRows: z.number().int().min(1).max(100_000).default(500),
      /** Rows kept in memory while the database is unreachable; beyond it the oldest are dropped (logged and counted). */
      maxBufferedRows: z.number().int().min(1000).max(10_000_000).default(500_000),
      /** Segment serves older than this are pruned by the daily report job (0: keep forever). Flags keep their own evidence. */
      retentionDays: z.number().int().min(0).max(3650).default(90),
    })
    .prefault({}),
  rules: z
    .object({
      /** Plays of one track by one listener per day; the ones above it are held. */
      maxPlaysPerTrackPerDay: z.number().int().min(1).default(20),
      /** Listening per day may exceed the wall-clock time the listener's sessions span by this much. */
      wallClockToleranceSeconds: z.number().min(0).default(15),
      /** Distinct accounts listening from one IP address per day. */
      maxAccountsPerAddress: z.number().int().min(1).default(10),
      /** Distinct accounts listening from one device (IP address and user agent) per day. */
      maxAccountsPerDevice: z.number().int().min(1).default(3),
      /** Very short plays by one listener within the window before a listen holds it. */
      burstWindowSeconds: z.number().int().min(1).default(600),
      burstMaxShortPlays: z.number().int().min(1).default(10),
      shortPlaySeconds: z.number().min(0).default(45),
    })
    .prefault({}),
  /** What a `Listen` from another node must satisfy to count in an artist's statistics. */
  remoteListens: z
    .object({
      /** How far in the future (by this node's clock) a Listen's time may be: clocks differ a little. */
      clockSkewSeconds: z.number().int().min(0).max(86_400).default(300),
      /**
       * How old a Listen's time may be. A listen is sent when it qualifies, or when a dispute
       * releases it, which can be after the month closed (up to the review deadline): 45 days
       * leaves room for both and for delivery retries.
       */
      maxAgeDays: z.number().int().min(1).max(3650).default(45),
      /**
       * Listens one remote actor may add per day, counted both by the day of the listen (node
       * time zone) and by arrival (the last 24 hours); the ones above it are refused.
       */
      maxPlaysPerActorPerDay: z.number().int().min(1).default(500),
      /** Seconds one remote actor may add per day: one person cannot listen more than the day is long. */
      maxSecondsPerActorPerDay: z.number().int().min(1).default(86_400),
      /** Listens all actors of one origin (host) may add per 24 hours of arrival: 20 actors' worth. */
      maxPlaysPerOriginPerDay: z.number().int().min(1).default(10_000),
      /** Seconds all actors of one origin may add per 24 hours of arrival. */
      maxSecondsPerOriginPerDay: z.number().int().min(1).default(1_728_000),
    })
    .prefault({}),
  dailyReport: z
    .object({
      /** Check for finished, unreported days this often (worker role). */
      tickSeconds: z.number().int().min(1).max(86_400).default(300),
      enabled: z.boolean().default(true),
    })
    .prefault({}),
});

export type ListeningConfig = z.infer<typeof listeningConfigSchema>;
