// Shared pieces of the account, money, admin and audit pages: role gates, error lines,
// tables, definition lists, CSV downloads with the bearer token, the wallet's currency.
import { accessToken, api, session, type Session } from './api.js';
import { errorText, h } from './dom.js';
import type { Role, Wallet } from '../../shared/api/index.js';

/** The roles each role holds: admins pass every gate, and roles nest (moderator ⊇ artist ⊇ listener) as the server's requireRole does. */
const held: Record<Role, Role[]> = {
  admin: ['admin', 'moderator', 'artist', 'listener', 'auditor'],
  moderator: ['moderator', 'artist', 'listener'],
  artist: ['artist', 'listener'],
  listener: ['listener'],
  auditor: ['auditor'],
};

/** Shows the page only to these roles (admins pass every gate); otherwise explains why. */
export function gate(main: HTMLElement, title: string, roles: Role[] | 'any'): Session | null {
  const s = session();
  if (s && (roles === 'any' || roles.some((r) => held[s.user.role].includes(r)))) return s;
  main.append(h('h1', null, title));
  if (!s) {
    main.append(h('p', null, h('a', { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, 'Log in'), ' to continue.'));
  } else {
    const list = (roles as Role[]).join(' or ');
    main.append(h('p', { class: 'message info', role: 'status' }, `This page is for the ${list} role. Your account is a${/^[aeiou]/.test(s.user.role) ? 'n' : ''} ${s.user.role} account.`));
  }
  return null;
}

/** An error line (announced) for a failed load or action. */
export function failure(what: string, err: unknown): HTMLParagraphElement {
  return h('p', { class: 'message error', role: 'alert' }, `${what}: ${errorText(err)}`);
}

export function section(title: string, ...children: (Node | string | null | false | undefined)[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export type Cell = Node | string | number | null | undefined;

/** A table with a caption (visually hidden unless `showCaption`), column headers and rows. */
export function table(caption: string, headers: (string | { text: string; num?: boolean })[], rows: Cell[][], empty = 'Nothing yet.'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  const head = headers.map((c) => (typeof c === 'string' ? { text: c, num: false } : c));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'tracks data' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.text)))),
      h('tbody', null, rows.map((r) => h('tr', null, r.map((cell, i) => h('td', { class: head[i]?.num ? 'num' : undefined }, cell ?? ''))))),
    ),
  );
}

/** A definition list of facts. */
export function facts(items: [string, Cell][]): HTMLDListElement {
  return h('dl', { class: 'facts' }, items.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v ?? '–')]));
}

/** Pretty JSON for evidence and raw records. */
export function jsonBlock(value: unknown, label = 'Details'): HTMLElement {
  return h('details', { class: 'json' }, h('summary', null, label), h('pre', null, JSON.stringify(value, null, 2)));
}

export const shortDate = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').slice(0, 16) : '–');

/** A button that downloads `path` (with `format=csv`) carrying the bearer token. */
export function csvButton(path: string, filename: string, label = 'Download CSV'): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'secondary' }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      const url = path + (path.includes('?') ? '&' : '?') + 'format=csv';
      const token = accessToken();
      const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const blob = await res.blob();
      const a = h('a', { href: URL.createObjectURL(blob), download: `${filename}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      b.after(failure('Could not export', err));
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

/** A short form: its fields in a row and a submit button; `run` returns a status line or throws. */
export function inlineForm(label: string, fields: HTMLElement[], submitText: string, run: () => Promise<string | void>): HTMLFormElement {
  const status = h('p', { class: 'message', role: 'status', 'aria-live': 'polite', hidden: true });
  const submit = h('button', { type: 'submit' }, submitText);
  const form = h('form', { class: 'stack', 'aria-label': label }, h('div', { class: 'row' }, fields), h('div', { class: 'actions' }, submit), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    status.hidden = true;
    try {
      const text = await run();
      if (text) {
        status.hidden = false;
        status.className = 'message ok';
        status.setAttribute('role', 'status');
        status.textContent = text;
      }
    } catch (err) {
      status.hidden = false;
      status.className = 'message error';
      status.setAttribute('role', 'alert');
      status.textContent = errorText(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The currency the node keeps its books in, read from the signed-in user's wallet (USD when that fails). */
export async function walletCurrency(signal?: AbortSignal): Promise<string> {
  try {
    return (await api<Wallet>('GET', '/api/v1/me/wallet?limit=1', { signal })).currency;
  } catch {
    return 'USD';
  }
}
