/** Reading tokenizer files with size guards, so a hostile path cannot make us read gigabytes. */
import { readFileSync, statSync } from 'node:fs';
import { FormatError, IOError } from '../../core/errors.ts';

export const MAX_TOKENIZER_FILE_BYTES = 1 << 30;

/** The bytes of a regular file of at most `maxBytes`. */
export function readFileBytes(path: string, maxBytes = MAX_TOKENIZER_FILE_BYTES): Buffer {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new IOError(path, 'not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof IOError) throw err;
    throw new IOError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  if (size > maxBytes)
    throw new FormatError(path, `file is ${size} bytes, more than the ${maxBytes} allowed for a tokenizer file`);
  return readFileSync(path);
}

export function readTextFile(path: string, maxBytes = MAX_TOKENIZER_FILE_BYTES): string {
  return readFileBytes(path, maxBytes).toString('utf8');
}
