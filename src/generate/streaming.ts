/**
 * Streaming: text deltas as tokens arrive, never splitting a UTF-8 character.
 *
 * IncrementalDecoder keeps a row's token ids and decodes them in full on every
 * push; it emits only the text beyond what it already emitted, and holds back a
 * trailing run of U+FFFD, which is what a decoder produces for an incomplete
 * multi-byte character (a byte-level token that ends mid-character). When the next
 * token completes the character, the held text becomes the real character; if the
 * bytes were genuinely invalid, the U+FFFD is emitted once more text follows or at
 * flush(). A trailing lone high surrogate is held back too. This assumes that the
 * decoding of a prefix of the ids is a prefix of the decoding of all ids, apart from
 * that held tail (true of byte-level BPE, SentencePiece byte fallback and WordPiece
 * decoders); if a decoder rewrites earlier text, flush() reports the final text and
 * the deltas skip the rewritten part.
 */
import { prepareGeneration, type GenerateOptions, type Prompt } from './generate.ts';
import type { GenerationTokenizer, GenerativeModel } from './model.ts';
import { contrastiveSteps } from './search/contrastive.ts';
import { sampleSteps } from './search/sample.ts';
import type { FinishReason } from './stopping.ts';
import { ArgumentError } from '../core/errors.ts';

export class IncrementalDecoder {
  private readonly ids: number[];
  private emitted = '';
  /** decode(context): the text before the first emitted character. */
  private readonly before: string;

  /**
   * `context` (e.g. the prompt's ids) is decoded together with the new tokens and never
   * emitted: a SentencePiece decoder strips the leading space of a text's first token, so
   * the new tokens' text is only right as the continuation of decode(context) (HF's
   * TextStreamer without skip_prompt).
   */
  constructor(
    private readonly tokenizer: GenerationTokenizer,
    context: readonly number[] = [],
  ) {
    this.ids = [...context];
    this.before = context.length > 0 ? tokenizer.decode(this.ids) : '';
  }

  /** Adds tokens; returns the newly stable text (possibly ''). */
  push(...tokens: number[]): string {
    this.ids.push(...tokens);
    const text = this.decoded();
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 0xfffd) end--;
    if (end > 0) {
      const c = text.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff) end--; // never emit half of a surrogate pair
    }
    return this.advance(text, end);
  }

  /** Emits whatever is held back (call at the end of the stream). */
  flush(): string {
    const text = this.decoded();
    return this.advance(text, text.length);
  }

  /** The text of the tokens after the context. */
  private decoded(): string {
    const all = this.tokenizer.decode(this.ids);
    return all.startsWith(this.before) ? all.slice(this.before.length) : all;
  }

  /** Everything emitted so far. */
  get text(): string {
    return this.emitted;
  }

  private advance(text: string, end: number): string {
    if (end <= this.emitted.length) return '';
    // if the decoder rewrote earlier text, only what lies beyond the old length is new
    const delta = text.slice(this.emitted.length, end);
    this.emitted = text.slice(0, end);
    return delta;
  }
}

export interface StreamChunk {
  /** Output row (prompt-major, num_return_sequences per prompt). */
  index: number;
  promptIndex: number;
  /** New text for this row; '' on a final chunk that only reports the finish reason. */
  text: string;
  /** The token ids generated for this row in this step. */
  tokens: number[];
  /** Set on the row's last chunk. */
  finishReason?: FinishReason;
}

/**
 * The text `ids` add after `context` (a prompt): decode(context + ids) minus decode(context),
 * or decode(ids) if the decoder rewrote the context's text. This keeps the word boundary a
 * SentencePiece decoder drops at the start of a text (decode(['▁u', '▁wv']) is 'u wv').
 */
export function continuationText(
  tokenizer: GenerationTokenizer,
  context: readonly number[],
  ids: readonly number[],
): string {
  if (context.length === 0) return tokenizer.decode([...ids]);
  const before = tokenizer.decode([...context]);
  const all = tokenizer.decode([...context, ...ids]);
  return all.startsWith(before) ? all.slice(before.length) : tokenizer.decode([...ids]);
}

/** Options of streamGenerate beyond generate()'s. */
export interface StreamOptions extends GenerateOptions {
  /** Decode each row's new tokens as the continuation of its prompt (see continuationText). */
  decodeWithPrompt?: boolean;
}

/** Yields to the event loop between steps so a consumer can render while decoding continues. */
const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Greedy, sampled or contrastive generation as an async stream of per-row text deltas. Beam
 * search cannot stream (its best hypothesis is only known at the end), as in HF.
 */
export async function* streamGenerate(
  model: GenerativeModel,
  tokenizer: GenerationTokenizer,
  prompts: Prompt | readonly Prompt[],
  options: StreamOptions = {},
): AsyncGenerator<StreamChunk, void, void> {
  const { decodeWithPrompt, ...rest } = options;
  const { setup, cfg } = prepareGeneration(model, tokenizer, prompts, rest);
  if (cfg.numBeams > 1) throw new ArgumentError('streamGenerate', 'beam search cannot stream; use generate()');
  const decoders = setup.prompts.map(
    (prompt) => new IncrementalDecoder(tokenizer, decodeWithPrompt === true ? prompt : []),
  );
  const steps = cfg.contrastive ? contrastiveSteps(setup) : sampleSteps(setup);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return;
    const ev = r.value;
    for (let a = 0; a < ev.rows.length; a++) {
      const index = ev.rows[a]!;
      const dec = decoders[index]!;
      const token = ev.tokens[a]!;
      const reason = ev.finished.get(index);
      let text = dec.push(token);
      if (reason !== undefined) text += dec.flush();
      if (text.length > 0 || reason !== undefined) {
        yield {
          index,
          promptIndex: setup.promptIndex[index]!,
          text,
          tokens: [token],
          ...(reason === undefined ? {} : { finishReason: reason }),
        };
      }
    }
    await nextTick();
  }
}

/** One prompt's text as a stream of string deltas. */
export async function* streamText(
  model: GenerativeModel,
  tokenizer: GenerationTokenizer,
  prompt: Prompt,
  options: GenerateOptions = {},
): AsyncGenerator<string, void, void> {
  for await (const chunk of streamGenerate(model, tokenizer, [prompt], { ...options, numReturnSequences: 1 })) {
    if (chunk.text.length > 0) yield chunk.text;
  }
}
