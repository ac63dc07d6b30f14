/**
 * Per-row stopping: EOS ids, stop strings matched on decoded text, a user callback,
 * and the max_new_tokens budget. The token that completes a stop condition stays in
 * the output (HF). When several hold at once the reason reported is the first of
 * eos, stop_string, callback, length.
 */
import { ConfigError } from '../core/errors.ts';
import type { GenerationTokenizer } from './model.ts';

export type FinishReason = 'eos' | 'stop_string' | 'callback' | 'length';

export interface StopInfo {
  /** Output row (prompt index x returned sequence) or beam candidate's prompt index. */
  readonly row: number;
  /** The prompt this row belongs to. */
  readonly promptIndex: number;
  /** Prompt tokens followed by the generated tokens. */
  readonly ids: readonly number[];
  /** The generated tokens only. */
  readonly generated: readonly number[];
}

/** Return true to stop the row after its latest token. */
export type StopCallback = (info: StopInfo) => boolean;

export interface StoppingOptions {
  eosTokenIds: readonly number[];
  stopStrings: readonly string[];
  maxNewTokens: number;
  callback?: StopCallback;
  tokenizer?: GenerationTokenizer;
}

/**
 * Finds stop strings in decoded text. A stop string can span any number of tokens
 * and may end inside the last token (characters after it in that token stay). The
 * generated tokens are decoded in full on each check, so multi-byte characters split
 * across tokens resolve before matching; the prompt is not part of the text.
 */
export class StopStringMatcher {
  readonly stops: readonly string[];
  constructor(
    stops: readonly string[],
    private readonly tokenizer: GenerationTokenizer,
  ) {
    this.stops = stops;
  }

  /** The first stop string found in decode(generated), or undefined. */
  match(generated: readonly number[]): string | undefined {
    if (generated.length === 0) return undefined;
    const text = this.tokenizer.decode(generated);
    for (const s of this.stops) if (text.includes(s)) return s;
    return undefined;
  }
}

export class StoppingCriteria {
  private readonly eos: ReadonlySet<number>;
  private readonly matcher: StopStringMatcher | undefined;
  readonly maxNewTokens: number;

  constructor(private readonly opts: StoppingOptions) {
    this.eos = new Set(opts.eosTokenIds);
    this.maxNewTokens = opts.maxNewTokens;
    if (opts.stopStrings.length > 0) {
      if (opts.tokenizer === undefined)
        throw new ConfigError('stop_strings', 'need a tokenizer to decode the generated text');
      this.matcher = new StopStringMatcher(opts.stopStrings, opts.tokenizer);
    }
  }

  /** Why the row must stop after its latest token, or undefined to continue. */
  check(info: StopInfo): FinishReason | undefined {
    const last = info.generated[info.generated.length - 1];
    if (last !== undefined && this.eos.has(last)) return 'eos';
    if (this.matcher?.match(info.generated) !== undefined) return 'stop_string';
    if (this.opts.callback?.(info) === true) return 'callback';
    if (info.generated.length >= this.maxNewTokens) return 'length';
    return undefined;
  }

  isEos(token: number): boolean {
    return this.eos.has(token);
  }
}
