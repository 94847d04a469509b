// Counts seconds really played from a media element's time updates (seeks do not count).

export class PlayedTracker {
  private last: number | null = null;
  playedSeconds = 0;

  /** Call on every timeupdate while playing. */
  update(position: number): void {
    if (this.last !== null) {
      const delta = position - this.last;
      // timeupdate fires every ~250 ms; a larger jump or a backwards one is a seek.
      if (delta > 0 && delta <= 1.5) this.playedSeconds += delta;
    }
    this.last = position;
  }

  /** Call on pause, seeking or ended: the next update starts a new run. */
  break(): void {
    this.last = null;
  }
}
