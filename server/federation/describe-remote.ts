// What a remote object is, for moderation (a report about another server's track, channel,
// playlist or account): from what this node keeps of it (remote tracks, playlists, actors),
// else fetched once from its home (signed by the instance actor, within the fetch limits).
import { selectOne } from '../db/index.js';
import type { FederationService } from './service.js';
import type { RemoteObjectInfo } from './contract.js';
import type { RemoteActor } from './remote.js';
import { hostOf, idOf, typesOf } from './vocabulary.js';
import { sanitizeText } from './sanitize.js';

const actorTypes = ['Person', 'Service', 'Application', 'Group', 'Organization'];

/** A channel is a Group (PeerTube, Funkwhale) or, on 9ten, an actor attributed to its owner's. */
function actorInfo(actor: RemoteActor): RemoteObjectInfo {
  const channel = actor.type === 'Group' || (!!actor.attributedTo && actor.attributedTo !== actor.uri);
  return { uri: actor.uri, kind: channel ? 'channel' : 'account', name: actor.name ?? actor.preferredUsername, actorUri: actor.uri, host: actor.host };
}

/** Undefined for a local URI, one that is not http(s), or one that cannot be fetched. */
export async function describeRemote(svc: FederationService, uri: string): Promise<RemoteObjectInfo | undefined> {
  if (!/^https?:\/\//.test(uri) || svc.rt.isLocal(uri) || !hostOf(uri)) return undefined;
  const track = await svc.tracks.byUri(uri);
  if (track) return { uri, kind: 'track', name: track.title, actorUri: track.actorUri, host: track.host };
  const playlist = await selectOne<{ actor_uri: string; name: string }>(svc.rt.db, 'SELECT actor_uri, name FROM federation_remote_playlists WHERE uri = :uri', { uri });
  if (playlist) return { uri, kind: 'playlist', name: playlist.name, actorUri: playlist.actor_uri, host: hostOf(uri) };
  const known = await svc.remote.knownActor(uri);
  if (known) return actorInfo(known);
  try {
    const doc = await svc.remote.fetchDocument(uri);
    // Another name of this node (a DNS alias, a redirect) answers with our own ids: those are
    // this node's objects, which a report names directly, and never another server's.
    const id = idOf(doc.id);
    if (id && svc.rt.isLocal(id)) return undefined;
    const types = typesOf(doc.type);
    if (types.some((t) => actorTypes.includes(t)) && typeof doc.inbox === 'string') return actorInfo(await svc.remote.actor(uri));
    const owner = idOf(doc.attributedTo) ?? idOf(doc.actor);
    // An object names its owner on its own server, or it is not theirs to answer for.
    if (!owner || hostOf(owner) !== hostOf(uri) || svc.rt.isLocal(owner)) return undefined;
    const kind = types.includes('Audio') || types.includes('Video') ? 'track' : types.some((t) => /Playlist$/.test(t)) ? 'playlist' : 'other';
    const name = typeof doc.name === 'string' ? sanitizeText(doc.name, 300) : null;
    return { uri, kind, name, actorUri: owner, host: hostOf(uri) };
  } catch (err) {
    svc.rt.log.info({ err, uri }, 'a reported remote object could not be described');
    return undefined;
  }
}
