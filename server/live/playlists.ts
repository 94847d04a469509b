// Live HLS playlists, made from the recorded segments: a master playlist (video renditions,
// then the audio-only one) and a sliding-window media playlist per rendition, with a
// discontinuity where a reconnect resumed the stream and ENDLIST once it ended.
import type { LiveRendition } from './ladder.js';
import type { SegmentRow } from './store.js';

export function masterPlaylist(renditions: LiveRendition[], base: string): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of renditions) {
    const resolution = r.kind === 'video' && r.height ? `,RESOLUTION=${Math.round((r.height * 16) / 9 / 2) * 2}x${r.height}` : '';
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${r.bitrateKbps * 1000},CODECS="${r.codecs}"${resolution},NAME="${r.name}"`, `${base}/${r.name}/index.m3u8`);
  }
  return `${lines.join('\n')}\n`;
}

export function mediaPlaylist(w: { segments: SegmentRow[]; discontinuitiesBefore: number }, opts: { segmentSeconds: number; ended: boolean }): string {
  const target = Math.max(opts.segmentSeconds, ...w.segments.map((s) => Math.round(s.duration_ms / 1000)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-MEDIA-SEQUENCE:${w.segments[0]?.seq ?? 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${w.discontinuitiesBefore}`,
  ];
  for (const s of w.segments) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${(s.duration_ms / 1000).toFixed(3)},`, `${s.seq}.ts`);
  }
  if (opts.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
