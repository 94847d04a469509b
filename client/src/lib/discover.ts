// Discovery in words: where a discovered track's page is in this app, its badges, how far
// "new on the network" pages, and what each refusal of a lookup means for the person asking.

/** How far back "new on the network" reaches (the node's NEW_WINDOW: limit + offset ≤ 200). */
export const NEW_WINDOW = 200;
export const NEW_PAGE = 20;

export type OriginFilter = 'all' | 'local' | 'remote';

export const originFilters: [OriginFilter, string][] = [
  ['all', 'All'],
  ['local', 'This node'],
  ['remote', 'Other nodes'],
];

export const originOf = (value: string | null): OriginFilter => (value === 'local' || value === 'remote' ? value : 'all');

/** The next page of "new on the network" after `loaded` items, or null when the window is used up or the last page was short. */
export function nextNewPage(loaded: number, lastPageSize: number, pageSize = NEW_PAGE): { offset: number; limit: number } | null {
  if (loaded >= NEW_WINDOW || lastPageSize < pageSize) return null;
  return { offset: loaded, limit: Math.min(pageSize, NEW_WINDOW - loaded) };
}

/**
 * A page the node names by its public URL (`pageUrl`), as a path of this app when it is one of
 * its own pages (so it opens without a reload, whatever host the node calls itself), else the URL.
 */
export function appPath(pageUrl: string): string {
  try {
    const url = new URL(pageUrl);
    if (/^\/(tracks|remote|channels)\/[^/]+\/?$/.test(url.pathname)) return url.pathname + url.search;
  } catch {
    /* not a URL: leave it */
  }
  return pageUrl;
}

/** `name@host` as people write it in the fediverse. */
export const atHandle = (handle: string | null | undefined): string | null => (handle ? `@${handle.replace(/^@/, '')}` : null);

/** The badge of a track's access mode; none for free tracks. */
export function accessBadge(access: 'free' | 'subscribers' | 'metered'): string | null {
  if (access === 'subscribers') return 'subscribers';
  if (access === 'metered') return 'pay as you play';
  return null;
}

/** What went wrong with a lookup, per status and the node's code. */
export function lookupErrorMessage(p: { status: number; code?: string; detail?: string }): string {
  const detail = p.detail?.trim();
  switch (p.status) {
    case 400:
      return 'Paste the address of a track or channel page (https://…), or a handle like @name@host.';
    case 401:
      return 'Log in to look up tracks and channels on other nodes.';
    case 403:
      return p.code === 'blocked' ? 'That server or artist is blocked by this node.' : `Your account may not look this up${detail ? `: ${detail}` : '.'}`;
    case 404:
      return 'No such track or channel on this node.';
    case 422:
      if (p.code === 'private_address') return 'That address is on a private network; this node does not fetch from there.';
      if (p.code === 'unsupported_object') return 'That address is not a track or a channel.';
      return `Nothing found there: the server did not answer, or has no such track or channel${detail ? ` (${detail})` : ''}.`;
    case 429:
      return 'Too many lookups, try again in a minute.';
  }
  if (p.status >= 500) return `The node had a problem (${p.status}). Try again later.`;
  return detail || `Lookup failed (${p.status}).`;
}

/** What an instance follow's state means, from the side that follows or the side followed. */
export function instanceFollowStateText(state: 'pending' | 'accepted' | 'rejected', side: 'following' | 'follower'): string {
  if (state === 'accepted') return side === 'following' ? 'accepted: its public tracks come here' : 'accepted: gets this node’s public tracks';
  if (state === 'pending') return side === 'following' ? 'pending: waiting for its admin' : 'pending: waiting for your answer';
  return side === 'following' ? 'refused or ended by that node' : 'refused';
}

/** The instance-followers mode in words, and where it is set. */
export function followersModeText(mode: 'auto' | 'manual'): string {
  const how = mode === 'auto' ? 'Nodes that follow this one are accepted at once.' : 'A node that follows this one waits until an admin accepts it.';
  return `${how} Set by INSTANCE_FOLLOWERS (federation.instanceFollowers: auto or manual) in the node’s configuration.`;
}
