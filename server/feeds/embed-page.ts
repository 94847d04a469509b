// The embed pages (/embed/tracks/:id, /embed/channels/:name): small self-contained HTML pages
// other sites put in an iframe. Their CSP lets any site frame them and runs only their own
// inline script (by nonce) and the client's hls.js chunk.
import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import type { TrackView } from '../media/model.js';
import { embedScript } from './embed-script.js';
import { hlsModulePath } from './client-build.js';
import { escapeXml as esc } from './xml.js';

export interface EmbedPage {
  /** The page's heading and <title>. */
  heading: string;
  /** Where the heading links (the track's or channel's page on this node). */
  link: string;
  nodeName: string;
  /** Ready free tracks to play, first one first; empty: nothing to play here (see `notice`). */
  tracks: TrackView[];
  trackPage(id: string): string;
  /** Shown instead of the player (a paid track's link to its page). */
  notice?: { text: string; href: string; label: string };
  /** The track list is shown (a channel's embed). */
  list: boolean;
}

/** JSON inside a <script> element: nothing in it may close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
const clock = (s: number | null) => (s === null ? '' : `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`);

const style = `
  :root { color-scheme: light dark; --accent: #6d28d9; font: 14px/1.4 system-ui, sans-serif; }
  body { margin: 0; padding: 12px; box-sizing: border-box; min-height: 100vh; background: Canvas; color: CanvasText; }
  .player { display: flex; gap: 12px; align-items: center; }
  .cover { width: 96px; height: 96px; border-radius: 6px; object-fit: cover; flex: none; background: #8884; }
  .main { flex: 1; min-width: 0; }
  h1 { font-size: 16px; margin: 0 0 2px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  a { color: inherit; }
  .by { margin: 0 0 8px; opacity: .8; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .controls { display: flex; gap: 8px; align-items: center; }
  #play { width: 40px; height: 40px; border-radius: 50%; border: 0; background: var(--accent); color: #fff; font-size: 16px; cursor: pointer; flex: none; }
  #play[data-state="playing"]::before { content: "❚❚"; } #play:not([data-state="playing"])::before { content: "▶"; }
  #seek { flex: 1; accent-color: var(--accent); }
  #time { font-variant-numeric: tabular-nums; opacity: .8; }
  #note { margin: 6px 0 0; font-size: 12px; opacity: .75; }
  ol { margin: 10px 0 0; padding: 0; list-style: none; max-height: 220px; overflow: auto; }
  li button { width: 100%; text-align: left; background: none; border: 0; color: inherit; padding: 6px 4px; cursor: pointer; display: flex; justify-content: space-between; font: inherit; }
  li[aria-current="true"] button { font-weight: 600; color: var(--accent); }
  .brand { font-size: 12px; opacity: .7; }`;

/** Sends the page with its security headers: framing allowed from anywhere, scripts by nonce only. */
export function sendEmbedPage(res: Response, page: EmbedPage, publicOrigin: string): void {
  const nonce = randomBytes(16).toString('base64');
  const first = page.tracks[0];
  const hlsModule = hlsModulePath() ?? null;
  const config = {
    hlsModule,
    anonymousNote: `Sign in on ${page.nodeName} in this browser to have your plays count for the artist.`,
    tracks: page.tracks.map((t) => ({ id: t.id, title: t.title, link: page.trackPage(t.id), hls: t.streaming.masterPlaylistUrl, progressive: t.progressive?.url ?? null, download: t.downloadUrl ?? null, duration: t.durationSeconds })),
  };
  const cover = first?.coverUrl ? `<img class="cover" src="${esc(first.coverUrl)}" alt="">` : '<div class="cover" aria-hidden="true"></div>';
  const player = first
    ? `<div class="controls"><button id="play" type="button" aria-label="Play"></button><input id="seek" type="range" min="0" max="1000" value="0" aria-label="Position"><span id="time">0:00 / ${clock(first.durationSeconds)}</span></div>
      <p id="note" role="status"></p><audio preload="none"></audio>`
    : '';
  const notice = page.notice ? `<p class="notice">${esc(page.notice.text)} <a href="${esc(page.notice.href)}" target="_blank" rel="noopener">${esc(page.notice.label)}</a></p>` : '';
  const list =
    page.list && page.tracks.length
      ? `<ol>${page.tracks.map((t, i) => `<li data-index="${i}"><button type="button"><span>${esc(t.title)}</span><span>${clock(t.durationSeconds)}</span></button></li>`).join('')}</ol>`
      : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(page.heading)} · ${esc(page.nodeName)}</title><meta name="robots" content="noindex">
<style nonce="${nonce}">${style}</style></head>
<body><div class="player">${cover}<div class="main">
<h1><a id="title" href="${esc(first ? page.trackPage(first.id) : page.link)}" target="_blank" rel="noopener">${esc(first?.title ?? page.heading)}</a></h1>
<p class="by"><a href="${esc(page.link)}" target="_blank" rel="noopener">${esc(page.list ? page.heading : (first?.artist ?? first?.channel.displayName ?? page.heading))}</a> <span class="brand">on ${esc(page.nodeName)}</span></p>
${player}${notice}</div></div>${list}
${first ? `<script type="application/json" id="embed-config">${scriptJson(config)}</script><script nonce="${nonce}">${embedScript}</script>` : ''}
</body></html>`;
  res.set({
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}' 'self' ${publicOrigin}`,
      `style-src 'nonce-${nonce}'`,
      `img-src 'self' ${publicOrigin} data:`,
      `media-src 'self' ${publicOrigin} blob:`,
      `connect-src 'self' ${publicOrigin}`,
      `worker-src 'self' blob:`,
      "base-uri 'none'",
      "form-action 'none'",
      // Any site may frame it: that is what an embed is for.
      'frame-ancestors *',
    ].join('; '),
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    'Cache-Control': 'public, max-age=60',
  });
  res.removeHeader('X-Frame-Options');
  res.send(html);
}
