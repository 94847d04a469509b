import { monthOpenApi } from '../http/month.js';
import { bearer, fields, json, orNull, problem, ref, type OpenApiFragment, jsonBody, pathParam, pagingParams } from '../api/openapi-types.js';
import { ruleNames } from './anomaly-rules.js';

const status = { type: 'string', enum: ['counted', 'held', 'rejected'] };
const listen = {
  id: { type: 'string', format: 'uuid' },
  userId: { type: 'string', format: 'uuid' },
  trackId: { type: 'string' },
  channelId: { type: 'string' },
  artist: { type: 'string', format: 'uri', description: "The artist's actor URI" },
  sessionId: { type: 'string', format: 'uuid' },
  qualifiedSeconds: { type: 'integer' },
  qualifiedAt: { type: 'string', format: 'date-time' },
  day: { type: 'string', format: 'date' },
  status,
  heldReason: { type: ['string', 'null'] },
};

const perOrigin = {
  localPlays: { type: 'integer' },
  localSeconds: { type: 'integer' },
  remotePlays: { type: 'integer' },
  remoteSeconds: { type: 'integer' },
  heldPlays: { type: 'integer', description: 'Local plays held by an anomaly rule (not in plays/seconds)' },
};
const counts = { plays: { type: 'integer' }, seconds: { type: 'integer' }, ...perOrigin };

export const listeningOpenApi: OpenApiFragment = {
  tags: [{ name: 'listening', description: 'Play sessions, qualified listens, artist statistics, anomaly flags and daily reports' }],
  schemas: {
    Listen: fields(listen),
    PlayProgress: {
      type: 'object',
      required: ['positionSeconds', 'playedSeconds', 'state'],
      properties: {
        positionSeconds: { type: 'number', minimum: 0, description: 'Playhead position in the track' },
        playedSeconds: { type: 'number', minimum: 0, description: 'Total seconds played in this session so far (non-decreasing)' },
        state: { type: 'string', enum: ['playing', 'paused', 'ended'] },
      },
    },
    PlayProgressResult: fields({
      sessionId: { type: 'string', format: 'uuid' },
      coveredSeconds: { type: 'number', description: 'Claimed playback covered by segments the node served to this session' },
      claimedSeconds: { type: 'number' },
      qualified: { type: 'boolean' },
      listen: orNull(ref('Listen'), 'The listen once the session qualified'),
    }),
    PlaySession: fields({ sessionId: { type: 'string', format: 'uuid' }, trackId: { type: 'string' }, header: { const: 'X-Play-Session', description: 'Send the session id in this header on segment requests' } }),
    MyListening: fields({
      month: { type: 'string' },
      artists: {
        type: 'array',
        items: fields({ artist: { type: 'string', format: 'uri' }, seconds: { type: 'integer' }, plays: { type: 'integer' }, heldSeconds: { type: 'integer' }, heldPlays: { type: 'integer' } }),
      },
      listens: { type: 'array', items: ref('Listen'), description: 'Newest first, at most 100' },
    }),
    ArtistStats: fields({
      from: { type: 'string', format: 'date' },
      to: { type: 'string', format: 'date' },
      timeZone: { type: 'string' },
      totals: ref('PlayCounts'),
      tracks: {
        type: 'array',
        items: { allOf: [ref('PlayCounts'), fields({ trackId: { type: 'string' }, days: { type: 'array', items: fields({ day: { type: 'string', format: 'date' }, ...perOrigin }) } })] },
      },
    }),
    PlayCounts: fields(counts, [], 'Plays and qualified seconds, local and from other nodes'),
    ListeningFlag: fields({
      id: { type: 'string', format: 'uuid' },
      rule: { type: 'string', enum: [...ruleNames] },
      createdAt: { type: 'string', format: 'date-time' },
      evidence: { type: 'object', description: 'What fired the rule, with the segments served to the session; pseudonymous (keyed hashes for accounts and addresses)' },
      listen: fields(
        {
          id: listen.id,
          userId: { ...listen.userId, description: 'Local to this node (admins); the pseudonym is what may leave it' },
          username: { type: ['string', 'null'] },
          pseudonym: { type: 'string', description: "The listener's pseudonym for the month" },
          trackId: listen.trackId,
          artist: listen.artist,
          qualifiedSeconds: listen.qualifiedSeconds,
          qualifiedAt: listen.qualifiedAt,
          day: listen.day,
          status,
          heldReason: listen.heldReason,
        },
        [],
        'The held listen',
      ),
    }),
    ListeningFlagPage: fields({ total: { type: 'integer' }, items: { type: 'array', items: ref('ListeningFlag') } }),
  },
  paths: {
    '/api/v1/plays': {
      post: {
        tags: ['listening'],
        summary: 'Start a play session for a track; send its id as X-Play-Session on segment requests',
        security: bearer,
        requestBody: jsonBody({ type: 'object', required: ['trackId'], properties: { trackId: { type: 'string', description: "A local track's id, or the local id of a remote track (GET /api/v1/federation/tracks) played through this node" } } }),
        responses: {
          201: json('The play session', ref('PlaySession')),
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
        parameters: [{ name: 'month', in: 'query', schema: monthOpenApi, description: "YYYY-MM (default: this month in the node's time zone)" }],
        responses: {
          200: json('My listening', ref('MyListening')),
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
          200: json('Statistics', ref('ArtistStats')),
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
          ...pagingParams(50, 200),
          { name: 'status', in: 'query', schema: status, description: 'Only flags whose listen has this status' },
        ],
        responses: { 200: json('Flags, newest first', ref('ListeningFlagPage')), 401: problem('Not signed in'), 403: problem('Not an admin') },
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
