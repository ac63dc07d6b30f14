/**
 * The rows being decoded and their session: left padding, the attention mask, the
 * position ids and the cached/uncached forward calls. Each row is kept as
 * [left pads..., prompt..., generated...] with a mask of 0 for the pads and 1 after,
 * as HF does. With a cache, the first forward sends every position and later ones
 * only the newest token; without, every forward sends the whole row.
 */
import { ArgumentError } from '../core/errors.ts';
import type { DecoderSession, EncoderInput, GenerativeModel } from './model.ts';

/**
 * position ids from a [B, L] 0/1 mask: cumsum(mask) - 1, pads set to 1 (HF
 * prepare_inputs_for_generation), returned for the last `count` columns.
 * Example: mask [0,0,1,1,1] -> [1,1,0,1,2].
 */
export function positionIdsFromMask(mask: Uint8Array, rows: number, length: number, count = length): Int32Array {
  const out = new Int32Array(rows * count);
  for (let b = 0; b < rows; b++) {
    let c = 0;
    for (let j = 0; j < length; j++) {
      const m = mask[b * length + j]!;
      c += m;
      if (j >= length - count) out[b * count + j - (length - count)] = m === 0 ? 1 : c - 1;
    }
  }
  return out;
}

/** Left-pads id sequences to [B, L] with padId; mask 0 on pads. */
export function leftPad(
  seqs: readonly (readonly number[])[],
  padId: number,
): { tokens: Int32Array; mask: Uint8Array; length: number } {
  const length = seqs.reduce((m, s) => Math.max(m, s.length), 0);
  const tokens = new Int32Array(seqs.length * length).fill(padId);
  const mask = new Uint8Array(seqs.length * length);
  seqs.forEach((s, b) => {
    const off = b * length + length - s.length;
    tokens.set(s, off);
    mask.fill(1, off, off + s.length);
  });
  return { tokens, mask, length };
}

/** Right-pads encoder inputs to [B, S] (the encoder sees its own mask, so the side does not matter to it). */
export function encoderInputFrom(seqs: readonly (readonly number[])[], padId: number): EncoderInput {
  const length = seqs.reduce((m, s) => Math.max(m, s.length), 0);
  const ids = new Int32Array(seqs.length * length).fill(padId);
  const mask = new Uint8Array(seqs.length * length);
  seqs.forEach((s, b) => {
    ids.set(s, b * length);
    mask.fill(1, b * length, b * length + s.length);
  });
  return { ids, mask, length };
}

export interface DecodeStateOptions {
  /** Decoder prompts, one per row, unpadded. */
  prompts: readonly (readonly number[])[];
  padTokenId: number;
  useCache: boolean;
  /** Max total row length (pads + prompt + generated), for the session's preallocation. */
  maxLength: number;
  encoderInput?: EncoderInput;
  /**
   * The model's context (decoder-only models with learned or sinusoidal positions): once a row
   * is longer, each forward sees only its last `window` columns, positions counted from the
   * window's first real token, without a cache (nanoGPT's crop, idx[:, -block_size:]).
   */
  window?: number;
}

export class DecodeState {
  private currentSession: DecoderSession;
  private useCache: boolean;
  private readonly window: number | undefined;
  private cropping = false;
  private tokens: number[][];
  private masks: number[][];
  /** Positions the session holds per row (equal for all rows). */
  private cached = 0;

  constructor(
    private readonly model: GenerativeModel,
    opts: DecodeStateOptions,
  ) {
    if (opts.prompts.length === 0) throw new ArgumentError('generate', 'no prompts');
    const { tokens, mask, length } = leftPad(opts.prompts, opts.padTokenId);
    this.tokens = opts.prompts.map((_, b) => Array.from(tokens.subarray(b * length, (b + 1) * length)));
    this.masks = opts.prompts.map((_, b) => Array.from(mask.subarray(b * length, (b + 1) * length)));
    this.useCache = opts.useCache;
    this.window = opts.window;
    const maxLength = opts.window === undefined ? opts.maxLength : Math.min(opts.maxLength, opts.window);
    const sessionOpts = { batchSize: opts.prompts.length, useCache: opts.useCache, maxLength };
    this.currentSession = model.startSession(
      opts.encoderInput === undefined ? sessionOpts : { ...sessionOpts, encoderInput: opts.encoderInput },
    );
  }

  get session(): DecoderSession {
    return this.currentSession;
  }

  get rows(): number {
    return this.tokens.length;
  }

  /** Padded row length (pads + prompt + generated). */
  get length(): number {
    return this.tokens[0]?.length ?? 0;
  }

  /** Row b's attention mask over its padded length (0 on left pads). */
  maskRow(b: number): readonly number[] {
    return this.masks[b]!;
  }

  /** Runs the model on what it has not seen yet; returns last-position logits [rows, V]. */
  forward(): Float32Array {
    const B = this.rows;
    if (this.window !== undefined && this.length > this.window) return this.forwardWindow(this.window);
    const L = this.length;
    const start = this.useCache ? this.cached : 0;
    const T = L - start;
    if (T <= 0) throw new ArgumentError('generate', 'forward called with no new token');
    const tokens = new Int32Array(B * T);
    const mask = new Uint8Array(B * L);
    for (let b = 0; b < B; b++) {
      const row = this.tokens[b]!;
      for (let j = 0; j < T; j++) tokens[b * T + j] = row[start + j]!;
      mask.set(this.masks[b]!, b * L);
    }
    const positionIds = positionIdsFromMask(mask, B, L, T);
    const logits = this.currentSession.forward({ tokens, length: T, attentionMask: mask, positionIds });
    const V = this.model.vocabSize;
    if (logits.length !== B * V) {
      throw new ArgumentError('generate', `model returned ${logits.length} logits, expected [${B}, ${V}] = ${B * V}`);
    }
    if (this.useCache) this.cached = L;
    return logits;
  }

  /** forward() over the last W columns of every row, recomputed from scratch (no cache). */
  private forwardWindow(W: number): Float32Array {
    const B = this.rows;
    const L = this.length;
    if (!this.cropping) {
      // the cached positions were counted from the row's start; from here on they shift every step
      this.currentSession.free?.();
      this.currentSession = this.model.startSession({ batchSize: B, useCache: false, maxLength: W });
      this.useCache = false;
      this.cropping = true;
    }
    const tokens = new Int32Array(B * W);
    const mask = new Uint8Array(B * W);
    for (let b = 0; b < B; b++) {
      const row = this.tokens[b]!;
      const m = this.masks[b]!;
      for (let j = 0; j < W; j++) {
        tokens[b * W + j] = row[L - W + j]!;
        mask[b * W + j] = m[L - W + j]!;
      }
    }
    const positionIds = positionIdsFromMask(mask, B, W, W);
    const logits = this.currentSession.forward({ tokens, length: W, attentionMask: mask, positionIds });
    if (logits.length !== B * this.model.vocabSize)
      throw new ArgumentError(
        'generate',
        `model returned ${logits.length} logits, expected ${B * this.model.vocabSize}`,
      );
    return logits;
  }

  /** Appends one token per row (mask 1, as HF does even for finished rows). */
  append(next: ArrayLike<number>): void {
    for (let b = 0; b < this.rows; b++) {
      this.tokens[b]!.push(next[b]!);
      this.masks[b]!.push(1);
    }
  }

  /** New row i continues old row rowMap[i]; the session is reordered the same way. */
  reorder(rowMap: Int32Array): void {
    this.tokens = Array.from(rowMap, (r) => [...this.tokens[r]!]);
    this.masks = Array.from(rowMap, (r) => [...this.masks[r]!]);
    this.currentSession.reorder(rowMap);
  }

  free(): void {
    this.currentSession.free?.();
  }
}
