/**
 * Expands input paths (files, directories, globs) into a sorted file list and cuts it
 * into shards: one per file, or byte ranges of a large uncompressed file cut at record
 * boundaries (after a newline for lines/JSONL, after a blank line for paragraphs), so
 * shards can be read independently and the plan is the same on every run.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import type { InputSpec } from './input-spec.ts';
import { compressionOf, detectFormat } from './formats.ts';
import type { Compression, InputFormat } from './formats.ts';

export interface InputShard {
  /** position in the plan; names outputs (00000, 00001, ...) */
  index: number;
  name: string;
  file: string;
  /** path relative to the input's base (used in document ids) */
  rel: string;
  format: InputFormat;
  compression: Compression;
  /** byte range [start, end) of the (uncompressed) file; end null = to the end */
  start: number;
  end: number | null;
  size: number;
  mtimeMs: number;
}

const GLOB_CHARS = /[*?[]/;

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        re += '.*';
        i++;
        if (pattern[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i);
      if (close === -1) re += '\\[';
      else {
        re += pattern.slice(i, close + 1);
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) walk(full, out);
    else if (st.isFile()) out.push(full);
  }
}

/** Expands one path spec into [file, base directory] pairs. */
function expand(spec: string): [string, string][] {
  const abs = resolve(spec);
  if (!GLOB_CHARS.test(spec)) {
    if (!existsSync(abs)) throw new ConfigError('input.paths', `${spec} does not exist`);
    const st = statSync(abs);
    if (st.isDirectory()) {
      const files: string[] = [];
      walk(abs, files);
      return files.map((f) => [f, abs]);
    }
    return [[abs, dirname(abs)]];
  }
  // the directory part before the first glob character is the walk root
  const parts = abs.split(sep);
  const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p));
  const base = parts.slice(0, firstGlob).join(sep) || sep;
  const re = globToRegExp(parts.slice(firstGlob).join('/'));
  if (!existsSync(base)) return [];
  const files: string[] = [];
  walk(base, files);
  return files.filter((f) => re.test(relative(base, f).split(sep).join('/'))).map((f) => [f, base]);
}

/** Finds the first record boundary at or after `pos`; null if none before EOF. */
function nextBoundary(fd: number, pos: number, size: number, paragraph: boolean): number | null {
  const buf = Buffer.alloc(1 << 16);
  let p = pos;
  // a paragraph boundary is the first byte after two or more newlines (CR ignored)
  let newlines = 0;
  while (p < size) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - p), p);
    for (let i = 0; i < n; i++) {
      const b = buf[i] as number;
      if (!paragraph) {
        if (b === 10) return p + i + 1;
      } else if (b === 10) newlines++;
      else if (b !== 13) {
        if (newlines >= 2) return p + i;
        newlines = 0;
      }
    }
    p += n;
  }
  return null;
}

export function planShards(input: InputSpec): InputShard[] {
  if (input.paths.length === 0) throw new ConfigError('input.paths', 'no input paths given');
  const seen = new Set<string>();
  const files: [string, string][] = [];
  for (const spec of input.paths) {
    for (const [f, base] of expand(spec)) {
      if (seen.has(f)) continue;
      seen.add(f);
      files.push([f, base]);
    }
  }
  if (files.length === 0) throw new ConfigError('input.paths', `no files match ${input.paths.join(', ')}`);
  const shards: InputShard[] = [];
  const limit = Math.max(1, Math.floor(input.shard_size_mb * 1024 * 1024));
  for (const [file, base] of files) {
    const st = statSync(file);
    const compression = compressionOf(file);
    const format = detectFormat(file, input.format);
    const rel = relative(base, file).split(sep).join('/');
    // only uncompressed line-oriented files can be cut at a record boundary found by seeking
    const splittable =
      compression === 'none' &&
      (format === 'jsonl' || (format === 'text' && input.text_mode !== 'file')) &&
      st.size > limit;
    const cuts = [0];
    if (splittable) {
      const fd = openSync(file, 'r');
      try {
        let pos = limit;
        while (pos < st.size) {
          const b = nextBoundary(fd, pos, st.size, format === 'text' && input.text_mode === 'paragraph');
          if (b === null || b >= st.size) break;
          cuts.push(b);
          pos = b + limit;
        }
      } finally {
        closeSync(fd);
      }
    }
    for (let i = 0; i < cuts.length; i++) {
      const index = shards.length;
      shards.push({
        index,
        name: String(index).padStart(5, '0'),
        file,
        rel,
        format,
        compression,
        start: cuts[i] as number,
        end: i + 1 < cuts.length ? (cuts[i + 1] as number) : null,
        size: st.size,
        mtimeMs: st.mtimeMs,
      });
    }
  }
  return shards;
}
