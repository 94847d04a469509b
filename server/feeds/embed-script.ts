// The embed page's player, as the page's one inline script (embed-page.ts puts it there with a
// nonce). Plain JavaScript, run in the browser: it reads its tracks from the page's JSON, plays
// them with hls.js (the web client's own build of it), else the progressive file, and counts the
// play as the web player does (client/src/listening.ts): a play session (POST /api/v1/plays) for
// a listener signed in to this node in the same browser, its id on every segment request
// (X-Play-Session), progress every 10 s and at pause and end. Anonymous visitors play uncounted,
// as on the web client; docs/feeds.md says why.
export const embedScript = String.raw`
(() => {
  const cfg = JSON.parse(document.getElementById('embed-config').textContent);
  const audio = document.querySelector('audio');
  const button = document.getElementById('play');
  const bar = document.getElementById('seek');
  const time = document.getElementById('time');
  const title = document.getElementById('title');
  const note = document.getElementById('note');
  const storageKey = '9ten.session'; // the web client's (client/src/api.ts)
  let current = -1, ready = Promise.resolve(), hls = null, loading = false, sessionId = null, played = 0, last = null, timer = null;

  const stored = () => { try { return JSON.parse(localStorage.getItem(storageKey) || 'null'); } catch { return null; } };
  const store = (s) => { try { localStorage.setItem(storageKey, JSON.stringify(s)); } catch {} };

  async function api(path, body, keepalive) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const s = stored();
      if (!s) return null;
      const res = await fetch(path, { method: 'POST', keepalive: !!keepalive, headers: { 'content-type': 'application/json', authorization: 'Bearer ' + s.accessToken }, body: JSON.stringify(body) });
      if (res.status !== 401 || attempt) return res.ok ? res.json() : null;
      // An expired access token: swap the refresh token as the web client does, and keep the new pair for it.
      const t = await fetch('/api/v1/oauth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: s.refreshToken }) });
      if (!t.ok) return null;
      const pair = await t.json();
      store({ ...s, accessToken: pair.access_token, refreshToken: pair.refresh_token });
    }
    return null;
  }

  async function openSession() {
    if (sessionId || !stored()) return;
    const r = await api('/api/v1/plays', { trackId: cfg.tracks[current].id }).catch(() => null);
    sessionId = r ? r.sessionId : null;
    played = 0;
  }

  function report(state, keepalive) {
    if (!sessionId) return;
    const body = { positionSeconds: round(audio.currentTime || 0), playedSeconds: round(played), state };
    void api('/api/v1/plays/' + encodeURIComponent(sessionId) + '/progress', body, keepalive).catch(() => {});
  }
  const round = (n) => Math.round(n * 1000) / 1000;
  const clock = (s) => { s = Math.max(0, Math.floor(s || 0)); return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0'); };

  function load(index) {
    ready = switchTo(index);
    return ready;
  }

  async function switchTo(index) {
    if (hls) { hls.destroy(); hls = null; }
    if (sessionId) { report('paused'); sessionId = null; }
    current = index; loading = false; last = null;
    const track = cfg.tracks[index];
    title.textContent = track.title;
    title.href = track.link;
    for (const li of document.querySelectorAll('[data-index]')) li.setAttribute('aria-current', String(Number(li.dataset.index) === index));
    audio.removeAttribute('src');
    if (track.hls && cfg.hlsModule) {
      try {
        const { default: Hls } = await import(cfg.hlsModule);
        if (Hls.isSupported()) {
          hls = new Hls({ autoStartLoad: false, xhrSetup: (xhr, url) => {
            if (!xhr.readyState) xhr.open('GET', url, true);
            if (sessionId) xhr.setRequestHeader('X-Play-Session', sessionId);
          } });
          hls.attachMedia(audio);
          hls.loadSource(track.hls);
        }
      } catch (err) { hls = null; }
    }
  }

  function startLoading() {
    if (loading) return;
    loading = true;
    const track = cfg.tracks[current];
    if (hls) return hls.startLoad(0);
    // No hls.js (or none built): the progressive file (metered by the byte ranges it serves to the
    // session named in its URL), else the browser's own HLS (Safari), else the downloadable file.
    const src = track.progressive || (track.hls && audio.canPlayType('application/vnd.apple.mpegurl') ? track.hls : track.download);
    if (!src) { note.textContent = 'This browser cannot play this track here.'; return; }
    audio.src = src + (sessionId ? (src.includes('?') ? '&' : '?') + 'session=' + encodeURIComponent(sessionId) : '');
  }

  async function play() {
    await ready;
    await openSession();
    startLoading();
    await audio.play().catch((err) => { if (err.name !== 'AbortError') note.textContent = 'Could not start playback: ' + err.message; });
  }

  button.addEventListener('click', () => (audio.paused ? play() : audio.pause()));
  bar.addEventListener('input', () => { if (audio.duration) { audio.currentTime = (Number(bar.value) / 1000) * audio.duration; last = null; } });
  audio.addEventListener('timeupdate', () => {
    if (!audio.paused) {
      const t = audio.currentTime;
      if (last !== null && t - last > 0 && t - last <= 1.5) played += t - last; // a larger jump is a seek
      last = t;
    }
    const d = audio.duration || cfg.tracks[current].duration || 0;
    bar.value = d ? String(Math.round((audio.currentTime / d) * 1000)) : '0';
    time.textContent = clock(audio.currentTime) + ' / ' + clock(d);
  });
  audio.addEventListener('play', () => {
    button.setAttribute('aria-label', 'Pause'); button.dataset.state = 'playing';
    last = audio.currentTime;
    clearInterval(timer);
    timer = setInterval(() => report('playing'), 10000);
  });
  audio.addEventListener('pause', () => {
    button.setAttribute('aria-label', 'Play'); button.dataset.state = 'paused';
    clearInterval(timer); last = null;
    if (!audio.ended) report('paused');
  });
  audio.addEventListener('seeking', () => { last = null; });
  audio.addEventListener('ended', () => {
    clearInterval(timer); last = null;
    report('ended');
    sessionId = null; // the next play opens a new session
    document.body.dataset.ended = 'true';
    if (current + 1 < cfg.tracks.length) void load(current + 1).then(play);
  });
  window.addEventListener('pagehide', () => report('paused', true));
  for (const li of document.querySelectorAll('[data-index]')) li.querySelector('button').addEventListener('click', () => void load(Number(li.dataset.index)).then(play));
  if (!stored()) note.textContent = cfg.anonymousNote;
  void load(0);
})();
`;
