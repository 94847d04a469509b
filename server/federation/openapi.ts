// The federation REST routes in the OpenAPI description (ActivityPub, WebFinger and
// NodeInfo endpoints are described in docs/federation.md).
import { bearer, fields, json, orNull, page, problem, ref, type OpenApiFragment, jsonBody, pathParam, str, nullable, pagingParams } from '../api/openapi-types.js';

const tags = ['federation'];
const adminTags = ['federation-admin'];
const paging = pagingParams(20, 100);
const strOrNull = nullable('string');
const uri = { type: 'string', format: 'uri' };
const urlOrNull = nullable('string', { format: 'uri' });

export const federationOpenApi: OpenApiFragment = {
  tags: [
    { name: 'federation', description: 'Artists and tracks on other nodes; following across the fediverse' },
    { name: 'federation-admin', description: 'Blocks, dead letters, key rotation (admins)' },
  ],
  paths: {
    '/api/v1/federation/tracks': {
      get: {
        tags, summary: 'Tracks of remote artists this node follows (played from their home node)',
        parameters: [...paging, { name: 'channel', in: 'query', schema: { type: 'string', format: 'uri' }, description: 'Only this remote actor' }],
        responses: { 200: json('Remote tracks', ref('RemoteTrackPage')), 400: problem('Bad query') },
      },
    },
    '/api/v1/federation/playlists': {
      get: {
        tags, summary: 'Playlists of remote actors this node follows (their items as track URIs, with the local remote-track id when listed here)',
        parameters: [...paging, { name: 'actor', in: 'query', schema: { type: 'string', format: 'uri' }, description: 'Only this remote actor' }],
        responses: {
          200: json(
            'Remote playlists',
            page(
              fields({
                uri,
                actorUri: uri,
                name: str,
                summary: strOrNull,
                items: { type: 'array', items: fields({ uri, trackId: { type: ['string', 'null'], format: 'uuid', description: 'The remote track here, when it is listed' } }) },
                updatedAt: { type: 'string', format: 'date-time' },
              }),
            ),
          ),
          400: problem('Bad query'),
        },
      },
    },
    '/api/v1/federation/tracks/{id}': {
      get: { tags, summary: 'One remote track', parameters: [pathParam('id')], responses: { 200: json('The track', ref('RemoteTrack')), 404: problem('Unknown') } },
    },
    '/api/v1/federation/tracks/{id}/hls/master.m3u8': {
      options: { tags, summary: 'CORS preflight (the headers of local streaming)', parameters: [pathParam('id')], responses: { 204: { description: 'Allowed' } } },
      get: {
        tags, summary: "A remote track's HLS master playlist, served by this node", parameters: [pathParam('id')],
        responses: { 200: { description: 'HLS master playlist', content: { 'application/vnd.apple.mpegurl': {} } }, 404: problem('Unknown'), 502: problem('The home node failed') },
      },
    },
    '/api/v1/federation/tracks/{id}/hls/{rendition}/{file}': {
      options: { tags, summary: 'CORS preflight (the headers of local streaming)', parameters: [pathParam('id'), pathParam('rendition', { type: 'string' }), pathParam('file', { type: 'string' })], responses: { 204: { description: 'Allowed' } } },
      get: {
        tags, summary: "A remote track's rendition playlist, init section or segment: fetched from the home node, checked against its segment hashes, cached here",
        parameters: [pathParam('id'), pathParam('rendition', { type: 'string' }), pathParam('file', { type: 'string', example: 'seg-00001.m4s' })],
        responses: {
          200: { description: 'The playlist (application/vnd.apple.mpegurl) or media bytes; X-Cache says hit or miss', content: { 'application/octet-stream': {} } },
          404: problem('Unknown'),
          502: problem('The home node failed, published no hash, or sent bytes that do not match it'),
        },
      },
    },
    '/api/v1/federation/channels': {
      get: { tags, summary: 'Remote artists (channels) someone here follows', parameters: paging, responses: { 200: json('Remote channels', { type: 'object', properties: { data: { type: 'array', items: { type: 'object' } } } }) } },
    },
    '/api/v1/federation/follows': {
      get: { tags, summary: "The signed-in user's follows: remote actors, and channels of this node", security: bearer, responses: { 200: json('Follows', ref('FollowList')), 401: problem('Not signed in') } },
      post: {
        tags, summary: "Follow a remote artist or listener (name@host or actor URL), or a channel of this node (name@this-host: accepted at once, nothing is sent)", security: bearer,
        requestBody: jsonBody({ type: 'object', required: ['handle'], properties: { handle: { type: 'string', example: 'artist@music.example' } } }),
        responses: { 201: json('Follow requested (state pending until the remote side accepts)', ref('Follow')), 400: problem('Bad input, or an account of this node that is not a channel'), 401: problem('Not signed in'), 403: problem('Blocked'), 422: problem('Could not be resolved') },
      },
    },
    '/api/v1/federation/follows/{id}': {
      delete: { tags, summary: 'Unfollow (sends Undo)', security: bearer, parameters: [pathParam('id')], responses: { 204: { description: 'Unfollowed' }, 401: problem('Not signed in'), 404: problem('Unknown') } },
    },
    '/api/v1/federation/likes': {
      post: {
        tags, summary: 'Like a track (sends Like to its owner)', security: bearer,
        requestBody: jsonBody({ type: 'object', required: ['object'], properties: { object: { type: 'string', format: 'uri' } } }),
        responses: { 201: json('Liked', { type: 'object', properties: { uri: { type: 'string' } } }), 400: problem('Bad input'), 401: problem('Not signed in') },
      },
    },
    '/api/v1/federation/announces': {
      post: {
        tags, summary: 'Share a track with your followers (sends Announce)', security: bearer,
        requestBody: jsonBody({ type: 'object', required: ['object'], properties: { object: { type: 'string', format: 'uri' } } }),
        responses: { 201: json('Shared', { type: 'object', properties: { uri: { type: 'string' } } }), 400: problem('Bad input'), 401: problem('Not signed in'), 403: problem('account_silenced') },
      },
    },
    '/api/v1/federation/admin/blocks': {
      get: { tags: adminTags, summary: 'Blocked domains and actors', security: bearer, responses: { 200: json('Blocks', ref('FederationBlockList')), 401: problem('Not signed in'), 403: problem('Not an admin') } },
      post: {
        tags: adminTags, summary: 'Block a domain or an actor (inbox refuses them, outbox skips them, follows end)', security: bearer,
        requestBody: jsonBody({ type: 'object', required: ['kind', 'value'], properties: { kind: { enum: ['domain', 'actor'] }, value: { type: 'string' }, reason: { type: 'string' } } }),
        responses: { 201: json('Blocked', ref('FederationBlock')), 400: problem('Bad input'), 401: problem('Not signed in'), 403: problem('Not an admin'), 409: problem("local_block: this node's own host or one of its actors") },
      },
    },
    '/api/v1/federation/admin/blocks/{id}': {
      delete: { tags: adminTags, summary: 'Lift a block', security: bearer, parameters: [pathParam('id')], responses: { 204: { description: 'Lifted' }, 403: problem('Not an admin'), 404: problem('Unknown') } },
    },
    '/api/v1/federation/admin/dead-letters': {
      get: {
        tags: adminTags, summary: 'Deliveries that failed for good or were skipped (failing or blocked inbox)', security: bearer, parameters: paging,
        responses: { 200: json('Dead letters', ref('DeadLetterPage')), 403: problem('Not an admin') },
      },
    },
    '/api/v1/federation/admin/dead-letters/{id}/retry': {
      post: { tags: adminTags, summary: 'Queue a dead letter again', security: bearer, parameters: [pathParam('id', { type: 'integer' })], responses: { 202: json('Queued', fields({ queued: { const: true } })), 403: problem('Not an admin'), 404: problem('Unknown') } },
    },
    '/api/v1/federation/admin/rotate-keys': {
      post: {
        tags: adminTags, summary: "Rotate a local actor's key pair (remote servers refetch the key)", security: bearer,
        requestBody: jsonBody({ type: 'object', required: ['actor'], properties: { actor: { type: 'string', format: 'uri' } } }),
        responses: { 200: json('New key', { type: 'object', properties: { actor: { type: 'string' }, keyId: { type: 'string' }, publicKeyPem: { type: 'string' }, rotatedAt: { type: 'string' } } }), 403: problem('Not an admin'), 404: problem('Unknown actor') },
      },
    },
    '/api/v1/federation/admin/stats': {
      get: { tags: adminTags, summary: 'Federation counters', security: bearer, responses: { 200: json('Counters', { type: 'object', additionalProperties: { type: 'integer' } }), 403: problem('Not an admin') } },
    },
    '/api/v1/federation/admin/received/{kind}': {
      get: {
        tags: adminTags, summary: 'Listens, subscriptions or stream events exchanged with other nodes', security: bearer,
        parameters: [pathParam('kind', { enum: ['listens', 'subscriptions', 'streams'] })],
        responses: { 200: json('Rows', { type: 'object', properties: { data: { type: 'array', items: { type: 'object' } } } }), 400: problem('Unknown kind'), 403: problem('Not an admin') },
      },
    },
  },
  schemas: {
    RemoteRendition: fields(
      { name: str, playlistUrl: urlOrNull, torrentUrl: urlOrNull, magnetUri: strOrNull, segmentHashesUrl: urlOrNull, pricePerMinute: { type: 'integer', description: 'Metered tracks: minor units per minute of this rendition' } },
      ['pricePerMinute'],
    ),
    RemoteTrack: fields(
      {
        id: { type: 'string', format: 'uuid' }, uri, actorUri: uri, host: str,
        kind: { enum: ['audio', 'video'] }, title: str, artist: strOrNull, album: strOrNull,
        position: { type: ['integer', 'null'] }, durationSeconds: { type: ['integer', 'null'] }, license: strOrNull,
        coverUrl: urlOrNull, url: { ...urlOrNull, description: "The track's page on its home node" }, masterPlaylistUrl: urlOrNull,
        renditions: { type: 'array', items: ref('RemoteRendition') },
        segmentHashes: { type: 'object', description: 'Per rendition: segment file name to its SHA-256', additionalProperties: { type: 'object', additionalProperties: str } },
        publishedAt: strOrNull, receivedAt: str,
        access: fields(
          { mode: { enum: ['free', 'subscribers', 'metered'] }, currency: strOrNull, pricesPerMinute: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Metered: rendition name → minor units per minute (as on each rendition)' } },
          [],
          "As the home node federates it. Played through this node: subscribers' tracks for this node's subscribers; metered ones paid here per span (HTTP 402, as local ones), owed to the artist",
        ),
        localMasterPlaylistUrl: { type: 'string', description: 'Play through this node (cached, hash-checked); on GET /tracks/{id}' },
      },
      ['localMasterPlaylistUrl'],
    ),
    RemoteTrackPage: page(ref('RemoteTrack')),
    Follow: fields({
      id: str, follower: uri, following: uri, state: { enum: ['pending', 'accepted', 'rejected'] }, createdAt: str,
      actor: orNull(fields({ name: strOrNull, preferredUsername: strOrNull, host: str, type: str }), 'The followed actor, once fetched'),
    }),
    FollowList: fields({ data: { type: 'array', items: ref('Follow') } }),
    FederationBlock: fields({ id: str, kind: { enum: ['domain', 'actor'] }, value: str, reason: strOrNull, createdAt: str }),
    FederationBlockList: fields({ data: { type: 'array', items: ref('FederationBlock') } }),
    DeadLetter: fields({
      id: str, activityId: str, activityType: str, inbox: str, state: { enum: ['dead', 'skipped'] }, attempts: { type: 'integer' },
      lastStatus: { type: ['integer', 'null'] }, lastError: strOrNull, updatedAt: str,
    }),
    DeadLetterPage: page(ref('DeadLetter')),
  },
};
