// The feeds' part of the OpenAPI description: RSS feeds, oEmbed and the embed pages (docs/feeds.md).
import { fields, json, pathParam, problem, str, int, type OpenApiFragment } from '../api/openapi-types.js';

const tags = ['feeds'];
const rss = (description: string) => ({
  description,
  headers: { ETag: { schema: str }, 'Last-Modified': { schema: str } },
  content: { 'application/rss+xml': { schema: { type: 'string', description: 'RSS 2.0 with the itunes and podcast (Podcasting 2.0) namespaces' } } },
});
const notModified = { description: 'Not modified: the If-None-Match / If-Modified-Since of the request still holds' };
const html = (description: string) => ({ description, content: { 'text/html': { schema: str } } });
const query = (name: string, schema: unknown, description: string, required = false) => ({ name, in: 'query', required, schema, description });

export const feedsOpenApi: OpenApiFragment = {
  tags: [{ name: 'feeds', description: 'What podcast apps and other sites read: RSS feeds with Podcasting 2.0 tags, oEmbed, embeddable players' }],
  schemas: {
    OEmbed: fields(
      {
        version: { type: 'string', enum: ['1.0'] },
        type: { type: 'string', enum: ['rich'] },
        title: str,
        author_name: str,
        author_url: str,
        provider_name: str,
        provider_url: str,
        cache_age: int,
        html: { type: 'string', description: 'An iframe of the embed page' },
        width: int,
        height: int,
        thumbnail_url: { type: 'string', description: 'The cover, when the track (or the channel’s newest track) has one' },
        thumbnail_width: int,
        thumbnail_height: int,
      },
      ['thumbnail_url', 'thumbnail_width', 'thumbnail_height'],
      'An oEmbed 1.0 answer (https://oembed.com)',
    ),
  },
  paths: {
    '/feeds/channels/{name}.rss': {
      get: {
        tags,
        summary: "A channel's feed: its newest ready, public, free tracks",
        parameters: [pathParam('name', str, "The channel's name")],
        responses: { 200: rss('The feed'), 304: notModified, 404: problem('No such channel') },
      },
    },
    '/feeds/playlists/{id}.rss': {
      get: {
        tags,
        summary: "A playlist's feed: its ready, public, free tracks in playlist order",
        parameters: [pathParam('id')],
        responses: { 200: rss('The feed'), 304: notModified, 404: problem('No such playlist, or a private one') },
      },
    },
    '/services/oembed': {
      get: {
        tags,
        summary: 'oEmbed for a track or channel page of this node',
        parameters: [
          query('url', str, 'A track page (/tracks/{id}) or channel page (/channels/{name}) of this node', true),
          query('format', { type: 'string', enum: ['json', 'xml'] }, 'json (xml answers 501)'),
          query('maxwidth', { type: 'integer', minimum: 1 }, 'The most width the html may take'),
          query('maxheight', { type: 'integer', minimum: 1 }, 'The most height the html may take'),
        ],
        responses: {
          200: json('The oEmbed answer', { $ref: '#/components/schemas/OEmbed' }),
          400: problem('No url'),
          404: problem('Not a track or channel page of this node, or nothing to show there'),
          501: problem('format=xml'),
        },
      },
    },
    '/embed/tracks/{id}': {
      get: {
        tags,
        summary: 'The embeddable player of a track (any site may frame it); a paid track shows a link to its page',
        parameters: [pathParam('id')],
        responses: { 200: html('The player page'), 404: problem('No such track, not ready, or private') },
      },
    },
    '/embed/channels/{name}': {
      get: {
        tags,
        summary: "The embeddable player of a channel: its newest ready, public, free tracks",
        parameters: [pathParam('name', str, "The channel's name")],
        responses: { 200: html('The player page'), 404: problem('No such channel') },
      },
    },
  },
};
