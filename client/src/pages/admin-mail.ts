// The admin's view of outgoing mail (/admin/mail): whether the node sends mail and through what,
// the queue's counts, the mails that failed (with the server's answer) and a Retry for each, and
// a test mail to check the setup.
import type { Mail, MailPage, MailStatus } from '../../../shared/api/index.js';
import { api } from '../api.js';
import { field, h } from '../dom.js';
import type { PageContext } from '../router.js';
import { facts, failure, gate, inlineForm, section, shortDate, table } from '../ui.js';

const securityText: Record<MailStatus['security'], string> = {
  tls: 'TLS from the first byte (secure)',
  starttls: 'STARTTLS, required',
  'starttls-if-offered': 'STARTTLS when the server offers it',
  none: 'none (ignoreTLS)',
};

const stateText: Record<Mail['state'], string> = { queued: 'Queued', sending: 'Sending', sent: 'Sent', failed: 'Failed' };

export async function adminMailPage({ main, query, signal }: PageContext): Promise<void> {
  if (!gate(main, 'Mail', ['admin'])) return;
  main.append(h('h1', null, 'Mail'), h('p', null, h('a', { href: '/admin/machine' }, '← The machine'), ' · ', h('a', { href: '/admin' }, 'Administration')));
  const statusBox = section('Setup and queue');
  const listBox = section('Mails');
  main.append(statusBox, listBox);
  const wanted = query.get('state');
  const state = wanted === 'queued' || wanted === 'sending' || wanted === 'sent' || wanted === 'failed' ? wanted : 'failed';

  let status: MailStatus;
  try {
    status = await api<MailStatus>('GET', '/api/v1/admin/mail', { signal });
  } catch (err) {
    statusBox.append(failure('Could not load the mail setup', err));
    return;
  }
  statusBox.append(
    status.enabled
      ? facts([
          ['SMTP server', `${status.host}:${status.port}`],
          ['Encryption', securityText[status.security]],
          ['Sender', status.from],
          ['Tries per mail', `${status.retry.attempts} (the first wait ${Math.round(status.retry.backoffMs / 1000)} s, doubled each time)`],
          ['Queued', status.counts.queued],
          ['Sending', status.counts.sending],
          ['Sent (kept a while)', status.counts.sent],
          ['Failed', status.counts.failed],
        ])
      : h('p', { class: 'message' }, 'This node sends no mail: no SMTP server is configured (SMTP_HOST and MAIL_FROM). Sign-up works without address verification, password reset asks users to contact an admin, and notifications stay in the app. See docs/email.md.'),
  );
  if (status.enabled) {
    const to = h('input', { name: 'to', type: 'email', maxlength: '320', placeholder: 'you@example.org (empty: your own address)', autocomplete: 'email' });
    statusBox.append(
      inlineForm('Send a test mail', [field('To', to)], 'Send a test mail', async () => {
        const sent = await api<Mail>('POST', '/api/v1/admin/mail/test', { body: to.value.trim() ? { to: to.value.trim() } : {} });
        await load();
        return `Queued to ${sent.to}: it shows below once sent, or as failed with the server's answer.`;
      }),
    );
  }

  const filters = h(
    'p',
    null,
    'Show: ',
    ...(['failed', 'queued', 'sending', 'sent'] as const).flatMap((s, i) => [
      i ? ' · ' : '',
      s === state ? h('strong', null, stateText[s]) : h('a', { href: `/admin/mail?state=${s}` }, stateText[s]),
    ]),
  );
  const list = h('div');
  listBox.append(filters, list);
  const size = 50;
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);

  async function load(): Promise<void> {
    try {
      const page = await api<MailPage>('GET', `/api/v1/admin/mail/messages?state=${state}&limit=${size}&offset=${offset}`, { signal });
      const shown = page.total > size && page.data.length ? `, ${offset + 1}–${offset + page.data.length} shown` : '';
      list.replaceChildren(
        table(
          `${stateText[state]} mails (${page.total}${shown})`,
          ['Created', 'Kind', 'To', 'Subject', 'Tries', 'Last error', 'Next try', ''],
          page.data.map((m) => [
            shortDate(m.createdAt),
            m.kind,
            m.to,
            m.subject,
            m.attempts,
            m.lastError ?? '–',
            m.state === 'failed' ? (m.nextAttemptAt ? shortDate(m.nextAttemptAt) : 'none: retry it') : shortDate(m.nextAttemptAt),
            m.state === 'failed' ? retryButton(m) : null,
          ]),
          page.total ? 'None on this page.' : state === 'failed' ? 'No mail failed.' : 'None.',
        ),
        page.total > size || offset > 0
          ? h(
              'nav',
              { class: 'pager', 'aria-label': 'Mail pages' },
              offset > 0 ? h('a', { href: `/admin/mail?state=${state}&offset=${Math.max(0, offset - size)}` }, 'Newer') : null,
              offset + size < page.total ? h('a', { href: `/admin/mail?state=${state}&offset=${offset + size}` }, 'Older') : null,
            )
          : '',
      );
    } catch (err) {
      list.replaceChildren(failure('Could not load the mails', err));
    }
  }

  function retryButton(m: Mail): HTMLButtonElement {
    const b = h('button', { type: 'button', class: 'secondary', 'aria-label': `Retry the mail to ${m.to}: ${m.subject}` }, 'Retry');
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api('POST', `/api/v1/admin/mail/messages/${m.id}/retry`);
        await load();
      } catch (err) {
        b.after(failure('Not retried', err));
        b.disabled = false;
      }
    });
    return b;
  }

  await load();
}
