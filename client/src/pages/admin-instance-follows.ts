// The admin's instance follows (on /admin/federation): follow another node by host, the nodes
// this node follows (Unfollow), and the nodes following it with the accept mode (Accept, Refuse, Remove).
import type { InstanceFollow } from '../../../shared/api/index.js';
import { api } from '../api.js';
import { field, h } from '../dom.js';
import { followersModeText, instanceFollowStateText } from '../lib/discover.js';
import { failure, inlineForm, section, shortDate, table } from '../ui.js';

/** A button that asks first, then runs `run`; a failure is shown beside it. */
function confirmedButton(text: string, label: string, question: string, failed: string, run: () => Promise<void>, cls = 'secondary'): HTMLButtonElement {
  const b = h('button', { type: 'button', class: cls, 'aria-label': label }, text);
  b.addEventListener('click', async () => {
    if (question && !confirm(question)) return;
    b.disabled = true;
    try {
      await run();
    } catch (err) {
      b.after(failure(failed, err));
      b.disabled = false;
    }
  });
  return b;
}

const nodeCell = (f: InstanceFollow) => h('span', null, h('strong', null, f.host), f.software ? h('small', { class: 'muted' }, ` ${f.software}`) : '');

export function instanceFollowsSection(signal: AbortSignal): { box: HTMLElement; load: () => Promise<void> } {
  const host = h('input', { name: 'host', required: true, minlength: '3', maxlength: '2048', placeholder: 'music.example', autocomplete: 'off', spellcheck: 'false' });
  const following = h('div');
  const followers = h('div');
  const base = '/api/v1/federation/admin';

  const loadFollowing = async () => {
    try {
      const { data } = await api<{ data: InstanceFollow[] }>('GET', `${base}/instance-follows`, { signal });
      following.replaceChildren(table('Nodes this node follows', ['Node', 'State', 'Since', ''], data.map((f) => [
        nodeCell(f), instanceFollowStateText(f.state, 'following'), shortDate(f.createdAt),
        confirmedButton(f.state === 'rejected' ? 'Remove' : 'Unfollow', `${f.state === 'rejected' ? 'Remove' : 'Unfollow'} ${f.host}`,
          `Stop following ${f.host}? Its tracks that nobody here follows by channel leave this node.`, 'Not unfollowed',
          async () => {
            await api('DELETE', `${base}/instance-follows/${f.id}`);
            await loadFollowing();
          }),
      ]), 'This node follows no other node.'));
    } catch (err) {
      following.replaceChildren(failure('Could not load the nodes this node follows', err));
    }
  };

  const loadFollowers = async () => {
    try {
      const { mode, data } = await api<{ mode: 'auto' | 'manual'; data: InstanceFollow[] }>('GET', `${base}/instance-followers`, { signal });
      followers.replaceChildren(
        h('p', { class: 'muted', 'data-mode': mode }, h('strong', null, `Mode: ${mode}.`), ' ', followersModeText(mode)),
        table('Nodes following this node', ['Node', 'State', 'Since', ''], data.map((f) => {
          const remove = confirmedButton(f.state === 'pending' ? 'Refuse' : 'Remove', `${f.state === 'pending' ? 'Refuse' : 'Remove'} ${f.host}`,
            f.state === 'pending' ? `Refuse ${f.host}'s follow? It gets nothing from this node.` : `Stop ${f.host} following this node? It gets nothing more from this node.`,
            'Not removed',
            async () => {
              await api('DELETE', `${base}/instance-followers/${f.id}`);
              await loadFollowers();
            }, 'danger');
          const accept = f.state === 'pending'
            ? confirmedButton('Accept', `Accept ${f.host}`, '', 'Not accepted', async () => {
                await api('POST', `${base}/instance-followers/${f.id}/accept`);
                await loadFollowers();
              }, '')
            : null;
          return [nodeCell(f), instanceFollowStateText(f.state, 'follower'), shortDate(f.createdAt), h('span', { class: 'actions' }, accept, remove)];
        }), 'No node follows this node.'),
      );
    } catch (err) {
      followers.replaceChildren(failure('Could not load the nodes following this node', err));
    }
  };

  const box = section('Instance follows',
    h('p', { class: 'muted' }, 'Following a node brings every public track of its channels here, in Discover, without anyone following a channel.'),
    inlineForm('Follow a node', [field('Node', host, 'Its host (music.example), address, or instance actor handle')], 'Follow node', async () => {
      const f = await api<InstanceFollow>('POST', `${base}/instance-follows`, { body: { host: host.value.trim() } });
      host.value = '';
      await loadFollowing();
      return f.state === 'accepted' ? `Following ${f.host}.` : `Asked to follow ${f.host}; it shows as accepted once that node answers.`;
    }),
    h('h3', null, 'Nodes this node follows'),
    following,
    h('h3', null, 'Nodes following this node'),
    followers,
  );
  return { box, load: () => Promise.all([loadFollowing(), loadFollowers()]).then(() => undefined) };
}
