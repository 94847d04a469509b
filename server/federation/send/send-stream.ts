// A channel's live stream started or ended: Stream, sent multi-typed so software that
// does not know it still sees something sensible — ["Stream", "Create"] with a Note
// ("Live now: …") when it starts, ["Stream", "Update"] editing that Note when it ends.
import type { FederationService } from '../service.js';
import { AS_PUBLIC } from '../vocabulary.js';
import { escapeHtml } from '../sanitize.js';
import type { StreamAnnouncement } from '../contract.js';

export type StreamInput = StreamAnnouncement;

export function streamUri(svc: FederationService, streamId: string): string {
  return `${svc.rt.publicUrl}/ap/streams/${encodeURIComponent(streamId)}`;
}

export async function sendStream(svc: FederationService, input: StreamInput) {
  const channel = await svc.actors.forChannel(input.channel);
  if (!channel) throw new Error(`Stream: unknown channel ${input.channel}`);
  const at = input.at ?? new Date().toISOString();
  const id = streamUri(svc, input.streamId);
  const watch = input.url ?? `${svc.rt.publicUrl}/live/${encodeURIComponent(input.streamId)}`;
  const started = input.state === 'started';
  const content = started
    ? `<p>🔴 Live now: <a href="${escapeHtml(watch)}">${escapeHtml(input.name)}</a></p>`
    : `<p>The live stream “${escapeHtml(input.name)}” has ended.</p>`;
  const address = { to: [AS_PUBLIC], cc: [`${channel.uri}/followers`] };
  const queued = await svc.rt.db.transaction(async (t) => {
    const q = await svc.delivery.queue(
      {
        actorUri: channel.uri,
        activity: {
          type: ['Stream', started ? 'Create' : 'Update'],
          actor: channel.uri,
          streamState: input.state,
          published: at,
          object: {
            id, type: 'Note', name: input.name, content, url: watch, attributedTo: channel.uri, published: at, ...(started ? {} : { updated: at }), ...address,
            // The live HLS, as a Link (Mastodon shows the Note and passes Links by).
            ...(started && input.hls ? { attachment: [{ type: 'Link', mediaType: 'application/x-mpegURL', name: 'HLS', href: input.hls }] } : {}),
          },
          ...address,
        },
        // Nodes that follow this node hear of its channels' streams too.
        toFollowersOf: [channel.uri, svc.rt.instanceActorUri()],
        public: true,
        objectUri: id,
      },
      t,
    );
    await svc.rt.db.query(
      `INSERT INTO federation_streams (activity_uri, actor_uri, stream_uri, state, name, url, at, direction) VALUES (:u, :a, :s, :state, :name, :url, :at, 'out')`,
      { replacements: { u: q.uri, a: channel.uri, s: id, state: input.state, name: input.name, url: watch, at }, transaction: t },
    );
    return q;
  });
  return queued;
}
