// Entry point of the web client: navigation bar and routes.
import './styles.css';
import { logOut, onSessionChange, session } from './api.js';
import { h } from './dom.js';
import { loginPage, signupPage } from './pages/auth.js';
import { channelPage } from './pages/channel.js';
import { editTrackPage } from './pages/edit.js';
import { libraryPage } from './pages/library.js';
import { profilePage } from './pages/profile.js';
import { studioPage } from './pages/studio.js';
import { trackPage } from './pages/track.js';
import { uploadPage } from './pages/upload.js';
import { navigate, notFound, onRender, route, startRouter } from './router.js';

function renderNav(): void {
  const nav = document.getElementById('nav')!;
  const s = session();
  const link = (href: string, text: string) => h('a', { href, 'aria-current': location.pathname === href ? 'page' : undefined }, text);
  const items: (HTMLElement | null)[] = [link('/', 'Library')];
  if (s && (s.user.role === 'artist' || s.user.role === 'admin')) items.push(link('/studio', 'Studio'), link('/upload', 'Upload'));
  if (s) {
    const out = h('button', { type: 'button', class: 'link' }, 'Log out');
    out.addEventListener('click', async () => {
      await logOut();
      navigate('/');
    });
    items.push(h('span', { class: 'who' }, s.user.username), out);
  } else {
    items.push(link('/login', 'Log in'), link('/signup', 'Sign up'));
  }
  nav.replaceChildren(...items.filter((x): x is HTMLElement => !!x));
}

route('/', libraryPage);
route('/login', loginPage);
route('/signup', signupPage);
route('/studio', studioPage);
route('/upload', uploadPage);
route('/tracks/:id', trackPage);
route('/tracks/:id/edit', editTrackPage);
route('/channels/:name', channelPage);
route('/@:name', profilePage);
notFound(({ main }) => {
  main.append(h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/' }, 'Back to the library')));
});
onRender(renderNav);
onSessionChange(renderNav);
startRouter();
