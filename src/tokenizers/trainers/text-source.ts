/**
 * Streaming text input for the trainers: files are read in chunks (never whole into one
 * string), cut at line starts so that pre-tokenization sees whole lines, with a progress bar
 * over the total bytes.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { IOError } from '../../core/errors.ts';
import { createProgress } from '../../core/progress.ts';

const CHUNK = 1 << 22; // 4 MiB

/** Calls `fn` with consecutive text chunks of every file. */
export function forEachChunk(
  files: readonly string[],
  fn: (text: string) => void,
  options: { showProgress?: boolean; label?: string } = {},
): void {
  let total = 0;
  for (const f of files) {
    try {
      total += statSync(f).size;
    } catch (err) {
      throw new IOError(f, `cannot read training file: ${(err as Error).message}`, { cause: err });
    }
  }
  const bar = createProgress(Math.max(1, Math.round(total / 1e6)), {
    unit: 'MB',
    label: options.label ?? 'counting',
    force: options.showProgress === true,
  });
  let done = 0;
  const decoder = new TextDecoder('utf-8');
  const buf = Buffer.alloc(CHUNK);
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      let carry = '';
      for (;;) {
        const n = readSync(fd, buf, 0, CHUNK, null);
        const text = carry + decoder.decode(buf.subarray(0, n), { stream: n > 0 });
        if (n === 0) {
          if (text.length > 0) fn(text);
          break;
        }
        done += n;
        bar.update(Math.round(done / 1e6));
        // cut after the last newline that is followed by a non-space character
        let cut = -1;
        for (let i = text.length - 2; i >= 0; i--) {
          if (text.charCodeAt(i) === 10 && !/\s/.test(text[i + 1]!)) {
            cut = i + 1;
            break;
          }
        }
        if (cut <= 0 || text.length - cut > CHUNK * 4) cut = text.length;
        fn(text.slice(0, cut));
        carry = text.slice(cut);
      }
    } finally {
      closeSync(fd);
    }
  }
  bar.stop();
}
