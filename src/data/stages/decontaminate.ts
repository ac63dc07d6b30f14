/**
 * Benchmark decontamination as GPT-3 (Brown et al. 2020, appendix C) and datatrove's
 * NGramsDecontFilter do it: a document that shares any word 13-gram with an evaluation
 * set is dropped, and the rejection names the benchmark (`contaminated_<name>`). Text on
 * both sides is normalised with datatrove's simplify_text (lower case, punctuation gone,
 * digits folded), so casing and punctuation do not hide an overlap. Evaluation examples
 * shorter than `ngram` words but at least `min_ngram` long are matched whole (GPT-3 lowers
 * N for short-example benchmarks). Evaluation files are JSONL (every string field of a
 * record is part of the example) or text (one example per line); .gz/.zst work too.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { ConfigError } from '../../core/errors.ts';
import { simplifyText } from '../text/simplify.ts';
import { hash52 } from '../text/hash.ts';
import type { Stage } from './stage.ts';

export interface DecontaminateOptions {
  /** benchmark name -> evaluation file */
  benchmarks: Record<string, string>;
  ngram: number;
  min_ngram: number;
}

export const DECONTAMINATE_DEFAULTS: DecontaminateOptions = { benchmarks: {}, ngram: 13, min_ngram: 8 };

function words(text: string): string[] {
  return simplifyText(text)
    .split(' ')
    .filter((w) => w.length > 0);
}

function examplesOf(name: string, path: string): string[] {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new ConfigError(`decontaminate.benchmarks.${name}`, `cannot read ${path}: ${(err as Error).message}`);
  }
  if (/\.gz$/i.test(path)) buf = gunzipSync(buf);
  else if (/\.zstd?$/i.test(path)) buf = Buffer.from(zstdDecompress(buf));
  const lines = buf
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0);
  if (!/\.(jsonl|ndjson|json)(\.(gz|zstd?))?$/i.test(path)) return lines;
  return lines.map((l, i) => {
    try {
      const r = JSON.parse(l) as unknown;
      const strings: string[] = [];
      const collect = (v: unknown): void => {
        if (typeof v === 'string') strings.push(v);
        else if (Array.isArray(v)) v.forEach(collect);
        else if (typeof v === 'object' && v !== null) Object.values(v).forEach(collect);
      };
      collect(r);
      return strings.join(' ');
    } catch {
      throw new ConfigError(`decontaminate.benchmarks.${name}`, `${path} line ${i + 1} is not JSON`);
    }
  });
}

/** The n-gram index of the evaluation sets: hash of the joined words -> benchmark. */
export class NGramIndex {
  readonly names: string[] = [];
  private readonly grams = new Map<number, number>();
  /** word counts of short examples indexed whole */
  readonly shortLengths = new Set<number>();
  constructor(
    readonly n: number,
    readonly minN: number,
  ) {}

  add(benchmark: string, example: string): void {
    let b = this.names.indexOf(benchmark);
    if (b === -1) b = this.names.push(benchmark) - 1;
    const w = words(example);
    if (w.length >= this.n) {
      for (let i = 0; i + this.n <= w.length; i++)
        if (!this.grams.has(hash52(w.slice(i, i + this.n).join(' '))))
          this.grams.set(hash52(w.slice(i, i + this.n).join(' ')), b);
    } else if (w.length >= this.minN) {
      this.shortLengths.add(w.length);
      this.grams.set(hash52(w.join(' ')), b);
    }
  }

  get size(): number {
    return this.grams.size;
  }

  /** The benchmark a text overlaps, or null. */
  match(text: string): string | null {
    const w = words(text);
    for (const len of [this.n, ...this.shortLengths]) {
      for (let i = 0; i + len <= w.length; i++) {
        const b = this.grams.get(hash52(w.slice(i, i + len).join(' ')));
        if (b !== undefined) return this.names[b] as string;
      }
    }
    return null;
  }
}

export function decontaminate(opts: Partial<DecontaminateOptions> = {}): Stage {
  const o = { ...DECONTAMINATE_DEFAULTS, ...opts };
  if (Object.keys(o.benchmarks).length === 0)
    throw new ConfigError('decontaminate.benchmarks', 'give at least one benchmark: {name: path to its examples}');
  const index = new NGramIndex(o.ngram, o.min_ngram);
  for (const [name, path] of Object.entries(o.benchmarks)) for (const ex of examplesOf(name, path)) index.add(name, ex);
  return {
    name: 'decontaminate',
    apply(doc, count) {
      const hit = index.match(doc.text);
      if (hit === null) return undefined;
      count(`matched_${hit}`);
      return `contaminated_${hit}`;
    },
  };
}
