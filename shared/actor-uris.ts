// The ActivityPub URIs of a node's own actors and objects. Federation serves them; listening
// and money name artists by them; one definition so they can never disagree.

const under = (publicUrl: string, kind: string, id: string) => `${publicUrl}/ap/${kind}/${encodeURIComponent(id)}`;

/** The node's instance actor (it signs deliveries of the node itself). */
export const instanceActorUri = (publicUrl: string) => `${publicUrl}/ap/actor`;
/** A local channel's actor: the artist that listening counts and money pays. */
export const channelActorUri = (publicUrl: string, channelName: string) => under(publicUrl, 'channels', channelName);
export const userActorUri = (publicUrl: string, username: string) => under(publicUrl, 'users', username);
export const trackUri = (publicUrl: string, trackId: string) => under(publicUrl, 'tracks', trackId);
export const playlistUri = (publicUrl: string, playlistId: string) => under(publicUrl, 'playlists', playlistId);
