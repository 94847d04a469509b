// What a feed or an oEmbed answer must state about a file that media's track view does not: an
// enclosure's size, a cover's pixel size. Read from the files media names (MediaApi.trackFiles).
import { open, stat, type FileHandle } from 'node:fs/promises';

export interface ImageSize {
  width: number;
  height: number;
}

/** The pixel size of a PNG, JPEG, GIF or WebP from its first bytes, or undefined. */
export function imageSize(b: Buffer): ImageSize | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47) return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length >= 10 && b.toString('latin1', 0, 3) === 'GIF') return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  if (b.length >= 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    const kind = b.toString('latin1', 12, 16);
    if (kind === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
    if (kind === 'VP8L') {
      const bits = b.readUInt32LE(21);
      return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
    if (kind === 'VP8X') return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
    return undefined;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let at = 2;
    while (at + 9 < b.length) {
      if (b[at] !== 0xff) return undefined;
      const marker = b[at + 1];
      const size = b.readUInt16BE(at + 2);
      // Start of frame (baseline, progressive, ...), not DHT (c4), JPG (c8) or DAC (cc).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { width: b.readUInt16BE(at + 7), height: b.readUInt16BE(at + 5) };
      at += 2 + size;
    }
  }
  return undefined;
}

/** The first bytes of a cover are enough for its size (a JPEG's frame header follows its EXIF). */
const headBytes = 512 * 1024;

/** A file's size in bytes, or undefined when it is not there. */
export async function fileSize(file: string): Promise<number | undefined> {
  return stat(file).then((s) => s.size, () => undefined);
}

/** An image file's pixel size, or undefined (not there, or not an image this can read). */
export async function imageFileSize(file: string): Promise<ImageSize | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const buf = Buffer.alloc(headBytes);
    const { bytesRead } = await handle.read(buf, 0, headBytes, 0);
    return imageSize(buf.subarray(0, bytesRead));
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}
