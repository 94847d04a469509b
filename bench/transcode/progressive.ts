// The progressive file (issue 18, decision 0102): what each way of making one costs on top of
// the node's HLS ladder, in transcode time and disk, for a few minutes of audio. Runs bare
// ffmpeg (no node, no database), each variant BENCH_ROUNDS times, and prints medians:
//   L   the ladder as the node runs it (parallel processes, analysis included)
//   A   L with `-hls_flags single_file`: one fMP4 file per rendition, HLS by byte ranges
//   B1  L plus a second AAC encode of the progressive rendition into a faststart .m4a
//   B2  L with the progressive rendition's HLS output and a faststart .m4a fed by one encode (tee muxer)
//   B3  L, then a remux (-c copy) of that rendition's segments into a faststart .m4a
//   C   the rendition's init + segments served back to back (no ffmpeg, no disk): what ffprobe sees
//   npx tsx bench/transcode/progressive.ts      (BENCH_SECONDS=240, BENCH_ROUNDS=3)
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { mediaDir, removeMediaDir, ffmpegPath, ffprobePath } from '../../test/helpers/media.js';
import { ladderProcesses, planLadder } from '../../server/media/transcode.js';
import { remuxArgs } from '../../server/media/progressive.js';
import { probeMedia } from '../../server/media/probe.js';
import { loadConfig } from '../../server/config/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 240);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const progressiveKbps = 128;

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${args.join(' ')}`))));
  });
}

const timed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function diskBytes(dir: string): number {
  let total = 0;
  for (const n of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const s = statSync(path.join(dir, n));
    // The bare runs leave the analysis' raw waveform samples, which the node deletes.
    if (s.isFile() && !n.endsWith('waveform.raw')) total += s.size;
  }
  return total;
}

const dir = mediaDir('bench-progressive');
try {
  const input = path.join(dir, 'song.flac');
  await ffmpeg([
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `sine=frequency=220:sample_rate=44100:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=331:sample_rate=44100:duration=${seconds}`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.05:sample_rate=44100:duration=${seconds}`,
    '-filter_complex', '[0][1][2]amix=inputs=3,pan=stereo|c0=c0|c1=c0[a]', '-map', '[a]', '-c:a', 'flac', input,
  ]);
  const settings = loadConfig({ ignoreEnv: true }).media;
  const probed = await probeMedia(input);
  const plan = planLadder(probed, settings);
  const progressiveName = `${progressiveKbps}k`;
  console.log(`input: ${seconds} s stereo FLAC; ladder AAC ${plan.map((r) => r.name).join('/')}, ${settings.segmentSeconds} s fMP4 segments; progressive: ${progressiveName}; ${rounds} rounds, medians`);

  /** The node's ladder processes writing into `out`, with `edit` applied to each argument list. */
  const ladder = (out: string, edit: (args: string[]) => string[] = (a) => a) => {
    rmSync(out, { recursive: true, force: true });
    for (const r of plan) mkdirSync(path.join(out, r.name), { recursive: true });
    return Promise.all(ladderProcesses(input, out, probed, settings, undefined, true).map((p) => ffmpeg(edit(p.args))));
  };
  /** Where the progressive rendition's HLS output starts (`-f hls`) and ends (its playlist) in an argument list. */
  const hlsOutputOf = (args: string[]) => {
    const end = args.indexOf(path.join(path.dirname(args[args.length - 1]).replace(/[^/]+$/, ''), progressiveName, 'playlist.m3u8'));
    if (end < 0) return undefined;
    let start = end;
    while (!(args[start] === '-f' && args[start + 1] === 'hls')) start--;
    return { start, end };
  };

  const out = (name: string) => path.join(dir, name);
  const variants: Record<string, { run: () => Promise<unknown>; folder: string }> = {
    L: { folder: out('L'), run: () => ladder(out('L')) },
    A: {
      folder: out('A'),
      run: () => ladder(out('A'), (args) => args.map((a) => (a === 'independent_segments' ? 'independent_segments+single_file' : a.replace(/seg-%05d\.m4s$/, 'media.m4s')))),
    },
    B1: {
      folder: out('B1'),
      run: () => ladder(out('B1'), (args) => (hlsOutputOf(args) ? [...args, '-map', '0:a:0', '-vn', '-c:a', 'aac', '-aac_coder', 'fast', '-b:a', `${progressiveKbps}k`, '-ac', '2', '-movflags', '+faststart', path.join(out('B1'), 'audio.m4a')] : args)),
    },
    B2: {
      folder: out('B2'),
      run: () =>
        ladder(out('B2'), (args) => {
          const at = hlsOutputOf(args);
          if (!at) return args;
          // -f hls -opt value ... playlist  →  -f tee "[f=hls:opt=value:...]playlist|[f=ipod:movflags=+faststart]audio.m4a"
          const opts = args.slice(at.start + 2, at.end);
          const hls = ['f=hls', ...Array.from({ length: opts.length / 2 }, (_, i) => `${opts[2 * i].slice(1)}=${opts[2 * i + 1]}`)].join(':');
          return [...args.slice(0, at.start), '-f', 'tee', `[${hls}]${args[at.end]}|[f=ipod:movflags=+faststart]${path.join(out('B2'), 'audio.m4a')}`, ...args.slice(at.end + 1)];
        }),
    },
    B3: {
      folder: out('B3'),
      run: async () => {
        await ladder(out('B3'));
        await remux(out('B3'));
      },
    },
  };
  const remux = (folder: string) => ffmpeg(remuxArgs(path.join(folder, progressiveName, 'playlist.m3u8'), path.join(folder, 'audio.m4a')));

  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const remuxOnly: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, v] of Object.entries(variants)) times[name].push(await timed(v.run));
    remuxOnly.push(await timed(() => remux(out('B3'))));
  }
  // C: the progressive rendition's own files back to back.
  const seg = path.join(out('L'), progressiveName);
  const concat = path.join(dir, 'concat.mp4');
  const files = ['init.mp4', ...readdirSync(seg).filter((f) => f.endsWith('.m4s')).sort()];
  await new Promise<void>((resolve, reject) => {
    const w = createWriteStream(concat);
    w.on('error', reject).on('finish', resolve);
    for (const f of files) w.write(readFileSync(path.join(seg, f)));
    w.end();
  });
  const probeOf = async (file: string) =>
    (await promisify(execFile)(ffprobePath, ['-v', 'error', '-show_entries', 'format=duration:format_tags=major_brand:stream=codec_name', '-of', 'compact', file])).stdout.trim().replace(/\n/g, ' ');

  const base = median(times.L);
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  const baseDisk = diskBytes(out('L'));
  const f = (n: number) => n.toFixed(2).padStart(6);
  console.log(`L   ladder                                  : ${f(base)} s   disk ${mb(baseDisk)}`);
  for (const name of ['A', 'B1', 'B2', 'B3']) {
    const t = median(times[name]);
    const disk = diskBytes(variants[name].folder);
    console.log(`${name.padEnd(3)} ${{ A: 'single_file byte-range HLS', B1: 'ladder + second AAC encode (.m4a)', B2: 'ladder, one encode teed to HLS + .m4a', B3: 'ladder, then remux to .m4a' }[name]!.padEnd(40)}: ${f(t)} s   (${t >= base ? '+' : ''}${((t / base - 1) * 100).toFixed(1)} %)   disk ${mb(disk)} (${disk >= baseDisk ? '+' : ''}${((disk / baseDisk - 1) * 100).toFixed(1)} %)`);
  }
  console.log(`    the remux alone                         : ${f(median(remuxOnly))} s`);
  console.log(`C   init + segments back to back            :   0.00 s   disk +0 (${mb(statSync(concat).size)} served)`);
  for (const [name, file] of [['A', path.join(out('A'), progressiveName, 'media.m4s')], ['B3', path.join(out('B3'), 'audio.m4a')], ['C', concat]] as const) console.log(`ffprobe ${name}: ${await probeOf(file)}`);
  const top = (file: string) => {
    const d = readFileSync(file);
    const boxes: string[] = [];
    for (let i = 0; i + 8 <= d.length && boxes.length < 7; ) {
      const size = d.readUInt32BE(i);
      boxes.push(d.toString('latin1', i + 4, i + 8));
      if (size < 8) break;
      i += size;
    }
    return boxes.join(' ');
  };
  console.log(`top-level boxes A/C: ${top(concat)} …;  B3: ${top(path.join(out('B3'), 'audio.m4a'))}`);
} finally {
  removeMediaDir(dir);
}
