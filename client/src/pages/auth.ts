// Sign up and log in (and, from the login form, a new verification link for an account that
// cannot log in until its address is confirmed).
import type { UserAndVerification } from '../../../shared/api/index.js';
import { api, ApiError, logIn, session } from '../api.js';
import { field, h, messageBox, onSubmit } from '../dom.js';
import { navigate, type PageContext } from '../router.js';

export function loginPage({ main, query }: PageContext): void {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, value: query.get('username') ?? '' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = messageBox();
  if (query.get('created')) msg.show('Account created. Log in to continue.', 'ok');
  if (query.get('verify')) msg.show('Account created. We sent you a link to confirm your e-mail address: open it, then log in here.', 'ok');
  if (query.get('reset')) msg.show('Your password is changed. Log in with the new one.', 'ok');
  const submit = h('button', { type: 'submit' }, 'Log in');
  // Shown when the node says the address must be confirmed first.
  const resend = h('div', { hidden: true });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'login-title' }, field('Username', username), field('Password', password), msg, submit);
  onSubmit(form, submit, msg, async () => {
    try {
      const s = await logIn(username.value.trim(), password.value);
      navigate(query.get('next') || (s.user.role === 'artist' || s.user.role === 'moderator' ? '/studio' : '/'), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'email_not_verified') {
        // Loaded only then: the page that a mailed link opens holds the form.
        const { resendLinkForm } = await import('./account-email.js');
        resend.replaceChildren(resendLinkForm());
        resend.hidden = false;
        throw new Error('Confirm your e-mail address first: open the link we mailed you. No mail? Ask for a new link below.');
      }
      throw err;
    }
  });
  main.append(
    h('h1', { id: 'login-title' }, 'Log in'),
    form,
    resend,
    h('p', null, h('a', { href: '/forgot-password' }, 'Forgot password?')),
    h('p', null, 'No account yet? ', h('a', { href: '/signup' }, 'Sign up')),
  );
  (username.value ? password : username).focus();
}

export function signupPage({ main }: PageContext): void {
  if (session()) {
    main.append(h('h1', null, 'Sign up'), h('p', null, `You are logged in as ${session()!.user.username}. Log out first to create another account.`));
    return;
  }
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, minlength: '2', maxlength: '40', pattern: '[A-Za-z0-9_]+' });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: '8' });
  const listener = h('input', { type: 'radio', name: 'role', value: 'listener', id: 'role-listener', checked: true });
  const artist = h('input', { type: 'radio', name: 'role', value: 'artist', id: 'role-artist' });
  const roles = h(
    'fieldset',
    { class: 'field roles' },
    h('legend', null, 'I am here to'),
    h('label', { for: 'role-listener', class: 'check' }, listener, ' Listen'),
    h('label', { for: 'role-artist', class: 'check' }, artist, ' Publish my music (artist)'),
  );
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, 'Create account');
  const form = h(
    'form',
    { class: 'card narrow', 'aria-labelledby': 'signup-title' },
    field('Username', username, 'Letters, digits and underscores.'),
    field('Email', email, 'Optional here unless this node asks every account to confirm one. Needed to reset a forgotten password.'),
    field('Password', password, 'At least 8 characters.'),
    roles,
    msg,
    submit,
  );
  onSubmit(form, submit, msg, async () => {
    const user = await api<UserAndVerification>('POST', '/api/v1/users', {
      body: { username: username.value.trim(), password: password.value, email: email.value.trim() || undefined, role: artist.checked ? 'artist' : 'listener' },
    });
    const name = `username=${encodeURIComponent(user.username)}`;
    const { state, required } = user.emailVerification;
    if (state === 'sent' && required) return navigate(`/login?verify=1&${name}`);
    if (state === 'sent') return showCreated(main, `We sent a link to ${user.email}: open it to confirm your address (you can log in before that).`, `/login?${name}`);
    if (state === 'mail_disabled') {
      return showCreated(main, 'This node does not send e-mail, so your address stays unconfirmed; your account works without it. A forgotten password is reset by an admin.', `/login?${name}`);
    }
    navigate(`/login?created=1&${name}`);
  });
  main.append(h('h1', { id: 'signup-title' }, 'Sign up'), form, h('p', null, 'Already have an account? ', h('a', { href: '/login' }, 'Log in')));
}

/** The account exists; what about its address, and on to the login. */
function showCreated(main: HTMLElement, note: string, login: string): void {
  main.replaceChildren(
    h('h1', { tabindex: '-1' }, 'Account created'),
    h('p', { class: 'message ok', role: 'status' }, note),
    h('p', null, h('a', { href: login }, 'Log in')),
  );
  main.querySelector('h1')!.focus();
}
