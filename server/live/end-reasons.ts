// Why a live stream ended, as the artist's dashboard, the log and the stream's page say it.
export const endMessages = {
  publisher_stopped: 'The publisher stopped the stream.',
  publisher_disconnected: 'The publisher disconnected and did not come back in time.',
  stopped_by_owner: 'The artist ended the stream.',
  stopped_by_admin: 'An admin of this node ended the stream.',
  account_restricted: "A moderator of this node suspended or silenced the channel's account.",
  max_duration: 'The stream reached the longest this node allows.',
  stalled: 'No media arrived for too long.',
  bitrate_exceeded: "The input bitrate is above this node's limit.",
  overloaded: 'The transcoder fell behind the input (the node is overloaded).',
  transcoder_failed: 'The transcoder stopped.',
  transcoder_stalled: 'The transcoder wrote no segment for too long.',
  unsupported_codec: 'The pushed codec is not supported: push H.264 video and AAC audio.',
  no_audio: 'The stream has no audio.',
  no_media: 'The publisher connected but sent no audio or video.',
  node_stopping: 'The node shut down.',
  node_restarted: 'The node restarted while the stream was live.',
} as const;

export type EndReason = keyof typeof endMessages;
export const endReasons = Object.keys(endMessages) as EndReason[];
