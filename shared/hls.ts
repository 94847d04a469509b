// HLS media playlists as 9ten reads them: its own after a transcode, and other nodes' through
// the remote cache.

/** Segments of an HLS media playlist, with cumulative start times. */
export function parseMediaPlaylist(text: string): { file: string; startSeconds: number; durationSeconds: number }[] {
  const out: { file: string; startSeconds: number; durationSeconds: number }[] = [];
  let pending: number | null = null;
  let t = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^#EXTINF:([\d.]+)/.exec(line);
    if (m) pending = Number(m[1]);
    else if (line && !line.startsWith('#') && pending !== null) {
      out.push({ file: line, startSeconds: Math.round(t * 1e6) / 1e6, durationSeconds: pending });
      t += pending;
      pending = null;
    }
  }
  return out;
}

/** The index of a media segment file of 9ten's HLS ("seg-00012.m4s" → 12), or undefined for any other file. */
export function segmentIndexOf(file: string): number | undefined {
  const m = /^seg-(\d+)\.m4s$/.exec(file);
  return m ? Number(m[1]) : undefined;
}
