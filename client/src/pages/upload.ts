// Upload a track: chunked and resumable, with a progress bar, then the processing state.
import { myChannels } from '../channels.js';
import { errorText, field, h, messageBox } from '../dom.js';
import { formatBytes } from '../lib/format.js';
import { processingView } from '../processing.js';
import type { PageContext } from '../router.js';
import { uploadFile } from '../upload.js';
import { requireArtist } from './studio.js';

export async function uploadPage({ main, signal }: PageContext): Promise<void> {
  if (!requireArtist(main, 'Upload')) return;
  main.append(h('h1', null, 'Upload a track'));
  const channels = await myChannels().catch(() => []);
  if (channels.length === 0) {
    main.append(h('p', null, 'You need a channel to publish under. ', h('a', { href: '/studio' }, 'Create one in your studio'), '.'));
    return;
  }
  const channel = h('select', { name: 'channel' }, channels.map((c) => h('option', { value: c.id }, `${c.displayName} (@${c.name})`)));
  const file = h('input', { type: 'file', name: 'file', accept: 'audio/*,video/*,.flac,.wav,.mp3,.ogg,.opus,.m4a,.aiff,.mkv,.mp4,.webm', required: true });
  const visibility = h(
    'select',
    { name: 'visibility' },
    h('option', { value: 'public' }, 'Public: listed in the library'),
    h('option', { value: 'unlisted' }, 'Unlisted: anyone with the link'),
    h('option', { value: 'private' }, 'Private: only you'),
  );
  const allowDownload = h('input', { type: 'checkbox', id: 'allow-download', name: 'allowDownload' });
  const msg = messageBox();
  const submit = h('button', { type: 'submit' }, 'Upload');
  const cancel = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Cancel');

  const bar = h('progress', { id: 'upload-progress', max: '100', value: '0', 'aria-labelledby': 'upload-label' });
  const pct = h('span', { class: 'pct' }, '0 %');
  const detail = h('span', { class: 'muted' });
  const progress = h(
    'section',
    { class: 'card', hidden: true, 'aria-labelledby': 'upload-label' },
    h('div', { class: 'progress-line' }, h('span', { id: 'upload-label' }, 'Uploading'), pct),
    bar,
    detail,
  );
  const after = h('section', { class: 'card', hidden: true, 'aria-label': 'Processing' });

  const form = h(
    'form',
    { class: 'card stack' },
    channels.length > 1 ? field('Channel', channel) : null,
    field('Audio or video file', file, 'Lossless (FLAC, WAV) is best; the node makes the streaming versions.'),
    field('Visibility', visibility),
    h('label', { class: 'check', for: 'allow-download' }, allowDownload, ' Let listeners download the original file'),
    msg,
    h('div', { class: 'actions' }, submit, cancel),
  );

  let controller: AbortController | null = null;
  signal.addEventListener('abort', () => controller?.abort());
  cancel.addEventListener('click', () => controller?.abort());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return msg.show('Choose a file first.');
    msg.hide();
    submit.disabled = true;
    cancel.hidden = false;
    progress.hidden = false;
    progress.querySelector('#upload-label')!.textContent = 'Uploading';
    bar.value = 0;
    after.hidden = true;
    controller = new AbortController();
    const started = performance.now();
    try {
      const result = await uploadFile({
        channelId: channel.value || channels[0].id,
        file: chosen,
        visibility: visibility.value,
        allowDownload: allowDownload.checked,
        signal: controller.signal,
        onStatus: (text) => msg.show(text, 'info'),
        onProgress: (fraction, bytes, total) => {
          const p = Math.floor(fraction * 100);
          bar.value = p;
          pct.textContent = `${p} %`;
          const secs = (performance.now() - started) / 1000;
          detail.textContent = `${formatBytes(bytes)} of ${formatBytes(total)}${secs > 1 ? ` · ${formatBytes(bytes / secs)}/s` : ''}`;
        },
      });
      bar.value = 100;
      pct.textContent = '100 %';
      progress.querySelector('#upload-label')!.textContent = 'Uploaded';
      msg.hide();
      cancel.hidden = true;
      submit.disabled = false; // another upload can start while this one processes
      form.reset();
      const trackLink = `/tracks/${encodeURIComponent(result.trackId)}`;
      const links = h('p', { class: 'actions', hidden: true }, h('a', { href: trackLink, class: 'button', id: 'open-track' }, 'Open track page'), h('a', { href: `${trackLink}/edit`, class: 'button secondary' }, 'Edit details'));
      after.replaceChildren(
        h('h2', null, chosen.name),
        processingView(result.trackId, signal, () => {
          links.hidden = false;
        }),
        links,
      );
      after.hidden = false;
    } catch (err) {
      cancel.hidden = true;
      progress.hidden = true;
      submit.disabled = false;
      msg.show((err as Error).name === 'AbortError' ? 'Upload cancelled. Choose the same file again to resume.' : errorText(err));
    }
  });
  main.append(form, progress, after);
}
