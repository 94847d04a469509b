// Investment campaigns across nodes. Outgoing: a channel's campaign as a 9ten Campaign object
// (Create when it opens, Update when it is funded, fails, is cancelled or repays), with a Note
// for software without 9ten's vocabulary. Incoming: followed channels' campaigns, stored and
// listed for the people here who follow them. Pledging stays on the campaign's home node.
import { execute, select } from '../db/index.js';
import type { FederationService } from './service.js';
import type { FederationRuntime } from './runtime.js';
import { AS_PUBLIC, hostOf, idOf, typesOf } from './vocabulary.js';
import { escapeHtml, sanitizeHtml, sanitizeText } from './sanitize.js';
import { campaignUri } from '../../shared/actor-uris.js';
import type * as api from '../../shared/api/index.js';

export type RemoteCampaign = api.RemoteCampaign;
type Campaign = api.Campaign;

const STATUSES = new Set(['open', 'funded', 'failed', 'cancelled']);

function channelPage(rt: FederationRuntime, c: Campaign): string {
  return `${rt.publicUrl}/channels/${encodeURIComponent(c.channel.name)}`;
}

/** The Campaign document of a local campaign. */
export function campaignObject(rt: FederationRuntime, c: Campaign): Record<string, unknown> {
  const channelUri = rt.channelActorUri(c.channel.name);
  return {
    id: campaignUri(rt.publicUrl, c.id),
    type: 'Campaign',
    name: c.title,
    content: c.description ? `<p>${escapeHtml(c.description)}</p>` : '',
    attributedTo: channelUri,
    url: channelPage(rt, c),
    currency: c.currency,
    goal: c.goal,
    raised: c.raised,
    minPledge: c.minPledge,
    shareBasisPoints: c.shareBasisPoints,
    capMultiple: c.capMultiple,
    campaignStatus: c.status,
    repaid: c.repaid,
    investors: c.investors,
    endTime: c.deadline,
    published: c.createdAt,
    ...(c.settledAt ? { updated: c.settledAt } : {}),
    to: [AS_PUBLIC],
    cc: [`${channelUri}/followers`],
  };
}

const amount = (v: number, currency: string) => `${(v / 100).toFixed(2)} ${currency}`;

/** What Mastodon and others see: a post saying what the campaign asks and promises, with a link. */
export function campaignNote(rt: FederationRuntime, c: Campaign): Record<string, unknown> {
  const channelUri = rt.channelActorUri(c.channel.name);
  const page = channelPage(rt, c);
  const state: Record<string, string> = {
    open: `raising ${amount(c.goal, c.currency)} until ${c.deadline.slice(0, 10)} (${amount(c.raised, c.currency)} so far)`,
    funded: `funded with ${amount(c.raised, c.currency)}; ${amount(c.repaid, c.currency)} repaid so far`,
    failed: 'did not reach its goal; every pledge was refunded',
    cancelled: 'was cancelled; every pledge was refunded',
  };
  const content =
    `<p>${escapeHtml(c.channel.displayName || c.channel.name)}'s campaign <a href="${escapeHtml(page)}">${escapeHtml(c.title)}</a> ${escapeHtml(state[c.status])}.</p>` +
    `<p>Investors get ${c.shareBasisPoints / 100} % of the artist's income until each has ${c.capMultiple}× back.</p>` +
    `<p><a href="${escapeHtml(page)}">${escapeHtml(page)}</a></p>`;
  return { id: campaignUri(rt.publicUrl, c.id), type: 'Note', attributedTo: channelUri, content, url: page, published: c.createdAt, to: [AS_PUBLIC], cc: [`${channelUri}/followers`] };
}

/** Create (the first time) or Update of a campaign to its channel's followers and the nodes that follow this one. */
export async function sendCampaign(svc: FederationService, c: Campaign, verb: 'Create' | 'Update') {
  const channel = await svc.actors.forChannel(c.channel.id);
  if (!channel) return undefined;
  const object = campaignObject(svc.rt, c);
  const address = { to: [AS_PUBLIC], cc: [`${channel.uri}/followers`] };
  return svc.delivery.queue({
    actorUri: channel.uri,
    activity: { type: verb, actor: channel.uri, object, ...address },
    fallback: { type: verb, actor: channel.uri, object: campaignNote(svc.rt, c), ...address },
    toFollowersOf: [channel.uri, svc.rt.instanceActorUri()],
    public: true,
    objectUri: object.id as string,
  });
}

interface Row {
  uri: string; actor_uri: string; host: string; title: string; summary: string | null; url: string | null; currency: string; goal: string; raised: string;
  min_pledge: string; share_bp: number; cap_multiple: string; status: string; repaid: string; investors: number; deadline: Date; published_at: Date | null; updated_at: Date;
}

const int = (v: unknown, max = Number.MAX_SAFE_INTEGER) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max ? v : undefined);

export class RemoteCampaigns {
  constructor(private readonly rt: FederationRuntime) {}

  /** Stores (or updates) a Campaign its channel sent; false when it is not a well-formed one of that channel. */
  async upsert(actorUri: string, o: Record<string, unknown>): Promise<boolean> {
    const uri = idOf(o);
    const owner = idOf(o.attributedTo) ?? actorUri;
    if (!uri || !typesOf(o.type).includes('Campaign') || owner !== actorUri || hostOf(uri) !== hostOf(actorUri)) return false;
    const goal = int(o.goal);
    const raised = int(o.raised);
    const minPledge = int(o.minPledge) ?? 1;
    const share = int(o.shareBasisPoints, 10_000);
    const cap = typeof o.capMultiple === 'number' && o.capMultiple >= 1 && o.capMultiple <= 10 ? o.capMultiple : undefined;
    const status = typeof o.campaignStatus === 'string' && STATUSES.has(o.campaignStatus) ? o.campaignStatus : undefined;
    const deadline = typeof o.endTime === 'string' && !Number.isNaN(Date.parse(o.endTime)) ? o.endTime : undefined;
    const currency = typeof o.currency === 'string' && /^[A-Z]{3,5}$/.test(o.currency) ? o.currency : undefined;
    if (goal === undefined || !goal || raised === undefined || !share || cap === undefined || !status || !deadline || !currency) return false;
    const url = typeof o.url === 'string' && /^https?:\/\//.test(o.url) && o.url.length < 2048 ? o.url : null;
    await execute(
      this.rt.db,
      `INSERT INTO federation_remote_campaigns (uri, actor_uri, host, title, summary, url, currency, goal, raised, min_pledge, share_bp, cap_multiple, status, repaid, investors, deadline, published_at)
       VALUES (:uri, :actor, :host, :title, :summary, :url, :currency, :goal, :raised, :min, :share, :cap, :status, :repaid, :investors, :deadline, :published)
       ON CONFLICT (uri) DO UPDATE SET title = EXCLUDED.title, summary = EXCLUDED.summary, url = EXCLUDED.url, currency = EXCLUDED.currency, goal = EXCLUDED.goal,
         raised = EXCLUDED.raised, min_pledge = EXCLUDED.min_pledge, share_bp = EXCLUDED.share_bp, cap_multiple = EXCLUDED.cap_multiple, status = EXCLUDED.status,
         repaid = EXCLUDED.repaid, investors = EXCLUDED.investors, deadline = EXCLUDED.deadline, updated_at = now()
       WHERE federation_remote_campaigns.actor_uri = EXCLUDED.actor_uri`,
      {
        uri, actor: actorUri, host: hostOf(uri), title: sanitizeText(typeof o.name === 'string' ? o.name : 'Campaign', 200),
        summary: typeof o.content === 'string' ? sanitizeHtml(o.content) : null, url, currency, goal, raised, min: minPledge, share, cap, status,
        repaid: int(o.repaid) ?? 0, investors: int(o.investors, 10_000_000) ?? 0, deadline,
        published: typeof o.published === 'string' && !Number.isNaN(Date.parse(o.published)) ? o.published : null,
      },
    );
    return true;
  }

  async has(uri: string, actorUri: string): Promise<boolean> {
    return (await select(this.rt.db, 'SELECT 1 FROM federation_remote_campaigns WHERE uri = :uri AND actor_uri = :a', { uri, a: actorUri })).length > 0;
  }

  async remove(uri: string, actorUri: string): Promise<boolean> {
    return (await select(this.rt.db, 'DELETE FROM federation_remote_campaigns WHERE uri = :uri AND actor_uri = :a RETURNING uri', { uri, a: actorUri })).length > 0;
  }

  /** Campaigns of followed channels on other nodes (of one channel when given), newest deadline first. */
  async list(opts: { actorUri?: string; limit: number; offset: number }): Promise<RemoteCampaign[]> {
    const rows = await select<Row>(
      this.rt.db,
      `SELECT * FROM federation_remote_campaigns ${opts.actorUri ? 'WHERE actor_uri = :actor' : ''} ORDER BY (status = 'open') DESC, deadline DESC, uri LIMIT :limit OFFSET :offset`,
      { actor: opts.actorUri ?? null, limit: opts.limit, offset: opts.offset },
    );
    return rows.map((r) => ({
      uri: r.uri, actorUri: r.actor_uri, host: r.host, title: r.title, summary: r.summary, url: r.url, currency: r.currency,
      goal: Number(r.goal), raised: Number(r.raised), minPledge: Number(r.min_pledge), shareBasisPoints: r.share_bp, capMultiple: Number(r.cap_multiple),
      status: r.status as RemoteCampaign['status'], repaid: Number(r.repaid), investors: r.investors, deadline: new Date(r.deadline).toISOString(),
      publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null, updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }
}
