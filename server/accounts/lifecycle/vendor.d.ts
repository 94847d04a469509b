// Minimal typings for tar-stream's pack (the package ships none): the data export's archive.
declare module 'tar-stream' {
  import type { Readable } from 'node:stream';

  interface Headers {
    name: string;
    size?: number;
    mode?: number;
    mtime?: Date;
    type?: 'file' | 'directory';
  }

  interface Pack extends Readable {
    entry(header: Headers, content: string | Buffer, callback?: (err?: Error | null) => void): unknown;
    finalize(): void;
  }

  export function pack(): Pack;
}
