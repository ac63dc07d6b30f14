/**
 * Training input for the SentencePiece trainers (SentencePiece's TrainerInterface::LoadSentences):
 * lines streamed from text files (or given), too-long lines skipped, each normalized with the
 * model's normalizer, then the character coverage applied:
 *
 *   characters sorted by frequency are kept until `characterCoverage` of all occurrences is
 *   covered (0.9995 by default; 1.0 for small alphabets; ~0.9995 keeps the rare CJK characters
 *   out of the vocabulary, they fall back to UNK or bytes); the others become U+2585 in the
 *   training text, so no piece contains them.
 */
import { createReadStream, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { IOError } from '../../core/errors.ts';
import { createProgress } from '../../core/progress.ts';
import type { SentencePieceNormalizer } from './normalizer.ts';
import { UNK_CHAR } from './piece-validity.ts';

export interface CorpusOptions {
  normalizer: SentencePieceNormalizer;
  /** lines longer than this many UTF-8 bytes are skipped (SentencePiece: 4192) */
  maxSentenceLength: number;
  characterCoverage: number;
  /** characters always in the alphabet, whatever their frequency */
  requiredChars?: string;
  showProgress?: boolean;
}

export interface TrainingCorpus {
  /** normalized sentences, rare characters replaced by U+2585 */
  sentences: string[];
  /** the alphabet: code point -> count, most frequent first */
  requiredChars: [number, number][];
  /** share of character occurrences the alphabet covers */
  coverage: number;
  skippedTooLong: number;
}

/** Streams the lines of `files` (split on '\n', as std::getline) to `onLine`, with a progress bar over bytes. */
export async function readLines(
  files: readonly string[],
  onLine: (line: string) => void,
  showProgress = false,
): Promise<void> {
  let total = 0;
  for (const f of files) {
    try {
      total += statSync(f).size;
    } catch (err) {
      throw new IOError(f, `cannot read training input: ${(err as Error).message}`, { cause: err });
    }
  }
  const bar = createProgress(Math.max(1, Math.round(total / 1e6)), {
    label: 'reading',
    unit: 'MB',
    force: showProgress,
  });
  let done = 0;
  try {
    for (const f of files) {
      const decoder = new StringDecoder('utf8');
      let rest = '';
      try {
        for await (const chunk of createReadStream(f, { highWaterMark: 1 << 20 })) {
          const buf = chunk as Buffer;
          done += buf.length;
          bar.update(Math.round(done / 1e6));
          const text = rest + decoder.write(buf);
          let start = 0;
          for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
            onLine(text.slice(start, nl));
            start = nl + 1;
          }
          rest = text.slice(start);
        }
      } catch (err) {
        throw new IOError(f, `cannot read training input: ${(err as Error).message}`, { cause: err });
      }
      rest += decoder.end();
      if (rest.length > 0) onLine(rest);
    }
  } finally {
    bar.stop();
  }
}

/** Collects, normalizes and filters training sentences from files and/or given lines. */
export async function loadCorpus(
  files: readonly string[],
  lines: Iterable<string> | undefined,
  options: CorpusOptions,
): Promise<TrainingCorpus> {
  const sentences: string[] = [];
  let skippedTooLong = 0;
  const add = (line: string): void => {
    if (line.length === 0) return;
    // UTF-8 bytes >= UTF-16 units, and <= 3 per unit: count bytes only near the limit
    const max = options.maxSentenceLength;
    if (line.length > max || (line.length * 3 > max && Buffer.byteLength(line, 'utf8') > max)) {
      skippedTooLong++;
      return;
    }
    if (line.includes('\u2585')) return; // SentencePiece skips lines holding its UNK placeholder
    const s = options.normalizer.normalizeString(line);
    if (s.length > 0) sentences.push(s);
  };
  if (files.length > 0) await readLines(files, add, options.showProgress ?? false);
  if (lines !== undefined) for (const l of lines) add(l);
  return applyCoverage(sentences, options.characterCoverage, options.requiredChars ?? '', skippedTooLong);
}

/** Chooses the alphabet by coverage and replaces the other characters with U+2585. */
export function applyCoverage(
  sentences: string[],
  coverage: number,
  required: string,
  skippedTooLong = 0,
): TrainingCorpus {
  const counts = new Map<number, number>();
  let all = 0;
  for (const s of sentences) {
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if ((d & 0xfc00) === 0xdc00) {
          c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          i++;
        }
      }
      if (c === 0 || c === 0x20) continue;
      counts.set(c, (counts.get(c) ?? 0) + 1);
      all++;
    }
  }
  // most frequent first; ties by code point (SentencePiece's Sorted over a map)
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const chosen = new Map<number, number>();
  let acc = 0;
  for (const [c, n] of sorted) {
    if (all > 0 && acc / all >= coverage) break;
    acc += n;
    if (c === 0x09 || c === UNK_CHAR) continue; // tab is never a piece
    chosen.set(c, n);
  }
  for (const ch of required) {
    const c = ch.codePointAt(0)!;
    if (!chosen.has(c) && c !== 0x20 && c !== UNK_CHAR) chosen.set(c, counts.get(c) ?? 1);
  }
  const unk = String.fromCodePoint(UNK_CHAR);
  const out = sentences.map((s) => {
    let replaced: string[] | null = null;
    let i = 0;
    for (const ch of s) {
      if (!chosen.has(ch.codePointAt(0)!)) {
        replaced ??= [...s].slice(0, i);
        replaced.push(unk);
      } else if (replaced !== null) replaced.push(ch);
      i++;
    }
    return replaced === null ? s : replaced.join('');
  });
  const requiredChars = [...chosen.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return { sentences: out, requiredChars, coverage: all === 0 ? 1 : acc / all, skippedTooLong };
}
