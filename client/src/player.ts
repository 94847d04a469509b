// The track player: HLS through hls.js, custom accessible controls, the waveform as seek bar,
// loudness normalisation toward -14 LUFS, listening reports, and for metered tracks the budget
// agent that pays for each span as it plays (metered.ts).
import type Hls from 'hls.js';
import { accessToken, api } from './api.js';
import { h } from './dom.js';
import { formatDuration } from './lib/format.js';
import { defaultTargetLufs, normalisationGain, splitGain } from './lib/loudness.js';
import { PlayedTracker } from './lib/played.js';
import { seekTime } from './lib/waveform.js';
import { PlayReporter } from './listening.js';
import type { Track, Waveform } from '../../shared/api/index.js';
import { WaveformView } from './waveform-view.js';
import { MeteredAgent } from './metered.js';

const normaliseKey = '9ten.normalise';
const volumeKey = '9ten.volume';

/** What the player needs of a track: a local one, or a remote one streamed through this node (no loudness, no waveform). */
export type Playable = Pick<Track, 'id' | 'kind' | 'title' | 'durationSeconds' | 'waveformUrl' | 'downloadUrl'> & {
  /** A local track's channel (its owner plays a metered track free). */
  channel?: Pick<Track['channel'], 'id'>;
  loudness: Track['loudness'] | null;
  streaming: Pick<Track['streaming'], 'masterPlaylistUrl'>;
  /** Who may play it (local tracks): metered tracks are paid as they play. */
  access?: Track['access'];
};

export function createPlayer(track: Playable, signal: AbortSignal): HTMLElement {
  const media = track.kind === 'video' ? h('video', { class: 'media video-element', playsinline: true, preload: 'metadata' }) : h('audio', { class: 'media', preload: 'metadata' });
  media.id = 'player-media';
  const duration = () => (Number.isFinite(media.duration) && media.duration > 0 ? media.duration : (track.durationSeconds ?? 0));

  // --- listening reports and the play session header on segment requests
  let tracker = new PlayedTracker();
  const reporter = new PlayReporter(track.id, () => ({ positionSeconds: media.currentTime, playedSeconds: tracker.playedSeconds }));

  // --- source
  const url = track.streaming?.masterPlaylistUrl ?? null;
  let hls: Hls | null = null;
  let loading = false;
  // Before the first play nothing streams: a seek only moves where playback will start.
  let startAt = 0;
  const position = () => (loading ? media.currentTime : startAt);
  const status = h('p', { class: 'player-status', role: 'status', 'aria-live': 'polite' });
  // Metered: segments carry the credential of their span, bought as hls.js first asks for it.
  let stopped = false;
  // Only at the end of what is buffered: a stall with paid media still ahead (a busy machine) is no end.
  const pauseAtEnd = () => {
    // The buffered range the playhead is in (after a seek there may be others).
    const b = media.buffered;
    let end = 0;
    for (let i = 0; i < b.length; i++) if (b.start(i) <= media.currentTime + 0.1 && media.currentTime <= b.end(i)) end = b.end(i);
    if (end - media.currentTime < 0.5) media.pause();
    else media.addEventListener('waiting', pauseAtEnd, { once: true });
  };
  const agent =
    track.access?.mode === 'metered'
      ? new MeteredAgent(
          { id: track.id, durationSeconds: track.durationSeconds, access: track.access, channelId: track.channel?.id },
          (reason) => {
            stopped = true;
            hls?.stopLoad();
            // What is paid for and buffered plays out; playback stops where it ends.
            if (reason === 'budget' || reason === 'wallet') media.addEventListener('waiting', pauseAtEnd, { once: true });
            else media.pause();
          },
          () => {
            stopped = false;
            media.removeEventListener('waiting', pauseAtEnd);
            if (loading) hls?.startLoad(media.currentTime);
          },
          signal,
        )
      : null;
  // hls.js is loaded on the track page only, so the rest of the app stays small.
  const ready: Promise<void> = (async () => {
    if (!url) return;
    const { default: HlsClass } = await import('hls.js');
    if (signal.aborted || !HlsClass.isSupported()) return;
    const instance = new HlsClass({
      autoStartLoad: false, // segments load once a play session exists (the node counts served segments)
      xhrSetup: async (xhr, segmentUrl) => {
        if (!xhr.readyState) xhr.open('GET', segmentUrl, true);
        const paid = agent ? await agent.authorization(segmentUrl) : null;
        const token = accessToken();
        if (paid) xhr.setRequestHeader('Authorization', paid);
        else if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
        if (reporter.sessionId) xhr.setRequestHeader('X-Play-Session', reporter.sessionId);
      },
    });
    if (agent) instance.on(HlsClass.Events.MANIFEST_PARSED, () => agent.attach(instance));
    instance.on(HlsClass.Events.ERROR, (_e, data) => {
      // A segment refused with its credential (expired, say): the agent buys its span again.
      if (agent && data.frag && (data.response?.code === 401 || data.response?.code === 402)) agent.refused(data.frag.url);
      if (!data.fatal || stopped) return;
      status.textContent = `Playback error: ${data.details}`;
      if (data.type === HlsClass.ErrorTypes.NETWORK_ERROR) instance.startLoad();
      else if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR) instance.recoverMediaError();
    });
    instance.attachMedia(media);
    instance.loadSource(url);
    hls = instance;
  })().catch((err: Error) => {
    status.textContent = `Could not load the player: ${err.message}`;
  });
  const ensureLoading = async () => {
    await ready;
    if (loading) return;
    loading = true;
    if (hls) {
      hls.startLoad(startAt);
      return;
    }
    const src = url && media.canPlayType('application/vnd.apple.mpegurl') ? url : track.downloadUrl; // Safari plays HLS natively
    if (!src) {
      status.textContent = 'This browser cannot play HLS streams.';
      return;
    }
    media.src = src;
    if (startAt > 0) media.addEventListener('loadedmetadata', () => (media.currentTime = startAt), { once: true });
  };

  // --- loudness
  const norm = normalisationGain(track.loudness, { targetLufs: defaultTargetLufs });
  let normalise = localStorage.getItem(normaliseKey) !== 'off';
  let userVolume = Number(localStorage.getItem(volumeKey) ?? '1');
  if (!Number.isFinite(userVolume)) userVolume = 1;
  let boostNode: GainNode | null = null;
  /** `gesture`: called from a click, when an AudioContext may start (autoplay rules). */
  const applyGain = (gesture = false) => {
    const { elementVolume, boost } = splitGain(userVolume, normalise ? norm.linear : 1);
    media.volume = elementVolume;
    if (boost > 1 && !boostNode && gesture) {
      // Boosting above the element's 1.0 needs WebAudio; built once, on a user gesture.
      try {
        const audio = new AudioContext();
        boostNode = audio.createGain();
        audio.createMediaElementSource(media).connect(boostNode).connect(audio.destination);
        signal.addEventListener('abort', () => void audio.close());
      } catch {
        boostNode = null;
      }
    }
    if (boostNode) {
      boostNode.gain.value = boost;
      if (gesture && boostNode.context.state === 'suspended') void (boostNode.context as AudioContext).resume();
    }
    media.dataset.gainDb = String(normalise ? norm.gainDb : 0);
    media.dataset.boost = String(boostNode ? boostNode.gain.value : 1);
  };

  // --- controls
  const playButton = h('button', { type: 'button', class: 'play', 'aria-label': 'Play' }, h('span', { 'aria-hidden': 'true', class: 'icon' }, '▶'));
  const time = h('span', { class: 'time', 'aria-live': 'off' }, `0:00 / ${formatDuration(duration())}`);
  const wave = new WaveformView(`Waveform of ${track.title}`);
  const seek = h('div', {
    class: 'waveform',
    role: 'slider',
    tabindex: '0',
    'aria-label': 'Seek',
    'aria-valuemin': '0',
    'aria-valuemax': String(Math.round(duration())),
    'aria-valuenow': '0',
    'aria-valuetext': `0:00 of ${formatDuration(duration())}`,
  }, wave.canvas);
  const volume = h('input', { type: 'range', min: '0', max: '1', step: '0.01', value: String(userVolume), class: 'volume', 'aria-label': 'Volume' });
  const gainLabel = norm.gainDb === 0 ? '±0 dB' : `${norm.gainDb > 0 ? '+' : ''}${norm.gainDb.toFixed(1)} dB`;
  const normaliseBox = h('input', { type: 'checkbox', id: 'normalise', checked: normalise });
  const normaliseField = h('label', { class: 'check', for: 'normalise' }, normaliseBox, ` Normalise loudness (${gainLabel} toward ${defaultTargetLufs} LUFS)`);

  const toggle = async () => {
    if (media.paused || media.ended) {
      agent?.resume();
      applyGain(true);
      await reporter.start();
      await ensureLoading();
      await media.play().catch((err: Error) => {
        status.textContent = `Could not start playback: ${err.message}`;
      });
    } else {
      media.pause();
    }
  };
  playButton.addEventListener('click', () => void toggle());

  const seekTo = (t: number) => {
    const to = Math.min(Math.max(0, t), duration());
    if (loading) media.currentTime = to;
    else startAt = to;
    tracker.break();
    updatePosition();
  };
  seek.addEventListener('click', (e) => {
    const rect = seek.getBoundingClientRect();
    seekTo(seekTime(e.clientX - rect.left, rect.width, duration()));
  });
  seek.addEventListener('keydown', (e) => {
    const step = e.shiftKey ? 15 : 5;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => seekTo(position() - step),
      ArrowDown: () => seekTo(position() - step),
      ArrowRight: () => seekTo(position() + step),
      ArrowUp: () => seekTo(position() + step),
      PageDown: () => seekTo(position() - 30),
      PageUp: () => seekTo(position() + 30),
      Home: () => seekTo(0),
      End: () => seekTo(duration()),
      ' ': () => void toggle(),
      Enter: () => void toggle(),
    };
    const action = keys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  });
  volume.addEventListener('input', () => {
    userVolume = Number(volume.value);
    localStorage.setItem(volumeKey, String(userVolume));
    applyGain(true);
  });
  normaliseBox.addEventListener('change', () => {
    normalise = normaliseBox.checked;
    localStorage.setItem(normaliseKey, normalise ? 'on' : 'off');
    applyGain(true);
  });

  const updatePosition = () => {
    const d = duration();
    const t = position();
    time.textContent = `${formatDuration(t)} / ${formatDuration(d)}`;
    seek.setAttribute('aria-valuemax', String(Math.round(d)));
    seek.setAttribute('aria-valuenow', String(Math.round(t)));
    seek.setAttribute('aria-valuetext', `${formatDuration(t)} of ${formatDuration(d)}`);
    wave.setPosition(t, d);
  };
  const setPlaying = (playing: boolean) => {
    playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    playButton.querySelector('.icon')!.textContent = playing ? '❚❚' : '▶';
    playButton.classList.toggle('playing', playing);
  };
  media.addEventListener('timeupdate', () => {
    if (!media.paused) tracker.update(media.currentTime);
    updatePosition();
  });
  media.addEventListener('durationchange', updatePosition);
  media.addEventListener('play', () => {
    setPlaying(true);
    if (!reporter.sessionId) tracker = new PlayedTracker();
    tracker.update(media.currentTime); // the run starts here, not at the first timeupdate
    void reporter.start().then(() => reporter.playing());
  });
  media.addEventListener('pause', () => {
    setPlaying(false);
    tracker.update(media.currentTime);
    tracker.break();
    if (!media.ended) reporter.paused();
  });
  media.addEventListener('seeking', () => tracker.break());
  media.addEventListener('ended', () => {
    setPlaying(false);
    tracker.update(media.currentTime);
    tracker.break();
    updatePosition();
    reporter.ended();
  });

  // --- waveform
  if (track.waveformUrl || track.id) {
    const wfUrl = track.waveformUrl ?? `/api/v1/tracks/${encodeURIComponent(track.id)}/waveform`;
    api<Waveform>('GET', wfUrl, { signal })
      .then((w) => {
        wave.setPeaks(Array.isArray(w.peaks) ? w.peaks : []);
        updatePosition();
      })
      .catch(() => {
        seek.classList.add('no-peaks');
      });
  }

  const onLeave = () => reporter.close();
  window.addEventListener('pagehide', onLeave);
  signal.addEventListener('abort', () => {
    window.removeEventListener('pagehide', onLeave);
    reporter.close();
    media.pause();
    hls?.destroy();
    wave.destroy();
  });

  applyGain();
  return h(
    'section',
    { class: `player ${track.kind}`, 'aria-label': 'Player' },
    track.kind === 'video' ? media : null,
    h('div', { class: 'player-row' }, playButton, seek),
    h('div', { class: 'player-row secondary' }, time, volume, normaliseField),
    track.kind === 'audio' ? media : null,
    status,
    agent?.element ?? null,
    track.access?.mode === 'subscribers' ? h('p', { class: 'badge' }, 'For subscribers') : null,
  );
}
