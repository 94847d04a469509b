// Draws a track's waveform on a canvas and shades the played part.
import { barHeights, playedBars } from './lib/waveform.js';

const barWidth = 3;
const gap = 1;

export class WaveformView {
  readonly canvas: HTMLCanvasElement;
  private peaks: number[] = [];
  private position = 0;
  private duration = 0;
  private observer: ResizeObserver | null = null;

  constructor(label: string) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'waveform-canvas';
    this.canvas.setAttribute('aria-hidden', 'true');
    this.canvas.title = label;
    if (typeof ResizeObserver !== 'undefined') {
      this.observer = new ResizeObserver(() => this.draw());
      this.observer.observe(this.canvas);
    }
  }

  setPeaks(peaks: number[]): void {
    this.peaks = peaks;
    this.draw();
  }

  setPosition(position: number, duration: number): void {
    this.position = position;
    this.duration = duration;
    this.draw();
  }

  destroy(): void {
    this.observer?.disconnect();
  }

  draw(): void {
    const c = this.canvas;
    const cssWidth = c.clientWidth || 600;
    const cssHeight = c.clientHeight || 96;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(cssWidth * dpr) || c.height !== Math.round(cssHeight * dpr)) {
      c.width = Math.round(cssWidth * dpr);
      c.height = Math.round(cssHeight * dpr);
    }
    const g = c.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssWidth, cssHeight);
    const style = getComputedStyle(c);
    const played = style.getPropertyValue('--wave-played').trim() || '#6d28d9';
    const rest = style.getPropertyValue('--wave-rest').trim() || '#c4b5fd';
    const bars = Math.max(1, Math.floor(cssWidth / (barWidth + gap)));
    const heights = barHeights(this.peaks, bars);
    const done = playedBars(this.position, this.duration, bars);
    const mid = cssHeight / 2;
    for (let i = 0; i < bars; i++) {
      // A minimum height keeps silence visible as a thin line.
      const half = Math.max(1, (heights[i] * (cssHeight - 4)) / 2);
      g.fillStyle = i < done ? played : rest;
      g.fillRect(i * (barWidth + gap), mid - half, barWidth, half * 2);
    }
    c.dataset.drawn = String(this.peaks.length > 0);
    c.dataset.playedBars = String(done);
  }
}
