// The pages a mailed link opens (confirm an address, choose a new password), asking for a
// reset link, asking for a new verification link, and changing one's address (a section the
// account page shows).
import type { MailRequestAccepted, User, UserAndVerification } from '../../../shared/api/index.js';
import { api, ApiError, saveSession, session } from '../api.js';
import { field, h, messageBox, onSubmit } from '../dom.js';
import { navigate, type PageContext } from '../router.js';
import { section } from '../ui.js';

const mailOff = (err: unknown) => err instanceof ApiError && err.code === 'mail_disabled';
const mailOffText = 'This node does not send e-mail, so this cannot be done by mail. Ask an admin of the node.';
const badLink = (err: unknown) => err instanceof ApiError && err.code === 'invalid_token';

/** The token from a mailed link; off the address bar at once, so it stays out of history and shared screens. */
function takeToken(query: URLSearchParams): string | null {
  const token = query.get('token');
  if (token) history.replaceState(null, '', location.pathname);
  return token;
}

export async function verifyEmailPage({ main, query }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Confirm your e-mail address'));
  const token = takeToken(query);
  const msg = messageBox();
  main.append(msg);
  if (!token) {
    msg.show('This page needs the link from the mail. No mail, or the link does not work? Ask for a new one:', 'info');
    main.append(resendLinkForm());
    return;
  }
  try {
    const done = await api<{ email: string }>('POST', '/api/v1/users/verify-email', { body: { token } });
    msg.show(`Thank you: ${done.email} is confirmed.`, 'ok');
    main.append(h('p', null, session() ? h('a', { href: '/me' }, 'Back to my account') : h('a', { href: '/login' }, 'Log in')));
    const s = session();
    // The stored user learns it is confirmed (not worth an error when that fails).
    if (s) void api<User>('GET', '/api/v1/users/me').then((user) => saveSession({ ...s, user }), () => {});
  } catch (err) {
    msg.show(badLink(err) ? 'This link does not work: it was used already, it expired, or a newer one replaced it. Ask for a new one:' : String((err as Error).message));
    main.append(resendLinkForm());
  }
}

/** "Send me a new link": for an account that cannot log in until its address is confirmed, too. */
export function resendLinkForm(): HTMLFormElement {
  return addressForm('Send a new confirmation link', 'Send the link', '/api/v1/users/verify-email/resend');
}

export function forgotPasswordPage({ main }: PageContext): void {
  main.append(
    h('h1', { id: 'forgot-title' }, 'Forgot your password?'),
    h('p', null, 'Give the e-mail address of your account: we send you a link to choose a new password. The link works once, for a limited time.'),
    addressForm('Reset my password', 'Send the link', '/api/v1/users/password-reset'),
    h('p', null, h('a', { href: '/login' }, 'Back to login')),
  );
  main.querySelector('input')?.focus();
}

/** One address, one request; the answer is the same whether an account has the address. */
function addressForm(label: string, submitText: string, path: string): HTMLFormElement {
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true });
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, submitText);
  const form = h('form', { class: 'card narrow', 'aria-label': label }, field('E-mail address', email), msg, submit);
  onSubmit(form, submit, msg, async () => {
    try {
      const answer = await api<MailRequestAccepted>('POST', path, { body: { email: email.value.trim() } });
      msg.show(answer.message, 'ok');
    } catch (err) {
      if (mailOff(err)) throw new Error(mailOffText);
      throw err;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export function resetPasswordPage({ main, query }: PageContext): void {
  main.append(h('h1', { id: 'reset-title' }, 'Choose a new password'));
  const token = takeToken(query);
  if (!token) {
    main.append(h('p', { class: 'message info', role: 'status' }, 'This page needs the link from the mail. '), h('p', null, h('a', { href: '/forgot-password' }, 'Ask for a link')));
    return;
  }
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: '8', maxlength: '200' });
  const again = h('input', { name: 'again', type: 'password', autocomplete: 'new-password', required: true });
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, 'Set the new password');
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'reset-title' }, field('New password', password, 'At least 8 characters. You will be signed out everywhere, and the API keys of your apps stop working.'), field('The same again', again), msg, submit);
  onSubmit(form, submit, msg, async () => {
    if (password.value !== again.value) throw new Error('The two passwords differ.');
    try {
      const done = await api<{ username: string }>('POST', '/api/v1/users/password-reset/confirm', { body: { token, password: password.value } });
      navigate(`/login?reset=1&username=${encodeURIComponent(done.username)}`, { replace: true });
    } catch (err) {
      if (badLink(err)) {
        form.replaceWith(h('p', { class: 'message error', role: 'alert' }, 'This link does not work: it was used already, it expired, or a newer one replaced it. '), h('p', null, h('a', { href: '/forgot-password' }, 'Ask for a new link')));
        return;
      }
      throw err;
    }
  });
  main.append(form);
  password.focus();
}

/** The account page's "E-mail address" section: the address, whether it is confirmed, and changing it. */
export function emailSection(user: User): HTMLElement {
  const status = user.email
    ? h('p', null, `Your address: ${user.email} `, h('strong', null, user.emailVerified ? '(confirmed)' : '(not confirmed)'))
    : h('p', null, 'Your account has no e-mail address: a forgotten password cannot be reset by mail.');
  const pending = user.pendingEmail ? h('p', { class: 'message info', role: 'status' }, `Waiting for confirmation: ${user.pendingEmail}. Open the link we sent there; until then mail goes to your current address.`) : null;
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, 'Change address');
  const form = h('form', { class: 'stack', 'aria-label': 'Change e-mail address' }, field('New address', email), field('Your password', password), msg, submit);
  onSubmit(form, submit, msg, async () => {
    const changed = await api<UserAndVerification>('PUT', '/api/v1/users/me/email', { body: { email: email.value.trim(), password: password.value } });
    const s = session();
    if (s) saveSession({ ...s, user: changed });
    password.value = '';
    const { state, required } = changed.emailVerification;
    msg.show(
      state === 'sent'
        ? required
          ? `We sent a link to ${email.value.trim()}. Your address changes when you open it.`
          : `Your address is now ${changed.email}. We sent a link there to confirm it.`
        : state === 'mail_disabled'
          ? `Your address is now ${changed.email} (this node sends no mail, so it stays unconfirmed).`
          : 'That is already your address.',
      'ok',
    );
    submit.disabled = false;
  });
  const resend = !user.emailVerified && user.email ? h('p', null, h('a', { href: '/verify-email' }, 'Send me a new confirmation link')) : null;
  return section('E-mail address', status, pending, resend, form);
}
