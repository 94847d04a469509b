// The live part of the OpenAPI description. HLS is served outside /api: /live-hls/{id}/master.m3u8,
// /live-hls/{id}/{rendition}/index.m3u8, /live-hls/{id}/{rendition}/{seq}.ts and
// /live-hls/{id}/{rendition}/hashes.json (docs/live.md).
import { bearer, fields, json, jsonBody, nullable, orNull, pathParam, problem, ref, type OpenApiFragment } from '../api/openapi-types.js';

const channelParam = pathParam('channel', { type: 'string' }, 'The channel id or name');

const view = fields({
  id: { type: 'string', format: 'uuid' },
  title: { type: 'string' },
  state: { type: 'string', enum: ['starting', 'live', 'reconnecting', 'ended'], description: 'starting: connected, no segment yet; reconnecting: the publisher dropped and may come back within the grace' },
  channel: fields({ id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, displayName: { type: 'string' }, uri: { type: 'string', format: 'uri' } }),
  createdAt: { type: 'string', format: 'date-time' },
  startedAt: nullable('string', { format: 'date-time' }),
  endedAt: nullable('string', { format: 'date-time' }),
  endReason: nullable('string', { description: 'publisher_stopped, publisher_disconnected, stopped_by_owner, stopped_by_admin, account_restricted, max_duration, stalled, bitrate_exceeded, overloaded, transcoder_failed, transcoder_stalled, unsupported_codec, no_audio, no_media, node_stopping, node_restarted' }),
  endMessage: nullable('string'),
  viewers: nullable('integer', { description: 'Watching now (null when another process of the node runs the stream)' }),
  peakViewers: { type: 'integer' },
  renditions: { type: 'array', items: fields({ name: { type: 'string' }, kind: { type: 'string', enum: ['audio', 'video'] }, height: nullable('integer'), bitrateKbps: { type: 'integer' } }) },
  playlistUrl: { type: 'string', format: 'uri' },
  audioPlaylistUrl: { type: 'string', format: 'uri', description: 'The audio-only rendition, for players with no video' },
  pageUrl: { type: 'string', format: 'uri' },
  replayTrackId: nullable('string', { format: 'uuid', description: 'The track the recording became (channels that keep replays)' }),
  replayError: nullable('string'),
  price: ref('LivePrice'),
  segmentSeconds: { type: 'integer', description: "The segment length: a segment's place on the stream's timeline is its sequence number times this (listening reports positions on it)" },
});

const health = fields({
  state: { type: 'string' },
  connected: { type: 'boolean' },
  startedAt: nullable('string', { format: 'date-time' }),
  uptimeSeconds: { type: 'integer' },
  inputKbps: { type: 'integer', description: 'Input bitrate, the last 5 s' },
  fps: { type: 'number', description: 'Video frames per second received, the last 5 s' },
  droppedFrames: { type: 'integer' },
  speed: nullable('number', { description: "ffmpeg's speed (1 = real time)" }),
  backlogBytes: { type: 'integer', description: 'Media waiting for the transcoder' },
  viewers: { type: 'integer' },
  peakViewers: { type: 'integer' },
  parts: { type: 'integer', description: 'Connections so far (a reconnect within the grace adds one)' },
  renditions: { type: 'array', items: { type: 'string' } },
  source: { type: 'object', description: 'What the publisher declared: width, height, frameRate, videoCodec, audioCodec' },
});

const ingest = fields({
  enabled: { type: 'boolean' },
  listening: { type: 'boolean', description: 'False when the RTMP port could not be opened (see the log)' },
  port: nullable('integer'),
  server: { type: 'string', description: 'The RTMP URL to push to (the stream key goes after it)' },
  liveNow: { type: 'integer' },
  maxConcurrentStreams: { type: 'integer' },
});

export const liveOpenApi: OpenApiFragment = {
  tags: [{ name: 'live', description: 'Live streams: RTMP ingest, live HLS (audio-only rendition always), health, events. HLS under /live-hls/{id}/ (master.m3u8, {rendition}/index.m3u8, {rendition}/{seq}.ts, {rendition}/hashes.json).' }],
  schemas: {
    LivePrice: fields({
      pricePerMinute: { type: 'integer', description: 'Minor units per minute watched after the free minutes; 0: free' },
      freeMinutes: { type: 'number', description: 'Minutes each viewer watches free (a signed-in user, or else the client network)' },
      subscriberDiscountPercent: { type: 'integer', description: 'Off the price for subscribers (100: they watch free)' },
      currency: { type: 'string' },
    }),
    LiveAccess: fields({
      streamId: { type: 'string', format: 'uuid' },
      free: { type: 'boolean', description: 'Free for this viewer (a free stream, their own, or a subscriber with all of the price off)' },
      currency: { type: 'string' },
      pricePerMinute: { type: 'integer' },
      yourPricePerMinute: { type: 'integer', description: "What this viewer pays per minute (a subscriber's discount applied)" },
      freeMinutes: { type: 'number' },
      freeSecondsLeft: { type: 'integer', description: "Of this viewer's free minutes, at the live edge" },
      subscriberDiscountPercent: { type: 'integer' },
      watchStream: orNull(ref('PaymentStream')),
    }),
    LiveWatch: fields({
      streamId: { type: 'string', format: 'uuid' },
      pricePerMinute: { type: 'integer' },
      open: { type: 'boolean' },
      paymentStream: ref('PaymentStream'),
    }),
    WatchLink: fields({
      code: { type: 'string' },
      url: { type: 'string', format: 'uri', description: 'The page that opens it (/watch/{code})' },
      channel: fields({ id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, displayName: { type: 'string' } }),
      streamId: nullable('string', { format: 'uuid', description: 'The one stream it is for (null: any stream of the channel)' }),
      liveStreamId: nullable('string', { format: 'uuid', description: 'Where it plays now (null: not live)' }),
      amount: { type: 'integer', description: 'The credit it was made with (minor units)' },
      credit: { type: 'integer', description: 'What is left of it' },
      currency: { type: 'string' },
      message: nullable('string'),
      fundedFrom: { type: 'string', enum: ['wallet', 'node'] },
      status: { type: 'string', enum: ['open', 'opened', 'claimed'], description: 'open: nobody opened it yet; opened: a guest watches on it; claimed: the guest made the account theirs' },
      createdAt: { type: 'string', format: 'date-time' },
      openedAt: nullable('string', { format: 'date-time' }),
    }),
    WatchLinkCreated: fields({
      link: ref('WatchLink'),
      qr: fields({ svg: { type: 'string' }, png: { type: 'string', description: 'A data: URL' } }),
    }),
    WatchLinkOpened: fields({
      link: ref('WatchLink'),
      guest: orNull(fields({ user: ref('User'), tokens: ref('TokenPair') })),
    }),
    NewWatchLink: {
      type: 'object',
      additionalProperties: false,
      required: ['amount'],
      properties: {
        amount: { type: 'integer', minimum: 1, description: 'Credit, minor units, from your wallet (or the node: fundFrom node, admins)' },
        streamId: { type: 'string', format: 'uuid', description: 'Only this stream (else any stream of the channel)' },
        message: { type: 'string', maxLength: 300 },
        fundFrom: { type: 'string', enum: ['wallet', 'node'] },
      },
    },
    LiveOfferRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['rendition', 'fromSeq'],
      properties: {
        rendition: { type: 'string' },
        fromSeq: { type: 'integer', minimum: 0, description: 'A segment sequence number: the span starts at the minute holding it' },
        minutes: { type: 'integer', minimum: 1, maximum: 60, default: 1 },
      },
    },
    LiveStream: view,
    LiveHealth: health,
    LiveIngest: ingest,
    LiveDirectory: fields({
      local: { type: 'array', items: ref('LiveStream') },
      remote: {
        type: 'array',
        description: 'Followed channels on other nodes that announced a live stream (Stream activities)',
        items: fields({
          uri: { type: 'string' }, actorUri: { type: 'string' }, channel: { type: 'string' }, channelName: { type: 'string' }, title: { type: 'string' },
          url: nullable('string', { description: 'The stream page on its home node' }), startedAt: { type: 'string', format: 'date-time' },
          watchId: { type: 'string', description: 'Its id for watching here (/live/remote/{watchId} in the web app)' },
          playlistUrl: nullable('string', { description: "This node's copy of its HLS (segments checked against the home node's hashes); null when the start carried no playlist" }),
          audioPlaylistUrl: nullable('string', { description: 'The audio-only rendition through this node' }),
        }),
      },
    }),
    ChannelLive: fields({
      channel: fields({ id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, displayName: { type: 'string' } }),
      hasKey: { type: 'boolean' },
      keyHint: nullable('string', { description: 'The last four characters of the stream key' }),
      keyCreatedAt: nullable('string', { format: 'date-time' }),
      title: nullable('string'),
      keepReplays: { type: 'boolean' },
      price: ref('LivePrice'),
      server: { type: 'string' },
      ingest: ref('LiveIngest'),
      current: orNull(ref('LiveStream')),
      health: orNull(ref('LiveHealth')),
      recent: { type: 'array', items: ref('LiveStream') },
    }),
    StreamKey: fields({
      key: { type: 'string', description: 'Shown this once; stored only as a hash' },
      keyHint: { type: 'string' },
      server: { type: 'string', description: 'OBS "Server"' },
      url: { type: 'string', description: 'Server and key in one URL (ffmpeg)' },
    }),
    LiveChoices: {
      type: 'object',
      additionalProperties: false,
      properties: {
        title: { type: ['string', 'null'], minLength: 1, maxLength: 200, description: "The next streams' title (null: the channel's name)" },
        keepReplays: { type: 'boolean', description: 'Turn each ended stream into a track' },
        pricePerMinute: { type: 'integer', minimum: 0, maximum: 1000000, description: 'Minor units per minute after the free minutes; 0: free. A stream keeps the price it started with.' },
        freeMinutes: { type: 'number', minimum: 0, maximum: 120, description: 'Minutes each viewer watches free (two decimals)' },
        subscriberDiscountPercent: { type: 'integer', minimum: 0, maximum: 100, description: 'Off the price for subscribers (100: they watch free)' },
      },
    },
  },
  paths: {
    '/api/v1/live': {
      get: { tags: ['live'], summary: 'Streams live now: this node, and followed channels on other nodes', responses: { 200: json('The directory', ref('LiveDirectory')) } },
    },
    '/api/v1/live/ingest': {
      get: { tags: ['live'], summary: "The node's RTMP ingest: where to push, whether it listens, how many streams run", responses: { 200: json('The ingest', ref('LiveIngest')) } },
    },
    '/api/v1/live/streams/{id}': {
      get: {
        tags: ['live'],
        summary: 'A live stream (live now or past)',
        parameters: [pathParam('id')],
        responses: { 200: json('The stream', ref('LiveStream')), 404: problem('No such stream') },
      },
    },
    '/api/v1/live/streams/{id}/events': {
      get: {
        tags: ['live'],
        summary: 'Server-sent events of a stream: `state` ({state, reason?, message?}), `viewers` ({now, peak}), `tip` ({amount, currency, message, from, at})',
        parameters: [pathParam('id')],
        responses: {
          200: { description: 'An event stream (text/event-stream); ends when the stream ends', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          404: problem('No such stream'),
          429: problem('Too many event streams open from this address'),
        },
      },
    },
    '/api/v1/live/streams/{id}/access': {
      get: {
        tags: ['live'],
        summary: "What watching costs this viewer: the price, free minutes left, their open watch stream",
        parameters: [pathParam('id')],
        responses: { 200: json('The viewer\'s access', ref('LiveAccess')), 404: problem('No such stream') },
      },
    },
    '/api/v1/live/streams/{id}/watch-stream': {
      post: {
        tags: ['live'],
        summary: 'Pay as you watch: open a rate stream from your wallet to the artist at the price per minute (not cancelable: stop it here); the node closes it when you stop being served (or the stream ends), so you pay the seconds watched. One per viewer and stream: asking again answers the open one',
        security: bearer,
        parameters: [pathParam('id')],
        responses: {
          201: json('Opened', ref('LiveWatch')), 200: json('Already open', ref('LiveWatch')), 400: problem('invalid_recipient (your own stream)'), 401: problem('Not signed in'),
          402: problem('insufficient_funds: the wallet holds less than 2.5 minutes of watching'), 404: problem('No such stream'),
          409: problem('stream_ended, stream_free, subscriber_plays_free, watches_free (admins), watch_stream_opening (another request is opening it)'),
        },
      },
      delete: {
        tags: ['live'],
        summary: 'Stop your watch stream now: the artist gets what streamed, the rest returns to your wallet',
        security: bearer,
        parameters: [pathParam('id')],
        responses: { 200: json('Closed', ref('LiveWatch')), 401: problem('Not signed in'), 404: problem('No open watch stream') },
      },
    },
    '/api/v1/live/streams/{id}/offers': {
      post: {
        tags: ['live'],
        summary: 'Buy minutes of a priced live stream as L402 credentials: an invoice to pay with POST /api/v1/metered/pay (a subscriber\'s discount applied; that invoice only they may pay)',
        security: bearer,
        parameters: [pathParam('id')],
        requestBody: jsonBody(ref('LiveOfferRequest')),
        responses: {
          200: json('The offer', ref('MeteredOffer')), 400: problem('invalid_span (also more than an hour past the live edge), invalid_rendition, invalid_recipient (your own stream)'), 401: problem('Not signed in'),
          404: problem('No such stream'), 409: problem('stream_ended, stream_free, subscriber_plays_free, watches_free (admins)'),
        },
      },
    },
    '/api/v1/channels/{channel}/live/watch-links': {
      post: {
        tags: ['live'],
        summary: "A pre-funded watch link (and its QR code) for the channel's live streams: the first to open it watches on its credit as a guest, no sign-up (owner or admin)",
        security: bearer,
        parameters: [channelParam, { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } }],
        requestBody: jsonBody(ref('NewWatchLink')),
        responses: {
          201: json('Made', ref('WatchLinkCreated')), 200: json('The same Idempotency-Key: the same link', ref('WatchLinkCreated')), 400: problem('Invalid input'), 401: problem('Not signed in'),
          402: problem('insufficient_funds'), 403: problem('Not the owner; fundFrom node is for admins'), 404: problem('No such channel or stream'), 409: problem('stream_ended'),
        },
      },
      get: {
        tags: ['live'],
        summary: "The channel's watch links, with the credit left on each (owner or admin)",
        security: bearer,
        parameters: [channelParam],
        responses: { 200: json('Links', { type: 'array', items: ref('WatchLink') }), 401: problem('Not signed in'), 403: problem('Not the owner'), 404: problem('No such channel') },
      },
    },
    '/api/v1/live/watch-links/{code}': {
      get: {
        tags: ['live'],
        summary: 'What a watch link offers: the channel, where it plays now, the credit left',
        parameters: [pathParam('code', { type: 'string' })],
        responses: { 200: json('The link', ref('WatchLink')), 404: problem('No such link') },
      },
    },
    '/api/v1/live/watch-links/{code}/open': {
      post: {
        tags: ['live'],
        summary: 'Open a watch link: the first visitor gets a guest account, signed in (its tokens), watching on the credit; the guest it made may open it again',
        parameters: [pathParam('code', { type: 'string' })],
        responses: { 200: json('Opened', ref('WatchLinkOpened')), 404: problem('No such link'), 410: problem('watch_link_used'), 429: problem('too_many_watch_links') },
      },
    },
    '/api/v1/channels/{channel}/live': {
      get: {
        tags: ['live'],
        summary: "The channel's live settings, current stream with its health, and recent streams (owner or admin)",
        security: bearer,
        parameters: [channelParam],
        responses: { 200: json('Live settings and state', ref('ChannelLive')), 401: problem('Not signed in'), 403: problem('Not the owner'), 404: problem('No such channel') },
      },
      patch: {
        tags: ['live'],
        summary: "Set the channel's live title, whether streams are kept as tracks, and the price: per minute, free minutes per viewer, subscribers' discount (a running stream keeps the price it started with)",
        security: bearer,
        parameters: [channelParam],
        requestBody: jsonBody(ref('LiveChoices')),
        responses: { 200: json('Live settings and state', ref('ChannelLive')), 400: problem('Invalid input'), 401: problem('Not signed in'), 403: problem('Not the owner'), 404: problem('No such channel') },
      },
    },
    '/api/v1/channels/{channel}/live/key': {
      post: {
        tags: ['live'],
        summary: 'A new stream key, shown once (the previous key stops working; a stream running now goes on)',
        security: bearer,
        parameters: [channelParam],
        responses: { 201: json('The key', ref('StreamKey')), 401: problem('Not signed in'), 403: problem('Not the owner'), 404: problem('No such channel') },
      },
      delete: {
        tags: ['live'],
        summary: 'Revoke the stream key (no push is accepted until a new one is made)',
        security: bearer,
        parameters: [channelParam],
        responses: { 204: { description: 'Revoked' }, 401: problem('Not signed in'), 403: problem('Not the owner'), 404: problem('No such channel') },
      },
    },
    '/api/v1/channels/{channel}/live/stop': {
      post: {
        tags: ['live'],
        summary: "End the channel's live stream now (owner or admin)",
        security: bearer,
        parameters: [channelParam],
        responses: { 200: json('The ended stream', ref('LiveStream')), 401: problem('Not signed in'), 403: problem('Not the owner'), 404: problem('No such channel'), 409: problem('The channel is not live') },
      },
    },
  },
};
