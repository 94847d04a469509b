// The listening service: the one object listening's routes, jobs and the other capabilities
// (through ListeningApi) call. It holds the parts and hands each call to its use case: play
// sessions (plays.ts), listens from other nodes (remote-listens.ts), held listening
// (held.ts) and the figures (statistics.ts).
import type { NodeContext } from '../context.js';
import type { Month } from '../../shared/month.js';
import type { ListeningApi, RemoteTracksPort, LiveStreamsPort } from './contract.js';
import { ListensStore, isUuid, type Listen, type ListenStatus } from './listens-store.js';
import { RemoteListensStore } from './remote-listens-store.js';
import { Pseudonyms } from './pseudonyms.js';
import { SegmentLog, type SegmentServed } from './segment-log.js';
import { Tracks } from './tracks.js';
import { Plays, type Progress, type ProgressResult } from './plays.js';
import { RemoteListens, type RemoteListen } from './remote-listens.js';
import { HeldListening } from './held.js';
import { Statistics, type QualifiedSecondsRow } from './statistics.js';
import { AppListens, type ListenSource, type SubmitOutcome, type SubmittedListen } from './app-listens.js';
import type { RangeServed } from './contract.js';

export type { Listen, ListenStatus, HeldListenEvidence } from './listens-store.js';
export type { SegmentServed } from './segment-log.js';
export type { Progress, ProgressResult } from './plays.js';
export type { RemoteListen } from './remote-listens.js';
export type { QualifiedSecondsRow } from './statistics.js';
export type { ListenSource, SubmitOutcome, SubmittedListen } from './app-listens.js';

export class ListeningService implements ListeningApi {
  readonly segmentLog: SegmentLog;
  readonly pseudonyms: Pseudonyms;
  private readonly listens: ListensStore;
  private readonly tracks: Tracks;
  private readonly plays: Plays;
  private readonly remoteListens: RemoteListens;
  private readonly held: HeldListening;
  private readonly statistics: Statistics;
  private readonly appListens: AppListens;

  constructor(ctx: NodeContext) {
    this.pseudonyms = new Pseudonyms(ctx.db);
    this.segmentLog = new SegmentLog(ctx.db, ctx.logger.child({ component: 'listening' }), () => ctx.config.listening.segmentLog, ctx.metrics);
    this.listens = new ListensStore(ctx.db);
    const remoteStore = new RemoteListensStore(ctx.db);
    this.tracks = new Tracks(ctx);
    this.plays = new Plays(ctx, this.listens, this.tracks, this.segmentLog, this.pseudonyms);
    this.remoteListens = new RemoteListens(ctx, remoteStore, this.tracks);
    this.held = new HeldListening(ctx, this.listens, this.pseudonyms);
    this.statistics = new Statistics(ctx, this.listens, remoteStore);
    this.appListens = new AppListens(ctx, this.plays);
  }

  /** The entry point media calls for every segment it serves (hot path: buffered). */
  recordSegmentServed = (e: SegmentServed): void => {
    this.segmentLog.record(e);
  };

  /**
   * A byte range of a file served whole-track (not HLS: a Subsonic stream, a progressive file) to
   * a play session, logged as one row of the segment log: the file stands for the track's span
   * [startSeconds, startSeconds + durationSeconds], and its bytes for their share of it.
   */
  recordRangeServed = (e: RangeServed): void => {
    this.segmentLog.record({
      trackId: e.trackId,
      rendition: `file:${e.file}`.slice(0, 100),
      segmentIndex: 0,
      segmentStartSeconds: e.startSeconds,
      segmentDurationSeconds: e.durationSeconds,
      bytes: e.bytes,
      byteStart: e.byteStart,
      segmentBytes: e.fileBytes,
      userId: e.userId,
      sessionId: e.sessionId,
      ip: e.ip,
      userAgent: e.userAgent,
      at: e.at,
    });
  };

  submitListens(userId: string, source: ListenSource, listens: SubmittedListen[], opts: { reportProgress: boolean }): Promise<SubmitOutcome> {
    return this.appListens.submit(userId, source, listens, opts);
  }

  useRemoteTracks(port: RemoteTracksPort): void {
    this.tracks.useRemote(port);
  }

  useLiveStreams(port: LiveStreamsPort): void {
    this.tracks.useLive(port);
  }

  pseudonym(userId: string, month: Month): Promise<string> {
    return this.pseudonyms.pseudonym(userId, month);
  }

  startPlay(user: { id: string; role: string }, trackId: string, client: { ip: string | null; userAgent: string | null }): Promise<{ sessionId: string; trackId: string }> {
    return this.plays.start(user, trackId, client);
  }

  reportProgress(userId: string, sessionId: string, input: Progress): Promise<ProgressResult> {
    return this.plays.reportProgress(userId, sessionId, input);
  }

  async getListen(id: string): Promise<Listen | undefined> {
    return isUuid(id) ? this.listens.listen(id) : undefined;
  }

  recordRemoteListen(input: RemoteListen): Promise<{ created: boolean }> {
    return this.remoteListens.record(input);
  }

  heldListens(userId: string, artist: string, month: Month) {
    return this.held.heldListens(userId, artist, month);
  }

  async resolveHeldListen(listenId: string, decision: 'counted' | 'rejected', reason = `held listening ${decision} by dispute`): Promise<void> {
    await this.held.resolve(listenId, decision, reason);
  }

  listFlags(opts: { limit: number; offset: number; status?: ListenStatus }) {
    return this.held.flags(opts);
  }

  trending(since: Date, limit: number, channelId?: string): Promise<{ trackId: string; listens: number }[]> {
    return this.statistics.trending(since, limit, channelId);
  }

  recentTracks(userId: string, limit: number): Promise<{ trackId: string; playedAt: string }[]> {
    return this.statistics.recentTracks(userId, limit);
  }

  qualifiedSeconds(month: Month): Promise<QualifiedSecondsRow[]> {
    return this.statistics.qualifiedSeconds(month);
  }

  myListening(userId: string, month: Month, limit?: number) {
    return this.statistics.myListening(userId, month, limit);
  }

  artistStats(ownerId: string, range: { from: string; to: string }) {
    return this.statistics.artistStats(ownerId, range);
  }
}
