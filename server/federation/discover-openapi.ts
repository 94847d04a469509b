// Discovery, instance follows and remote campaigns in the OpenAPI description
// (server/federation/discover.ts, instance-follows.ts, campaigns.ts).
import { bearer, fields, json, jsonBody, nullable, pathParam, problem, ref, str, type OpenApiFragment } from '../api/openapi-types.js';

const tags = ['discovery'];
const adminTags = ['federation-admin'];
const strOrNull = nullable('string');
const uri = { type: 'string', format: 'uri' };
const urlOrNull = nullable('string', { format: 'uri' });
const channel = {
  uri, name: strOrNull, handle: { ...strOrNull, description: 'name@host, to follow or look up' }, host: str,
};

export const discoverOpenApi: OpenApiFragment = {
  tags: [{ name: 'discovery', description: 'New and trending tracks across this node and the nodes and channels it follows; finding a remote track or channel' }],
  paths: {
    '/api/v1/discover/new': {
      get: {
        tags, summary: "The newest public tracks of this node and of the channels and nodes it follows (an instance follow brings all of a node's)",
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 20 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 199, default: 0 }, description: 'limit + offset reach back at most 200 tracks' },
          { name: 'origin', in: 'query', schema: { enum: ['local', 'remote'] }, description: 'Only this node\'s tracks, or only other nodes\'' },
        ],
        responses: { 200: json('Tracks, newest first', fields({ data: { type: 'array', items: ref('DiscoverTrack') } })), 400: problem('Bad query') },
      },
    },
    '/api/v1/discover/trending': {
      get: {
        tags, summary: 'The most listened tracks of the last days: qualified listens on this node and Listens other nodes reported for its tracks',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 20 } },
          { name: 'days', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 365, default: 7 } },
          { name: 'channel', in: 'query', schema: { type: 'string' }, description: "Only this local channel's tracks (its top tracks)" },
        ],
        responses: { 200: json('Tracks, most listened first', fields({ data: { type: 'array', items: ref('TrendingTrack') } })), 400: problem('Bad query') },
      },
    },
    '/api/v1/discover/recent': {
      get: {
        tags, security: bearer, summary: 'The tracks I played last (a play started), newest first, from the last 90 days',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 20 } }],
        responses: { 200: json('Tracks', fields({ data: { type: 'array', items: { allOf: [ref('DiscoverTrack'), fields({ playedAt: { type: 'string', format: 'date-time' } })] } } })), 401: problem('Not signed in') },
      },
    },
    '/api/v1/discover/following': {
      get: {
        tags, security: bearer, summary: 'The newest tracks of the channels I follow, on this node and on others',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 20 } }],
        responses: { 200: json('Tracks', fields({ data: { type: 'array', items: ref('DiscoverTrack') } })), 401: problem('Not signed in') },
      },
    },
    '/api/v1/search': {
      get: {
        tags, summary: "Search this node's catalogue and what followed channels and nodes federated here: tracks (this node's first), channels, albums, playlists; ranked full-text, accents folded, typos forgiven. A URL or @name@host is looked up instead (signed in)",
        parameters: [
          { name: 'q', in: 'query', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 20 }, description: 'At most this many of each kind' },
        ],
        responses: {
          200: json('What matched', ref('SearchResult')), 400: problem('No query'), 401: problem('A URL or handle, not signed in'),
          422: problem('A URL or handle that could not be resolved'), 429: problem('Too many lookups'),
        },
      },
    },
    '/api/v1/discover/lookup': {
      get: {
        tags, security: bearer,
        summary: 'A track or channel by its URL or @name@host, here or on another node; a remote track is listed here (it plays through this node), a remote channel with its newest tracks',
        parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string', minLength: 3, maxLength: 2048 }, description: 'A URL (ActivityPub id or a page that links one) or @name@host' }],
        responses: {
          200: json('What it is', ref('LookupResult')),
          400: problem('Not a URL or handle'), 401: problem('Not signed in'), 403: problem('Blocked by this node'), 404: problem('No such track or channel on this node'),
          422: problem('Not found there, not a track or channel, or a private address'), 429: problem('Too many lookups (federation.lookupsPerMinutePerUser)'),
        },
      },
    },
    '/api/v1/federation/campaigns': {
      get: {
        tags, summary: "Investment campaigns of followed channels on other nodes, open ones first (pledges are made on the campaign's home node, at its url)",
        parameters: [
          { name: 'channel', in: 'query', schema: { type: 'string', format: 'uri' }, description: 'Only this remote channel' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
        ],
        responses: { 200: json('Campaigns', fields({ data: { type: 'array', items: ref('RemoteCampaign') } })), 400: problem('Bad query') },
      },
    },
    '/api/v1/federation/admin/instance-follows': {
      get: { tags: adminTags, security: bearer, summary: 'The nodes this node follows', responses: { 200: json('Follows', fields({ data: { type: 'array', items: ref('InstanceFollow') } })), 403: problem('Not an admin') } },
      post: {
        tags: adminTags, security: bearer, summary: "Follow another node: every public track of its channels comes here (it may accept at once or by hand)",
        requestBody: jsonBody(fields({ host: { type: 'string', minLength: 3, maxLength: 2048, description: "The node's host, URL, or its instance actor's URL or handle" } })),
        responses: {
          201: json('Asked (pending until the other node accepts)', ref('InstanceFollow')), 400: problem('Not a host, or this node'), 403: problem('Not an admin, or the node is blocked'),
          422: problem('No node found there, or a private address'),
        },
      },
    },
    '/api/v1/federation/admin/instance-follows/{id}': {
      delete: {
        tags: adminTags, security: bearer, summary: 'Stop following a node (Undo); its tracks that nobody here follows by channel are unlisted',
        parameters: [pathParam('id')], responses: { 204: { description: 'Ended' }, 403: problem('Not an admin'), 404: problem('No such follow') },
      },
    },
    '/api/v1/federation/admin/instance-followers': {
      get: {
        tags: adminTags, security: bearer, summary: 'The nodes that follow this node, and whether they are accepted at once (federation.instanceFollowers)',
        responses: { 200: json('Followers', fields({ mode: { enum: ['auto', 'manual'] }, data: { type: 'array', items: ref('InstanceFollow') } })), 403: problem('Not an admin') },
      },
    },
    '/api/v1/federation/admin/instance-followers/{id}/accept': {
      post: {
        tags: adminTags, security: bearer, summary: "Accept a node's pending follow",
        parameters: [pathParam('id')], responses: { 200: json('Accepted', ref('InstanceFollow')), 403: problem('Not an admin'), 404: problem('No such follower'), 409: problem('Not pending') },
      },
    },
    '/api/v1/federation/admin/instance-followers/{id}': {
      delete: {
        tags: adminTags, security: bearer, summary: "Refuse a node's follow or end it (Reject): it gets nothing more from this node",
        parameters: [pathParam('id')], responses: { 204: { description: 'Removed' }, 403: problem('Not an admin'), 404: problem('No such follower') },
      },
    },
  },
  schemas: {
    DiscoverTrack: fields({
      origin: { enum: ['local', 'remote'] },
      id: { type: 'string', format: 'uuid', description: 'The track here: a local track, or a remote track listed here' },
      uri, kind: { enum: ['audio', 'video'] }, title: str, artist: strOrNull,
      channel: fields(channel),
      durationSeconds: { type: ['integer', 'null'] }, coverUrl: urlOrNull,
      publishedAt: { type: 'string', format: 'date-time' },
      access: { enum: ['free', 'subscribers', 'metered'] },
      pageUrl: { type: 'string', format: 'uri', description: "The track's page on this node" },
      masterPlaylistUrl: { ...urlOrNull, description: 'HLS through this node' },
    }),
    TrendingTrack: { allOf: [ref('DiscoverTrack'), fields({ listens: { type: 'integer', description: 'Qualified listens in the period' } })] },
    DiscoverChannel: fields({
      origin: { enum: ['local', 'remote'] }, ...channel, summary: strOrNull, iconUrl: urlOrNull,
      followed: { type: 'boolean', description: 'Someone here follows it, or this node follows its node' },
      pageUrl: { ...urlOrNull, description: "A local channel's page" },
    }),
    LookupResult: fields(
      { type: { enum: ['track', 'channel'] }, track: ref('DiscoverTrack'), channel: ref('DiscoverChannel'), tracks: { type: 'array', items: ref('DiscoverTrack') } },
      ['track', 'channel', 'tracks'],
      'type track: `track`; type channel: `channel` and its newest `tracks`',
    ),
    SearchResult: fields(
      {
        query: str,
        tracks: { type: 'array', items: ref('DiscoverTrack') },
        channels: { type: 'array', items: ref('DiscoverChannel') },
        albums: { type: 'array', items: ref('Album') },
        playlists: {
          type: 'array',
          items: fields({
            origin: { enum: ['local', 'remote'] }, id: { type: ['string', 'null'], format: 'uuid', description: "A local playlist's id" }, uri, title: str,
            by: { type: 'string', description: "The channel's name or owner's username (local), the actor's URI (remote)" }, tracks: { type: 'integer' }, pageUrl: urlOrNull,
          }),
        },
        resolved: ref('LookupResult'),
      },
      ['resolved'],
      'resolved: what a pasted URL or @name@host named (the lists are then empty)',
    ),
    RemoteCampaign: fields({
      uri, actorUri: uri, host: str, title: str, summary: { ...strOrNull, description: 'Sanitised HTML' }, url: { ...urlOrNull, description: "Where to pledge: the channel's page on its home node" },
      currency: str, goal: { type: 'integer' }, raised: { type: 'integer' }, minPledge: { type: 'integer' }, shareBasisPoints: { type: 'integer' }, capMultiple: { type: 'number' },
      status: { enum: ['open', 'funded', 'failed', 'cancelled'] }, repaid: { type: 'integer', description: 'Repaid to investors so far (the public record)' }, investors: { type: 'integer' },
      deadline: { type: 'string', format: 'date-time' }, publishedAt: { type: ['string', 'null'], format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
    }),
    InstanceFollow: fields({
      id: { type: 'string', format: 'uuid' }, host: str, actor: uri, software: strOrNull,
      state: { enum: ['pending', 'accepted', 'rejected'], description: 'rejected: the other node refused or ended it' },
      createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
    }),
  },
};
