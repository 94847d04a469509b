// /@name: a user's profile address (the `url` of their ActivityPub actor).
import { api, session } from '../api.js';
import { h } from '../dom.js';
import { navigate, type PageContext } from '../router.js';
import type { Channel } from '../../../shared/api/index.js';
import { reportButton } from '../report-dialog.js';

export async function profilePage({ main, params, signal }: PageContext): Promise<void> {
  // An artist's profile is their channel when one has the same name.
  const channel = await api<Channel>('GET', `/api/v1/channels/${encodeURIComponent(params.name)}`, { signal }).catch(() => null);
  if (channel && !signal.aborted) return navigate(`/channels/${encodeURIComponent(channel.name)}`, { replace: true });
  main.append(
    h('h1', null, `@${params.name}`),
    h('p', { class: 'muted' }, `A member of ${location.host}.`),
    h('p', null, h('a', { href: '/' }, 'Browse the library')),
    session()?.user.username === params.name ? '' : h('p', { class: 'actions' }, reportButton({ kind: 'account', id: params.name }, `@${params.name}`)),
  );
}
