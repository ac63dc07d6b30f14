/**
 * What the generation loop needs from a model. A model implements GenerativeModel;
 * each generate() call opens one DecoderSession that owns the per-call state (the KV
 * cache, the encoder output of an encoder-decoder model) for a fixed set of rows.
 *
 * Shapes (row-major, batch first): B rows, T new positions this call, P = the number
 * of positions the session already holds (0 without a cache), V the vocabulary.
 *
 *   forward({tokens [B,T], attentionMask [B,P+T], positionIds [B,T]}) -> logits
 *     logits [B, V] for the last of the T positions, or [B, T, V] with allLogits.
 *
 * Contract:
 * - With useCache true the session appends the T positions to its cache; the next
 *   call passes only the new tokens, and attentionMask covers cached + new positions.
 *   With useCache false the session keeps nothing: every call passes the whole
 *   sequence (P = 0). Both must give the same logits (the loop's tests check this).
 * - attentionMask[b, j] = 1 for a real token, 0 for padding (generation left-pads
 *   prompts). The model attends from a new position only to positions j <= its own
 *   with mask 1: causal AND padding.
 * - positionIds are the positions to embed (learned, RoPE, ALiBi), computed by the
 *   loop as cumsum(mask) - 1 with pads set to 1 (HF), so a left-padded row sees the
 *   same positions as the row alone. The model must use them, not arange(P, P+T).
 * - reorder(rowMap) replaces the session's rows: new row i continues old row
 *   rowMap[i] (cache and encoder output). rowMap.length may differ from the current
 *   row count (expansion or pruning); beam search calls it after every step.
 * - Logits are float32. The loop copies what it keeps before the next forward call,
 *   so a session may reuse one output buffer.
 */

export interface EncoderInput {
  /** [B, S] encoder token ids (padding allowed where the mask is 0). */
  ids: Int32Array;
  /** [B, S] 1 = real token, 0 = padding. */
  mask: Uint8Array;
  /** S. */
  length: number;
}

export interface SessionOptions {
  /** B: rows of this session (prompts x beams or x returned sequences). */
  batchSize: number;
  /** Keep a KV cache (incremental decoding) or recompute the whole prefix each call. */
  useCache: boolean;
  /** Upper bound on P + T over the session's life, for preallocation. */
  maxLength: number;
  /** Encoder-decoder models: the encoder input, already expanded to B rows. */
  encoderInput?: EncoderInput;
}

export interface ForwardInput {
  /** [B, T] new token ids. */
  tokens: Int32Array;
  /** T. */
  length: number;
  /** [B, P + T]: 1 real, 0 pad. */
  attentionMask: Uint8Array;
  /** [B, T]. */
  positionIds: Int32Array;
  /** Return logits for all T positions ([B, T, V]) instead of the last one ([B, V]). */
  allLogits?: boolean;
}

export interface DecoderSession {
  /** Current row count B. */
  readonly batchSize: number;
  forward(input: ForwardInput): Float32Array;
  reorder(rowMap: Int32Array): void;
  /**
   * Optional, needed only by contrastive search: the last layer's hidden states
   * (after the final norm, HF hidden_states[-1]) of the T positions of the latest
   * forward call, [B, T, H] row-major.
   */
  lastHiddenStates?(): { data: Float32Array; hiddenSize: number };
  /** Releases native memory early (optional). */
  free?(): void;
  /** Keeps the first `length` cached positions and drops the rest (speculative decoding). */
  truncate?(length: number): void;
}

export interface GenerativeModel {
  /** V: the width of the logits rows. */
  readonly vocabSize: number;
  /** True for encoder-decoder models: prompts go to the encoder, the decoder starts from decoderStartTokenId. */
  readonly isEncoderDecoder?: boolean;
  /** The decoder's first token for encoder-decoder models (HF decoder_start_token_id). */
  readonly decoderStartTokenId?: number;
  /** Longest sequence the model can attend over (context window); the loop refuses to exceed it. */
  readonly maxPositions?: number;
  startSession(opts: SessionOptions): DecoderSession;
}

/** The part of a tokenizer generation needs: decode for text and stop strings, encode for string prompts. */
export interface GenerationTokenizer {
  decode(ids: readonly number[]): string;
  encode?(text: string): readonly number[];
}
