// Behind nginx (config media.frontAccessLog): the folder of public segments nginx reads, kept
// in step by every process for the changes it makes, and the reader of nginx's access log,
// run by one worker (or the `all` process) at a time under a Redis lease.
import type { Logger } from 'pino';
import type { NodeContext } from '../context.js';
import { redisLease, type Lease } from '../jobs/lease.js';
import { FrontLogMeter } from './front-log-meter.js';
import { PublicSegments } from './public-segments.js';
import type { MediaService } from './service.js';

export class NginxFront {
  private readonly folder: PublicSegments;
  private meter?: FrontLogMeter;
  private lease?: Lease;

  constructor(
    private readonly ctx: NodeContext,
    private readonly media: MediaService,
    private readonly file: string,
    private readonly log: Logger,
  ) {
    this.folder = new PublicSegments(media.storage, media.tracks, log);
    const sync = ({ trackId }: { trackId: string }) => this.folder.sync(trackId);
    for (const e of ['track.status', 'track.updated', 'track.deleted'] as const) ctx.events.on(e, sync);
  }

  start(): void {
    void this.folder.syncAll().catch((err) => this.log.warn({ err }, 'public segment folder not brought up to date'));
    if (this.ctx.config.role === 'web') return;
    const lease = (this.lease = redisLease(this.ctx.redis, `media:front-log:${this.file}`, 15_000));
    this.meter = new FrontLogMeter({
      file: this.file,
      cursorFile: `${this.media.storage.root}/front-log.cursor.json`,
      streaming: this.media.streaming,
      segmentSeconds: this.ctx.config.media.segmentSeconds,
      log: this.log,
      mayRead: () => lease.held().catch((err) => (this.log.warn({ err }, 'front log lease not renewed'), false)),
    });
    this.meter.start();
  }

  async stop(): Promise<void> {
    await this.meter?.stop();
    await this.lease?.release().catch(() => undefined);
  }
}
