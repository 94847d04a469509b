// The folder an nginx in front of the node serves segments from without asking the node:
// media/public-streaming/<trackId> is a link to media/streaming/<trackId> while, and only
// while, anyone may play the track without asking (ready, not private, free: isOpenToAll).
// nginx tries this folder first and hands every miss to the node, so a track made private,
// deleted or being transcoded again stops being served from disk when its link goes.
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { readdir, readlink, rm, symlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { isUuid, type MediaStorage } from './storage.js';
import type { Tracks } from './tracks.js';
import { isOpenToAll } from './track-view.js';

export const PUBLIC_STREAMING_DIR = 'public-streaming';

export class PublicSegments {
  readonly dir: string;

  constructor(
    private readonly storage: MediaStorage,
    private readonly tracks: Pick<Tracks, 'row' | 'playableIds'>,
    private readonly log: Logger,
  ) {
    this.dir = path.join(storage.root, PUBLIC_STREAMING_DIR);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Links or unlinks one track after a change to it (status, visibility, deletion). */
  async sync(trackId: string): Promise<void> {
    if (!isUuid(trackId)) return;
    const row = await this.tracks.row(trackId);
    await this.set(trackId, Boolean(row && isOpenToAll(row)));
  }

  /** Makes the folder match the database: at start, after changes made while the node was down. */
  async syncAll(): Promise<{ linked: number; unlinked: number }> {
    const open = new Set(await this.tracks.playableIds());
    let linked = 0;
    let unlinked = 0;
    const present = new Set<string>();
    for (const name of await readdir(this.dir)) {
      if (open.has(name)) present.add(name);
      else {
        await rm(path.join(this.dir, name), { recursive: true, force: true });
        unlinked++;
      }
    }
    for (const id of open) {
      if (present.has(id) && (await this.linksHome(id))) continue;
      await this.set(id, true);
      linked++;
    }
    if (linked || unlinked) this.log.info({ linked, unlinked }, 'public segment folder brought up to date');
    return { linked, unlinked };
  }

  private async linksHome(trackId: string): Promise<boolean> {
    return (await readlink(path.join(this.dir, trackId)).catch(() => '')) === this.storage.streamingDir(trackId);
  }

  private async set(trackId: string, open: boolean): Promise<void> {
    const link = path.join(this.dir, trackId);
    if (open && (await this.linksHome(trackId))) return;
    await rm(link, { recursive: true, force: true });
    if (!open) return;
    try {
      await symlink(this.storage.streamingDir(trackId), link, 'dir');
    } catch (err) {
      // Two processes linking the same track at once: one link is all that is needed.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
