/**
 * `llmts prepare`: tokenize text files once into a token-shard dataset with a train/val
 * split, the way nanoGPT's prepare.py scripts do. Documents come from the same
 * streaming readers as the pipeline. The split:
 *  - a single document (e.g. tinyshakespeare as one file): its first (1 - f) of the
 *    characters are train and the rest val, each tokenized separately (nanoGPT's
 *    shakespeare_char split: data[:int(n*0.9)], data[int(n*0.9):]);
 *  - several documents: the last ceil(f * n) documents (or the last N with
 *    valDocuments) are val, the rest train, in input order.
 * For a character-level vocabulary (char: true) the characters of the whole input,
 * sorted by code point, are the vocabulary (nanoGPT's sorted(set(data))); no EOS.
 * An input folder that is a `llmts data clean` output is read through its kept/ folder only
 * (not rejected/, reports, metrics or _work/), with a notice; several documents without a
 * separator (a tokenizer with no EOS and no --eos-id) get a warning.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError } from '../core/errors.ts';
import { createProgress } from '../core/progress.ts';
import { INPUT_DEFAULTS } from './readers/input-spec.ts';
import type { InputSpec } from './readers/input-spec.ts';
import { planShards } from './readers/plan.ts';
import { emptyReaderStats, readShard } from './readers/read-shard.ts';
import type { ReaderStats } from './readers/read-shard.ts';
import { createShardWriter } from './shards/writer.ts';
import type { ShardMeta } from './shards/meta.ts';
import { fromTokenizer } from './tokenize/tokenizer-like.ts';
import type { TokenizerLike } from './tokenize/tokenizer-like.ts';
import { charTokenizerFromChars } from '../tokenizers/trainers/char.ts';

export interface PrepareOptions {
  inputs: string[];
  out: string;
  /** the tokenizer; ignored when char is set */
  tokenizer?: TokenizerLike | null;
  /** path of the tokenizer file to copy into the dataset (tokenizer.json) */
  tokenizerFile?: string | null;
  tokenizerName?: string | null;
  char?: boolean;
  valFraction?: number;
  valDocuments?: number | null;
  /** append the tokenizer's EOS after each document (default true when it has one) */
  appendEos?: boolean;
  /** overrides the tokenizer's EOS id (the separator appended after each document) */
  eosId?: number | null;
  format?: InputSpec['format'];
  textField?: string;
  /** default "file": one document per file */
  textMode?: InputSpec['text_mode'];
  maxTokensPerFile?: number;
  quiet?: boolean;
  /** one-line notices and warnings (default: stderr) */
  onNotice?: (line: string) => void;
}

/** Is `dir` the output folder of `llmts data clean` / `llmts data run` (kept/ beside the run's files)? */
export function isCleanOutput(dir: string): boolean {
  const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
  return (
    isDir(dir) &&
    isDir(join(dir, 'kept')) &&
    (existsSync(join(dir, '_work', 'run.json')) || existsSync(join(dir, 'report.json')))
  );
}

/** The inputs with every data-clean output folder replaced by its kept/ folder, and a notice for each. */
export function keptInputs(inputs: readonly string[]): { paths: string[]; notices: string[] } {
  const notices: string[] = [];
  const paths = inputs.map((p) => {
    if (!isCleanOutput(p)) return p;
    const kept = join(p, 'kept');
    notices.push(`prepare: ${p} is a data clean output: reading its kept documents (${kept}) only`);
    return kept;
  });
  return { paths, notices };
}

export interface PrepareResult {
  meta: ShardMeta;
  reader: ReaderStats;
  /** the character vocabulary (char mode), in id order */
  chars: string[] | null;
}

/** A character-level tokenizer over a fixed alphabet (ids = positions in `chars`). */
export function charTokenizer(chars: readonly string[]): TokenizerLike & { decode(ids: ArrayLike<number>): string } {
  const stoi = new Map(chars.map((c, i) => [c, i]));
  return {
    vocabSize: chars.length,
    eosId: null,
    bosId: null,
    encodeIds(text) {
      const out: number[] = [];
      for (const ch of text) {
        const id = stoi.get(ch);
        if (id === undefined)
          throw new ArgumentError(
            'charTokenizer.encodeIds',
            `character ${JSON.stringify(ch)} is not in the vocabulary`,
          );
        out.push(id);
      }
      return out;
    },
    decode(ids) {
      let s = '';
      for (let i = 0; i < ids.length; i++) s += chars[ids[i] as number] ?? '';
      return s;
    },
  };
}

/** Sorted by code point, as Python sorts str. */
export function sortedChars(set: Iterable<string>): string[] {
  return [...set].sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number));
}

async function* documents(spec: InputSpec, stats: ReaderStats): AsyncGenerator<string> {
  for (const sh of planShards(spec)) {
    for await (const batch of readShard(sh, spec, stats))
      for (const item of batch) if (item.reject === undefined) yield item.doc.text;
  }
}

export async function prepareDataset(opts: PrepareOptions): Promise<PrepareResult> {
  const f = opts.valFraction ?? (opts.valDocuments != null ? 0 : 0.1);
  if (!(f >= 0 && f < 1)) throw new ArgumentError('prepare', `val fraction must be in [0, 1), got ${f}`);
  if (opts.valDocuments != null && !(Number.isInteger(opts.valDocuments) && opts.valDocuments >= 0)) {
    throw new ArgumentError('prepare', `val documents must be a non-negative integer, got ${opts.valDocuments}`);
  }
  const notice = opts.onNotice ?? ((line: string) => process.stderr.write(line + '\n'));
  const kept = keptInputs(opts.inputs);
  for (const n of kept.notices) notice(n);
  const spec: InputSpec = {
    ...INPUT_DEFAULTS,
    paths: kept.paths,
    format: opts.format ?? 'auto',
    text_field: opts.textField ?? 'text',
    text_mode: opts.textMode ?? 'file',
    shard_size_mb: 1e9,
  };
  // pass 1: count documents (and collect the alphabet for char mode)
  const countStats = emptyReaderStats();
  let nDocs = 0;
  let charSet: Set<string> | null = opts.char ? new Set() : null;
  for await (const text of documents(spec, countStats)) {
    nDocs++;
    if (charSet !== null) for (const ch of text) charSet.add(ch);
  }
  if (nDocs === 0) throw new ArgumentError('prepare', `no documents in ${opts.inputs.join(', ')}`);
  const chars = charSet !== null ? sortedChars(charSet) : null;
  charSet = null;
  // char mode: the tokenizer library's char tokenizer (saved as tokenizer.json) over the same sorted alphabet
  const charTok = chars !== null ? charTokenizerFromChars(chars) : null;
  const tok: TokenizerLike | null = charTok !== null ? fromTokenizer(charTok) : (opts.tokenizer ?? null);
  if (tok === null) throw new ArgumentError('prepare', 'give a tokenizer or use char mode');
  const eos =
    chars === null && opts.appendEos !== false ? (opts.eosId !== undefined ? opts.eosId : (tok.eosId ?? null)) : null;
  if (chars === null && nDocs > 1 && opts.appendEos !== false && eos === null)
    notice(
      `prepare: warning: the tokenizer has no EOS, so the ${nDocs} documents are glued together without a separator ` +
        `(llmts tokenizer train adds <|endoftext|> by default; or give --eos-id N, or --no-eos to join them on purpose)`,
    );

  const single = nDocs === 1 && opts.valDocuments == null;
  const nVal = opts.valDocuments != null ? Math.min(opts.valDocuments, nDocs) : single ? 0 : Math.ceil(f * nDocs);
  const how = single
    ? `first ${100 - Math.round(f * 100)}% of the characters train, last ${Math.round(f * 100)}% val`
    : `last ${nVal} of ${nDocs} documents val`;
  const w = createShardWriter(opts.out, {
    vocabSize: tok.vocabSize,
    eosId: eos,
    tokenizerFile: opts.tokenizerFile ?? null,
    tokenizerJson: opts.tokenizerFile ? null : (tok.json?.() ?? null),
    tokenizerName: chars !== null ? 'char' : (opts.tokenizerName ?? null),
    ...(opts.maxTokensPerFile !== undefined ? { maxTokensPerFile: opts.maxTokensPerFile } : {}),
    source: `${opts.inputs.join(', ')}; ${how}`,
    createdBy: 'llmts prepare',
    ...(chars !== null ? { chars } : {}),
  });
  const stats = emptyReaderStats();
  const totalMb = Math.max(1, Math.ceil(countStats.bytes / 1e6));
  const bar = opts.quiet ? null : createProgress(totalMb, { label: 'tokenize', unit: 'MB' });
  try {
    let i = 0;
    let bytes = 0;
    for await (const text of documents(spec, stats)) {
      bytes += Buffer.byteLength(text);
      bar?.update(Math.floor(bytes / 1e6));
      if (single) {
        const cps = Array.from(text);
        const cut = Math.floor(cps.length * (1 - f));
        const trainText = cps.length === text.length ? text.slice(0, cut) : cps.slice(0, cut).join('');
        const valText = cps.length === text.length ? text.slice(cut) : cps.slice(cut).join('');
        w.addDocument('train', tok.encodeIds(trainText));
        if (valText.length > 0) w.addDocument('val', tok.encodeIds(valText));
      } else {
        w.addDocument(i >= nDocs - nVal ? 'val' : 'train', tok.encodeIds(text));
      }
      i++;
    }
    bar?.stop();
    const meta = w.finish();
    return { meta, reader: stats, chars };
  } catch (err) {
    bar?.stop();
    w.abort();
    throw err;
  }
}
