// The artist's studio: their channels (artist profiles) and a form to create one.
import { api, session } from '../api.js';
import { myChannels } from '../channels.js';
import { errorText, field, h, messageBox, onSubmit } from '../dom.js';
import { navigate, type PageContext } from '../router.js';
import { formatDuration } from '../lib/format.js';
import type { Channel, TrackPage } from '../../../shared/api/index.js';
import { statusBadge } from './library.js';

export function requireArtist(main: HTMLElement, title: string): boolean {
  const s = session();
  if (s && ['artist', 'moderator', 'admin'].includes(s.user.role)) return true;
  main.append(
    h('h1', null, title),
    s
      ? h('p', null, 'This page is for artists. Your account is a listener account.')
      : h('p', null, h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in'), ' with an artist account to continue.'),
  );
  return false;
}

export async function studioPage({ main, signal }: PageContext): Promise<void> {
  if (!requireArtist(main, 'Studio')) return;
  main.append(h('h1', null, 'Studio'));
  let channels: Channel[] = [];
  try {
    channels = await myChannels(true);
  } catch (err) {
    main.append(h('p', { class: 'message error', role: 'alert' }, `Could not load your channels: ${errorText(err)}`));
  }

  const list = h('section', { class: 'card', 'aria-labelledby': 'channels-title' }, h('h2', { id: 'channels-title' }, 'Your channels'));
  if (channels.length === 0) {
    list.append(h('p', null, 'Create a channel first: it is your artist profile, and your tracks are published under it.'));
  } else {
    list.append(
      h(
        'ul',
        { class: 'channels' },
        channels.map((c) => h('li', null, h('a', { href: `/channels/${encodeURIComponent(c.name)}` }, c.displayName), h('span', { class: 'muted' }, ` @${c.name}`))),
      ),
      h('p', null, h('a', { href: '/upload', class: 'button' }, 'Upload a track')),
    );
  }
  main.append(list);
  for (const c of channels) main.append(await channelTracks(c, signal));
  main.append(channelForm(channels.length === 0));
}

function channelForm(open: boolean): HTMLElement {
  const name = h('input', { name: 'name', required: true, pattern: '[a-z0-9_]+', minlength: '2', maxlength: '50', autocomplete: 'off', spellcheck: 'false' });
  const displayName = h('input', { name: 'displayName', required: true, maxlength: '100' });
  const description = h('textarea', { name: 'description', rows: '3', maxlength: '2000' });
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, 'Create channel');
  displayName.addEventListener('input', () => {
    if (!name.dataset.touched) name.value = displayName.value.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 50);
  });
  name.addEventListener('input', () => (name.dataset.touched = '1'));
  const form = h(
    'form',
    { class: 'stack' },
    field('Display name', displayName),
    field('Handle', name, 'Lower-case letters, digits and underscores; part of your channel address.'),
    field('Description (optional)', description),
    msg,
    submit,
  );
  onSubmit(form, submit, msg, async () => {
    await api<Channel>('POST', '/api/v1/channels', {
      body: { name: name.value.trim(), displayName: displayName.value.trim(), description: description.value.trim() || undefined },
    });
    await myChannels(true);
    navigate('/studio', { replace: true });
  });
  const section = h('details', { class: 'card', open }, h('summary', null, h('h2', { class: 'inline' }, 'Create a channel')), form);
  return section;
}

/** A channel's tracks, including those still processing, failed, unlisted or private. */
async function channelTracks(c: Channel, signal: AbortSignal): Promise<HTMLElement> {
  const section = h('section', { class: 'card', 'aria-label': `Tracks of ${c.displayName}` }, h('h2', null, `Tracks of ${c.displayName}`));
  try {
    const page = await api<TrackPage>('GET', `/api/v1/tracks?channel=${encodeURIComponent(c.name)}&limit=200`, { signal });
    if (page.data.length === 0) section.append(h('p', { class: 'muted' }, 'No tracks yet.'));
    else
      section.append(
        h(
          'ul',
          { class: 'studio-tracks' },
          page.data.map((t) =>
            h(
              'li',
              null,
              h('span', { class: 'grow' }, h('a', { href: `/tracks/${encodeURIComponent(t.id)}` }, t.title), statusBadge(t)),
              h('span', { class: 'muted' }, formatDuration(t.durationSeconds)),
              h('a', { href: `/tracks/${encodeURIComponent(t.id)}/edit`, 'aria-label': `Edit ${t.title}` }, 'Edit'),
            ),
          ),
        ),
      );
  } catch (err) {
    section.append(h('p', { class: 'message error', role: 'alert' }, `Could not list the tracks: ${errorText(err)}`));
  }
  return section;
}
