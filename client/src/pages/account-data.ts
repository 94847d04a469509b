// The user's data (/me/data): download it as an archive, or delete the account (with the
// password and the username typed again). The archive download is shared with the admin page.
import type { AccountDeletion, Wallet } from '../../../shared/api/index.js';
import { accessToken, api, ApiError, logOut } from '../api.js';
import { field, h, messageBox, onSubmit } from '../dom.js';
import { formatMoney } from '../lib/money.js';
import type { PageContext } from '../router.js';
import { failure, gate, section } from '../ui.js';

/** Fetches an archive with the bearer token and hands it to the browser as a download. */
export async function downloadArchive(path: string): Promise<void> {
  const token = accessToken();
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new ApiError(res.status, body.code ?? `http_${res.status}`, body.detail ?? res.statusText, body);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? '9ten-export.tar.gz';
  const a = h('a', { href: URL.createObjectURL(await res.blob()), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** A button that downloads the archive at `path`, with its outcome announced beside it. */
export function archiveButton(path: string, label: string): HTMLElement {
  const status = h('span', { role: 'status', 'aria-live': 'polite', class: 'row-status' });
  const button = h('button', { type: 'button', class: 'secondary' }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.replaceChildren('Preparing the archive…');
    try {
      await downloadArchive(path);
      status.replaceChildren('Downloaded.');
    } catch (err) {
      status.replaceChildren(failure('Could not export', err));
    } finally {
      button.disabled = false;
    }
  });
  return h('span', null, button, ' ', status);
}

export async function accountDataPage({ main, signal }: PageContext): Promise<void> {
  const s = gate(main, 'My data', 'any');
  if (!s) return;
  main.append(h('h1', null, 'My data'));

  main.append(
    section(
      'Download my data',
      h('p', null, 'An archive (.tar.gz) of what this node holds about you: your profile, playlists, channels and the details of your tracks, your listening, your wallet statement, who you follow and who follows you, and your notifications. One download every 10 minutes.'),
      archiveButton('/api/v1/users/me/export', 'Download my data'),
    ),
  );

  const del = section('Delete my account');
  main.append(del);
  del.append(
    h('p', null, 'Deleting your account removes your channels, your tracks and their files, your playlists, your follows and your personal details, at once and for good. Other servers are told that your account is gone. Download your data first if you want to keep it.'),
    h('p', null, 'What the accounts of the node must keep stays, without your name: your wallet and its entries, subscription charges, tips and payouts, and the figures of your qualified listening, which the listening reports and the artists\u2019 pay were made from. Your username and your channels\u2019 names are not given to anyone else.'),
  );
  try {
    const wallet = await api<Wallet>('GET', '/api/v1/me/wallet?limit=1', { signal });
    if (wallet.balance > 0) {
      del.append(
        h('p', { class: 'message info', role: 'status' },
          `Your wallet holds ${formatMoney(wallet.balance, wallet.currency)}. It stays in the wallet when the account is deleted, and no one can spend it then: `,
          s.user.role === 'artist' || s.user.role === 'moderator' ? h('a', { href: '/earnings' }, 'withdraw it first') : 'spend it or ask an admin about it first',
          '.'),
      );
    }
  } catch (err) {
    del.append(failure('Could not read your wallet', err));
  }

  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const confirm = h('input', { name: 'confirm', autocomplete: 'off', required: true, spellcheck: 'false' });
  const submit = h('button', { type: 'submit', class: 'danger' }, 'Delete my account');
  const msg = messageBox();
  const form = h('form', { class: 'stack', 'aria-label': 'Delete my account' },
    field('Password', password),
    field(`Type your username (${s.user.username}) to confirm`, confirm),
    h('div', { class: 'actions' }, submit),
    msg);
  onSubmit(form, submit, msg, async () => {
    if (confirm.value.trim().toLowerCase() !== s.user.username.toLowerCase()) throw new Error(`Type ${s.user.username} to confirm`);
    const deletion = await api<AccountDeletion>('DELETE', '/api/v1/users/me', { body: { password: password.value, confirm: confirm.value } });
    await logOut();
    form.replaceWith(h('p', { class: 'message ok', role: 'status' },
      `Your account is closed and being deleted (asked at ${deletion.requestedAt.replace('T', ' ').slice(0, 16)}). You have been signed out.`));
  });
  del.append(form);
}
