// An independent ActivityPub peer that this project did not write: a small Fedify app
// (createFederation + MemoryKvStore, its own keys, Fedify's own inbox signature checks),
// served through @fedify/express on a loopback port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createFederation, MemoryKvStore, generateCryptoKeyPair, lookupWebFinger, type Federation } from '@fedify/fedify';
import { Accept, Create, Endpoints, Follow, Person, Note, Audio, type Object as APObject } from '@fedify/fedify/vocab';
import { integrateFederation } from '@fedify/express';

export interface ReceivedCreate {
  id: string | null;
  actor: string | null;
  objectType: string;
  objectId: string | null;
  content: string | null;
  attachments: { type: string; mediaType: string | null; url: string | null }[];
}

export interface Peer {
  origin: string;
  actorUri: string;
  federation: Federation<void>;
  accepted: string[];
  creates: ReceivedCreate[];
  /** WebFinger lookup (Fedify's own client) of an account by its profile URL; returns its ActivityPub actor URL. */
  webfinger(resource: string): Promise<{ subject: string; actor: string }>;
  follow(actorUri: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPeer(): Promise<Peer> {
  const federation = createFederation<void>({ kv: new MemoryKvStore(), allowPrivateAddress: true });
  const keys = await generateCryptoKeyPair('RSASSA-PKCS1-v1_5');
  const accepted: string[] = [];
  const creates: ReceivedCreate[] = [];

  federation
    .setActorDispatcher('/users/{identifier}', async (ctx, identifier) => {
      if (identifier !== 'peer') return null;
      const [pair] = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: 'Fedify test peer',
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: pair.cryptographicKey,
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === 'peer' ? [keys] : []));

  federation
    .setInboxListeners('/users/{identifier}/inbox', '/inbox')
    .on(Accept, async (_ctx, accept) => {
      accepted.push(accept.actorId?.href ?? '');
    })
    .on(Create, async (_ctx, create) => {
      // Fedify calls this only after it verified the HTTP signature and the key's owner.
      const object = (await create.getObject()) as APObject | null;
      const attachments: ReceivedCreate['attachments'] = [];
      for await (const a of object?.getAttachments() ?? []) {
        const doc = a as APObject & { mediaType?: string | null; url?: unknown };
        const url = doc.url instanceof URL ? doc.url.href : ((doc.url as { href?: URL } | null)?.href?.href ?? null);
        attachments.push({ type: a.constructor.name, mediaType: doc.mediaType ?? null, url });
      }
      creates.push({
        id: create.id?.href ?? null,
        actor: create.actorId?.href ?? null,
        objectType: object instanceof Note ? 'Note' : object instanceof Audio ? 'Audio' : (object?.constructor.name ?? 'none'),
        objectId: object?.id?.href ?? null,
        content: object?.content?.toString() ?? null,
        attachments,
      });
    });

  const app = express();
  app.use(integrateFederation(federation, () => undefined));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ctx = () => federation.createContext(new URL(origin), undefined);

  return {
    origin,
    actorUri: `${origin}/users/peer`,
    federation,
    accepted,
    creates,
    async webfinger(resource) {
      const jrd = await lookupWebFinger(resource, { allowPrivateAddress: true });
      const self = jrd?.links?.find((l) => l.rel === 'self' && /activity\+json/.test(l.type ?? ''));
      if (!jrd?.subject || !self?.href) throw new Error(`WebFinger found nothing for ${resource}`);
      return { subject: jrd.subject, actor: self.href };
    },
    async follow(actorUri) {
      const c = ctx();
      const target = await c.lookupObject(actorUri);
      if (!target || !('inboxId' in target)) throw new Error(`not an actor: ${actorUri}`);
      await c.sendActivity(
        { identifier: 'peer' },
        target as Person,
        new Follow({ id: new URL(`${origin}/follows/${Date.now()}`), actor: c.getActorUri('peer'), object: target.id }),
      );
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
