// Discovery: WebFinger, host-meta, NodeInfo 2.0 / 2.1 and 9ten's JSON-LD context.
import { Router } from 'express';
import { isPublic } from '../../accounts/middleware.js';
import { route } from '../../http/errors.js';
import { selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';
import { INSTANCE_ACTOR_NAME, type LocalActor } from '../actors.js';
import { ACTIVITY_JSON, contextDocument } from '../vocabulary.js';

const SOFTWARE_VERSION = '0.1.0';

function problem(res: import('express').Response, status: number, code: string, detail: string) {
  res.status(status).type('application/problem+json').send(JSON.stringify({ type: `urn:9ten:problem:${code}`, status, code, detail, title: status === 404 ? 'Not Found' : 'Bad Request' }));
}

export function wellKnownRoutes(svc: FederationService): Router {
  const r = Router();
  const rt = svc.rt;

  /** acct:name@host or one of our actor URLs → the local actor. Channels win over users of the same name. */
  async function resolveResource(resource: string): Promise<LocalActor | undefined> {
    const acct = /^acct:([^@]+)@(.+)$/i.exec(resource);
    if (acct) {
      if (acct[2].toLowerCase() !== rt.host) return undefined;
      const name = acct[1];
      if (name.toLowerCase() === INSTANCE_ACTOR_NAME || name.toLowerCase() === rt.host) return svc.actors.ensureInstance();
      const channel = await svc.actors.forChannel(name);
      if (channel) return channel;
      const user = await rt.ctx.services.accounts.byUsername(name);
      // Guests have no actor until they claim their account (their name is a placeholder).
      return user && !user.disabled && !user.guest ? svc.actors.ensure('user', user.username, user.id) : undefined;
    }
    if (resource.startsWith(`${rt.publicUrl}/@`)) {
      return resolveResource(`acct:${decodeURIComponent(resource.slice(rt.publicUrl.length + 2))}@${rt.host}`);
    }
    if (resource === rt.publicUrl || resource === `${rt.publicUrl}/`) return svc.actors.ensureInstance();
    return svc.actors.resolveUri(resource);
  }

  r.get(
    '/.well-known/webfinger',
    isPublic,
    route(async (req, res) => {
      const resource = typeof req.query.resource === 'string' ? req.query.resource.trim() : '';
      if (!resource || resource.length > 500) return problem(res, 400, 'invalid_resource', 'The resource parameter is required');
      const actor = await resolveResource(resource);
      if (!actor) return problem(res, 404, 'not_found', 'No such account here');
      const profile = actor.kind === 'instance' ? rt.publicUrl : actor.kind === 'channel' ? `${rt.publicUrl}/channels/${encodeURIComponent(actor.name)}` : `${rt.publicUrl}/@${encodeURIComponent(actor.name)}`;
      res.type('application/jrd+json').set('Access-Control-Allow-Origin', '*').send(
        JSON.stringify({
          subject: `acct:${actor.name}@${rt.host}`,
          aliases: [actor.uri, profile],
          links: [
            { rel: 'self', type: ACTIVITY_JSON, href: actor.uri },
            { rel: 'http://webfinger.net/rel/profile-page', type: 'text/html', href: profile },
            { rel: 'http://ostatus.org/schema/1.0/subscribe', template: `${rt.publicUrl}/authorize_interaction?uri={uri}` },
          ],
        }),
      );
    }),
  );

  r.get('/.well-known/host-meta', isPublic, (_req, res) => {
    res.type('application/xrd+xml').send(
      `<?xml version="1.0" encoding="UTF-8"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n  <Link rel="lrdd" template="${rt.publicUrl}/.well-known/webfinger?resource={uri}"/>\n</XRD>\n`,
    );
  });
  r.get('/.well-known/host-meta.json', isPublic, (_req, res) => {
    res.type('application/json').send(JSON.stringify({ links: [{ rel: 'lrdd', template: `${rt.publicUrl}/.well-known/webfinger?resource={uri}` }] }));
  });

  r.get('/.well-known/nodeinfo', isPublic, (_req, res) => {
    res.json({
      links: [
        { rel: 'http://nodeinfo.diaspora.software/ns/schema/2.0', href: `${rt.publicUrl}/nodeinfo/2.0` },
        { rel: 'http://nodeinfo.diaspora.software/ns/schema/2.1', href: `${rt.publicUrl}/nodeinfo/2.1` },
      ],
    });
  });

  async function nodeinfo(version: '2.0' | '2.1') {
    const users = await rt.ctx.services.accounts.activity();
    const posts = await selectOne<{ n: string }>(rt.db, `SELECT count(*) AS n FROM federation_outbox WHERE public AND type = 'Create'`);
    const cfg = rt.config;
    return {
      version,
      software: version === '2.1'
        ? { name: '9ten', version: SOFTWARE_VERSION, repository: 'https://github.com/9ten/9ten', homepage: 'https://9ten.org' }
        : { name: '9ten', version: SOFTWARE_VERSION },
      protocols: ['activitypub'],
      services: { inbound: [], outbound: [] },
      openRegistrations: cfg.auth.openSignup,
      usage: {
        users,
        localPosts: Number(posts?.n ?? 0),
      },
      metadata: {
        nodeName: cfg.nodeName,
        cluster: cfg.federation.cluster,
        ledger: {
          engine: cfg.ledger.engine,
          organisation: cfg.federation.organisation,
          mspId: cfg.ledger.fabric?.mspId ?? null,
          identity: `${cfg.federation.organisation}/${rt.host}`,
        },
        currency: cfg.money.currency,
        vocabulary: 'https://9ten.org/ns#',
        context: `${rt.publicUrl}/ns/context.jsonld`,
      },
    };
  }

  r.get(
    '/nodeinfo/2.0',
    isPublic,
    route(async (_req, res) => {
      res.type('application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"').send(JSON.stringify(await nodeinfo('2.0')));
    }),
  );
  r.get(
    '/nodeinfo/2.1',
    isPublic,
    route(async (_req, res) => {
      res.type('application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"').send(JSON.stringify(await nodeinfo('2.1')));
    }),
  );

  r.get('/ns/context.jsonld', isPublic, (_req, res) => {
    res.type('application/ld+json').set('Access-Control-Allow-Origin', '*').set('Cache-Control', 'public, max-age=86400').send(JSON.stringify(contextDocument));
  });
  return r;
}
