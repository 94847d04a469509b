// What feeds takes from the web client's build (client/dist, served by server/app.ts): its
// index.html, for the pages' discovery links, and its hls.js chunk, for the embed player.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/index.js';

const dist = path.join(projectRoot, 'client/dist');

/** Re-read only when the file's modification time changes (a rebuild). */
function kept<T>(file: string, read: () => T): () => T | undefined {
  let at = -1;
  let value: T | undefined;
  return () => {
    let mtime: number;
    try {
      mtime = statSync(file).mtimeMs;
    } catch {
      return undefined;
    }
    if (mtime !== at) {
      value = read();
      at = mtime;
    }
    return value;
  };
}

/** The built client's index.html, or undefined when the client is not built. */
export const clientIndexHtml = kept(path.join(dist, 'index.html'), () => readFileSync(path.join(dist, 'index.html'), 'utf8'));

/** The URL path of the client's hls.js chunk (an ES module whose default export is Hls), or undefined. */
export const hlsModulePath = kept(path.join(dist, 'assets'), () => {
  const name = readdirSync(path.join(dist, 'assets')).find((f) => /^hls-[\w-]+\.js$/.test(f));
  return name ? `/assets/${name}` : undefined;
});
