// /notifications: what the node told me (newest first, unread marked), read one by one or all
// at once; /notifications/settings: per kind, shown in the app and/or sent by mail.
import type { InboxNotification, InboxPage, MarkedRead, NotificationSettings } from '../../../shared/api/index.js';
import { api } from '../api.js';
import { append, errorText, h } from '../dom.js';
import { refreshBell } from '../notifications-bell.js';
import type { PageContext } from '../router.js';
import { failure, gate, section, shortDate } from '../ui.js';

type Kind = InboxNotification['kind'];

/** What each kind is, as the settings page names it. */
const kindLabels: Record<Kind, string> = {
  follower: 'New followers of my channels',
  'new-track': 'New tracks from channels I follow',
  tip: 'Tips I receive',
  payout: 'Payouts of my earnings',
  dispute: 'Disputes that concern me',
  live: 'Live streams of channels I follow',
  report: 'What became of my reports',
  account: 'My account',
};

const pageSize = 20;

/**
 * The node hands out only these links (server/notifications/inbox/links.ts); checked here again:
 * a link is drawn only when it is a path of the app (not `//host`) or an http(s) address.
 */
function linkOf(url: string | null): string | null {
  if (!url || /[\s\\\u0000-\u001f\u007f]/.test(url)) return null;
  if (url.startsWith('/')) return url.startsWith('//') ? null : url;
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

/** A listed notification, read now: its "New" and its button go. */
function showRead(li: Element): void {
  li.className = 'read';
  li.querySelector('.badge')?.remove();
  li.querySelector('.mark')?.remove();
}

export async function notificationsPage({ main, query, signal }: PageContext): Promise<void> {
  if (!gate(main, 'Notifications', 'any')) return;
  const unreadOnly = query.get('unread') === 'true';
  const status = h('p', { class: 'message', role: 'status', 'aria-live': 'polite', hidden: true });
  const list = h('ul', { class: 'link-list', 'aria-label': 'Notifications' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show older');
  const readAll = h('button', { type: 'button' }, 'Mark all as read');
  main.append(
    h('h1', null, 'Notifications'),
    h('p', { class: 'actions' },
      readAll, ' ',
      h('a', { href: unreadOnly ? '/notifications' : '/notifications?unread=true' }, unreadOnly ? 'Show all' : 'Show unread only'), ' · ',
      h('a', { href: '/notifications/settings' }, 'Settings')),
    status,
    list,
    more,
  );
  const say = (text: string, kind: 'ok' | 'error' = 'ok') => {
    status.hidden = false;
    status.className = `message ${kind}`;
    status.textContent = text;
  };

  const markRead = async (body: { ids: string[] } | { all: true }): Promise<MarkedRead> => {
    const out = await api<MarkedRead>('POST', '/api/v1/me/notifications/read', { body });
    void refreshBell();
    return out;
  };

  const item = (n: InboxNotification): HTMLLIElement => {
    const li = h('li', { class: n.read ? 'read' : 'unread' });
    const url = linkOf(n.url);
    const external = !!url && !url.startsWith('/') && !url.startsWith(`${location.origin}/`);
    const title = url ? h('a', { href: url, ...(external ? { rel: 'noopener nofollow', target: '_blank' } : {}) }, n.title) : h('strong', null, n.title);
    const mark = h('button', { type: 'button', class: 'link' }, 'Mark as read');
    mark.addEventListener('click', async () => {
      mark.disabled = true;
      try {
        await markRead({ ids: [n.id] });
        showRead(li);
      } catch (err) {
        mark.disabled = false;
        say(`Could not mark it read: ${errorText(err)}`, 'error');
      }
    });
    // Following the link reads it: told once, no need to mark it by hand.
    if (!n.read && url) title.addEventListener('click', () => void markRead({ ids: [n.id] }).catch(() => {}));
    append(
      li,
      title,
      n.read ? null : h('span', { class: 'badge' }, 'New'),
      n.body ? h('p', { class: 'muted' }, n.body) : null,
      h('div', { class: 'muted' }, h('small', null, h('time', { datetime: n.createdAt }, shortDate(n.createdAt))), n.read ? null : h('span', { class: 'mark' }, ' · ', mark)),
    );
    return li;
  };

  let offset = 0;
  const load = async () => {
    more.disabled = true;
    try {
      const page = await api<InboxPage>('GET', `/api/v1/me/notifications?limit=${pageSize}&offset=${offset}${unreadOnly ? '&unread=true' : ''}`, { signal });
      if (offset === 0 && page.data.length === 0) list.replaceWith(h('p', { class: 'empty' }, unreadOnly ? 'Nothing unread.' : 'No notifications yet. Follows, new tracks of the channels you follow, tips and payouts show here.'));
      list.append(...page.data.map(item));
      offset += page.data.length;
      more.hidden = offset >= page.total;
      readAll.disabled = page.unread === 0;
    } catch (err) {
      if (!signal.aborted) main.append(failure('Could not load your notifications', err));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());
  readAll.addEventListener('click', async () => {
    readAll.disabled = true;
    try {
      const out = await markRead({ all: true });
      for (const li of list.querySelectorAll('li.unread')) showRead(li);
      say(out.marked === 1 ? 'One notification marked as read.' : `${out.marked} notifications marked as read.`);
    } catch (err) {
      readAll.disabled = false;
      say(`Could not mark them read: ${errorText(err)}`, 'error');
    }
  });
  await load();
}

export async function notificationSettingsPage({ main, signal }: PageContext): Promise<void> {
  if (!gate(main, 'Notification settings', 'any')) return;
  main.append(h('h1', null, 'Notification settings'), h('p', null, h('a', { href: '/notifications' }, 'Back to notifications')));
  let current: NotificationSettings;
  try {
    current = await api<NotificationSettings>('GET', '/api/v1/me/notification-settings', { signal });
  } catch (err) {
    if (!signal.aborted) main.append(failure('Could not load your settings', err));
    return;
  }
  const mailNote = !current.mailEnabled
    ? h('p', { class: 'message info', role: 'status' }, 'This node does not send mail: notifications show in the app only.')
    : !current.mailAddress
      ? h('p', { class: 'message info', role: 'status' }, 'Mail waits for an address: add one to your account, or confirm it with the link we mailed you. ', h('a', { href: '/me' }, 'My account'))
      : h('p', { class: 'muted' }, `Mail goes to ${current.mailAddress}.`);

  const boxes = new Map<Kind, { web: HTMLInputElement; email: HTMLInputElement }>();
  const kinds = Object.keys(kindLabels) as Kind[];
  const rows = kinds.map((k) => {
    const c = current.settings[k];
    const web = h('input', { type: 'checkbox', checked: c.web, 'aria-label': `${kindLabels[k]}: in the app` });
    const email = h('input', { type: 'checkbox', checked: c.email, disabled: !current.mailEnabled, 'aria-label': `${kindLabels[k]}: by mail` });
    boxes.set(k, { web, email });
    return h('tr', null, h('th', { scope: 'row' }, kindLabels[k]), h('td', null, web), h('td', null, email));
  });
  const status = h('p', { class: 'message', role: 'status', 'aria-live': 'polite', hidden: true });
  const save = h('button', { type: 'submit' }, 'Save');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Notification settings' },
    h('div', { class: 'table-wrap' },
      h('table', { class: 'data' },
        h('caption', { class: 'visually-hidden' }, 'Where each kind of notification reaches you'),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'In the app'), h('th', { scope: 'col' }, 'By mail'))),
        h('tbody', null, rows))),
    h('div', { class: 'actions' }, save),
    status,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.disabled = true;
    status.hidden = false;
    try {
      const settings = Object.fromEntries(kinds.map((k) => [k, { web: boxes.get(k)!.web.checked, email: boxes.get(k)!.email.checked }]));
      current = await api<NotificationSettings>('PUT', '/api/v1/me/notification-settings', { body: { settings } });
      status.className = 'message ok';
      status.textContent = 'Saved.';
    } catch (err) {
      status.className = 'message error';
      status.textContent = `Could not save: ${errorText(err)}`;
    } finally {
      save.disabled = false;
    }
  });
  main.append(section('What reaches me, and how', mailNote, form));
}
