// Feeds routes: RSS per channel and playlist, oEmbed, the embed pages, and the track and channel
// pages with their discovery links (before the web client's catch-all in server/app.ts). Thin.
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { NodeContext } from '../context.js';
import { route } from '../http/errors.js';
import { isPublic } from '../accounts/middleware.js';
import type { FeedsService, RenderedFeed } from './service.js';
import { oembed, oembedQuery } from './oembed.js';
import { sendEmbedPage } from './embed-page.js';
import { pageWithLinks } from './discovery.js';

/**
 * Sends a feed with its validators: a strong ETag of the body, and Last-Modified from the newest
 * date it carries. Express answers 304 when the request's If-None-Match (or, without one,
 * If-Modified-Since) still holds.
 */
function sendFeed(req: Request, res: Response, feed: RenderedFeed): void {
  const etag = `"${createHash('sha256').update(feed.xml).digest('base64url').slice(0, 32)}"`;
  res.set({
    'Content-Type': 'application/rss+xml; charset=utf-8',
    ETag: etag,
    'Last-Modified': new Date(Math.floor(feed.updated.getTime() / 1000) * 1000).toUTCString(),
    'Cache-Control': 'public, max-age=300',
    'Access-Control-Allow-Origin': '*',
  });
  if (req.fresh) return void res.status(304).end();
  res.send(feed.xml);
}

export function feedsRoutes(ctx: NodeContext, feeds: FeedsService): Router {
  const r = Router();
  const origin = new URL(ctx.config.publicUrl).origin;

  r.get('/feeds/channels/:name.rss', isPublic, route(async (req, res) => sendFeed(req, res, await feeds.channelFeed(req.params.name))));
  r.get('/feeds/playlists/:id.rss', isPublic, route(async (req, res) => sendFeed(req, res, await feeds.playlistFeed(req.params.id))));

  r.get(
    '/services/oembed',
    isPublic,
    route(async (req, res) => {
      res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=300' });
      res.json(await oembed(feeds, oembedQuery.parse(req.query)));
    }),
  );

  r.get(
    '/embed/tracks/:id',
    isPublic,
    route(async (req, res) => {
      const track = await feeds.embeddableTrack(req.params.id);
      const page = feeds.trackPage(track.id);
      const paid = track.access.mode !== 'free';
      sendEmbedPage(
        res,
        {
          heading: track.title,
          link: feeds.channelPage(track.channel.name),
          nodeName: ctx.config.nodeName,
          tracks: paid ? [] : [track],
          trackPage: feeds.trackPage,
          list: false,
          ...(paid
            ? { notice: { text: track.access.mode === 'subscribers' ? 'This track is for subscribers.' : 'This track is paid as you play.', href: page, label: `Listen on ${ctx.config.nodeName}` } }
            : {}),
        },
        origin,
      );
    }),
  );

  r.get(
    '/embed/channels/:name',
    isPublic,
    route(async (req, res) => {
      const channel = await feeds.channel(req.params.name);
      const tracks = await feeds.channelTracks(channel, 50);
      sendEmbedPage(
        res,
        {
          heading: channel.displayName,
          link: feeds.channelPage(channel.name),
          nodeName: ctx.config.nodeName,
          tracks,
          trackPage: feeds.trackPage,
          list: true,
          ...(tracks.length ? {} : { notice: { text: 'Nothing to play here yet.', href: feeds.channelPage(channel.name), label: `See ${channel.displayName}` } }),
        },
        origin,
      );
    }),
  );

  // The web client's track and channel pages, with their discovery links (crawlers read no script).
  for (const [path, kind, param] of [
    ['/tracks/:id', 'tracks', 'id'],
    ['/channels/:name', 'channels', 'name'],
  ] as const) {
    r.get(
      path,
      isPublic,
      route(async (req, res, next) => {
        if (!req.accepts('html')) return next();
        const html = await pageWithLinks(feeds, kind, req.params[param]);
        if (html === undefined) return next();
        res.set('Content-Type', 'text/html; charset=utf-8').send(html);
      }),
    );
  }
  return r;
}
