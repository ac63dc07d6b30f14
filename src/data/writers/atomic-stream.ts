/**
 * A file written in pieces and published atomically: data goes to a temporary file
 * beside the target (".<name>.tmp-<pid>-<n>"), and commit() fsyncs and renames it into
 * place. An interrupted writer leaves only a temp file, which the next run removes.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { IOError } from '../../core/errors.ts';

let counter = 0;
const FLUSH_CHARS = 1 << 20;

export class AtomicFileStream {
  readonly path: string;
  private readonly tmp: string;
  private fd: number | null;
  private parts: string[] = [];
  private partsLen = 0;
  bytes = 0;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter++}`);
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (err) {
      throw new IOError(path, `cannot open for writing: ${(err as Error).message}`, { cause: err });
    }
  }

  write(s: string): void {
    this.parts.push(s);
    this.partsLen += s.length;
    if (this.partsLen >= FLUSH_CHARS) this.flush();
  }

  writeBytes(b: Uint8Array): void {
    this.flush();
    this.writeRaw(b);
  }

  /** Appends the contents of another file (streamed in 1 MiB pieces). */
  appendFile(path: string): void {
    this.flush();
    const fd = openSync(path, 'r');
    const buf = Buffer.alloc(1 << 20);
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        this.writeRaw(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }

  private writeRaw(b: Uint8Array): void {
    if (this.fd === null) throw new IOError(this.path, 'write after commit/abort');
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    this.bytes += b.length;
  }

  private flush(): void {
    if (this.partsLen === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.partsLen = 0;
    this.writeRaw(buf);
  }

  commit(): void {
    this.flush();
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.tmp, { force: true });
  }
}

/** Removes temp files left by interrupted writers in a directory tree. */
export function removeStaleTemps(dir: string): number {
  let n = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of entries) {
    const full = join(dir, name);
    if (/^\..+\.(tmp-\d+-\d+|staging-\d+-\d+(\.old)?)$/.test(name)) {
      rmSync(full, { recursive: true, force: true });
      n++;
    } else if (!name.startsWith('.')) {
      try {
        if (readdirSync(full, { withFileTypes: true })) n += removeStaleTemps(full);
      } catch {
        // a file, not a directory
      }
    }
  }
  return n;
}
