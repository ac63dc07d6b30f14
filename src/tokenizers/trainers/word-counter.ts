/**
 * Counting pre-tokens ("words") for the trainers: text -> normalizer -> pre-tokenizer -> counts.
 * Byte-level pipelines with a known split pattern count raw pieces with the fast scanner and
 * map each distinct piece to byte-level characters once.
 */
import { toByteLevel } from '../byte-alphabet.ts';
import { hashRange } from '../piece-cache.ts';
import type { Normalizer, PreTokenizer } from '../interfaces.ts';
import { ByteLevel } from '../pre-tokenizers/byte-level.ts';
import { compilePattern, GPT2_PATTERN, identifyPattern } from '../pre-tokenizers/patterns.ts';
import { createScanner } from '../pre-tokenizers/scanners.ts';
import { PreTokenizerSequence } from '../pre-tokenizers/sequence.ts';
import { Split } from '../pre-tokenizers/split.ts';

export class WordCounter {
  /** Raw pieces (fast path) or final pre-tokens (generic path) -> count. */
  private readonly counts = new Map<string, number>();
  private readonly fast: ((text: string) => void) | null;
  /** Fast path: raw piece counts, probed by range so repeated pieces allocate nothing. */
  private readonly rangeCounts = new RangeCounter();

  constructor(
    private readonly normalizer: Normalizer | null,
    private readonly preTokenizer: PreTokenizer | null,
  ) {
    this.fast = this.planFast();
  }

  private planFast(): ((text: string) => void) | null {
    if (this.normalizer !== null) return null;
    const pre = this.preTokenizer;
    let scanner = null;
    let prefix = false;
    if (pre instanceof ByteLevel && pre.options.useRegex) {
      scanner = createScanner('gpt2', compilePattern(GPT2_PATTERN), true);
      prefix = pre.options.addPrefixSpace;
    } else if (pre instanceof PreTokenizerSequence && pre.preTokenizers.length === 2) {
      const [s, b] = pre.preTokenizers;
      if (
        s instanceof Split &&
        b instanceof ByteLevel &&
        !b.options.useRegex &&
        !b.options.addPrefixSpace &&
        s.pattern.kind === 'Regex' &&
        s.behavior === 'Isolated' &&
        !s.invert
      ) {
        scanner = createScanner(identifyPattern(s.pattern.source) ?? s.pattern.source, s.pattern.re, true);
      }
    }
    if (scanner === null) return null;
    const counts = this.rangeCounts;
    const sc = scanner;
    let text = '';
    const emit = (a: number, b: number): void => counts.add(text, a, b);
    return (raw) => {
      text = prefix && raw.length > 0 && raw.charCodeAt(0) !== 32 ? ' ' + raw : raw;
      sc(text, emit);
      text = '';
    };
  }

  add(text: string): void {
    if (this.fast !== null) {
      this.fast(text);
      return;
    }
    const s = this.normalizer === null ? text : this.normalizer.normalizeString(text);
    const pieces = this.preTokenizer === null ? [s] : this.preTokenizer.preTokenizeString(s);
    for (const p of pieces) if (p.length > 0) this.counts.set(p, (this.counts.get(p) ?? 0) + 1);
  }

  /** Final pre-token strings (byte-level mapped where the pipeline maps) -> count. */
  result(): Map<string, number> {
    if (this.fast === null) return this.counts;
    const out = new Map<string, number>();
    for (const [raw, c] of this.rangeCounts.entries()) {
      const w = toByteLevel(raw);
      out.set(w, (out.get(w) ?? 0) + c);
    }
    return out;
  }
}

/** A string -> count table probed with text[start, end) and an in-place hash (no substring on hits). */
class RangeCounter {
  private keys: (string | undefined)[] = new Array<string | undefined>(1 << 16);
  private hashes = new Int32Array(1 << 16);
  private counts = new Float64Array(1 << 16);
  private size = 0;

  add(text: string, start: number, end: number): void {
    const h = hashRange(text, start, end);
    const len = end - start;
    const mask = this.keys.length - 1;
    let i = h & mask;
    for (;;) {
      const k = this.keys[i];
      if (k === undefined) break;
      if (this.hashes[i] === h && k.length === len && text.startsWith(k, start)) {
        this.counts[i]! += 1;
        return;
      }
      i = (i + 1) & mask;
    }
    this.keys[i] = text.slice(start, end);
    this.hashes[i] = h;
    this.counts[i] = 1;
    if (++this.size * 2 > this.keys.length) this.grow();
  }

  private grow(): void {
    const { keys, hashes, counts } = this;
    const cap = keys.length * 2;
    this.keys = new Array<string | undefined>(cap);
    this.hashes = new Int32Array(cap);
    this.counts = new Float64Array(cap);
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j];
      if (k === undefined) continue;
      let i = hashes[j]! & (cap - 1);
      while (this.keys[i] !== undefined) i = (i + 1) & (cap - 1);
      this.keys[i] = k;
      this.hashes[i] = hashes[j]!;
      this.counts[i] = counts[j]!;
    }
  }

  *entries(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i];
      if (k !== undefined) yield [k, this.counts[i]!];
    }
  }
}
