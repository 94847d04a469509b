// /admin/moderation: the reports queue for moderators and admins (open, closed, all), each
// report's target, history and the actions that fit it, each with a note; lifting a measure;
// /admin/moderation/log: every action taken, by whom and why.
import type {
  AccountStandingResult, ModerationAction, ModerationActionResult, ModerationLogEntry, ModerationLogPage, ModerationReport, ModerationReportDetail, ModerationReportPage, TrackHiddenResult,
} from '../../../shared/api/index.js';
import { api } from '../api.js';
import { field, h } from '../dom.js';
import { categoryLabels, reportStatus } from '../report-dialog.js';
import type { PageContext } from '../router.js';
import { facts, failure, gate, inlineForm, shortDate, table } from '../ui.js';
import { targetLink } from './reports.js';
import { announce } from './track-list.js';

type Action = ModerationAction['action'];

const tabs: [string, string][] = [
  ['/admin/moderation?state=open', 'Open'],
  ['/admin/moderation?state=closed', 'Closed'],
  ['/admin/moderation?state=all', 'All'],
  ['/admin/moderation/log', 'Log'],
];

function start(main: HTMLElement, title: string, current: string): boolean {
  if (!gate(main, title, ['moderator'])) return false;
  main.append(
    h('h1', null, title),
    h('nav', { class: 'tabs', 'aria-label': 'Moderation' }, tabs.map(([href, text]) => h('a', { href, 'aria-current': href === current ? 'page' : undefined }, text))),
  );
  return true;
}

const actionLabels: Record<Action, string> = {
  dismiss: 'Dismiss: no action',
  'hide-track': 'Hide the track',
  suspend: 'Suspend the account',
  silence: 'Silence the account',
  'block-actor': 'Block that account',
  'block-domain': 'Block that server',
  forward: 'Forward to its server (the report stays open)',
};

/** The actions that fit a report: local tracks are hidden, local accounts suspended or silenced, remote ones blocked or forwarded. */
export function actionsFor(r: Pick<ModerationReport, 'state' | 'forwarded' | 'target'>): Action[] {
  const open = r.state === 'open';
  if (r.target.host) return [...(open ? (['dismiss', 'block-actor', 'block-domain'] as const) : []), ...(r.forwarded ? [] : (['forward'] as const))];
  if (!open) return [];
  return ['dismiss', ...(r.target.kind === 'track' ? (['hide-track'] as const) : []), 'suspend', 'silence'];
}

const noteField = () => h('textarea', { name: 'note', rows: '2', required: true, maxlength: '2000' });

export async function moderationQueuePage({ main, query, signal }: PageContext): Promise<void> {
  const wanted = query.get('state');
  const state = wanted === 'closed' || wanted === 'all' ? wanted : 'open';
  if (!start(main, 'Moderation', `/admin/moderation?state=${state}`)) return;
  const list = h('div', { class: 'stack' });
  main.append(list);
  const size = 50;
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  try {
    const page = await api<ModerationReportPage>('GET', `/api/v1/admin/moderation/reports?state=${state}&limit=${size}&offset=${offset}`, { signal });
    const what = `${state === 'all' ? '' : `${state} `}report${page.total === 1 ? '' : 's'}`;
    list.append(h('p', { class: 'muted' }, page.total > size && page.data.length ? `${page.total} ${what}; ${offset + 1}–${offset + page.data.length} shown, newest first.` : `${page.total} ${what}.`));
    if (!page.data.length) list.append(h('p', { class: 'empty' }, page.total ? 'No reports on this page.' : state === 'open' ? 'No open reports.' : 'No reports.'));
    for (const r of page.data) list.append(reportCard(r));
    list.append(pager('Report pages', `/admin/moderation?state=${state}&`, offset, size, page.total));
  } catch (err) {
    list.append(failure('Could not load the reports', err));
  }
}

/** Newer/Older links over a list shown newest first (`base` ends with ? or &). */
function pager(label: string, base: string, offset: number, size: number, total: number): HTMLElement | string {
  if (total <= size && offset === 0) return '';
  return h(
    'nav',
    { class: 'pager', 'aria-label': label },
    offset > 0 ? h('a', { href: `${base}offset=${Math.max(0, offset - size)}` }, 'Newer') : null,
    offset + size < total ? h('a', { href: `${base}offset=${offset + size}` }, 'Older') : null,
  );
}

function reporterOf(r: ModerationReport): Node | string {
  return r.reporter.kind === 'local' ? `@${r.reporter.username ?? r.reporter.id}` : h('span', null, r.reporter.actorUri ?? '', h('span', { class: 'muted' }, ' (another server)'));
}

function reportCard(r: ModerationReport): HTMLElement {
  const titleId = `report-${r.id}`;
  const card = h(
    'article',
    { class: 'card report', 'aria-labelledby': titleId, 'data-report-id': r.id },
    h('h2', { id: titleId }, `${r.target.kind[0].toUpperCase()}${r.target.kind.slice(1)}: ${r.target.name ?? r.target.uri}`),
    facts([
      ['About', targetLink(r.target)],
      ['Reported by', reporterOf(r)],
      ['Reported', shortDate(r.createdAt)],
      ['Why', categoryLabels[r.category]],
      ['Status', h('strong', { 'data-state': r.state }, reportStatus(r))],
      ['Closed', r.resolvedBy ? `${shortDate(r.resolvedAt)} by @${r.resolvedBy.username}` : null],
    ]),
    h('blockquote', { class: 'reason' }, r.reason || h('span', { class: 'muted' }, 'No reason given')),
    r.relatedUris.length ? h('p', { class: 'muted' }, `Also named: ${r.relatedUris.join(', ')}`) : null,
  );
  card.append(detailPanel(r));
  const fitting = actionsFor(r);
  if (fitting.length) {
    const action = h('select', { name: 'action', required: true }, fitting.map((a) => h('option', { value: a }, actionLabels[a])));
    const note = noteField();
    card.append(
      inlineForm(`Act on the report about ${r.target.name ?? r.target.kind}`, [field('Action', action), field('Note (why; kept in the log)', note)], 'Apply', async () => {
        const done = await api<ModerationActionResult>('POST', `/api/v1/admin/moderation/reports/${r.id}/actions`, { body: { action: action.value, note: note.value.trim() } });
        card.replaceWith(reportCard(done.report));
        announce(`${actionLabels[done.entry.action as Action] ?? done.entry.action}: done and logged.`);
      }),
    );
  }
  return card;
}

/** The target as it is now, the measures that can be lifted, and the report's history (loaded when opened). */
function detailPanel(r: ModerationReport): HTMLElement {
  const body = h('div', null, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const panel = h('details', { class: 'report-detail' }, h('summary', null, 'Target and history'), body);
  let loaded = false;
  panel.addEventListener('toggle', async () => {
    if (!panel.open || loaded) return;
    loaded = true;
    try {
      const d = await api<ModerationReportDetail>('GET', `/api/v1/admin/moderation/reports/${r.id}`);
      const s = d.targetStatus;
      body.replaceChildren(
        facts([
          ['Exists', s.exists ? 'yes' : 'no: it is gone'],
          ['Hidden', s.hidden === null ? null : s.hidden ? 'yes' : 'no'],
          ['Belongs to', s.owner ? `@${s.owner.username} (${s.owner.role})${s.owner.suspended ? ', suspended' : ''}${s.owner.silenced ? ', silenced' : ''}` : null],
        ]),
        liftForm(d) ?? '',
        logTable(d.log, 'What moderators did about it', 'Nothing yet.'),
      );
    } catch (err) {
      loaded = false;
      body.replaceChildren(failure('Could not load the detail', err));
    }
  });
  return panel;
}

function liftForm(d: ModerationReportDetail): HTMLElement | null {
  const s = d.targetStatus;
  const lifts: [string, string][] = [];
  if (s.hidden && d.target.id) lifts.push(['unhide', 'Show the track again']);
  if (s.owner?.suspended) lifts.push(['unsuspend', 'Lift the suspension']);
  if (s.owner?.silenced) lifts.push(['unsilence', 'Lift the silence']);
  if (!lifts.length) return null;
  const which = h('select', { name: 'lift' }, lifts.map(([value, text]) => h('option', { value }, text)));
  const note = noteField();
  return inlineForm('Lift a measure', [field('Lift', which), field('Note (why; kept in the log)', note)], 'Lift', async () => {
    const why = note.value.trim();
    if (which.value === 'unhide') {
      await api<TrackHiddenResult>('PUT', `/api/v1/admin/moderation/tracks/${d.target.id}/hidden`, { body: { hidden: false, note: why, reportId: d.id } });
      return 'The track is shown again.';
    }
    const body = which.value === 'unsuspend' ? { suspended: false } : { silenced: false };
    await api<AccountStandingResult>('PUT', `/api/v1/admin/moderation/accounts/${s.owner!.id}/standing`, { body: { ...body, note: why, reportId: d.id } });
    return which.value === 'unsuspend' ? 'The account is no longer suspended.' : 'The account can publish again.';
  });
}

/** Whether the measure was taken: done, already in place, failed (with why), or still under way (a crash between). */
function entryOutcome(e: ModerationLogEntry): string {
  const details = (e.details ?? {}) as { changed?: boolean; error?: string };
  if (e.state === 'failed') return `Failed${details.error ? `: ${details.error}` : ''}`;
  if (e.state === 'pending') return 'Not finished (the node stopped while taking it)';
  return details.changed === false ? 'Done (it was in place already)' : 'Done';
}

function logTable(entries: ModerationLogEntry[], caption: string, empty: string): HTMLElement {
  return table(
    caption,
    ['When', 'Moderator', 'Action', 'On', 'Note', 'Outcome'],
    entries.map((e) => [shortDate(e.createdAt), `@${e.moderator.username}`, e.action, h('span', null, e.target.name ?? e.target.ref, h('span', { class: 'muted' }, ` · ${e.target.kind}`)), e.note, entryOutcome(e)]),
    empty,
  );
}

export async function moderationLogPage({ main, query, signal }: PageContext): Promise<void> {
  if (!start(main, 'Moderation log', '/admin/moderation/log')) return;
  const size = 100;
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  try {
    const page = await api<ModerationLogPage>('GET', `/api/v1/admin/moderation/log?limit=${size}&offset=${offset}`, { signal });
    main.append(
      logTable(page.data, `Moderation log ${offset + 1}–${offset + page.data.length} of ${page.total}`, 'No moderation action yet.'),
      pager('Log pages', '/admin/moderation/log?', offset, size, page.total),
    );
  } catch (err) {
    main.append(failure('Could not load the log', err));
  }
}
