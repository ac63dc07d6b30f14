/**
 * The SentencePiece oracle fixtures (scripts/oracles/sentencepiece_fixtures.py, SentencePiece
 * 0.1.97): models, expected encodings, and the corpora they were trained on, rebuilt from
 * node_modules exactly as the script builds them (checked by sha256).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURES = join(root, 'test', 'fixtures', 'tokenizers', 'sentencepiece');

export interface Case {
  text: string;
  ids: number[];
  pieces: string[];
  /** code-point offsets into text */
  offsets: [number, number][];
  decoded: string;
  nbest?: number[][];
}

export interface FixtureModel {
  file: string;
  train_args: Record<string, string | number | boolean | string[]>;
  corpus: string;
  corpus_sha256: string;
  heldout_sha256: string;
  heldout_tokens_per_byte: number;
  vocab_size: number;
  cases: Case[];
}

export interface Expected {
  sentencepiece: string;
  nmt_nfkc_charsmap_sha256: string;
  models: Record<'unigram-en' | 'unigram-zh' | 'bpe-en', FixtureModel>;
}

let expected: Expected | null = null;
export function loadExpected(): Expected {
  return (expected ??= JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected);
}

/** The model file's bytes (gunzipped when stored as .gz). */
export function modelBytes(name: keyof Expected['models']): Uint8Array {
  const file = loadExpected().models[name].file;
  const raw = readFileSync(join(FIXTURES, file));
  return new Uint8Array(file.endsWith('.gz') ? gunzipSync(raw) : raw);
}

/** Sentences of nlp-corpus builds/doc-{first..last}.json joined by '\n' plus a final '\n'. */
export function nlpDocs(first: number, last: number): string {
  const lines: string[] = [];
  for (let i = first; i <= last; i++)
    lines.push(
      ...(JSON.parse(
        readFileSync(join(root, 'node_modules', 'nlp-corpus', 'builds', `doc-${i}.json`), 'utf8'),
      ) as string[]),
    );
  return lines.join('\n') + '\n';
}

/** TypeScript's zh-cn diagnostic messages [start, stop) in key order, one per line. */
export function zhMessages(start: number, stop: number): string {
  const d = JSON.parse(
    readFileSync(join(root, 'node_modules', 'typescript', 'lib', 'zh-cn', 'diagnosticMessages.generated.json'), 'utf8'),
  ) as Record<string, string>;
  // the script sorts keys with Python's sorted(): code point order
  const keys = Object.keys(d)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(start, stop);
  return keys.map((k) => d[k]!.replaceAll('\n', ' ')).join('\n') + '\n';
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Tokens per UTF-8 byte over the non-empty lines of `text`, as the fixture script measures it. */
export function tokensPerByte(encode: (line: string) => number[], text: string): number {
  let tokens = 0;
  let bytes = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    tokens += encode(line).length;
    bytes += Buffer.byteLength(line, 'utf8');
  }
  return tokens / bytes;
}

/** Code-point offset -> UTF-16 offset in text. */
export function cpToUtf16(text: string, cp: number): number {
  let u = 0;
  for (let k = 0; k < cp; k++) u += text.codePointAt(u)! > 0xffff ? 2 : 1;
  return u;
}
