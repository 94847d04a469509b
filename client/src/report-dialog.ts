// "Report": a button that opens a dialog to tell this node's moderators about a track, channel,
// playlist or account (of this node, or of another by its ActivityPub URI), with a reason; and
// the words the report pages share (categories, outcomes, states).
import type { MyReport, NewReport } from '../../shared/api/index.js';
import { api, session } from './api.js';
import { errorText, field, h } from './dom.js';

export type ReportTarget = NewReport['target'];

export const categoryLabels: Record<NewReport['category'], string> = {
  spam: 'Spam or misleading',
  abuse: 'Harassment, hate or abuse',
  illegal: 'Illegal content',
  copyright: 'Copyright: not theirs to share',
  sensitive: 'Sensitive content not marked as such',
  other: 'Something else',
};

export const outcomeLabels: Record<NonNullable<MyReport['outcome']>, string> = {
  dismiss: 'Looked at: no action taken',
  'hide-track': 'The track was hidden',
  suspend: 'The account was suspended',
  silence: 'The account was silenced',
  'block-actor': 'That account is blocked here',
  'block-domain': 'That server is blocked here',
};

/** Where a report stands, in words. */
export function reportStatus(r: Pick<MyReport, 'state' | 'outcome' | 'forwarded'>): string {
  if (r.outcome) return outcomeLabels[r.outcome];
  return r.forwarded ? 'Open; sent on to the moderators of its server' : 'Open: waiting for a moderator';
}

/** A "Report" button for `what` (e.g. the track's title in quotes). */
export function reportButton(target: ReportTarget, what: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary report', 'aria-haspopup': 'dialog', 'aria-label': `Report ${what}` }, 'Report');
  button.addEventListener('click', () => openReportDialog(target, what, button));
  return button;
}

export function openReportDialog(target: ReportTarget, what: string, opener?: HTMLElement): void {
  const titleId = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  const body = h('div', { class: 'dialog-body' });
  const close = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, h('h2', { id: titleId }, `Report ${what}`), body, h('div', { class: 'actions' }, close));
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener?.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  if (!session()) {
    body.append(h('p', null, h('a', { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, 'Log in'), ' to report something to the moderators.'));
    return;
  }
  const category = h('select', { name: 'category', required: true }, (Object.entries(categoryLabels) as [NewReport['category'], string][]).map(([value, label]) => h('option', { value }, label)));
  const reason = h('textarea', { name: 'reason', rows: '4', required: true, minlength: '3', maxlength: '3000' });
  const status = h('p', { class: 'message', role: 'status', 'aria-live': 'polite', hidden: true });
  const send = h('button', { type: 'submit' }, 'Send report');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': `Report ${what}` },
    field('Why', category),
    field('What is wrong', reason, 'The moderators of this node read it; when it is about another server, they may send it on to that server’s moderators without your name.'),
    h('div', { class: 'actions' }, send),
    status,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    send.disabled = true;
    try {
      await api<MyReport>('POST', '/api/v1/reports', { body: { target, category: category.value, reason: reason.value.trim() } });
      close.textContent = 'Close';
      body.replaceChildren(
        h('p', { class: 'message ok', role: 'status' }, 'Thank you: the moderators will look at it.'),
        h('p', null, 'What comes of it shows on ', h('a', { href: '/me/reports', onclick: () => dialog.close() }, 'My reports'), '.'),
      );
      close.focus();
    } catch (err) {
      send.disabled = false;
      status.hidden = false;
      status.className = 'message error';
      status.setAttribute('role', 'alert');
      status.textContent = errorText(err);
    }
  });
  body.append(form);
  category.focus();
}
