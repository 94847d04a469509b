// Where ffmpeg and ffprobe come from: the system binaries when present, otherwise the
// binaries shipped in npm packages. fluent-ffmpeg is pointed at the same pair.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import ffmpeg from 'fluent-ffmpeg';
import { mediaToolsFromEnvironment } from '../config/index.js';

const require = createRequire(import.meta.url);

function resolveBinary(name: 'ffmpeg' | 'ffprobe'): string {
  const env = mediaToolsFromEnvironment()[name];
  if (env && existsSync(env)) return env;
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  try {
    const pkg = require(name === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe') as { path: string };
    if (pkg.path && existsSync(pkg.path)) return pkg.path;
  } catch {
    /* fall through */
  }
  return name; // last resort: whatever is on PATH
}

export const ffmpegPath = resolveBinary('ffmpeg');
export const ffprobePath = resolveBinary('ffprobe');

ffmpeg.setFfmpegPath(ffmpegPath);
ffmpeg.setFfprobePath(ffprobePath);

export { ffmpeg };
