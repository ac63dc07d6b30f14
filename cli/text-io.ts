/**
 * Line-oriented input and buffered output for commands that stream large text files
 * (`llmts tokenize` / `detokenize`): a 4 MB file is read in 1 MB chunks and written in
 * ~1 MB writes instead of one readline event and one console.log per line.
 */
import { once } from 'node:events';
import { closeSync, openSync, readSync } from 'node:fs';
import { IOError } from '../src/core/errors.ts';

const CHUNK = 1 << 20;
/** Line ends as readline (crlfDelay: Infinity) reads them: \r\n, \n or a lone \r. */
const EOL = /\r\n|\r|\n/;

/**
 * The lines of a UTF-8 file, in batches (each a whole number of lines). A final line without
 * a line end is a line; the file's last line end does not start an empty one.
 */
export function* fileLineBatches(path: string): Generator<string[]> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new IOError(path, code === 'ENOENT' ? 'no such file' : `cannot read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let have = 0; // bytes of buf in use: the unfinished line carried over, then new bytes
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      let n: number;
      try {
        n = readSync(fd, buf, have, buf.length - have, null);
      } catch (err) {
        throw new IOError(path, `cannot read: ${(err as Error).message}`, { cause: err });
      }
      if (n === 0) break;
      have += n;
      // cut after the last \n or \r: both are single bytes that never occur inside a UTF-8
      // sequence; a \r at the very end waits for the next chunk (it may be half of a \r\n)
      let cut = have - 1;
      while (cut >= 0 && buf[cut] !== 0x0a && (buf[cut] !== 0x0d || cut === have - 1)) cut--;
      if (cut < 0) continue;
      const lines = buf.toString('utf8', 0, cut + 1).split(EOL);
      lines.pop(); // the empty string after the last line end
      buf.copy(buf, 0, cut + 1, have);
      have -= cut + 1;
      yield lines;
    }
    if (have > 0) {
      const lines = buf.toString('utf8', 0, have).split(EOL);
      if (lines[lines.length - 1] === '') lines.pop();
      yield lines;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Collects output lines as UTF-8 bytes and writes them to stdout in ~1 MB pieces, waiting for
 * 'drain' when the stream asks for it. Lines of ids are written as ASCII digits directly, with
 * no string per number. A closed pipe (`llmts tokenize ... | head`) ends the process quietly.
 */
export class BufferedStdout {
  private buf: Buffer;
  private used = 0;

  constructor(private readonly limit = CHUNK) {
    this.buf = Buffer.allocUnsafe(limit);
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes));
    this.buf.copy(bigger, 0, 0, this.used);
    this.buf = bigger;
  }

  /** Adds one line of text (a newline is appended). */
  line(text: string): void {
    this.reserve(3 * text.length + 1);
    this.used += this.buf.write(text, this.used, 'utf8');
    this.buf[this.used++] = 0x0a;
  }

  /** Adds one line of non-negative integers separated by spaces. */
  ids(ids: ArrayLike<number>): void {
    this.reserve(11 * ids.length + 1);
    const buf = this.buf;
    let o = this.used;
    for (let i = 0; i < ids.length; i++) {
      if (i > 0) buf[o++] = 0x20;
      let v = ids[i]!;
      let digits = 1;
      for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
      o += digits;
      for (let k = 1; k <= digits; k++) {
        buf[o - k] = 48 + (v % 10);
        v = Math.floor(v / 10);
      }
    }
    buf[o++] = 0x0a;
    this.used = o;
  }

  /**
   * Lets `write` put up to `maxBytes` bytes at `buf[at...]` and return the new end, or -1 to
   * write nothing; returns whether it wrote.
   */
  bytes(maxBytes: number, write: (buf: Buffer, at: number) => number): boolean {
    this.reserve(maxBytes);
    const end = write(this.buf, this.used);
    if (end < 0) return false;
    this.used = end;
    return true;
  }

  /** True when the buffer should be flushed. */
  get full(): boolean {
    return this.used >= this.limit;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    // the written buffer is handed over (the stream may still hold it), a fresh one is used next
    const out = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(this.limit);
    this.used = 0;
    if (!process.stdout.write(out)) await once(process.stdout, 'drain');
  }
}
