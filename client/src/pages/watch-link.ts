// A pre-funded watch link (/watch/:code, the URL in the link and its QR code): an artist's credit
// to watch their channel live. The first visitor gets a guest account, signed in at once (no
// sign-up form), and goes straight to the stream; when the channel is not live the page waits
// and starts the stream when it is. The guest claims the account later on the live page.
import type { WatchLink, WatchLinkOpened } from '../../../shared/api/index.js';
import { api, ApiError, logOut, saveSession, session } from '../api.js';
import { errorText, h, messageBox } from '../dom.js';
import { formatMoney } from '../lib/money.js';
import { navigate, type PageContext } from '../router.js';
import { failure } from '../ui.js';

const linkKey = '9ten.watch-link';
/** How often a link whose channel is not live is asked again. */
const POLL_MS = 10_000;

/** Remembers the link a guest came from, so their live page can show what is left of its credit. */
function remember(code: string, userId: string): void {
  try {
    localStorage.setItem(linkKey, JSON.stringify({ code, userId }));
  } catch {
    /* storage full or off: the live page shows the spend only */
  }
}

/** The code of the watch link this (guest) user came from, if this browser opened it. */
export function guestLinkOf(userId: string): string | null {
  try {
    const v = JSON.parse(localStorage.getItem(linkKey) ?? 'null') as { code?: unknown; userId?: unknown } | null;
    return v && v.userId === userId && typeof v.code === 'string' ? v.code : null;
  } catch {
    return null;
  }
}

export async function watchLinkPage({ main, params, signal }: PageContext): Promise<void> {
  const code = params.code;
  const path = `/api/v1/live/watch-links/${encodeURIComponent(code)}`;
  let link: WatchLink;
  try {
    link = await api<WatchLink>('GET', path, { signal });
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof ApiError && err.status === 404) {
      main.append(h('h1', null, 'Watch link not found'), h('p', { class: 'message error', role: 'alert' }, 'This watch link does not exist. Check the address, or ask whoever gave it to you for a new one.'));
    } else {
      main.append(h('h1', null, 'Watch link'), failure('Could not open this watch link', err));
    }
    return;
  }
  const name = link.channel.displayName || link.channel.name;
  const msg = messageBox();
  const start = h('button', { type: 'button' }, 'Start watching');
  const actions = h('div', { class: 'actions' }, start);
  const card = h(
    'section',
    { class: 'card gift watch-link', 'aria-labelledby': 'watch-link-title' },
    h('p', { class: 'gift-amount', 'data-testid': 'watch-link-credit' }, formatMoney(link.credit, link.currency)),
    h('p', { class: 'watch-link-for' }, `${formatMoney(link.credit, link.currency)} to watch ${name} live`, link.streamId ? ' (one stream)' : ''),
    link.message ? h('blockquote', null, link.message) : null,
    h('p', { class: 'muted' }, 'Opening the link signs you in as a guest: no sign-up. Keep the account later with a username and password, and what is left of the credit is yours.'),
    actions,
    msg,
  );
  main.append(h('h1', { id: 'watch-link-title' }, `Watch ${name} live`), card);

  const s = session();
  const signIn = () =>
    h('p', null, 'If it was you, ', h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'sign in'), ' to keep watching on it.');
  const usedAlready = () => {
    actions.replaceChildren(signIn());
    msg.show('This link was opened already: each link makes one guest account.', 'info');
  };

  /** Live: to the stream. Not live: wait here, asking again every few seconds. */
  const go = (l: WatchLink) => {
    if (l.liveStreamId) return navigate(`/live/${encodeURIComponent(l.liveStreamId)}`, { replace: true });
    actions.replaceChildren();
    msg.show(`Not live right now — this page will start the stream when ${name} goes live.`, 'info');
    const timer = setInterval(async () => {
      try {
        const again = await api<WatchLink>('GET', path, { signal });
        if (again.liveStreamId && !signal.aborted) {
          clearInterval(timer);
          navigate(`/live/${encodeURIComponent(again.liveStreamId)}`, { replace: true });
        }
      } catch {
        /* asked again at the next tick */
      }
    }, POLL_MS);
    signal.addEventListener('abort', () => clearInterval(timer));
  };

  const open = async () => {
    start.disabled = true;
    msg.show('Opening the link…', 'info');
    try {
      // Someone else signed in here asked for a guest account of their own: sign them out first.
      if (session() && link.status === 'open') await logOut();
      const out = await api<WatchLinkOpened>('POST', `${path}/open`);
      if (signal.aborted) return;
      if (out.guest) {
        saveSession({ accessToken: out.guest.tokens.access_token, refreshToken: out.guest.tokens.refresh_token, user: out.guest.user });
        remember(code, out.guest.user.id);
      } else if (session()) {
        remember(code, session()!.user.id); // the guest this link made, back again
      }
      link = out.link;
      go(link);
    } catch (err) {
      if (signal.aborted) return;
      start.disabled = false;
      if (err instanceof ApiError && err.status === 410) return usedAlready();
      if (err instanceof ApiError && err.status === 404) return msg.show('This watch link does not exist any more.');
      if (err instanceof ApiError && err.status === 429) return msg.show('Too many watch links were opened from your network just now. Wait a minute, then press “Start watching”.');
      msg.show(`Could not open the link: ${errorText(err)}`);
    }
  };
  start.addEventListener('click', () => void open());

  if (link.status === 'open') {
    // Nobody opened it yet: a visitor who is not signed in starts at once (a phone scanning the
    // QR code just plays). Someone signed in would be signed out for the guest: they choose.
    if (!s) return void open();
    start.textContent = 'Start watching as a guest';
    actions.append(
      h(
        'p',
        { class: 'muted' },
        `You are signed in as ${s.user.username}. Starting makes a new guest account for this link and signs you out of ${s.user.username}.`,
        s.user.guest ? ' Your present guest account is lost unless you claim it first.' : '',
      ),
    );
    return;
  }
  // Opened already: only the guest it made (signed in here) opens it again; the node says so.
  if (s) return void open();
  usedAlready();
}
