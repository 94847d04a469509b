// Live: the directory of streams live now (this node and followed channels elsewhere), a
// stream's page (hls.js, watch or listen only, viewers, tip alerts from the event stream, a
// tip form), and the artist's live setup (key, title, replays, health).
import { api, ApiError, session } from '../api.js';
import { append, clear, errorText, field, h, messageBox } from '../dom.js';
import { myChannels } from '../channels.js';
import { formatMoney, parseMinor } from '../lib/money.js';
import { failure, facts, section, shortDate, table } from '../ui.js';
import type { PageContext } from '../router.js';
import type { ChannelLive, LiveDirectory, LiveStream, StreamKey } from '../../../shared/api/index.js';

export async function liveDirectoryPage({ main, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Live now'));
  let dir: LiveDirectory;
  try {
    dir = await api<LiveDirectory>('GET', '/api/v1/live', { signal });
  } catch (err) {
    main.append(failure('the live streams', err));
    return;
  }
  const local = dir.local.map((s) =>
    h('li', { class: 'live-item' }, h('span', { class: 'badge live' }, '● LIVE'), ' ', h('a', { href: `/live/${s.id}` }, s.title), ` · ${s.channel.displayName}`, s.viewers !== null ? ` · ${s.viewers} watching` : ''),
  );
  const remote = dir.remote.map((s) =>
    h('li', { class: 'live-item' }, h('span', { class: 'badge live' }, '● LIVE'), ' ', s.url ? h('a', { href: s.url, rel: 'noopener' }, s.title) : s.title, ` · ${s.channelName} (${s.channel})`),
  );
  append(
    main,
    local.length ? h('ul', { class: 'live-list', 'aria-label': 'Live on this node' }, local) : h('p', null, 'Nobody on this node is live right now.'),
    remote.length ? section('Followed channels elsewhere', h('ul', { class: 'live-list' }, remote)) : null,
  );
}

const stateText: Record<LiveStream['state'], string> = { starting: 'Starting…', live: '● LIVE', reconnecting: 'Reconnecting…', ended: 'Ended' };

export async function livePage({ main, params, signal, query }: PageContext): Promise<void> {
  let stream: LiveStream;
  try {
    stream = await api<LiveStream>('GET', `/api/v1/live/streams/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    const gone = err instanceof ApiError && err.status === 404;
    main.append(h('h1', null, gone ? 'Stream not found' : 'Live'), h('p', { class: 'message error', role: 'alert' }, gone ? 'This live stream does not exist.' : errorText(err)));
    return;
  }
  const listenOnly = query.get('listen') === '1' || !stream.renditions.some((r) => r.kind === 'video');
  const badge = h('span', { class: `badge ${stream.state === 'live' ? 'live' : ''}`, 'data-testid': 'live-state' }, stateText[stream.state]);
  const viewers = h('span', { 'data-testid': 'live-viewers' }, stream.viewers !== null ? `${stream.viewers} watching` : '');
  const status = h('p', { class: 'message info', role: 'status', 'aria-live': 'polite', hidden: true });
  const alerts = h('div', { class: 'tip-alerts', role: 'log', 'aria-live': 'polite', 'aria-label': 'Tips' });
  const media = listenOnly ? h('audio', { controls: true, 'data-testid': 'live-media' }) : h('video', { controls: true, playsinline: true, 'data-testid': 'live-media', class: 'live-video' });
  const switcher = h(
    'a',
    { href: listenOnly ? `/live/${stream.id}` : `/live/${stream.id}?listen=1`, class: 'button secondary' },
    listenOnly ? 'Watch (video)' : 'Listen only (audio)',
  );
  main.append(
    h('h1', null, stream.title),
    h('p', { class: 'byline' }, badge, ' ', h('a', { href: `/channels/${encodeURIComponent(stream.channel.name)}` }, stream.channel.displayName), ' · ', viewers, ' · Free to watch'),
    media,
    h('p', { class: 'actions' }, stream.renditions.some((r) => r.kind === 'video') ? switcher : null),
    status,
    alerts,
  );

  const ended = (s: { message?: string }) => {
    badge.textContent = stateText.ended;
    badge.className = 'badge';
    status.hidden = false;
    status.textContent = `The stream has ended.${s.message ? ` ${s.message}` : ''}`;
  };
  if (stream.state === 'ended') {
    ended({ message: stream.endMessage ?? undefined });
    if (stream.replayTrackId) main.append(h('p', null, h('a', { href: `/tracks/${stream.replayTrackId}` }, 'Play the replay')));
    return;
  }

  // Playback: hls.js where MSE exists, native HLS otherwise (Safari).
  const url = listenOnly ? stream.audioPlaylistUrl : stream.playlistUrl;
  const { default: Hls } = await import('hls.js');
  if (signal.aborted) return;
  if (Hls.isSupported()) {
    const hls = new Hls({ liveSyncDurationCount: 3, lowLatencyMode: false });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) setTimeout(() => hls.startLoad(), 1000);
      else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    });
    hls.attachMedia(media);
    hls.loadSource(url);
    signal.addEventListener('abort', () => hls.destroy());
  } else if (media.canPlayType('application/vnd.apple.mpegurl')) {
    media.src = url;
  } else {
    status.hidden = false;
    status.textContent = 'This browser cannot play HLS streams.';
  }
  void media.play().catch(() => {
    status.hidden = false;
    status.textContent = 'Press play to start.';
  });

  const events = new EventSource(`/api/v1/live/streams/${encodeURIComponent(stream.id)}/events`);
  signal.addEventListener('abort', () => events.close());
  events.addEventListener('viewers', (e) => {
    const v = JSON.parse((e as MessageEvent).data) as { now: number };
    viewers.textContent = `${v.now} watching`;
  });
  events.addEventListener('state', (e) => {
    const s = JSON.parse((e as MessageEvent).data) as { state: LiveStream['state']; message?: string };
    if (s.state === 'ended') {
      ended(s);
      events.close();
    } else {
      badge.textContent = stateText[s.state];
      badge.className = `badge ${s.state === 'live' ? 'live' : ''}`;
    }
  });
  events.addEventListener('tip', (e) => {
    const t = JSON.parse((e as MessageEvent).data) as { amount: number; currency: string; message: string | null; from: string };
    const who = t.from.replace(/^https?:\/\//, '').replace(/\/ap\/users\//, '@');
    const alert = h('p', { class: 'tip-alert' }, `💸 ${formatMoney(t.amount, t.currency)} from ${who}`, t.message ? `: “${t.message}”` : '');
    alerts.prepend(alert);
    setTimeout(() => alert.remove(), 15_000);
  });

  if (session()) main.append(tipForm(stream));
  else main.append(h('p', null, h('a', { href: `/login?next=/live/${stream.id}` }, 'Log in'), ' to send a tip.'));
}

function tipForm(stream: LiveStream): HTMLFormElement {
  const amount = h('input', { type: 'text', inputmode: 'decimal', required: true, placeholder: '2.00', size: '6' });
  const message = h('input', { type: 'text', maxlength: '280', placeholder: 'Say something (optional)' });
  const box = messageBox();
  const form = h(
    'form',
    {
      class: 'tip-form',
      'aria-label': 'Send a tip',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const minor = parseMinor(amount.value);
        if (!minor) return box.show('Enter an amount like 2.00');
        try {
          await api('POST', '/api/v1/tips', { body: { channel: stream.channel.name, amount: minor, ...(message.value.trim() ? { message: message.value.trim() } : {}) } });
          box.show('Thank you! Your tip is on its way.', 'ok');
          message.value = '';
        } catch (err) {
          box.show(errorText(err));
        }
      },
    },
    h('h2', null, 'Tip the artist'),
    field('Amount', amount),
    field('Message', message),
    h('button', { type: 'submit' }, 'Send tip'),
    box,
  );
  return form;
}

/** The artist's live setup: one block per channel with key, choices and the running stream's health. */
export async function liveSetupPage({ main, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Go live'));
  const s = session();
  if (!s || (s.user.role !== 'artist' && s.user.role !== 'admin')) {
    main.append(h('p', null, 'Artists go live from here. ', h('a', { href: '/login?next=/live/setup' }, 'Log in')));
    return;
  }
  const channels = await myChannels().catch(() => []);
  if (!channels.length) main.append(h('p', null, 'Make a channel first (Studio).'));
  for (const c of channels) {
    const block = h('section', { class: 'live-setup' });
    main.append(block);
    const render = async () => {
      let live: ChannelLive;
      try {
        live = await api<ChannelLive>('GET', `/api/v1/channels/${encodeURIComponent(c.name)}/live`, { signal });
      } catch (err) {
        block.replaceChildren(failure(`live settings of ${c.displayName}`, err));
        return;
      }
      const keyBox = messageBox();
      const title = h('input', { type: 'text', value: live.title ?? '', maxlength: '200', placeholder: `${c.displayName} live` });
      const keep = h('input', { type: 'checkbox', checked: live.keepReplays });
      const saved = messageBox();
      clear(block);
      append(
        block,
        h('h2', null, c.displayName),
        facts([
          ['Server', live.server],
          ['Stream key', live.hasKey ? `••••${live.keyHint} (made ${shortDate(live.keyCreatedAt)})` : 'none yet'],
          ['Ingest', live.ingest.listening ? `listening · ${live.ingest.liveNow}/${live.ingest.maxConcurrentStreams} live` : 'not listening (ask the admin)'],
        ]),
        h(
          'p',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                try {
                  const k = await api<StreamKey>('POST', `/api/v1/channels/${encodeURIComponent(c.name)}/live/key`);
                  keyBox.show(`Your new stream key (shown once): ${k.key}`, 'ok');
                } catch (err) {
                  keyBox.show(errorText(err));
                }
              },
            },
            live.hasKey ? 'Make a new key' : 'Make a stream key',
          ),
        ),
        keyBox,
        h(
          'form',
          {
            onsubmit: async (e: Event) => {
              e.preventDefault();
              try {
                await api('PATCH', `/api/v1/channels/${encodeURIComponent(c.name)}/live`, { body: { title: title.value.trim() || null, keepReplays: keep.checked } });
                saved.show('Saved.', 'ok');
              } catch (err) {
                saved.show(errorText(err));
              }
            },
          },
          field('Title of the next stream', title),
          h('div', { class: 'field' }, h('label', null, keep, ' Keep each stream as a track (replay)')),
          h('button', { type: 'submit' }, 'Save'),
          saved,
        ),
        live.current
          ? section(
              'Live now',
              h('p', null, h('a', { href: `/live/${live.current.id}` }, live.current.title), ` · ${stateText[live.current.state]}`),
              live.health
                ? facts([
                    ['Input', `${live.health.inputKbps} kbps · ${live.health.fps} fps`],
                    ['Dropped frames', live.health.droppedFrames],
                    ['Transcoder speed', live.health.speed === null ? '–' : `${live.health.speed}×`],
                    ['Viewers', `${live.health.viewers} now · ${live.health.peakViewers} peak`],
                  ])
                : null,
            )
          : null,
        table(
          'Recent streams',
          ['Started', 'Title', 'Ended because', 'Peak viewers'],
          live.recent.map((r) => [shortDate(r.startedAt ?? r.createdAt), h('a', { href: `/live/${r.id}` }, r.title), r.endMessage ?? '–', r.peakViewers]),
          'No streams yet.',
        ),
      );
    };
    await render();
  }
}
