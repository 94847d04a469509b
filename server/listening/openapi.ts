import { bearer, json, problem, ref, type OpenApiFragment, jsonBody, pathParam } from '../api/openapi-types.js';

const listen = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    userId: { type: 'string', format: 'uuid' },
    trackId: { type: 'string' },
    channelId: { type: 'string' },
    artist: { type: 'string', format: 'uri', description: "The artist's actor URI" },
    sessionId: { type: 'string', format: 'uuid' },
    qualifiedSeconds: { type: 'integer' },
    qualifiedAt: { type: 'string', format: 'date-time' },
    day: { type: 'string', format: 'date' },
    status: { type: 'string', enum: ['counted', 'held', 'rejected'] },
    heldReason: { type: ['string', 'null'] },
  },
};

const counts = {
  plays: { type: 'integer' },
  seconds: { type: 'integer' },
  localPlays: { type: 'integer' },
  localSeconds: { type: 'integer' },
  remotePlays: { type: 'integer' },
  remoteSeconds: { type: 'integer' },
  heldPlays: { type: 'integer', description: 'Local plays held by an anomaly rule (not in plays/seconds)' },
};

export const listeningOpenApi: OpenApiFragment = {
  tags: [{ name: 'listening', description: 'Play sessions, qualified listens, artist statistics, anomaly flags and daily reports' }],
  schemas: {
    Listen: listen,
    PlayProgress: {
      type: 'object',
      required: ['positionSeconds', 'playedSeconds', 'state'],
      properties: {
        positionSeconds: { type: 'number', minimum: 0, description: 'Playhead position in the track' },
        playedSeconds: { type: 'number', minimum: 0, description: 'Total seconds played in this session so far (non-decreasing)' },
        state: { type: 'string', enum: ['playing', 'paused', 'ended'] },
      },
    },
    PlayProgressResult: {
      type: 'object',
      properties: {
        sessionId: { type: 'string', format: 'uuid' },
        coveredSeconds: { type: 'number', description: 'Claimed playback covered by segments the node served to this session' },
        claimedSeconds: { type: 'number' },
        qualified: { type: 'boolean' },
        listen: { oneOf: [ref('Listen'), { type: 'null' }] },
      },
    },
    ListeningFlag: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' },
        rule: { type: 'string', enum: ['plays_per_track_per_day', 'listening_exceeds_wall_clock', 'accounts_per_address', 'accounts_per_device', 'short_play_burst'] },
        createdAt: { type: 'string', format: 'date-time' },
        evidence: { type: 'object', description: 'What fired the rule, with the segments served to the session; pseudonymous (keyed hashes for accounts and addresses)' },
        listen: { type: 'object', description: 'The held listen, with the local user id (admins of this node only) and its pseudonym' },
      },
    },
  },
  paths: {
    '/api/v1/plays': {
      post: {
        tags: ['listening'],
        summary: 'Start a play session for a track; send its id as X-Play-Session on segment requests',
        security: bearer,
        requestBody: jsonBody({ type: 'object', required: ['trackId'], properties: { trackId: { type: 'string', description: "A local track's id, or the local id of a remote track (GET /api/v1/federation/tracks) played through this node" } } }),
        responses: {
          201: json('The play session', { type: 'object', properties: { sessionId: { type: 'string', format: 'uuid' }, trackId: { type: 'string' }, header: { const: 'X-Play-Session' } } }),
          400: problem('Invalid input'),
          401: problem('Not signed in'),
          404: problem('No such track'),
          409: problem('The track cannot be played yet'),
        },
      },
    },
    '/api/v1/plays/{sessionId}/progress': {
      post: {
        tags: ['listening'],
        summary: 'Report play progress; the listen qualifies after 30 s of served-and-played audio',
        security: bearer,
        parameters: [pathParam('sessionId')],
        requestBody: jsonBody(ref('PlayProgress')),
        responses: { 200: json('Progress recorded', ref('PlayProgressResult')), 400: problem('Invalid input'), 401: problem('Not signed in'), 404: problem('No such play session of yours'), 409: problem('The session has ended') },
      },
    },
    '/api/v1/me/listens': {
      get: {
        tags: ['listening'],
        summary: 'My qualified listening in a month: per artist (counted and held) and my listens',
        security: bearer,
        parameters: [{ name: 'month', in: 'query', schema: { type: 'string', pattern: '^\\d{4}-\\d{2}$' }, description: "YYYY-MM (default: this month in the node's time zone)" }],
        responses: {
          200: json('My listening', {
            type: 'object',
            properties: {
              month: { type: 'string' },
              artists: { type: 'array', items: { type: 'object', properties: { artist: { type: 'string', format: 'uri' }, seconds: { type: 'integer' }, plays: { type: 'integer' }, heldSeconds: { type: 'integer' }, heldPlays: { type: 'integer' } } } },
              listens: { type: 'array', items: ref('Listen') },
            },
          }),
          400: problem('Invalid month'),
          401: problem('Not signed in'),
        },
      },
    },
    '/api/v1/me/stats': {
      get: {
        tags: ['listening'],
        summary: "Plays and qualified seconds per track and day of the artist's channels, local and from other nodes",
        security: bearer,
        parameters: [
          { name: 'from', in: 'query', schema: { type: 'string', format: 'date' }, description: 'First day (default: 29 days before `to`)' },
          { name: 'to', in: 'query', schema: { type: 'string', format: 'date' }, description: 'Last day (default: today)' },
        ],
        responses: {
          200: json('Statistics', {
            type: 'object',
            properties: {
              from: { type: 'string', format: 'date' },
              to: { type: 'string', format: 'date' },
              timeZone: { type: 'string' },
              totals: { type: 'object', properties: counts },
              tracks: { type: 'array', items: { type: 'object', properties: { trackId: { type: 'string' }, ...counts, days: { type: 'array', items: { type: 'object' } } } } },
            },
          }),
          401: problem('Not signed in'),
          403: problem('Not an artist'),
        },
      },
    },
    '/api/v1/admin/listening/flags': {
      get: {
        tags: ['listening'],
        summary: 'Listening held by anomaly rules, with the evidence',
        security: bearer,
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
          { name: 'status', in: 'query', schema: { type: 'string', enum: ['counted', 'held', 'rejected'] }, description: "Only flags whose listen has this status" },
        ],
        responses: { 200: json('Flags, newest first', { type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('ListeningFlag') } } }), 401: problem('Not signed in'), 403: problem('Not an admin') },
      },
    },
    '/api/v1/admin/listening/reports': {
      get: {
        tags: ['listening'],
        summary: 'Daily listening reports this node has recorded (pseudonymous rows, totals, hash)',
        security: bearer,
        responses: { 200: json('Reports, oldest first', { type: 'object', properties: { items: { type: 'array', items: { type: 'object' } } } }), 401: problem('Not signed in'), 403: problem('Not an admin or auditor') },
      },
    },
  },
};
