import { bearer, dateTime, fields, json, jsonBody, nullable, pagingParams, problem, ref, str, uuid, type OpenApiFragment } from '../../api/openapi-types.js';
import { notificationKinds } from '../../events.js';
import { defaultPreferences } from './preferences.js';

const kind = { type: 'string', enum: [...notificationKinds] };
const channels = (description: string) => fields({ web: { type: 'boolean', description: 'Shown in the app (the bell)' }, email: { type: 'boolean', description: 'Sent by mail (when the node sends mail and the account has an address)' } }, [], description);
const defaults = notificationKinds.map((k) => `${k}: app ${defaultPreferences[k].web ? 'on' : 'off'}, mail ${defaultPreferences[k].email ? 'on' : 'off'}`).join('; ');
const perKind = (item: (k: string) => unknown, required: boolean) => ({
  type: 'object',
  ...(required ? { required: [...notificationKinds] } : {}),
  additionalProperties: false,
  properties: Object.fromEntries(notificationKinds.map((k) => [k, item(k)])),
});
const tags = ['notifications'];
const signedIn = { 401: problem('Not signed in') };

export const inboxOpenApi: OpenApiFragment = {
  tags: [{ name: 'notifications', description: 'In-app notifications (the bell) and, per kind, what also comes by mail' }],
  schemas: {
    InboxNotification: fields({
      id: uuid,
      kind: { ...kind, description: 'follower: a new follower of your channel; new-track: a followed channel published; tip; payout; dispute: opened or decided; live: a followed channel went live; report: your report was handled; account: your account' },
      title: str,
      body: nullable('string'),
      url: nullable('string', { description: 'Where it leads: a path of the web app (starting with one slash), or an absolute http(s) URL; null when none (or when what was told was neither)' }),
      read: { type: 'boolean' },
      readAt: nullable('string', { format: 'date-time' }),
      createdAt: dateTime,
    }),
    InboxPage: fields({
      total: { type: 'integer', description: 'Notifications matching the query, across all pages' },
      unread: { type: 'integer', description: 'Unread notifications in all' },
      data: { type: 'array', items: ref('InboxNotification') },
    }),
    UnreadCount: fields({ unread: { type: 'integer' } }),
    MarkRead: {
      description: 'Mark these notifications read (ids of others are ignored), or all of them',
      oneOf: [
        { type: 'object', required: ['ids'], additionalProperties: false, properties: { ids: { type: 'array', maxItems: 500, items: uuid, description: 'One to 500 ids' } } },
        { type: 'object', required: ['all'], additionalProperties: false, properties: { all: { const: true } } },
      ],
    },
    MarkedRead: fields({ marked: { type: 'integer', description: 'How many were unread and are read now' }, unread: { type: 'integer' } }),
    NotificationChannels: channels('Where one kind of notification reaches you'),
    NotificationSettings: fields({
      mailEnabled: { type: 'boolean', description: 'Whether this node sends mail at all; when false, only the app shows notifications' },
      mailAddress: nullable('string', { description: 'Where notification mail goes: null when the account has no address (or, where the node requires verification, no verified one)' }),
      settings: { ...perKind(() => ref('NotificationChannels'), true), description: `Per kind. Defaults: ${defaults}` },
    }),
    NotificationSettingsChange: {
      type: 'object',
      required: ['settings'],
      additionalProperties: false,
      properties: {
        settings: { ...perKind(() => ({ type: 'object', additionalProperties: false, properties: { web: { type: 'boolean' }, email: { type: 'boolean' } } }), false), description: 'Only the kinds and channels to change' },
      },
    },
  },
  paths: {
    '/api/v1/me/notifications': {
      get: {
        tags,
        summary: 'My notifications, newest first (or unread first), with the unread count',
        security: bearer,
        parameters: [
          ...pagingParams(20, 100),
          { name: 'order', in: 'query', schema: { type: 'string', enum: ['newest', 'unread'], default: 'newest' } },
          { name: 'unread', in: 'query', description: 'Only unread ones', schema: { type: 'string', enum: ['true', 'false'], default: 'false' } },
        ],
        responses: { 200: json('A page of notifications', ref('InboxPage')), 400: problem('Invalid query'), ...signedIn },
      },
    },
    '/api/v1/me/notifications/unread-count': {
      get: {
        tags,
        summary: 'How many notifications are unread (the bell)',
        security: bearer,
        responses: { 200: json('The unread count', ref('UnreadCount')), ...signedIn },
      },
    },
    '/api/v1/me/notifications/read': {
      post: {
        tags,
        summary: 'Mark notifications read: some by id, or all',
        security: bearer,
        requestBody: jsonBody(ref('MarkRead')),
        responses: { 200: json('Marked', ref('MarkedRead')), 400: problem('Invalid input'), ...signedIn },
      },
    },
    '/api/v1/me/notification-settings': {
      get: {
        tags,
        summary: 'Per kind of notification: shown in the app, sent by mail; and whether this node sends mail',
        security: bearer,
        responses: { 200: json('My settings', ref('NotificationSettings')), ...signedIn },
      },
      put: {
        tags,
        summary: 'Change some kinds: app and/or mail on or off (the kinds not named stay as they are)',
        security: bearer,
        requestBody: jsonBody(ref('NotificationSettingsChange')),
        responses: { 200: json('My settings, changed', ref('NotificationSettings')), 400: problem('Invalid input'), ...signedIn },
      },
    },
  },
};
