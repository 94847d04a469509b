// A channel (artist profile) page: its tracks, its investment campaigns and their repayment record.
import { api, ApiError } from '../api.js';
import { errorText, h } from '../dom.js';
import { formatDuration } from '../lib/format.js';
import type { PageContext } from '../router.js';
import type { Channel, TrackPage } from '../../../shared/api/index.js';

export async function channelPage({ main, params, signal }: PageContext): Promise<void> {
  let channel: Channel;
  try {
    channel = await api<Channel>('GET', `/api/v1/channels/${encodeURIComponent(params.name)}`, { signal });
  } catch (err) {
    const missing = err instanceof ApiError && err.status === 404;
    main.append(h('h1', null, missing ? 'Channel not found' : 'Channel'), h('p', { class: 'message error', role: 'alert' }, missing ? `There is no channel @${params.name} on this node.` : errorText(err)));
    return;
  }
  main.append(h('h1', null, channel.displayName), h('p', { class: 'muted' }, `@${channel.name}`));
  if (channel.description) main.append(h('p', { class: 'description' }, channel.description));
  // Campaigns load as a chunk of their own, beside the tracks.
  const campaigns = { current: h('div', { class: 'channel-campaigns' }), record: h('div', { class: 'channel-record' }) };
  main.append(campaigns.current);
  const funding = import('./channel-campaigns.js')
    .then((m) => m.showCampaigns(channel, campaigns, signal))
    .catch((err) => {
      if (!signal.aborted) campaigns.current.replaceChildren(h('p', { class: 'message error', role: 'alert' }, `Could not load the campaigns: ${errorText(err)}`));
    });
  // Track listing by channel, when the node supports the filter.
  try {
    const page = await api<TrackPage>('GET', `/api/v1/tracks?channel=${encodeURIComponent(channel.name)}&limit=100`, { signal });
    const mine = page.data.filter((t) => t.channel?.id === channel.id);
    if (mine.length) {
      main.append(
        h('h2', null, 'Tracks'),
        h('ol', { class: 'channel-tracks' }, mine.map((t) => h('li', null, h('a', { href: `/tracks/${encodeURIComponent(t.id)}` }, t.title), h('span', { class: 'muted' }, ` ${formatDuration(t.durationSeconds)}`)))),
      );
    }
  } catch {
    /* listing is optional */
  }
  main.append(campaigns.record);
  await funding;
}
