// Sign up and log in.
import { logIn, session, signUp } from '../api.js';
import { field, h, messageBox, onSubmit } from '../dom.js';
import { navigate, type PageContext } from '../router.js';

export function loginPage({ main, query }: PageContext): void {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, value: query.get('username') ?? '' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = messageBox();
  if (query.get('created')) msg.show('Account created. Log in to continue.', 'ok');
  const submit = h('button', { type: 'submit' }, 'Log in');
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'login-title' }, field('Username', username), field('Password', password), msg, submit);
  onSubmit(form, submit, msg, async () => {
    const s = await logIn(username.value.trim(), password.value);
    navigate(query.get('next') || (s.user.role === 'artist' ? '/studio' : '/'), { replace: true });
  });
  main.append(h('h1', { id: 'login-title' }, 'Log in'), form, h('p', null, 'No account yet? ', h('a', { href: '/signup' }, 'Sign up')));
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
    field('Email (optional)', email),
    field('Password', password, 'At least 8 characters.'),
    roles,
    msg,
    submit,
  );
  onSubmit(form, submit, msg, async () => {
    const user = await signUp({
      username: username.value.trim(),
      password: password.value,
      email: email.value.trim() || undefined,
      role: artist.checked ? 'artist' : 'listener',
    });
    navigate(`/login?created=1&username=${encodeURIComponent(user.username)}`);
  });
  main.append(h('h1', { id: 'signup-title' }, 'Sign up'), form, h('p', null, 'Already have an account? ', h('a', { href: '/login' }, 'Log in')));
}
