/**
 * One sequence's output text as it streams: token ids become text through the tokenizer's
 * StreamDecoder (a character split over several tokens is released only once complete, so a
 * stream never carries half a UTF-8 sequence), and stop strings are cut out. Text that could
 * still turn out to be the start of a stop string is held back until it is decided, so a
 * stream never shows part of a stop string; a stop string ends the output before itself (the
 * OpenAI semantics: "the returned text will not contain the stop sequence").
 *
 * Each token is released together with the text it completes (for per-token log-probabilities
 * in stream chunks); tokens that lie wholly inside a cut stop string are dropped.
 */
import { StreamDecoder, type DecodeFn } from '../tokenizers/stream-decoder.ts';

export interface Released<T> {
  /** New text for the client. */
  text: string;
  /** Tokens whose text is now fully released (or that carry no text). */
  tokens: T[];
  /** Where each token's text starts in the output text. */
  offsets: number[];
}

export class TextOutput<T> {
  private readonly decoder: StreamDecoder;
  /** All decoded text so far; text[0, emitted) has been released. */
  private text = '';
  private emitted = 0;
  /**
   * Tokens not yet released, each with the text offset where its text ends; null while its
   * text is incomplete (part of a character), until a later token completes it.
   */
  private pending: { token: T; end: number | null }[] = [];
  /** Where the text of the next pending token starts (the end of the last released one). */
  private releasedEnd = 0;
  private readonly longestStop: number;
  /** Set once a stop string was found: nothing more is released. */
  stopped = false;

  constructor(
    decode: DecodeFn,
    private readonly stops: readonly string[],
  ) {
    this.decoder = new StreamDecoder(decode);
    this.longestStop = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /** The text released so far. */
  get released(): string {
    return this.text.slice(0, this.emitted);
  }

  /** Adds one token (with its payload); returns what can be released now. */
  push(id: number, token: T): Released<T> {
    if (this.stopped) return { text: '', tokens: [], offsets: [] };
    const delta = this.decoder.push(id);
    this.text += delta;
    this.pending.push({ token, end: null });
    if (delta !== '') for (const p of this.pending) p.end ??= this.text.length;
    return this.advance(false);
  }

  /** The sequence ended (EOS, length): releases the decoder's remainder and any held-back text. */
  finish(): Released<T> {
    if (this.stopped) return { text: '', tokens: [], offsets: [] };
    this.text += this.decoder.flush();
    for (const p of this.pending) p.end ??= this.text.length;
    return this.advance(true);
  }

  private advance(final: boolean): Released<T> {
    // released text never holds the start of a stop string, so a match starts at or after `emitted`
    let cut = -1;
    for (const s of this.stops) {
      const i = this.text.indexOf(s, this.emitted);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    let until: number;
    if (cut >= 0) {
      this.stopped = true;
      until = cut;
    } else if (final) until = this.text.length;
    else until = this.text.length - this.heldBack();
    const text = this.text.slice(this.emitted, until);
    this.emitted = until;
    const tokens: T[] = [];
    const offsets: number[] = [];
    while (this.pending.length > 0) {
      const p = this.pending[0]!;
      // after a stop: tokens that begin before the cut are part of the output, the rest are dropped
      const done = cut >= 0 ? this.releasedEnd < cut : p.end !== null && (p.end <= until || final);
      if (!done) break;
      tokens.push(p.token);
      offsets.push(this.releasedEnd);
      this.releasedEnd = p.end ?? this.text.length;
      this.pending.shift();
    }
    if (cut >= 0) this.pending = [];
    return { text, tokens, offsets };
  }

  /** Length of the longest suffix of the unreleased text that is a proper prefix of a stop string. */
  private heldBack(): number {
    const tail = this.text.slice(Math.max(this.emitted, this.text.length - this.longestStop + 1));
    for (let n = tail.length; n > 0; n--) {
      const suffix = tail.slice(tail.length - n);
      if (this.stops.some((s) => s.startsWith(suffix))) return n;
    }
    return 0;
  }
}
