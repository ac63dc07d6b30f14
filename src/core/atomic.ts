/**
 * Atomic file writes: write to a temporary file beside the target, fsync it, rename it
 * over the target, then fsync the directory so the rename itself survives a power cut.
 * An interrupted run leaves either the old file or the new one, never half of one; the
 * temporary files a killed writer leaves behind (".<name>.tmp-<pid>-<n>") are removed by
 * removeStaleTemps at the next start.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { IOError } from './errors.ts';
import { faultPoint } from './fault.ts';

let counter = 0;

/** The temporary name a write of `path` uses (unique per process and write). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter++}`);
}

/** fsync a directory so a rename or create inside it is durable (a no-op where directories cannot be opened). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; some file systems refuse fsync on one: nothing more to do
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Renames a finished temp file over `path` and makes the rename durable. */
export function publish(tmp: string, path: string): void {
  faultPoint('atomic:before-rename');
  faultPoint(`atomic:before-rename:${basename(path)}`);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
  faultPoint('atomic:after-rename');
  faultPoint(`atomic:after-rename:${basename(path)}`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = tempPathFor(path);
  const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.byteLength) {
        written += writeSync(fd, chunk, written, chunk.byteLength - written);
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    publish(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new IOError(path, `could not write atomically: ${(err as Error).message}`, { cause: err });
  }
}

const TEMP_NAME = /^\..+\.(?:tmp|staging)-(\d+)-\d+(?:\.old)?$/;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files and staging folders of interrupted writes directly inside
 * `dir` (not below it) whose writing process is gone; a live writer's are left alone.
 * With `of`, only those of that file name (".<of>.tmp-..."). Returns the names removed.
 */
export function removeStaleTemps(dir: string, of?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (m === null || (of !== undefined && !name.startsWith(`.${of}.`)) || processAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
