// The ActivityPub surface: actors, their paged collections (outbox, followers, following,
// liked), track / playlist / activity objects, and the inboxes (personal and shared).
import express, { Router, type Request, type Response } from 'express';
import { isPublic } from '../../accounts/middleware.js';
import { route } from '../../http/errors.js';
import { select, selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { LocalActor } from '../actors.js';
import { ACTIVITY_JSON, documentContext } from '../vocabulary.js';
import { trackObject, playlistObject, playlistViewOf } from '../objects.js';
import { isFederatedTrack } from '../send/send-create.js';
import { campaignObject } from '../campaigns.js';
import { isUuid } from '../../../shared/ids.js';
import { deletedActor } from '../account-data.js';

const PAGE_SIZE = 20;

/**
 * An activity of `o` (federation_outbox) that no later Delete of its object took back: a
 * deleted or hidden track's Create is not served, while the Create that brought it back (a
 * track shown or made public again) is.
 */
const notDeleted = `NOT EXISTS (
  SELECT 1 FROM federation_outbox d WHERE d.actor_uri = o.actor_uri AND d.type = 'Delete' AND d.object_uri = o.object_uri AND o.type <> 'Delete' AND d.created_at > o.created_at)`;
/** Not sent by a deleted account's or channel's actor (their Deletes excepted). */
const notFromTombstone = `(o.type = 'Delete' OR NOT EXISTS (SELECT 1 FROM federation_local_actors a WHERE a.uri = o.actor_uri AND a.deleted_at IS NOT NULL))`;

function sendAp(res: Response, doc: unknown, maxAge = 60) {
  res.status(200).type(ACTIVITY_JSON).set('Cache-Control', `public, max-age=${maxAge}`).set('Vary', 'Accept').send(JSON.stringify(doc));
}
function notFound(res: Response, what = 'Not found') {
  res.status(404).type('application/problem+json').send(JSON.stringify({ type: 'urn:9ten:problem:not_found', title: 'Not Found', status: 404, code: 'not_found', detail: what }));
}

/** One page of an ordered collection (page >= 1), or the collection itself with `first`. */
async function collection(
  res: Response,
  req: Request,
  id: string,
  count: () => Promise<number>,
  page: (limit: number, offset: number) => Promise<unknown[]>,
) {
  const total = await count();
  const p = Number(req.query.page);
  if (!req.query.page || !Number.isInteger(p) || p < 1) {
    return sendAp(res, { '@context': documentContext, id, type: 'OrderedCollection', totalItems: total, first: `${id}?page=1`, last: `${id}?page=${Math.max(1, Math.ceil(total / PAGE_SIZE))}` });
  }
  const items = await page(PAGE_SIZE, (p - 1) * PAGE_SIZE);
  sendAp(res, {
    '@context': documentContext,
    id: `${id}?page=${p}`,
    type: 'OrderedCollectionPage',
    partOf: id,
    totalItems: total,
    orderedItems: items,
    ...(p * PAGE_SIZE < total ? { next: `${id}?page=${p + 1}` } : {}),
    ...(p > 1 ? { prev: `${id}?page=${p - 1}` } : {}),
  });
}

export function activityPubRoutes(svc: FederationService): Router {
  const r = Router();
  const rt = svc.rt;

  async function actorFrom(req: Request): Promise<LocalActor | undefined> {
    const kind = req.params.kind as string | undefined;
    if (!kind) return svc.actors.ensureInstance();
    const name = String(req.params.name);
    // A deleted account's or channel's actor: served while its Delete is on its way, then gone.
    const deleted = await deletedActor(svc, kind, name);
    if (deleted) return deleted.tombstone ? undefined : deleted.actor;
    if (kind === 'users') {
      const user = await rt.ctx.services.accounts.byUsername(name);
      // A guest's name is a placeholder until they claim the account: no actor until then.
      if (!user || user.disabled || user.guest) return undefined;
      return svc.actors.ensure('user', user.username, user.id);
    }
    if (kind === 'channels') return svc.actors.forChannel(name);
    return undefined;
  }

  const actorPaths = ['/ap/actor', '/ap/:kind(users|channels)/:name'];

  for (const base of actorPaths) {
    r.get(
      base,
      isPublic,
      route(async (req, res) => {
        const gone = req.params.kind ? (await deletedActor(svc, String(req.params.kind), String(req.params.name)))?.tombstone : undefined;
        if (gone) return void res.status(410).type(ACTIVITY_JSON).set('Cache-Control', 'public, max-age=300').send(JSON.stringify(gone));
        const actor = await actorFrom(req);
        if (!actor) return notFound(res, 'No such actor');
        sendAp(res, await svc.actors.document(actor), 300);
      }),
    );
    r.get(
      `${base}/followers`,
      isPublic,
      route(async (req, res) => {
        const actor = await actorFrom(req);
        if (!actor) return notFound(res);
        const where = `following_uri = :a AND state = 'accepted'`;
        await collection(
          res, req, `${actor.uri}/followers`,
          async () => Number((await selectOne<{ n: string }>(rt.db, `SELECT count(*) AS n FROM federation_follows WHERE ${where}`, { a: actor.uri }))?.n ?? 0),
          async (limit, offset) => (await select<{ follower_uri: string }>(rt.db, `SELECT follower_uri FROM federation_follows WHERE ${where} ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset`, { a: actor.uri, limit, offset })).map((x) => x.follower_uri),
        );
      }),
    );
    r.get(
      `${base}/following`,
      isPublic,
      route(async (req, res) => {
        const actor = await actorFrom(req);
        if (!actor) return notFound(res);
        const where = `follower_uri = :a AND state = 'accepted'`;
        await collection(
          res, req, `${actor.uri}/following`,
          async () => Number((await selectOne<{ n: string }>(rt.db, `SELECT count(*) AS n FROM federation_follows WHERE ${where}`, { a: actor.uri }))?.n ?? 0),
          async (limit, offset) => (await select<{ following_uri: string }>(rt.db, `SELECT following_uri FROM federation_follows WHERE ${where} ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset`, { a: actor.uri, limit, offset })).map((x) => x.following_uri),
        );
      }),
    );
    r.get(
      `${base}/liked`,
      isPublic,
      route(async (req, res) => {
        const actor = await actorFrom(req);
        if (!actor) return notFound(res);
        const where = `actor_uri = :a AND type = 'Like' AND local_actor`;
        await collection(
          res, req, `${actor.uri}/liked`,
          async () => Number((await selectOne<{ n: string }>(rt.db, `SELECT count(*) AS n FROM federation_reactions WHERE ${where}`, { a: actor.uri }))?.n ?? 0),
          async (limit, offset) => (await select<{ object_uri: string }>(rt.db, `SELECT object_uri FROM federation_reactions WHERE ${where} ORDER BY created_at DESC LIMIT :limit OFFSET :offset`, { a: actor.uri, limit, offset })).map((x) => x.object_uri),
        );
      }),
    );
    r.get(
      `${base}/outbox`,
      isPublic,
      route(async (req, res) => {
        const actor = await actorFrom(req);
        if (!actor) return notFound(res);
        // The instance actor's outbox is the node's: every channel's public track Creates (what a
        // node that follows this one reads first).
        const where = actor.kind === 'instance'
          ? `o.public AND o.type = 'Create' AND starts_with(o.object_uri, :tracks) AND ${notDeleted} AND ${notFromTombstone}`
          : `o.actor_uri = :a AND o.public AND ${notDeleted} AND ${notFromTombstone}`;
        const params = { a: actor.uri, tracks: rt.trackUri('') };
        await collection(
          res, req, `${actor.uri}/outbox`,
          async () => Number((await selectOne<{ n: string }>(rt.db, `SELECT count(*) AS n FROM federation_outbox o WHERE ${where}`, params))?.n ?? 0),
          async (limit, offset) =>
            (await select<{ body: Record<string, unknown> }>(rt.db, `SELECT o.body FROM federation_outbox o WHERE ${where} ORDER BY o.created_at DESC LIMIT :limit OFFSET :offset`, { ...params, limit, offset })).map(
              ({ body }) => {
                const { '@context': _ctx, ...rest } = body;
                return rest;
              },
            ),
        );
      }),
    );
  }

  r.get(
    '/ap/tracks/:id',
    isPublic,
    route(async (req, res) => {
      const track = await rt.media.getTrack(String(req.params.id)).catch(() => undefined);
      if (!track || !isFederatedTrack(track)) return notFound(res, 'No such track');
      sendAp(res, { '@context': documentContext, ...trackObject(rt, track) });
    }),
  );

  r.get(
    '/ap/playlists/:id',
    isPublic,
    route(async (req, res) => {
      const p = await rt.media.getPlaylist(String(req.params.id)).catch(() => undefined);
      const view = p ? playlistViewOf(rt, p) : undefined;
      if (!view?.public) return notFound(res, 'No such playlist');
      sendAp(res, { '@context': documentContext, ...playlistObject(rt, view) });
    }),
  );

  r.get(
    '/ap/activities/:id',
    isPublic,
    route(async (req, res) => {
      const id = String(req.params.id);
      if (!isUuid(id)) return notFound(res);
      const row = await selectOne<{ body: unknown }>(rt.db, `SELECT o.body FROM federation_outbox o WHERE o.id = CAST(:id AS uuid) AND o.public AND ${notDeleted} AND ${notFromTombstone}`, { id });
      if (!row) return notFound(res, 'No such activity');
      sendAp(res, row.body);
    }),
  );

  // Inboxes: the raw body is capped at config.federation.maxInboxBytes (413 beyond).
  const raw = express.raw({ type: () => true, limit: rt.config.federation.maxInboxBytes });
  const inboxHandler = route(async (req, res) => {
    if (!Buffer.isBuffer(req.body)) {
      res.status(415).type('application/problem+json').send(JSON.stringify({ type: 'urn:9ten:problem:unsupported_media_type', title: 'Unsupported Media Type', status: 415, code: 'unsupported_media_type', detail: 'Post activities as application/activity+json' }));
      return;
    }
    if (req.params.kind) {
      if (await deletedActor(svc, String(req.params.kind), String(req.params.name))) {
        res.status(410).type('application/problem+json').send(JSON.stringify({ type: 'urn:9ten:problem:gone', title: 'Gone', status: 410, code: 'actor_deleted', detail: 'This actor was deleted' }));
        return;
      }
      const actor = await actorFrom(req);
      if (!actor) return notFound(res, 'No such actor');
    }
    await svc.inbox.answer(req, res, req.body);
  });
  for (const path of ['/ap/inbox', '/ap/actor/inbox', '/ap/:kind(users|channels)/:name/inbox']) r.post(path, isPublic, raw, inboxHandler);
  // A channel's investment campaign, as its followers' nodes received it.
  r.get(
    '/ap/campaigns/:id',
    isPublic,
    route(async (req, res) => {
      const campaign = await rt.money.campaign(String(req.params.id));
      if (!campaign) return notFound(res);
      sendAp(res, { '@context': documentContext, ...campaignObject(rt, campaign) });
    }),
  );

  // A track's or channel's page asked for as ActivityPub (a URL pasted into another node's
  // search): sent to its object, as PeerTube and Mastodon do. Browsers still get the page.
  const wantsActivity = (req: Request) => req.accepts(['html', ACTIVITY_JSON, 'application/ld+json']) !== 'html' && !!req.get('accept')?.match(/activity\+json|ld\+json/);
  r.get('/tracks/:id', isPublic, (req, res, next) => (wantsActivity(req) && isUuid(String(req.params.id)) ? res.redirect(302, rt.trackUri(String(req.params.id))) : next()));
  r.get('/channels/:name', isPublic, (req, res, next) => (wantsActivity(req) ? res.redirect(302, rt.channelActorUri(String(req.params.name))) : next()));
  return r;
}
