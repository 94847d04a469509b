// The media part of the OpenAPI description (REST routes under /api; the streaming files
// under /static and the tracker under /tracker are described in docs/media.md).
import { bearer, fields, json, orNull, page, problem, ref, type OpenApiFragment, jsonBody, pathParam, nullable, pagingParams } from '../api/openapi-types.js';
import { accessModes, licenses, maxPricePerMinute, visibilities } from './model.js';

const pageParams = pagingParams(50, 200);

/** The track fields an owner edits (PATCH /api/v1/tracks/{id}) and every Track shows. */
const trackMetadata = {
  artist: nullable('string'),
  album: nullable('string'),
  trackNumber: nullable('integer'),
  genre: nullable('string'),
  license: { enum: [...licenses] },
  visibility: { enum: [...visibilities] },
  allowDownload: { type: 'boolean' },
};

const pricesPerMinute = {
  type: 'object',
  additionalProperties: { type: 'integer', minimum: 1, maximum: maxPricePerMinute },
  description: 'Metered tracks: rendition name → minor units per minute of that rendition (every rendition; a higher one never cheaper)',
};

const uploadProgress = {
  id: { type: 'string', format: 'uuid' },
  received: { type: 'integer', description: 'Bytes stored so far: the next chunk starts here' },
  size: { type: 'integer' },
  complete: { type: 'boolean' },
  trackId: { type: 'string', format: 'uuid', description: 'Once the last chunk is in' },
};

const usedLimit = (used: string) => ({ type: 'object', required: [used, 'limit'], properties: { [used]: { type: 'integer' }, limit: { type: 'integer' } } });
const quota = {
  type: 'object',
  required: ['userId', 'bytes', 'tracks', 'uploads', 'transcodes'],
  properties: {
    userId: { type: 'string', format: 'uuid' },
    bytes: { ...usedLimit('used'), description: 'Bytes of stored originals plus the declared size of unfinished uploads; limit uploads.quotaBytesPerUser unless overridden' },
    tracks: { ...usedLimit('used'), description: 'Tracks plus unfinished uploads; limit uploads.quotaTracksPerUser unless overridden' },
    uploads: { ...usedLimit('unfinished'), description: 'Unfinished uploads open at once; limit uploads.maxConcurrentPerUser unless overridden' },
    transcodes: {
      type: 'object',
      description: 'Fair share: processing tracks in the transcode queue (at most `limit`, media.maxQueuedTranscodesPerUser) and waiting in the node\'s line behind it',
      properties: { queued: { type: 'integer' }, waiting: { type: 'integer' }, limit: { type: 'integer' } },
    },
  },
};
const overrides = {
  type: 'object',
  description: "The user's own limits; null: the node's default from config",
  properties: { quotaBytes: nullable('integer'), quotaTracks: nullable('integer'), maxConcurrentUploads: nullable('integer') },
};
const adminQuota = { ...quota, required: [...quota.required, 'overrides'], properties: { ...quota.properties, overrides } };

export const mediaOpenApi: OpenApiFragment = {
  tags: [
    { name: 'channels', description: "Artists' channels (their profiles)" },
    { name: 'uploads', description: 'Resumable chunked uploads of audio and video' },
    { name: 'playlists', description: 'Ordered lists of tracks; channel playlists are federated' },
    { name: 'browse', description: "Albums (from the tracks' album tags) and genres" },
    {
      name: 'tracks',
      description:
        'Tracks and videos: metadata, state, streaming URLs. Files are served under /static/streaming/{trackId}/ (HLS), /static/download/{trackId} and /static/covers/{trackId}; the tracker at /tracker/announce and /tracker/socket.',
    },
  ],
  paths: {
    '/api/v1/channels': {
      post: {
        tags: ['channels'],
        summary: 'Create a channel (artist)',
        security: bearer,
        requestBody: jsonBody({
          type: 'object',
          required: ['name', 'displayName'],
          properties: { name: { type: 'string', pattern: '^[a-z0-9_]+$', minLength: 2, maxLength: 50 }, displayName: { type: 'string', maxLength: 100 }, description: { type: 'string', maxLength: 5000 } },
        }),
        responses: { 201: json('The channel', ref('Channel')), 400: problem('Invalid input'), 401: problem('Not signed in'), 403: problem('Not an artist'), 409: problem('Name taken') },
      },
      get: { tags: ['channels'], summary: 'List channels', parameters: pageParams, responses: { 200: json('Channels', ref('ChannelPage')) } },
    },
    '/api/v1/channels/{name}': {
      get: { tags: ['channels'], summary: 'A channel by name (or id)', parameters: [pathParam('name', { type: 'string' }, 'Channel name or id')], responses: { 200: json('The channel', ref('Channel')), 404: problem('No such channel') } },
      patch: {
        tags: ['channels'],
        summary: "Edit a channel's display name or description (owner or admin)",
        security: bearer,
        parameters: [pathParam('name', { type: 'string' }, 'Channel name or id')],
        requestBody: jsonBody({ type: 'object', properties: { displayName: { type: 'string' }, description: { type: 'string' } }, additionalProperties: false }),
        responses: { 200: json('The channel', ref('Channel')), 400: problem('Invalid input'), 403: problem('Not the owner, not an artist, or account_silenced'), 404: problem('No such channel') },
      },
    },
    '/api/v1/me/channels': {
      get: { tags: ['channels'], summary: "The signed-in user's channels", security: bearer, responses: { 200: json('Channels', ref('ChannelPage')), 401: problem('Not signed in') } },
    },
    '/api/v1/uploads': {
      post: {
        tags: ['uploads'],
        summary: 'Start an upload (artist owning the channel)',
        security: bearer,
        requestBody: jsonBody({
          type: 'object',
          required: ['channelId', 'filename', 'size'],
          properties: {
            channelId: { type: 'string', format: 'uuid' },
            filename: { type: 'string', description: 'Only used as a default title; never as a path' },
            size: { type: 'integer', minimum: 1, description: 'Total bytes; at most uploads.maxFileBytes' },
            mimeType: { type: 'string' },
            allowDownload: { type: 'boolean', default: false },
            visibility: { enum: ['public', 'unlisted', 'private'], default: 'public' },
          },
        }),
        responses: {
          201: json('The upload, with the chunk size to use', ref('UploadStarted')),
          400: problem('Invalid input or empty file'),
          403: problem('Not your channel, or the track quota is used up (`track_quota_exceeded`, with `usedTracks`, `quotaTracks`)'),
          404: problem('No such channel'),
          413: problem('File larger than the node accepts, or past the storage quota (`storage_quota_exceeded`, with `usedBytes`, `quotaBytes`, `size`)'),
          429: problem('Too many unfinished uploads open at once (`too_many_uploads`, with `unfinishedUploads`, `maxConcurrentUploads`)'),
        },
      },
    },
    '/api/v1/uploads/{id}': {
      put: {
        tags: ['uploads'],
        summary: 'Send the next chunk (Content-Range: bytes START-END/TOTAL)',
        description: 'Chunks must arrive in order. On the last byte the file is probed, the track created (status processing) and its transcode queued.',
        security: bearer,
        parameters: [pathParam('id', { type: 'string' }, 'Upload id'), { name: 'Content-Range', in: 'header', required: true, schema: { type: 'string', example: 'bytes 0-8388607/20000000' } }],
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: {
          200: json('Progress; trackId once complete', ref('UploadProgress')),
          400: problem('Bad Content-Range (START <= END < TOTAL) or body length'),
          409: problem('Out-of-order chunk: resume from `received`'),
          413: problem('Chunk too large'),
          416: problem('Content-Range total is not the declared size: resume from `received`'),
          422: problem('Not acceptable media (corrupt, truncated, unsupported codec or container, no audio/video), or over the node\'s limits: `media_too_long` (with `durationSeconds`, `maxDurationSeconds`), `resolution_too_high` (with `width`, `height`, `maxWidth`, `maxHeight`)'),
        },
      },
      get: { tags: ['uploads'], summary: 'Upload progress', security: bearer, parameters: [pathParam('id', { type: 'string' }, 'Upload id')], responses: { 200: json('Progress', ref('UploadProgress')), 404: problem('No such upload') } },
      delete: { tags: ['uploads'], summary: 'Cancel an upload and remove its file', security: bearer, parameters: [pathParam('id', { type: 'string' }, 'Upload id')], responses: { 204: { description: 'Cancelled' }, 404: problem('No such upload'), 409: problem('Already complete') } },
    },
    '/api/v1/me/quota': {
      get: { tags: ['uploads'], summary: "The signed-in user's upload quotas and their usage", security: bearer, responses: { 200: json('Usage and limits', quota), 401: problem('Not signed in') } },
    },
    '/api/v1/admin/users/{id}/quota': {
      get: {
        tags: ['uploads'],
        summary: "A user's upload quotas, usage and own overrides (admin)",
        security: bearer,
        parameters: [pathParam('id', undefined, 'User id')],
        responses: { 200: json('Usage, limits and overrides', adminQuota), 401: problem('Not signed in'), 403: problem('Not an admin'), 404: problem('No such user') },
      },
      put: {
        tags: ['uploads'],
        summary: "Set a user's own upload limits (admin); null returns a limit to the node's default, an absent key leaves it",
        security: bearer,
        parameters: [pathParam('id', undefined, 'User id')],
        requestBody: jsonBody({ ...overrides, additionalProperties: false }),
        responses: { 200: json('Usage, limits and overrides', adminQuota), 400: problem('Invalid input'), 401: problem('Not signed in'), 403: problem('Not an admin'), 404: problem('No such user') },
      },
    },
    '/api/v1/admin/media/transcodes': {
      get: {
        tags: ['tracks'],
        summary: 'The transcode queue (admin): the fair-share line per user, and the media queue as GET /api/v1/admin/jobs lists it (counts, the 50 latest failed jobs with their error)',
        security: bearer,
        responses: {
          200: json('Queue overview', {
            type: 'object',
            properties: {
              processing: { type: 'integer' },
              waitingInLine: { type: 'integer' },
              users: { type: 'array', items: { type: 'object', properties: { userId: { type: 'string', format: 'uuid' }, queued: { type: 'integer' }, waiting: { type: 'integer' } } } },
              jobs: { type: 'object', description: 'The response of GET /api/v1/admin/jobs, for the media queue only (prefix, queues, failed)' },
            },
          }),
          401: problem('Not signed in'),
          403: problem('Not an admin'),
        },
      },
    },
    '/api/v1/channels/{name}/albums': {
      get: {
        tags: ['browse'], summary: "A channel's albums (its ready public tracks grouped by their album tag), newest first",
        parameters: [pathParam('name', { type: 'string' })],
        responses: { 200: json('Albums', fields({ data: { type: 'array', items: ref('Album') } })), 404: problem('No such channel') },
      },
    },
    '/api/v1/channels/{name}/albums/{album}': {
      get: {
        tags: ['browse'], summary: 'One album of a channel, its tracks in track-number order',
        parameters: [pathParam('name', { type: 'string' }), pathParam('album', { type: 'string' }, 'The album tag, URL-encoded')],
        responses: { 200: json('The album', ref('AlbumDetail')), 404: problem('No such channel or album') },
      },
    },
    '/api/v1/genres': {
      get: {
        tags: ['browse'], summary: 'Genres of the ready public tracks, most tracks first',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } }],
        responses: { 200: json('Genres', fields({ data: { type: 'array', items: fields({ name: { type: 'string' }, tracks: { type: 'integer' } }) } })) },
      },
    },
    '/api/v1/genres/{genre}/tracks': {
      get: {
        tags: ['browse'], summary: 'The ready public tracks of a genre (any case), newest first',
        parameters: [pathParam('genre', { type: 'string' }), ...pagingParams(50, 200)],
        responses: { 200: json('Tracks', fields({ data: { type: 'array', items: ref('Track') } })), 400: problem('Bad query') },
      },
    },
    '/api/v1/tracks': {
      get: {
        tags: ['tracks'],
        summary: "Ready public tracks, plus the viewer's own",
        parameters: [{ name: 'channel', in: 'query', schema: { type: 'string' } }, { name: 'kind', in: 'query', schema: { enum: ['audio', 'video'] } }, ...pageParams],
        responses: { 200: json('Tracks', ref('TrackPage')) },
      },
    },
    '/api/v1/tracks/{id}': {
      get: { tags: ['tracks'], summary: 'A track (private: owner and admins only)', parameters: [pathParam('id', { type: 'string' }, 'Track id')], responses: { 200: json('The track', ref('Track')), 404: problem('No such track (or not yours to see)') } },
      patch: {
        tags: ['tracks'],
        summary: 'Edit metadata, visibility, download permission, access and prices (owner or admin)',
        description:
          'access.mode: `free` (whoever may see the track), `subscribers` (listeners with an active subscription) or `metered` (subscribers free, everyone else pays per span of segments, HTTP 402; see docs/money.md). A metered track must be ready and have a price for each rendition.',
        security: bearer,
        parameters: [pathParam('id', { type: 'string' }, 'Track id')],
        requestBody: jsonBody({
          type: 'object',
          additionalProperties: false,
          properties: {
            title: { type: 'string', maxLength: 200 },
            ...trackMetadata,
            access: fields({ mode: { enum: [...accessModes] }, pricesPerMinute }, ['pricesPerMinute']),
          },
        }),
        responses: {
          200: json('The track', ref('Track')),
          400: problem('Invalid input (invalid_prices: a rendition unpriced or unknown, or priced below a lower one)'),
          403: problem('Not the owner, not an artist, or account_silenced'),
          404: problem('No such track'),
          409: problem('track_not_ready: a track is metered once transcoded'),
        },
      },
      delete: { tags: ['tracks'], summary: 'Delete a track and its files (owner or admin)', security: bearer, parameters: [pathParam('id', { type: 'string' }, 'Track id')], responses: { 204: { description: 'Deleted' }, 403: problem('Not the owner'), 404: problem('No such track') } },
    },
    '/api/v1/tracks/{id}/cover': {
      put: {
        tags: ['tracks'],
        summary: 'Set the cover art (owner or admin; JPEG, PNG or WebP body, at most 5 MiB)',
        security: bearer,
        parameters: [pathParam('id', { type: 'string' }, 'Track id')],
        requestBody: { required: true, content: { 'image/jpeg': {}, 'image/png': {}, 'image/webp': {} } },
        responses: { 200: json('The track', ref('Track')), 403: problem('Not the owner, not an artist, or account_silenced'), 404: problem('No such track'), 413: problem('Image too large'), 415: problem('Not a JPEG, PNG or WebP image') },
      },
    },
    '/api/v1/tracks/{id}/retranscode': {
      post: {
        tags: ['tracks'],
        summary: 'Transcode a ready or failed track again from its stored original (owner or admin); the track is `processing` until done',
        security: bearer,
        parameters: [pathParam('id', { type: 'string' }, 'Track id')],
        responses: { 202: json('The track, now processing', ref('Track')), 401: problem('Not signed in'), 403: problem('Not the owner'), 404: problem('No such track'), 409: problem('Already processing, or the original is gone') },
      },
    },
    '/api/v1/tracks/{id}/waveform': {
      get: {
        tags: ['tracks'],
        summary: 'Waveform peaks (0..1) for the player',
        parameters: [pathParam('id', { type: 'string' }, 'Track id')],
        responses: { 200: json('Peaks', ref('Waveform')), 404: problem('No such track or not ready') },
      },
    },
    '/api/v1/playlists': {
      post: {
        tags: ['playlists'],
        summary: "Create a playlist (signed-in user; optionally published by one of the user's channels)",
        security: bearer,
        requestBody: jsonBody({
          type: 'object',
          required: ['title'],
          additionalProperties: false,
          properties: {
            title: { type: 'string', minLength: 1, maxLength: 200 },
            description: { type: 'string', maxLength: 5000 },
            visibility: { enum: ['public', 'unlisted', 'private'], default: 'public' },
            channelId: { type: ['string', 'null'], format: 'uuid', description: 'A channel the user owns: the playlist is published (and federated) by it' },
          },
        }),
        responses: { 201: json('The playlist', ref('Playlist')), 400: problem('Invalid input or unknown channel'), 401: problem('Not signed in'), 403: problem('Not your channel, or account_silenced (a visible playlist)') },
      },
      get: {
        tags: ['playlists'],
        summary: 'Public playlists, optionally of one channel',
        parameters: [{ name: 'channel', in: 'query', description: 'Channel name or id', schema: { type: 'string' } }, ...pageParams],
        responses: { 200: json('Playlists', page(ref('Playlist'))) },
      },
    },
    '/api/v1/me/playlists': {
      get: { tags: ['playlists'], summary: "The signed-in user's playlists (every visibility)", security: bearer, parameters: pageParams, responses: { 200: json('Playlists', page(ref('Playlist'))), 401: problem('Not signed in') } },
    },
    '/api/v1/playlists/{id}': {
      get: {
        tags: ['playlists'],
        summary: 'A playlist with the ready tracks the viewer may see, in order (private: owner and admins only)',
        parameters: [pathParam('id', { type: 'string' }, 'Playlist id')],
        responses: { 200: json('The playlist', ref('Playlist')), 404: problem('No such playlist (or not yours to see)') },
      },
      patch: {
        tags: ['playlists'],
        summary: 'Edit title, description, visibility, or set the tracks in order (owner or admin)',
        security: bearer,
        parameters: [pathParam('id', { type: 'string' }, 'Playlist id')],
        requestBody: jsonBody({
          type: 'object',
          additionalProperties: false,
          properties: {
            title: { type: 'string', minLength: 1, maxLength: 200 },
            description: { type: 'string', maxLength: 5000 },
            visibility: { enum: [...visibilities] },
            trackIds: { type: 'array', maxItems: 1000, items: { type: 'string', format: 'uuid' }, description: 'The whole track list, in order; each must be ready and visible to the editor' },
          },
        }),
        responses: { 200: json('The playlist', ref('Playlist')), 400: problem('Invalid input or unusable tracks'), 403: problem('Not the owner, or account_silenced (a visible playlist)'), 404: problem('No such playlist') },
      },
      delete: { tags: ['playlists'], summary: 'Delete a playlist (owner or admin)', security: bearer, parameters: [pathParam('id', { type: 'string' }, 'Playlist id')], responses: { 204: { description: 'Deleted' }, 403: problem('Not the owner'), 404: problem('No such playlist') } },
    },
  },
  schemas: {
    Playlist: fields({
      id: { type: 'string', format: 'uuid' },
      title: { type: 'string' },
      description: { type: 'string' },
      visibility: { enum: [...visibilities] },
      channel: orNull(ref('ChannelRef'), 'The channel that publishes (and federates) it'),
      owner: fields({ id: { type: 'string', format: 'uuid' }, username: { type: 'string' } }),
      tracks: { type: 'array', items: ref('Track') },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
    }),
    Channel: fields({
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      displayName: { type: 'string' },
      description: { type: 'string' },
      ownerId: { type: 'string', format: 'uuid' },
      createdAt: { type: 'string', format: 'date-time' },
    }),
    ChannelPage: page(ref('Channel')),
    ChannelRef: fields({ id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, displayName: { type: 'string' } }, [], 'A channel as a track or playlist names it'),
    Loudness: fields({ integratedLufs: nullable('number'), truePeakDbtp: nullable('number'), lra: nullable('number') }, [], 'EBU R128 measurements of the original; null where the file has no audio'),
    Rendition: fields(
      {
        name: { type: 'string' },
        bitrateKbps: { type: 'integer' },
        height: { type: 'integer', description: 'Video renditions only' },
        playlistUrl: { type: 'string' },
        segmentHashesUrl: { type: 'string' },
        torrentUrl: { type: 'string' },
        magnetUri: { type: 'string' },
      },
      ['bitrateKbps', 'height'],
    ),
    Track: fields(
      {
        id: { type: 'string', format: 'uuid' },
        kind: { enum: ['audio', 'video'] },
        channel: ref('ChannelRef'),
        title: { type: 'string' },
        ...trackMetadata,
        hidden: { type: 'boolean', description: 'Hidden by a moderator: only its owner, admins and moderators see it, whatever its visibility (docs/moderation.md)' },
        access: ref('TrackAccess'),
        status: { enum: ['processing', 'ready', 'failed'] },
        progress: { type: 'integer', minimum: 0, maximum: 100 },
        failureReason: nullable('string'),
        durationSeconds: nullable('number'),
        loudness: ref('Loudness'),
        waveformUrl: nullable('string'),
        coverUrl: nullable('string'),
        downloadUrl: { type: 'string', description: 'When downloads are allowed and the track is ready' },
        progressive: orNull(ref('ProgressiveAudio'), 'An audio track as one audio/mp4 file (for apps that cannot play HLS); null unless it is ready, free and not private, and the file is made (never for video)'),
        streaming: fields({ masterPlaylistUrl: nullable('string'), renditions: { type: 'array', items: ref('Rendition') } }, [], 'HLS; empty until the track is ready'),
        createdAt: { type: 'string', format: 'date-time' },
        publishedAt: nullable('string'),
      },
      ['downloadUrl'],
    ),
    ProgressiveAudio: fields(
      {
        url: { type: 'string', description: 'GET with byte ranges (206); a play session as X-Play-Session or ?session= counts the bytes served like HLS segments' },
        mimeType: { type: 'string', example: 'audio/mp4' },
        bytes: { type: 'integer' },
        bitrateKbps: nullable('integer'),
      },
      [],
      'One AAC rendition of the ladder remuxed into a single progressive file (docs/decisions/0102)',
    ),
    TrackPage: page(ref('Track')),
    Album: fields({
      channel: fields({ id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, displayName: { type: 'string' } }),
      title: { type: 'string' }, tracks: { type: 'integer' }, durationSeconds: { type: 'integer' },
      coverUrl: nullable('string', { format: 'uri' }), publishedAt: { type: 'string', format: 'date-time' },
    }),
    AlbumDetail: { allOf: [ref('Album'), fields({ trackList: { type: 'array', items: ref('Track') } })] },
    TrackAccess: fields(
      { mode: { enum: [...accessModes] }, pricesPerMinute, currency: { type: 'string', description: "The node's currency (ISO 4217); prices are in its minor units" } },
      [],
      'Who may play the segments: free, subscribers only, or metered (subscribers free; everyone else pays per span, HTTP 402)',
    ),
    UploadProgress: fields(uploadProgress, ['trackId']),
    UploadStarted: fields({ ...uploadProgress, chunkSize: { type: 'integer', description: 'Send chunks of this many bytes (the last one may be shorter)' } }, ['trackId']),
    Waveform: fields({ peaks: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 } }, durationSeconds: { type: 'number' } }),
  },
};
