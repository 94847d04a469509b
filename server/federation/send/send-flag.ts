// A moderation report forwarded to the server whose content it is about: a Flag from the
// instance actor, so the reporting user stays unnamed (what Mastodon and PeerTube do). Its
// objects are the reported actor and objects (Mastodon makes a report only of a Flag that names
// an account); its content is the reason. Delivered to the reported actor's inbox after commit.
import type { FederationService } from '../service.js';
import type { OutgoingFlag } from '../contract.js';

export async function sendFlag(svc: FederationService, flag: OutgoingFlag): Promise<{ uri: string; inboxes: number }> {
  const actorUri = svc.rt.instanceActorUri();
  const objects = [...new Set([flag.targetActorUri, ...flag.objectUris])].filter((uri) => !svc.rt.isLocal(uri));
  return svc.rt.db.transaction(async (t) => {
    const { uri, inboxes } = await svc.delivery.queue(
      {
        actorUri,
        activity: { type: 'Flag', actor: actorUri, object: objects, content: flag.content, to: [flag.targetActorUri], published: new Date().toISOString() },
        toActors: [flag.targetActorUri],
        objectUri: flag.objectUris[0],
      },
      t,
    );
    return { uri, inboxes };
  });
}
