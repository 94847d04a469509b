// Shows a track's processing state (progress while transcoding, the reason when it failed)
// and polls until it is ready or failed.
import { api } from './api.js';
import { h } from './dom.js';
import type { Track } from '../../shared/api/index.js';

export function processingView(trackId: string, signal: AbortSignal, onDone: (t: Track) => void, intervalMs = 1000): HTMLElement {
  const bar = h('progress', { id: 'processing-progress', max: '100', value: '0', 'aria-labelledby': 'processing-label' });
  const label = h('span', { id: 'processing-label' }, 'Processing');
  const pct = h('span', { class: 'pct' }, '0 %');
  const reason = h('p', { class: 'message error', role: 'alert', hidden: true });
  const view = h('div', { class: 'processing', 'data-status': 'processing', 'aria-live': 'polite' }, h('div', { class: 'progress-line' }, label, pct), bar, reason);

  const show = (t: Track) => {
    view.dataset.status = t.status;
    const p = Math.max(0, Math.min(100, Math.round(t.progress ?? 0)));
    if (t.status === 'processing') {
      bar.value = p;
      pct.textContent = `${p} %`;
      label.textContent = p === 0 ? 'Waiting for a transcoder' : 'Processing';
    } else if (t.status === 'ready') {
      bar.value = 100;
      pct.textContent = '100 %';
      label.textContent = 'Ready';
    } else {
      bar.hidden = true;
      pct.textContent = '';
      label.textContent = 'Processing failed';
      reason.hidden = false;
      reason.textContent = t.failureReason || 'The node could not process this file.';
    }
  };

  let failures = 0;
  const poll = async () => {
    if (signal.aborted) return;
    try {
      const t = await api<Track>('GET', `/api/v1/tracks/${encodeURIComponent(trackId)}`, { signal });
      failures = 0;
      show(t);
      if (t.status !== 'processing') {
        onDone(t);
        return;
      }
    } catch {
      if (signal.aborted) return;
      if (++failures > 10) {
        reason.hidden = false;
        reason.textContent = 'Lost contact with the node; reload the page to check again.';
        return;
      }
    }
    setTimeout(() => void poll(), intervalMs);
  };
  void poll();
  return view;
}
