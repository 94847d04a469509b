// Entry point of the web client: navigation bar and routes.
import './styles.css';
import { logOut, onSessionChange, session } from './api.js';
import { h } from './dom.js';
import { loginPage, signupPage } from './pages/auth.js';
import { channelPage } from './pages/channel.js';
import { editTrackPage } from './pages/edit.js';
import { homePage } from './pages/home.js';
import { libraryPage } from './pages/library.js';
import { searchPath } from './lib/browse.js';
import { profilePage } from './pages/profile.js';
import { studioPage } from './pages/studio.js';
import { trackPage } from './pages/track.js';
import { uploadPage } from './pages/upload.js';
import { notificationBell } from './notifications-bell.js';
import type { PageContext } from './router.js';
import { navigate, notFound, onRender, route, startRouter } from './router.js';

function renderNav(): void {
  const nav = document.getElementById('nav')!;
  const s = session();
  const here = location.pathname;
  const link = (href: string, text: string) =>
    h('a', { href, 'aria-current': here === href || (href !== '/' && here.startsWith(`${href}/`)) ? 'page' : undefined }, text);
  const items: (HTMLElement | null)[] = [
    link('/', 'Home'),
    link('/library', 'Library'),
    link('/discover', 'Discover'),
    link('/genres', 'Genres'),
    link('/playlists', 'Playlists'),
    link('/live', 'Live'),
  ];
  const role = s?.user.role;
  // A moderator keeps an artist's rights (the server's requireRole: moderator ⊇ artist ⊇ listener).
  if (role === 'artist' || role === 'moderator' || role === 'admin') items.push(link('/studio', 'Studio'), link('/upload', 'Upload'), link('/live/setup', 'Go live'), link('/earnings', 'Earnings'));
  if (s) items.push(link('/me', 'Account'), link('/investments', 'Investments'), link('/following', 'Following'), link('/disputes', 'Disputes'));
  if (role === 'admin') items.push(link('/admin', 'Admin'));
  if (role === 'moderator' || role === 'admin') items.push(link('/admin/moderation', 'Moderation'));
  if (role === 'auditor' || role === 'admin') items.push(link('/audit', 'Audit'));
  if (s) {
    const out = h('button', { type: 'button', class: 'link' }, 'Log out');
    out.addEventListener('click', async () => {
      await logOut();
      navigate('/');
    });
    items.push(notificationBell(), h('span', { class: 'who' }, s.user.username), out);
  } else {
    items.push(link('/login', 'Log in'), link('/signup', 'Sign up'));
  }
  nav.replaceChildren(...items.filter((x): x is HTMLElement => !!x));
}

route('/', homePage);
route('/library', libraryPage);
route('/login', loginPage);
route('/signup', signupPage);
route('/studio', studioPage);
route('/upload', uploadPage);
route('/tracks/:id', trackPage);
route('/tracks/:id/edit', editTrackPage);
route('/channels/:name', channelPage);
// Browsing and search load on first use (chunks of their own).
const playlists = () => import('./pages/playlists.js');
const genres = () => import('./pages/genres.js');
route('/@:name', profilePage);
// The discover, account, money, admin and audit pages load on first use (separate chunks).
const lazy = <M>(load: () => Promise<M>, pick: (m: M) => (ctx: PageContext) => void | Promise<void>) => async (ctx: PageContext) => pick(await load())(ctx);
const me = () => import('./pages/me.js');
const following = () => import('./pages/following.js');
const disputes = () => import('./pages/disputes.js');
const admin = () => import('./pages/admin.js');
route('/me', lazy(me, (m) => m.mePage));
route('/gift/:code', lazy(() => import('./pages/gift.js'), (m) => m.giftPage));
route('/watch/:code', lazy(() => import('./pages/watch-link.js'), (m) => m.watchLinkPage));
route('/investments', lazy(() => import('./pages/investments.js'), (m) => m.investmentsPage));
route('/search', lazy(() => import('./pages/search.js'), (m) => m.searchPage));
route('/channels/:name/albums/:album', lazy(() => import('./pages/album.js'), (m) => m.albumPage));
route('/genres', lazy(genres, (m) => m.genresPage));
route('/genres/:genre', lazy(genres, (m) => m.genrePage));
route('/playlists', lazy(playlists, (m) => m.playlistsPage));
route('/playlists/remote', lazy(playlists, (m) => m.remotePlaylistPage));
route('/playlists/:id', lazy(playlists, (m) => m.playlistPage));
route('/discover', lazy(() => import('./pages/discover.js'), (m) => m.discoverPage));
route('/following', lazy(following, (m) => m.followingPage));
route('/remote/:id', lazy(following, (m) => m.remoteTrackPage));
route('/disputes', lazy(disputes, (m) => m.disputesPage));
route('/disputes/:id', lazy(disputes, (m) => m.disputePage));
route('/earnings', lazy(() => import('./pages/earnings.js'), (m) => m.earningsPage));
route('/admin', lazy(admin, (m) => m.adminUsersPage));
route('/admin/money', lazy(admin, (m) => m.adminMoneyPage));
route('/admin/listening', lazy(admin, (m) => m.adminListeningPage));
route('/admin/disputes', lazy(admin, (m) => m.adminDisputesPage));
route('/admin/federation', lazy(admin, (m) => m.adminFederationPage));
route('/audit', lazy(() => import('./pages/audit.js'), (m) => m.auditPage));
const live = () => import('./pages/live.js');
route('/live', lazy(live, (m) => m.liveDirectoryPage));
route('/live/setup', lazy(live, (m) => m.liveSetupPage));
route('/live/remote/:watchId', lazy(live, (m) => m.remoteLivePage));
route('/live/:id', lazy(live, (m) => m.livePage));
const notifications = () => import('./pages/notifications.js');
route('/notifications', lazy(notifications, (m) => m.notificationsPage));
route('/notifications/settings', lazy(notifications, (m) => m.notificationSettingsPage));
const accountEmail = () => import('./pages/account-email.js');
route('/verify-email', lazy(accountEmail, (m) => m.verifyEmailPage));
route('/forgot-password', lazy(accountEmail, (m) => m.forgotPasswordPage));
route('/reset-password', lazy(accountEmail, (m) => m.resetPasswordPage));
route('/me/data', lazy(() => import('./pages/account-data.js'), (m) => m.accountDataPage));
route('/me/reports', lazy(() => import('./pages/reports.js'), (m) => m.myReportsPage));
const moderation = () => import('./pages/admin-moderation.js');
route('/admin/moderation', lazy(moderation, (m) => m.moderationQueuePage));
route('/admin/moderation/log', lazy(moderation, (m) => m.moderationLogPage));
route('/admin/machine', lazy(() => import('./pages/admin-machine.js'), (m) => m.adminMachinePage));
route('/admin/mail', lazy(() => import('./pages/admin-mail.js'), (m) => m.adminMailPage));
notFound(({ main }) => {
  main.append(h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/' }, 'Back home')));
});

// Search forms (the header's, a page's) go to /search without a reload.
document.addEventListener('submit', (e) => {
  const form = e.target as HTMLFormElement;
  if (form.getAttribute('role') !== 'search' || form.getAttribute('action') !== '/search') return;
  e.preventDefault();
  const q = String(new FormData(form).get('q') ?? '').trim();
  if (q) navigate(searchPath(q));
});

// On a narrow screen the navigation folds behind a Menu button; following a link folds it again.
const menuButton = document.querySelector<HTMLButtonElement>('.menu-button')!;
const setMenu = (open: boolean) => {
  menuButton.setAttribute('aria-expanded', String(open));
  document.body.classList.toggle('menu-open', open);
};
menuButton.addEventListener('click', () => setMenu(menuButton.getAttribute('aria-expanded') !== 'true'));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.body.classList.contains('menu-open')) {
    setMenu(false);
    menuButton.focus();
  }
});

onRender(() => {
  setMenu(false);
  renderNav();
});
onSessionChange(renderNav);
startRouter();
