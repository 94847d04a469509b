// Reports listening to the node (POST /api/v1/plays, then progress every ~10 s and at pause/end).
// The node counts what it really served, so the session id also rides on every segment request.
// Nodes without the listening routes answer 404: then reporting switches itself off quietly.
// Anonymous visitors play without a session.
import type { PlaySession } from '../../shared/api/index.js';
import { api, session } from './api.js';

export type PlayState = 'playing' | 'paused' | 'ended';

export class PlayReporter {
  sessionId: string | null = null;
  private disabled = false;
  private starting: Promise<string | null> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly trackId: string,
    private readonly read: () => { positionSeconds: number; playedSeconds: number },
    private readonly intervalMs = 10_000,
  ) {}

  /** A play session for the next segments; null when the node does not record listening. */
  start(): Promise<string | null> {
    // Listening is recorded for signed-in listeners only.
    if (this.disabled || !session()) return Promise.resolve(null);
    if (this.sessionId) return Promise.resolve(this.sessionId);
    this.starting ??= api<PlaySession>('POST', '/api/v1/plays', { body: { trackId: this.trackId } })
      .then((r) => (this.sessionId = r.sessionId))
      .catch(() => {
        this.disabled = true;
        return null;
      })
      .finally(() => {
        this.starting = null;
      });
    return this.starting;
  }

  playing(): void {
    this.stopTimer();
    this.timer = setInterval(() => void this.send('playing'), this.intervalMs);
  }

  paused(): void {
    this.stopTimer();
    void this.send('paused');
  }

  /** The play is over: the next play opens a new session. */
  ended(): void {
    this.stopTimer();
    void this.send('ended');
    this.sessionId = null;
  }

  /** Leaving the page: a last report that survives the unload. */
  close(): void {
    this.stopTimer();
    if (this.sessionId) void this.send('paused', true);
    this.sessionId = null;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async send(state: PlayState, keepalive = false): Promise<void> {
    const id = this.sessionId;
    // Signed out since it started (logging out leaves the page): the session is not theirs to report.
    if (!id || this.disabled || !session()) return;
    const { positionSeconds, playedSeconds } = this.read();
    try {
      await api('POST', `/api/v1/plays/${encodeURIComponent(id)}/progress`, {
        body: { positionSeconds: round(positionSeconds), playedSeconds: round(playedSeconds), state },
        keepalive,
      });
    } catch {
      /* a lost report is not worth an error on screen; the segment log is the record */
    }
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
