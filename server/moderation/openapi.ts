// The moderation part of the API description: reporting (any signed-in user), my reports, and
// the queue, actions, direct measures and log for moderators and admins.
import {
  bearer, dateTime, fields, json, jsonBody, nullable, orNull, page, pagingParams, pathParam, problem, ref, str, uuid, type OpenApiFragment,
} from '../api/openapi-types.js';
import { actions, categories, outcomes, reportActions, targetKinds } from './model.js';

const tags = ['moderation'];
/** One operation of this fragment (all need a bearer token). */
const op = (summary: string, responses: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ tags, summary, security: bearer, ...more, responses });
const id = pathParam('id');
const mod = { 401: problem('Not signed in'), 403: problem('Not a moderator or admin') };
const note = { type: 'string', minLength: 1, maxLength: 2000, description: 'Why: kept in the moderation log (not shown to the reporter or the account concerned)' };

const target = fields(
  {
    kind: { enum: [...targetKinds] },
    uri: { type: 'string', description: 'Its ActivityPub URI' },
    id: nullable('string', { description: "This node's id of it (track, channel or playlist id, account id); null for another server's" }),
    name: nullable('string', { description: 'Its name when it was reported' }),
    host: nullable('string', { description: 'The server it is on; null: this node' }),
    actorUri: nullable('string', { description: 'The actor it belongs to (itself for an account or channel)' }),
  },
  [],
  'What a report is about',
);

const reportBase = {
  id: uuid,
  target: ref('ReportTarget'),
  category: { enum: [...categories] },
  reason: str,
  state: { enum: ['open', 'resolved', 'dismissed'] },
  outcome: orNull({ enum: [...outcomes] }, 'The action that closed it'),
  forwarded: { type: 'boolean', description: "Sent on to the other server's moderators as a Flag" },
  createdAt: dateTime,
  resolvedAt: nullable('string', { format: 'date-time' }),
};

const account = fields({ id: uuid, username: str });

const logEntry = fields({
  id: uuid,
  createdAt: dateTime,
  moderator: account,
  action: { enum: [...actions] },
  reportId: nullable('string', { format: 'uuid' }),
  target: fields({ kind: { enum: ['track', 'account', 'actor', 'domain', 'channel', 'playlist'] }, ref: { type: 'string', description: 'A track or account id, an actor URI or a domain' }, name: nullable('string') }),
  note: str,
  details: { type: 'object', description: 'What the action did beyond its name (the Flag sent and how many inboxes it went to; changed: false when the measure was in place already; error: why it failed)' },
  state: {
    enum: ['pending', 'done', 'failed'],
    description: 'pending: written before its measure, not yet confirmed (it stays so if the node failed in between: check the target); done: taken; failed: not taken',
  },
});

const standing = fields(
  { id: uuid, username: str, role: str, suspended: { type: 'boolean' }, silenced: { type: 'boolean' } },
  [],
  "A local account's standing",
);

const reportId = { type: 'string', format: 'uuid', description: 'The report this settles, when there is one (it is logged with it; it is not closed by this)' };

export const moderationOpenApi: OpenApiFragment = {
  tags: [{ name: 'moderation', description: 'Reports of tracks, channels, playlists and accounts (from users and, as Flags, from other servers), the moderators\' queue, their measures and the moderation log' }],
  schemas: {
    ReportTarget: target,
    NewReport: {
      type: 'object',
      required: ['target', 'category', 'reason'],
      properties: {
        target: {
          description: "A local object by kind and id (a channel or account may go by name), or anything by its ActivityPub URI (another server's track, channel, playlist or account)",
          oneOf: [
            { type: 'object', required: ['kind', 'id'], properties: { kind: { enum: [...targetKinds] }, id: { type: 'string', maxLength: 200 } }, additionalProperties: false },
            { type: 'object', required: ['uri'], properties: { uri: { type: 'string', format: 'uri', maxLength: 2048 } }, additionalProperties: false },
          ],
        },
        category: { enum: [...categories] },
        reason: { type: 'string', minLength: 3, maxLength: 3000 },
      },
    },
    MyReport: fields(reportBase, [], 'A report as its reporter sees it'),
    MyReportPage: page(ref('MyReport')),
    ModerationReport: fields(
      {
        ...reportBase,
        reporter: fields(
          { kind: { enum: ['local', 'remote'] }, id: nullable('string', { format: 'uuid' }), username: nullable('string'), actorUri: nullable('string') },
          [],
          'A user of this node, or the remote actor that sent the Flag',
        ),
        relatedUris: { type: 'array', items: str, description: 'Other objects of this node the Flag named' },
        resolvedBy: orNull(account),
        forwardedAt: nullable('string', { format: 'date-time' }),
        forwardedFlagUri: nullable('string'),
      },
      [],
      'A report in the moderators\' queue',
    ),
    ModerationReportPage: page(ref('ModerationReport')),
    ModerationReportDetail: {
      allOf: [
        ref('ModerationReport'),
        fields({
          targetStatus: fields(
            {
              exists: { type: 'boolean', description: 'False when the local object is gone' },
              hidden: nullable('boolean', { description: 'Tracks of this node: hidden by a moderator' }),
              owner: orNull(ref('AccountStanding'), 'The local account it belongs to'),
            },
            [],
            'How the target is now',
          ),
          log: { type: 'array', items: ref('ModerationLogEntry'), description: 'What moderators did about it, oldest first' },
        }),
      ],
    },
    ModerationAction: {
      type: 'object',
      required: ['action', 'note'],
      properties: {
        action: {
          enum: [...reportActions],
          description:
            'dismiss: no action; hide-track: a track of this node; suspend, silence: the local account the target belongs to; block-actor, block-domain: the remote actor or its server; forward: a Flag to the remote server (the report stays as it is). All but forward close the report.',
        },
        note,
      },
    },
    ModerationActionResult: fields({ report: ref('ModerationReport'), entry: ref('ModerationLogEntry') }),
    ModerationLogEntry: logEntry,
    ModerationLogPage: page(ref('ModerationLogEntry')),
    AccountStanding: standing,
    TrackHiddenChange: { type: 'object', required: ['hidden', 'note'], properties: { hidden: { type: 'boolean' }, note, reportId } },
    TrackHiddenResult: fields({ trackId: uuid, title: str, hidden: { type: 'boolean' }, entry: ref('ModerationLogEntry') }),
    AccountStandingChange: {
      type: 'object',
      required: ['note'],
      properties: { suspended: { type: 'boolean', description: 'Cannot sign in; its sessions end' }, silenced: { type: 'boolean', description: 'Signs in and listens, publishes nothing' }, note, reportId },
    },
    AccountStandingResult: fields({ account: ref('AccountStanding'), entries: { type: 'array', items: ref('ModerationLogEntry') } }),
  },
  paths: {
    '/api/v1/reports': {
      post: op('Report a track, channel, playlist or account (of this node or another) to the moderators', {
        201: json('Reported', ref('MyReport')),
        200: json('You reported this already and it is still open: the same report', ref('MyReport')),
        400: problem('Invalid input'),
        401: problem('Not signed in'),
        404: problem('No such object, or not one you may see'),
        422: problem('The URI names nothing that can be reported (unreachable, or not a track, channel, playlist or account)'),
        429: problem("Too many reports (or lookups of another server's objects) in the last hour (Retry-After says when)"),
      }, { requestBody: jsonBody(ref('NewReport')) }),
    },
    '/api/v1/me/reports': {
      get: op('My reports, newest first, with what came of them', { 200: json('My reports', ref('MyReportPage')), 400: problem('Invalid paging'), 401: problem('Not signed in') }, { parameters: pagingParams(50, 200) }),
    },
    '/api/v1/admin/moderation/reports': {
      get: op("The queue: reports, newest first (a moderator does not see those about a moderator's or an admin's account or what they own)", { 200: json('Reports', ref('ModerationReportPage')), 400: problem('Invalid query'), ...mod }, {
        parameters: [{ name: 'state', in: 'query', schema: { enum: ['open', 'closed', 'all'], default: 'open' } }, ...pagingParams(50, 200)],
      }),
    },
    '/api/v1/admin/moderation/reports/{id}': {
      get: op('A report, how its target is now, and what moderators did about it', { 200: json('The report', ref('ModerationReportDetail')), ...mod, 404: problem("No such report (for a moderator: also one about a moderator's or an admin's account or what they own)") }, { parameters: [id] }),
    },
    '/api/v1/admin/moderation/reports/{id}/actions': {
      post: op('Act on a report, with a note (logged)', {
        200: json('Done and logged', ref('ModerationActionResult')),
        400: problem('Invalid input, or an action that does not fit the target (hide-track on an account, block on a local object, ...)'),
        401: problem('Not signed in'),
        403: problem("Not a moderator or admin; a report about yourself or what you own; about a moderator's or an admin's account or what they own, unless you are an admin; suspend or silence an admin"),
        404: problem('No such report, or its target is gone'),
        409: problem('The report is closed already (another moderator acted first), or forwarded already'),
        502: problem('Forward: the other server has no inbox this node can reach'),
      }, { parameters: [id], requestBody: jsonBody(ref('ModerationAction')) }),
    },
    '/api/v1/admin/moderation/tracks/{id}/hidden': {
      put: op('Hide a track of this node (only its owner, admins and moderators see it) or show it again, with a note (logged)', {
        200: json('Done and logged', ref('TrackHiddenResult')),
        400: problem('Invalid input'),
        401: problem('Not signed in'),
        403: problem("Not a moderator or admin; your own track; a moderator's or an admin's track, unless you are an admin"),
        404: problem('No such track (or report)'),
        409: problem('nothing_to_change: the track is hidden (or shown) already'),
      }, { parameters: [id], requestBody: jsonBody(ref('TrackHiddenChange')) }),
    },
    '/api/v1/admin/moderation/accounts/{id}/standing': {
      put: op('Suspend or silence a local account, or lift that, with a note (one log entry per change asked)', {
        200: json('Done and logged', ref('AccountStandingResult')),
        400: problem('Invalid input'),
        401: problem('Not signed in'),
        403: problem("Not a moderator or admin; an admin's account (or your own); a moderator's account, unless you are an admin"),
        404: problem('No such account (or report)'),
        409: problem('nothing_to_change: the account is so already'),
      }, { parameters: [id], requestBody: jsonBody(ref('AccountStandingChange')) }),
    },
    '/api/v1/admin/moderation/log': {
      get: op('The moderation log: every action, who took it, on what, and why; newest first (moderators see no entries about staff or themselves)', { 200: json('Entries', ref('ModerationLogPage')), 400: problem('Invalid query'), 404: problem('reportId names a report this moderator does not see (about staff or themselves)'), ...mod }, {
        parameters: [
          { name: 'reportId', in: 'query', schema: uuid },
          { name: 'target', in: 'query', description: 'A track or account id, an actor URI or a domain', schema: { type: 'string', maxLength: 2048 } },
          ...pagingParams(50, 200),
        ],
      }),
    },
  },
};
