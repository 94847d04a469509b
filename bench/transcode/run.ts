// Transcode benchmark: a 4-minute track, from "upload accepted" to "streamable" through a
// real node, against (a) bare ffmpeg running the same ladder as the one command an operator
// would type, (a') the node's parallel split (same processes, analysis included) run as bare
// ffmpeg without the node, so the node's own overhead stays visible, and (b) PeerTube's way
// for audio (the audio muxed with a still image into 480p H.264). Prints figures and ratios.
//   npx tsx bench/transcode/run.ts            (needs PostgreSQL and Redis like the tests)
// BENCH_SECONDS=60 shortens the track; BENCH_SKIP_PEERTUBE=1 skips the slow comparison (b).
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { startTestNode } from '../../test/helpers/node.js';
import { mediaDir, removeMediaDir, makeImage, ffmpegPath } from '../../test/helpers/media.js';
import { makeArtist, upload } from '../../test/media/support.js';
import { ladderArgs, ladderProcesses } from '../../server/media/transcode.js';
import { probeMedia } from '../../server/media/probe.js';
import { loadConfig } from '../../server/config/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 240);

function ffmpeg(args: string[], raw = false): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpegPath, raw ? args : ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

const dir = mediaDir('bench');
try {
  // A 4-minute "song": two tones over pink noise, stereo FLAC (a typical lossless upload).
  const input = path.join(dir, 'song.flac');
  await ffmpeg([
    '-f', 'lavfi', '-i', `sine=frequency=220:sample_rate=44100:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=331:sample_rate=44100:duration=${seconds}`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.05:sample_rate=44100:duration=${seconds}`,
    '-filter_complex', '[0][1][2]amix=inputs=3,pan=stereo|c0=c0|c1=c0[a]', '-map', '[a]', '-c:a', 'flac', input,
  ]);
  const cover = await makeImage(dir, 'cover.png', '1400x1400');
  const config = loadConfig({ ignoreEnv: true });
  const settings = config.media;
  console.log(`input: ${seconds} s stereo FLAC, ${(statSync(input).size / 1e6).toFixed(1)} MB; ladder AAC ${settings.audioBitratesKbps.join('/')} kbps, ${settings.segmentSeconds} s fMP4 segments`);

  // (a) bare ffmpeg, the same ladder command the node runs.
  const probed = await probeMedia(input);
  const bare = async () => {
    const out = path.join(dir, 'bare');
    rmSync(out, { recursive: true, force: true });
    const { outputs } = ladderArgs(input, out, probed, settings);
    for (const o of outputs) mkdirSync(o.dir, { recursive: true });
    return ffmpeg(['-i', input, ...outputs.flatMap((o) => [...o.options, path.join(o.dir, 'playlist.m3u8')])]);
  };
  // (a') the node's split: the same parallel processes (loudness/waveform included), bare.
  const bareParallel = async () => {
    const out = path.join(dir, 'bare-parallel');
    rmSync(out, { recursive: true, force: true });
    const { outputs } = ladderArgs(input, out, probed, settings);
    for (const o of outputs) mkdirSync(o.dir, { recursive: true });
    const started = performance.now();
    await Promise.all(ladderProcesses(input, out, probed, settings, undefined, true).map((p) => ffmpeg(p.args, true)));
    return (performance.now() - started) / 1000;
  };
  const split = ladderProcesses(input, path.join(dir, 'x'), probed, settings);
  console.log(`split: ${split.length} processes: ${split.map((p) => `[${p.renditions.map((i) => `${[...new Set(settings.audioBitratesKbps)].sort((a, b) => a - b)[i]}k`).concat(p.analysis ? ['analysis'] : []).join(' + ')}]`).join(' ')}`);
  const bareBefore = await bare();
  const parallelBefore = await bareParallel();

  // The node: upload, then time from the last chunk's reply to status `ready`.
  const node = await startTestNode({ name: 'bench' });
  let nodeSeconds: number;
  const progressSeen = new Set<number>();
  try {
    const artist = await makeArtist(node);
    const res = await upload(node, artist.token, artist.channel.id, input);
    if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${res.text}`);
    const accepted = performance.now();
    for (;;) {
      const t = await node.api('GET', `/api/v1/tracks/${res.body.trackId}`, { token: artist.token });
      progressSeen.add(t.body.progress);
      if (t.body.status === 'ready') break;
      if (t.body.status === 'failed') throw new Error(`transcode failed: ${t.body.failureReason}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    nodeSeconds = (performance.now() - accepted) / 1000;
  } finally {
    await node.stop();
  }
  const bareAfter = await bare();
  const parallelAfter = await bareParallel();
  const bareSeconds = (bareBefore + bareAfter) / 2;
  const parallelSeconds = (parallelBefore + parallelAfter) / 2;

  // (b) PeerTube's approach for audio: a still image muxed with the audio into 480p H.264.
  const peertube = process.env.BENCH_SKIP_PEERTUBE ? NaN : await ffmpeg([
    '-loop', '1', '-i', cover, '-i', input,
    '-c:v', 'libx264', '-tune', 'stillimage', '-pix_fmt', 'yuv420p', '-vf', 'scale=-2:480',
    '-c:a', 'aac', '-b:a', '256k', '-shortest', path.join(dir, 'peertube.mp4'),
  ]);

  const f = (n: number) => n.toFixed(2).padStart(7);
  console.log(`9ten node, upload accepted -> streamable : ${f(nodeSeconds)} s  (progress seen: ${[...progressSeen].sort((a, b) => a - b).join(', ')})`);
  console.log(`(a) bare ffmpeg, same ladder           : ${f(bareSeconds)} s  (runs: ${bareBefore.toFixed(2)}, ${bareAfter.toFixed(2)})`);
  console.log(`(a') bare ffmpeg, the node's parallel split: ${f(parallelSeconds)} s  (runs: ${parallelBefore.toFixed(2)}, ${parallelAfter.toFixed(2)}; analysis included)`);
  console.log(`(b) PeerTube still-image 480p H.264     : ${f(peertube)} s`);
  console.log(`ratio node / bare ffmpeg                : ${(nodeSeconds / bareSeconds).toFixed(3)}x  (goal <= 1.1x)`);
  console.log(`ratio node / bare parallel split        : ${(nodeSeconds / parallelSeconds).toFixed(3)}x  (the node's own overhead)`);
  console.log(`speed-up vs PeerTube approach           : ${(peertube / nodeSeconds).toFixed(1)}x  (goal >= 10x)`);
} finally {
  removeMediaDir(dir);
}
