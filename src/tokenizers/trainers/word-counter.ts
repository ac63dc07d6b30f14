/**
 * Counting pre-tokens ("words") for the trainers: text -> normalizer -> pre-tokenizer -> counts.
 * Byte-level pipelines with a known split pattern count raw pieces with the fast scanner and
 * map each distinct piece to byte-level characters once.
 */
import { toByteLevel } from '../byte-alphabet.ts';
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
      if (s instanceof Split && b instanceof ByteLevel && !b.options.useRegex && !b.options.addPrefixSpace && s.pattern.kind === 'Regex' && s.behavior === 'Isolated' && !s.invert) {
        scanner = createScanner(identifyPattern(s.pattern.source) ?? s.pattern.source, s.pattern.re, true);
      }
    }
    if (scanner === null) return null;
    const counts = this.counts;
    const sc = scanner;
    return (raw) => {
      const text = prefix && raw.length > 0 && raw.charCodeAt(0) !== 32 ? ' ' + raw : raw;
      sc(text, (a, b) => {
        const p = text.slice(a, b);
        counts.set(p, (counts.get(p) ?? 0) + 1);
      });
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
    for (const [raw, c] of this.counts) {
      const w = toByteLevel(raw);
      out.set(w, (out.get(w) ?? 0) + c);
    }
    return out;
  }
}
