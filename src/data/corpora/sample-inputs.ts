/**
 * The inputs of README's command tour, written from the nlp-corpus npm package so the tour runs
 * in a fresh clone (no ../shared): `corpus.txt` (plain text, one sentence per line, for the
 * tokenizer and character-level commands) and `raw/` (JSONL documents with a "text" field, for
 * `llmts data clean`; a few repeated documents so deduplication has something to remove).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.ts';
import { nlpCorpusFileSentences, nlpCorpusText } from './nlp-corpus.ts';

/** What writeSampleInputs wrote. */
export interface SampleInputs {
  /** Path of corpus.txt. */
  corpus: string;
  /** Path of the raw/ folder. */
  raw: string;
  /** Size of corpus.txt in bytes. */
  corpusBytes: number;
  /** JSONL documents in raw/ (repeats included). */
  rawDocuments: number;
}

/** Sentences per raw document: long enough for the Gopher/C4 word and sentence minimums. */
const SENTENCES_PER_DOCUMENT = 12;

/** Writes DIR/corpus.txt (about corpusBytes of nlp-corpus) and DIR/raw/part-{0,1}.jsonl (rawDocuments documents plus repeats). */
export function writeSampleInputs(dir: string, corpusBytes = 300_000, rawDocuments = 200): SampleInputs {
  mkdirSync(dir, { recursive: true });
  const corpus = join(dir, 'corpus.txt');
  const text = nlpCorpusText(corpusBytes);
  writeFileAtomic(corpus, text);

  // raw documents from the corpus files after the ones corpus.txt used, so the two differ
  const skip = text.split('\n').length;
  const docs: string[] = [];
  let seen = 0;
  for (const sentences of nlpCorpusFileSentences()) {
    seen += sentences.length;
    if (seen <= skip) continue;
    for (let i = 0; i + SENTENCES_PER_DOCUMENT <= sentences.length; i += SENTENCES_PER_DOCUMENT) {
      docs.push(sentences.slice(i, i + SENTENCES_PER_DOCUMENT).join(' '));
      if (docs.length >= rawDocuments) break;
    }
    if (docs.length >= rawDocuments) break;
  }
  // every tenth document twice: exact duplicates for the dedup stage
  const withCopies = docs.flatMap((d, i) => (i % 10 === 0 ? [d, d] : [d]));
  const raw = join(dir, 'raw');
  mkdirSync(raw, { recursive: true });
  const half = Math.ceil(withCopies.length / 2);
  const lines = (part: string[]): string => part.map((t) => JSON.stringify({ text: t })).join('\n') + '\n';
  writeFileAtomic(join(raw, 'part-0.jsonl'), lines(withCopies.slice(0, half)));
  writeFileAtomic(join(raw, 'part-1.jsonl'), lines(withCopies.slice(half)));
  return { corpus, raw, corpusBytes: Buffer.byteLength(text), rawDocuments: withCopies.length };
}
