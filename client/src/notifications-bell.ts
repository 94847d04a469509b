// The bell in the navigation: a link to /notifications that carries the unread count (in its
// accessible name too). It asks the node every minute and whenever the window gets focus again;
// the navigation is drawn anew on each page, so one poller serves whichever bell is current.
import type { UnreadCount } from '../../shared/api/index.js';
import { api, session } from './api.js';
import { h } from './dom.js';

const everyMs = 60_000;
let unread: number | null = null;
let askedAt = 0;
let bell: HTMLAnchorElement | null = null;
let polling = false;

/** A bell drawn inline (an emoji font is not everywhere); Material Icons' "notifications" (Apache 2.0). */
function bellIcon(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: '20', height: '20', 'aria-hidden': 'true', focusable: 'false', style: 'vertical-align: middle' })) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M12 22c1.1 0 2-.9 2-2h-4c0 1.1.89 2 2 2zm6-6v-5c0-3.07-1.64-5.64-4.5-6.32V4c0-.83-.67-1.5-1.5-1.5s-1.5.67-1.5 1.5v.68C7.63 5.36 6 7.92 6 11v5l-2 2v1h16v-1l-2-2z');
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

function draw(): void {
  if (!bell) return;
  const n = unread ?? 0;
  const label = unread === null ? 'Notifications' : `Notifications: ${n === 0 ? 'none' : n} unread`;
  bell.setAttribute('aria-label', label);
  bell.title = label;
  bell.replaceChildren(bellIcon());
  if (n > 0) bell.append(h('span', { class: 'badge', 'aria-hidden': 'true' }, n > 99 ? '99+' : String(n)));
}

/** Asks the node for the unread count now (the notifications page calls this after marking read). */
export async function refreshBell(): Promise<void> {
  if (!session()) return;
  askedAt = Date.now();
  try {
    unread = (await api<UnreadCount>('GET', '/api/v1/me/notifications/unread-count')).unread;
  } catch {
    // Offline or signed out meanwhile: the next poll tries again.
    return;
  }
  draw();
}

function startPolling(): void {
  if (polling) return;
  polling = true;
  setInterval(() => {
    if (session() && document.visibilityState === 'visible') void refreshBell();
  }, everyMs);
  window.addEventListener('focus', () => {
    // Focus often comes in bursts (tabs, dialogs): one ask per few seconds is enough.
    if (session() && Date.now() - askedAt > 5_000) void refreshBell();
  });
}

/** The bell for the signed-in user, or null when nobody is signed in. */
export function notificationBell(): HTMLElement | null {
  if (!session()) {
    unread = null;
    bell = null;
    return null;
  }
  bell = h('a', { href: '/notifications', class: 'bell', 'aria-current': location.pathname === '/notifications' ? 'page' : undefined });
  draw();
  startPolling();
  if (unread === null || Date.now() - askedAt > everyMs) void refreshBell();
  return bell;
}
