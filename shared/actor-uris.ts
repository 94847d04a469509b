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
export const activityUri = (publicUrl: string, activityId: string) => under(publicUrl, 'activities', activityId);
/** An investment campaign of one of this node's channels. */
export const campaignUri = (publicUrl: string, campaignId: string) => under(publicUrl, 'campaigns', campaignId);
/** A dispute of this node, as its review Flags name it. */
export const disputeUri = (publicUrl: string, disputeId: string) => under(publicUrl, 'disputes', disputeId);

/** The id under `/ap/<kind>/` of a local URI, or undefined for any other URI (or a malformed escape). */
function localIdOf(publicUrl: string, kind: string, uri: string): string | undefined {
  const prefix = under(publicUrl, kind, '');
  if (!uri.startsWith(prefix) || uri.length === prefix.length) return undefined;
  try {
    return decodeURIComponent(uri.slice(prefix.length));
  } catch {
    return undefined;
  }
}

/** The id of a local track named by its URI, or undefined for any other URI. */
export const localTrackIdOf = (publicUrl: string, uri: string) => localIdOf(publicUrl, 'tracks', uri);
/** The id of a local campaign named by its URI, or undefined for any other URI. */
export const localCampaignIdOf = (publicUrl: string, uri: string) => localIdOf(publicUrl, 'campaigns', uri);
/** The name of a local channel named by its actor URI, or undefined for any other URI. */
export const localChannelNameOf = (publicUrl: string, uri: string) => localIdOf(publicUrl, 'channels', uri);
