// Play sessions: a listener starts one, the node logs the segments it serves to it, and each
// progress report measures how much of the claimed playback those segments cover. At
// `qualifySeconds` covered the session's listen qualifies (held, with flags, when an anomaly
// rule fires); it grows with the session until its day is reported.
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { Transaction } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { ListeningConfig } from './config.js';
import { intersect, measure, union } from './intervals.js';
import type { Pseudonyms } from './pseudonyms.js';
import type { SegmentLog } from './segment-log.js';
import { checkListen, servedEvidence, sessionOutrunsClock, type RuleFinding } from './anomaly-rules.js';
import { isUuid, type Listen, type ListensStore, type PlaySession } from './listens-store.js';
import type { Tracks } from './tracks.js';

export const progressSchema = z.object({
  positionSeconds: z.number().min(0).max(7 * 86_400),
  playedSeconds: z.number().min(0).max(7 * 86_400),
  state: z.enum(['playing', 'paused', 'ended']),
});
export type Progress = z.infer<typeof progressSchema>;

export interface ProgressResult {
  sessionId: string;
  coveredSeconds: number;
  claimedSeconds: number;
  qualified: boolean;
  listen: Listen | null;
}

const epsilon = 1e-6;
const maxClaimedSpans = 2000;
const milli = (n: number) => Math.round(n * 1000) / 1000;

export class Plays {
  private readonly log: Logger;

  constructor(
    private readonly ctx: NodeContext,
    private readonly store: ListensStore,
    private readonly tracks: Tracks,
    private readonly segmentLog: SegmentLog,
    private readonly pseudonyms: Pseudonyms,
  ) {
    this.log = ctx.logger.child({ component: 'listening' });
  }

  /** Starts a play session; the player sends its id as `X-Play-Session` on segment requests. */
  async start(user: { id: string; role: string }, trackId: string, client: { ip: string | null; userAgent: string | null }): Promise<{ sessionId: string; trackId: string }> {
    const track = await this.tracks.playable(trackId);
    const own = user.role === 'admin' || track.ownerId === user.id;
    if (track.visibility === 'private' && !own) throw notFound('Track');
    if (track.status !== 'ready') throw conflict('track_not_playable', `The track is ${track.status}`);
    const sessionId = await this.store.createSession({
      userId: user.id,
      trackId: track.id,
      channelId: track.channelId,
      ownerId: track.ownerId,
      artist: track.artist,
      durationSeconds: track.durationSeconds,
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
    });
    return { sessionId, trackId: track.id };
  }

  /**
   * Records the player's progress. Claimed playback between two reports is the span
   * [position - newly played, position]; only the part of it covered by segments the node
   * really served to this session counts. The listen qualifies at `qualifySeconds` covered.
   */
  async reportProgress(userId: string, sessionId: string, input: Progress): Promise<ProgressResult> {
    const p = progressSchema.parse(input);
    if (!isUuid(sessionId)) throw notFound('Play session');
    const settings = this.ctx.config.listening;
    const qualified: { listenId?: string } = {};
    const result = await this.ctx.db.transaction(async (t) => {
      const s = await this.store.lockSession(sessionId, t);
      if (!s || s.userId !== userId) throw notFound('Play session');
      if (s.state === 'ended') throw conflict('session_ended', 'This play session has ended; start a new one');
      const played = Math.max(s.playedSeconds, p.playedSeconds);
      const position = Math.min(p.positionSeconds, s.trackDurationSeconds);
      const delta = Math.min(played - s.playedSeconds, position);
      const claimed = union([...s.claimed, [position - delta, position]]);
      if (claimed.length > maxClaimedSpans) throw badRequest('too_many_spans', `A play session keeps at most ${maxClaimedSpans} separate played spans; start a new session`);
      const served = union(await this.segmentLog.servedSpans(s.id, s.trackId, t));
      const covered = measure(intersect(claimed, served));
      await this.store.saveProgress(s.id, { position, played, claimed, covered, state: p.state }, t);
      let listen = await this.store.listenOfSession(s.id, t);
      if (!listen && covered + epsilon >= settings.qualifySeconds) {
        listen = await this.qualify(s, covered, settings, t);
        qualified.listenId = listen.id;
      } else if (listen && listen.status !== 'rejected' && Math.floor(covered + epsilon) > listen.qualifiedSeconds) {
        listen = await this.grow(s, listen, covered, settings, t);
      }
      return {
        sessionId: s.id,
        coveredSeconds: milli(covered),
        claimedSeconds: milli(measure(claimed)),
        qualified: Boolean(listen),
        listen: listen ?? null,
      };
    });
    if (qualified.listenId) this.ctx.events.emit('listen.qualified', { listenId: qualified.listenId });
    return result;
  }

  private async qualify(s: PlaySession, covered: number, settings: ListeningConfig, t: Transaction): Promise<Listen> {
    await this.store.lockListener(s.userId, t);
    const timeZone = this.ctx.config.money.timeZone;
    const now = await this.store.today(timeZone, t);
    const findings: RuleFinding[] = await checkListen({
      db: this.ctx.db,
      t,
      rules: settings.rules,
      timeZone,
      pseudonyms: this.pseudonyms,
      month: now.month,
      day: now.day,
      userId: s.userId,
      trackId: s.trackId,
      sessionId: s.id,
      sessionStartedAt: s.startedAt,
      coveredSeconds: covered,
      ip: s.ip,
      userAgent: s.userAgent,
    });
    const heldReason = findings.length ? findings.map((f) => f.rule).join(',') : null;
    const listen = await this.store.insertListen(s, { seconds: Math.floor(covered + epsilon), day: now.day, heldReason }, t);
    if (findings.length) await this.flag(listen.id, s, covered, findings, t);
    return listen;
  }

  /**
   * Listening goes on after qualifying: the listen's seconds follow the session's covered
   * seconds until its day is reported (then the day is frozen). A counted listen whose session
   * runs ahead of the time since it started is held with its evidence, so seconds added after
   * qualifying cannot be counted without a wall-clock check. That check is plain arithmetic on
   * the locked session row; the day-wide one (all the listener's sessions together) runs in the
   * end-of-day sweep, before anything of the day is reported or paid.
   */
  private async grow(s: PlaySession, listen: Listen, covered: number, settings: ListeningConfig, t: Transaction): Promise<Listen> {
    const tolerance = settings.rules.wallClockToleranceSeconds;
    const own = listen.status === 'counted' ? sessionOutrunsClock(s.startedAt, covered, tolerance) : null;
    const findings: RuleFinding[] = own ? [{ rule: 'listening_exceeds_wall_clock', evidence: { day: listen.day, ...own, toleranceSeconds: tolerance } }] : [];
    const grown = await this.store.grow(listen.id, Math.floor(covered + epsilon), findings.length ? findings.map((f) => f.rule).join(',') : null, t);
    if (!grown) return listen;
    if (findings.length) await this.flag(grown.id, s, covered, findings, t, { afterQualifying: true, countedSecondsBefore: listen.qualifiedSeconds });
    return grown;
  }

  /** Stores a held listen's flags, each with the rule's evidence and what was served to the session. */
  private async flag(listenId: string, s: PlaySession, covered: number, findings: RuleFinding[], t: Transaction, extra: Record<string, unknown> = {}): Promise<void> {
    // Evidence of what was served: flush the buffer so the log has this session's rows.
    await this.segmentLog.flush().catch(() => undefined);
    const session = {
      sessionId: s.id,
      startedAt: new Date(s.startedAt).toISOString(),
      coveredSeconds: milli(covered),
      ...(await servedEvidence(this.ctx.db, s.id, t)),
    };
    for (const f of findings) await this.store.insertFlag(listenId, f.rule, { ...f.evidence, ...extra, session }, t);
    this.log.info({ listenId, rules: findings.map((f) => f.rule), ...extra }, 'listen held by anomaly rules');
  }
}
