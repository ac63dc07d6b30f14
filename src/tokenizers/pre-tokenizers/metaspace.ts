/**
 * SentencePiece-style whitespace (HF Metaspace): spaces become '▁', a '▁' is prepended
 * ('always', 'first' = only at the start of the input, 'never'), and with `split` each
 * '▁' starts a new piece (MergedWithNext). Also used by the SentencePiece pipelines.
 */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import { applyBehavior, type PreTokenizedString } from '../pre-tokenized-string.ts';
import { charRanges } from './char-split.ts';

export type PrependScheme = 'always' | 'first' | 'never';

export class Metaspace implements PreTokenizer {
  readonly type = 'Metaspace';
  private readonly cp: number;
  constructor(
    readonly replacement = '\u2581',
    readonly prependScheme: PrependScheme = 'always',
    readonly split = true,
  ) {
    this.cp = replacement.codePointAt(0)!;
  }

  preTokenize(pts: PreTokenizedString): void {
    pts.split((_, ns) => {
      const edits: [number, number, string][] = [];
      for (let i = ns.normalized.indexOf(' '); i >= 0; i = ns.normalized.indexOf(' ', i + 1))
        edits.push([i, i + 1, this.replacement]);
      ns.replaceRanges(edits);
      if (this.shouldPrepend(ns.normalized, ns.originalSpan()[0] === 0)) ns.prepend(this.replacement);
      if (!this.split) return [ns];
      return applyBehavior(
        charRanges(ns.normalized, (c) => c === this.cp),
        'MergedWithNext',
      ).map(([a, b]) => ns.slice(a, b));
    });
  }

  private shouldPrepend(s: string, atStart: boolean): boolean {
    if (this.prependScheme === 'never' || s.startsWith(this.replacement)) return false;
    return this.prependScheme === 'always' || atStart;
  }

  preTokenizeString(text: string, atStart = true): string[] {
    let s = text.replaceAll(' ', this.replacement);
    if (s.length > 0 && this.shouldPrepend(s, atStart)) s = this.replacement + s;
    if (!this.split) return s.length > 0 ? [s] : [];
    return applyBehavior(
      charRanges(s, (c) => c === this.cp),
      'MergedWithNext',
    ).map(([a, b]) => s.slice(a, b));
  }

  toJSON(): JsonObject {
    return { type: this.type, replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}
