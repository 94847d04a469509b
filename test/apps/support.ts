// What the apps tests share: a node with a small tagged catalogue (real uploads, real
// transcodes), listeners with API keys, and the month's figures listening reports.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { ffprobePath, makeAudio, mediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { monthOf } from '../../shared/month.js';

const run = promisify(execFile);

export interface Catalogue {
  node: TestNode;
  dir: string;
  artist: Awaited<ReturnType<typeof makeArtist>>;
  /** Album "First Light" tracks 1 and 2 (8 s each, the first with a cover), and one single (no album tag). */
  tracks: { one: any; two: any; single: any };
}

/** A node whose listens qualify at 5 s (the tracks are 8 s long), with an artist and three tracks. */
export async function startCatalogue(name: string): Promise<Catalogue> {
  const node = await startTestNode({ name, overrides: { listening: { qualifySeconds: 5 } } });
  const dir = mediaDir(name);
  const artist = await makeArtist(node, `${name}_band`);
  const make = async (file: string, tags: Record<string, unknown>, cover = false) => {
    const res = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 8, name: file, tags, cover }));
    if (res.status !== 200) throw new Error(`upload ${file}: ${res.status} ${res.text}`);
    const track = await waitTrack(node, artist.token, res.body.trackId);
    if (track.status !== 'ready') throw new Error(`${file} is ${track.status}`);
    return track;
  };
  const one = await make('one.mp3', { title: 'Morning Tide', artist: 'The Testers', album: 'First Light', trackNumber: 1, genre: 'Ambient' }, true);
  const two = await make('two.mp3', { title: 'Evening Tide', artist: 'The Testers', album: 'First Light', trackNumber: 2, genre: 'Ambient' });
  const single = await make('single.mp3', { title: 'Lone Wave', artist: 'The Testers', genre: 'Ambient' });
  return { node, dir, artist, tracks: { one, two, single } };
}

/** A listener with a fresh API key. */
export async function listenerWithKey(node: TestNode, name = 'phone') {
  const listener = await node.user('listener');
  const res = await node.api('POST', '/api/v1/me/api-keys', { token: listener.token, body: { name } });
  if (res.status !== 201) throw new Error(`api key: ${res.status} ${res.text}`);
  return { ...listener, key: res.body.key as string, keyId: res.body.id as string };
}

/** Qualified seconds (counted and held) of a listener this month, from listening's month figures. */
export async function monthSeconds(node: TestNode, userId: string): Promise<number> {
  const rows = await node.ctx.services.listening.qualifiedSeconds(monthOf(new Date(), node.ctx.config.money.timeZone));
  return rows.filter((r) => r.userId === userId).reduce((s, r) => s + r.seconds, 0);
}

/** ffprobe's view of a media file: its duration and bitrate. */
export async function probe(file: string): Promise<{ duration: number; bitRate: number; codec: string; width?: number }> {
  const { stdout } = await run(ffprobePath, ['-v', 'error', '-show_entries', 'format=duration,bit_rate:stream=codec_name,width', '-of', 'json', file]);
  const j = JSON.parse(stdout) as { format: { duration: string; bit_rate: string }; streams: { codec_name: string; width?: number }[] };
  return { duration: Number(j.format.duration), bitRate: Number(j.format.bit_rate), codec: j.streams[0]?.codec_name, width: j.streams[0]?.width };
}
