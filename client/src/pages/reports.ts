// /me/reports: what I reported to the moderators of this node, and what came of it.
import type { MyReport, MyReportPage } from '../../../shared/api/index.js';
import { api } from '../api.js';
import { h } from '../dom.js';
import { playlistPath } from '../lib/browse.js';
import { categoryLabels, reportStatus } from '../report-dialog.js';
import type { PageContext } from '../router.js';
import { failure, gate, shortDate, table } from '../ui.js';

/** What a report is about, linked where this node shows it. */
export function targetLink(t: MyReport['target']): Node {
  const name = t.name ?? t.uri;
  if (t.host) return h('span', null, h('a', { href: t.uri, rel: 'noopener nofollow' }, name), h('span', { class: 'muted' }, ` · ${t.kind} on ${t.host}`));
  const href = t.id && t.kind === 'track' ? `/tracks/${encodeURIComponent(t.id)}` : t.id && t.kind === 'playlist' ? playlistPath(t.id) : null;
  return h('span', null, href ? h('a', { href }, name) : name, h('span', { class: 'muted' }, ` · ${t.kind}`));
}

export async function myReportsPage({ main, signal }: PageContext): Promise<void> {
  if (!gate(main, 'My reports', 'any')) return;
  main.append(h('h1', null, 'My reports'), h('p', { class: 'muted' }, 'What you reported to the moderators of this node, and what came of it. Use “Report” on a track, channel, playlist or profile to make one.'));
  try {
    const { data } = await api<MyReportPage>('GET', '/api/v1/me/reports?limit=200', { signal });
    main.append(
      table(
        'My reports',
        ['Reported', 'About', 'Why', 'Status'],
        data.map((r) => [shortDate(r.createdAt), targetLink(r.target), h('span', null, h('strong', null, categoryLabels[r.category]), ` — ${r.reason}`), h('span', { 'data-state': r.state }, reportStatus(r))]),
        'You have not reported anything.',
      ),
    );
  } catch (err) {
    main.append(failure('Could not load your reports', err));
  }
}
