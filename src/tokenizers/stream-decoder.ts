/**
 * Incremental decoding for generation, as Hugging Face's DecodeStream: `push(id)` returns the
 * new text only once it is complete, so a character split over several byte tokens (emoji,
 * CJK in byte-level BPE, `<0xNN>` byte fallback) is never emitted half-way as U+FFFD.
 *
 * Decoders are context-dependent (Metaspace drops the leading space of the first token,
 * WordPiece joins `##`), so each step decodes [context tokens + pending tokens] and emits the
 * difference from decoding the context alone.
 */
import type { Tokenizer } from './tokenizer.ts';

export interface StreamDecoderOptions {
  skipSpecialTokens?: boolean;
  /**
   * Emit even an incomplete character (as U+FFFD) once this many tokens are pending, so a
   * genuinely invalid byte sequence cannot stall the stream. Default 8.
   */
  maxPending?: number;
}

export type DecodeFn = (ids: readonly number[]) => string;

export function createDecodeFn(tok: Tokenizer, skipSpecialTokens: boolean): DecodeFn {
  return (ids) => tok.decode(ids, { skipSpecialTokens });
}

export class StreamDecoder {
  /** Context tokens (already emitted) followed by pending tokens. */
  private ids: number[] = [];
  private contextLength = 0;
  private contextText = '';
  private readonly maxPending: number;

  constructor(
    private readonly decode: DecodeFn,
    options: StreamDecoderOptions = {},
  ) {
    this.maxPending = options.maxPending ?? 8;
  }

  /** Adds one id; returns the newly completed text ('' while a character is incomplete). */
  push(id: number): string {
    this.ids.push(id);
    const text = this.decode(this.ids);
    const pending = this.ids.length - this.contextLength;
    const incomplete = text.endsWith('\uFFFD') || !text.startsWith(this.contextText);
    if ((incomplete && pending < this.maxPending) || text.length <= this.contextText.length) {
      if (pending >= this.maxPending) this.reset(); // decoded to nothing for too long: drop context
      return '';
    }
    const delta = text.slice(this.contextText.length);
    // keep only the newly emitted tokens as context for the next step
    this.ids = this.ids.slice(this.contextLength);
    this.contextLength = this.ids.length;
    this.contextText = this.decode(this.ids);
    return delta;
  }

  /** Pushes several ids and returns the concatenated deltas. */
  pushMany(ids: Iterable<number>): string {
    let s = '';
    for (const id of ids) s += this.push(id);
    return s;
  }

  /** Emits whatever is pending (possibly with U+FFFD for an incomplete character) and resets. */
  flush(): string {
    const text = this.decode(this.ids);
    const delta = text.startsWith(this.contextText) ? text.slice(this.contextText.length) : '';
    this.reset();
    return delta;
  }

  private reset(): void {
    this.ids = [];
    this.contextLength = 0;
    this.contextText = '';
  }
}
