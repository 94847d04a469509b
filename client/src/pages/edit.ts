// Edit a track (owner only): details, cover image, or delete it.
import { api } from '../api.js';
import { ownsChannel } from '../channels.js';
import { errorText, field, h, messageBox, onSubmit } from '../dom.js';
import { licenseNames } from '../lib/licenses.js';
import { navigate, type PageContext } from '../router.js';
import type { Track } from '../../../shared/api/index.js';

export async function editTrackPage({ main, params, signal }: PageContext): Promise<void> {
  let track: Track;
  try {
    track = await api<Track>('GET', `/api/v1/tracks/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    main.append(h('h1', null, 'Edit track'), h('p', { class: 'message error', role: 'alert' }, errorText(err)));
    return;
  }
  if (!(await ownsChannel(track.channel.id))) {
    main.append(h('h1', null, 'Edit track'), h('p', null, 'Only the artist who owns this track can edit it.'));
    return;
  }
  const trackUrl = `/tracks/${encodeURIComponent(track.id)}`;
  const text = (name: string, value: string | number | null, extra: Record<string, unknown> = {}) => h('input', { name, value: value == null ? '' : String(value), ...extra });
  const title = text('title', track.title, { required: true, maxlength: '200' });
  const artist = text('artist', track.artist, { maxlength: '200', placeholder: track.channel.displayName });
  const album = text('album', track.album, { maxlength: '200' });
  const trackNumber = text('trackNumber', track.trackNumber, { type: 'number', min: '1', max: '9999', inputmode: 'numeric' });
  const genre = text('genre', track.genre, { maxlength: '100' });
  const license = h(
    'select',
    { name: 'license' },
    Object.entries(licenseNames).map(([id, name]) => h('option', { value: id, selected: track.license === id }, name)),
  );
  const visibility = h(
    'select',
    { name: 'visibility' },
    [
      ['public', 'Public: listed in the library'],
      ['unlisted', 'Unlisted: anyone with the link'],
      ['private', 'Private: only you'],
    ].map(([v, label]) => h('option', { value: v, selected: track.visibility === v }, label)),
  );
  const allowDownload = h('input', { type: 'checkbox', id: 'allow-download', checked: !!track.allowDownload });
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, 'Save');
  const form = h(
    'form',
    { class: 'card stack', 'aria-label': 'Details' },
    field('Title', title),
    field('Artist', artist, 'Leave empty to show the channel name.'),
    h('div', { class: 'row' }, field('Album', album), field('Track number', trackNumber)),
    field('Genre', genre),
    field('License', license),
    field('Visibility', visibility),
    h('label', { class: 'check', for: 'allow-download' }, allowDownload, ' Let listeners download the original file'),
    msg,
    h('div', { class: 'actions' }, submit, h('a', { href: trackUrl, class: 'button secondary' }, 'Cancel')),
  );
  const orNull = (s: string) => (s.trim() === '' ? null : s.trim());
  onSubmit(form, submit, msg, async () => {
    await api<Track>('PATCH', `/api/v1/tracks/${encodeURIComponent(track.id)}`, {
      body: {
        title: title.value.trim(),
        artist: orNull(artist.value),
        album: orNull(album.value),
        trackNumber: trackNumber.value ? Number(trackNumber.value) : null,
        genre: orNull(genre.value),
        license: license.value,
        visibility: visibility.value,
        allowDownload: allowDownload.checked,
      },
    });
    navigate(trackUrl);
  });

  main.append(h('h1', null, `Edit “${track.title}”`), form, coverForm(track), deleteForm(track));
}

function coverForm(track: Track): HTMLElement {
  const preview = track.coverUrl ? h('img', { src: track.coverUrl, alt: 'Current cover', class: 'cover small', width: '96', height: '96' }) : null;
  const file = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp' });
  const msg = messageBox();
  file.addEventListener('change', async () => {
    const image = file.files?.[0];
    if (!image) return;
    msg.show('Uploading the cover…', 'info');
    try {
      const updated = await api<Track>('PUT', `/api/v1/tracks/${encodeURIComponent(track.id)}/cover`, { blob: image });
      msg.show('Cover saved.', 'ok');
      const img = h('img', { src: `${updated.coverUrl}?v=${Date.now()}`, alt: 'Current cover', class: 'cover small', width: '96', height: '96' });
      const old = section.querySelector('img.cover');
      if (old) old.replaceWith(img);
      else section.insertBefore(img, section.children[1]);
    } catch (err) {
      msg.show(errorText(err));
    }
  });
  const section = h('section', { class: 'card', 'aria-labelledby': 'cover-title' }, h('h2', { id: 'cover-title' }, 'Cover image'), preview, field('JPEG, PNG or WebP image', file), msg);
  return section;
}

function deleteForm(track: Track): HTMLElement {
  const button = h('button', { type: 'button', class: 'danger' }, 'Delete this track');
  const msg = messageBox();
  button.addEventListener('click', async () => {
    if (!confirm(`Delete “${track.title}”? Its files and streams are removed from this node.`)) return;
    button.disabled = true;
    try {
      await api('DELETE', `/api/v1/tracks/${encodeURIComponent(track.id)}`);
      navigate('/studio');
    } catch (err) {
      msg.show(errorText(err));
      button.disabled = false;
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'delete-title' }, h('h2', { id: 'delete-title' }, 'Delete'), msg, button);
}
