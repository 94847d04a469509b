// The dock's media element and what the listener hears of it: volume, mute, and loudness
// normalisation toward -14 LUFS. Louder tracks are turned down with the element's volume; quieter
// ones up through a WebAudio gain node (built once per element, on a user gesture: autoplay rules).
import { h } from '../dom.js';
import { defaultTargetLufs, type Normalisation, splitGain } from '../lib/loudness.js';

const normaliseKey = '9ten.normalise';
const volumeKey = '9ten.volume';

function storedVolume(): number {
  const v = Number(localStorage.getItem(volumeKey) ?? '1');
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 1;
}

export class Output {
  media: HTMLMediaElement;
  volume = storedVolume();
  normalise = localStorage.getItem(normaliseKey) !== 'off';
  trackGain: Normalisation = { gainDb: 0, linear: 1 };
  private boost: GainNode | null = null;
  private audio: AudioContext | null = null;

  constructor(private readonly onMediaChange: (media: HTMLMediaElement) => void) {
    this.media = this.create('audio');
  }

  private create(kind: 'audio' | 'video'): HTMLMediaElement {
    const media = kind === 'video' ? h('video', { class: 'dock-video', playsinline: true, preload: 'metadata' }) : h('audio', { preload: 'metadata' });
    media.id = 'player-media';
    return media;
  }

  /** The element for a track of this kind: a video gets a <video>, which replaces the <audio> in the dock (and back). */
  elementFor(kind: 'audio' | 'video'): HTMLMediaElement {
    if (this.media.tagName.toLowerCase() === kind) return this.media;
    const old = this.media;
    old.pause();
    this.media = this.create(kind);
    this.media.muted = old.muted;
    void this.audio?.close();
    this.audio = null;
    this.boost = null;
    old.replaceWith(this.media);
    this.onMediaChange(this.media);
    this.apply();
    return this.media;
  }

  setTrackGain(gain: Normalisation): void {
    this.trackGain = gain;
    this.apply();
  }

  setVolume(volume: number, gesture = true): void {
    this.volume = Math.min(1, Math.max(0, Math.round(volume * 100) / 100));
    localStorage.setItem(volumeKey, String(this.volume));
    if (this.volume > 0 && this.media.muted) this.media.muted = false;
    this.apply(gesture);
  }

  setNormalise(on: boolean): void {
    this.normalise = on;
    localStorage.setItem(normaliseKey, on ? 'on' : 'off');
    this.apply(true);
  }

  setMuted(muted: boolean): void {
    this.media.muted = muted;
  }

  gainText(): string {
    const db = this.trackGain.gainDb;
    return `${db === 0 ? '±0' : `${db > 0 ? '+' : ''}${db.toFixed(1)}`} dB toward ${defaultTargetLufs} LUFS`;
  }

  /** `gesture`: called from a click or key press, when an AudioContext may start. */
  apply(gesture = false): void {
    const media = this.media;
    const linear = this.normalise ? this.trackGain.linear : 1;
    const { elementVolume, boost } = splitGain(this.volume, linear);
    media.volume = elementVolume;
    if (boost > 1 && !this.boost && gesture) {
      try {
        this.audio = new AudioContext();
        this.boost = this.audio.createGain();
        this.audio.createMediaElementSource(media).connect(this.boost).connect(this.audio.destination);
      } catch {
        this.boost = null;
      }
    }
    if (this.boost) {
      this.boost.gain.value = boost;
      if (gesture && this.audio?.state === 'suspended') void this.audio.resume();
    }
    media.dataset.gainDb = String(this.normalise ? this.trackGain.gainDb : 0);
    media.dataset.boost = String(this.boost ? this.boost.gain.value : 1);
  }
}
