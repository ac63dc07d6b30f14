/**
 * Mock models implementing the GenerativeModel contract for the decoding tests.
 *
 * AttentionMockModel behaves like a tiny transformer as far as the contract goes: a
 * query position attends to earlier positions whose mask is 1 (causal + padding),
 * uses the given position ids (a decaying weight over position distance and a
 * per-position bias), and keeps a real per-row cache of (token, position) entries
 * that reorder() gathers. Cached and uncached calls sum in the same order, so their
 * logits are bit-identical when the loop feeds them correctly.
 *
 * FunctionModel's logits are fn(real tokens so far), ignoring pads and positions: a
 * crafted distribution per prefix, for beam-search and stopping tests.
 */
import { Generator } from '../../src/core/random.ts';
import type {
  DecoderSession,
  EncoderInput,
  ForwardInput,
  GenerativeModel,
  SessionOptions,
} from '../../src/generate/model.ts';

interface Entry {
  tok: number;
  pos: number;
}

export interface CallStats {
  forwards: number;
  /** Sum of B * T over forward calls. */
  tokens: number;
  reorders: number;
}

function makeTable(rng: Generator, rows: number, cols: number, scale: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < t.length; i++) t[i] = rng.normal(0, scale);
  return t;
}

export class AttentionMockModel implements GenerativeModel {
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly stats: CallStats = { forwards: 0, tokens: 0, reorders: 0 };
  private readonly bigram: Float64Array;
  private readonly emb: Float64Array;
  private readonly posBias: Float64Array;

  constructor(vocabSize: number, seed = 1, maxPositions = 256) {
    this.vocabSize = vocabSize;
    this.maxPositions = maxPositions;
    const rng = new Generator(seed);
    this.bigram = makeTable(rng, vocabSize, vocabSize, 2);
    this.emb = makeTable(rng, vocabSize, vocabSize, 1);
    this.posBias = makeTable(rng, maxPositions, vocabSize, 0.5);
  }

  /** Logits at query entry q given the row's entries and mask. */
  logitsAt(entries: readonly Entry[], mask: ArrayLike<number>, q: number, out: Float32Array, off: number): void {
    const V = this.vocabSize;
    const e = entries[q]!;
    if (e.pos < 0 || e.pos >= this.maxPositions) throw new Error(`position ${e.pos} out of range`);
    const acc = new Float64Array(V);
    for (let v = 0; v < V; v++) acc[v] = this.bigram[e.tok * V + v]! + this.posBias[e.pos * V + v]!;
    for (let j = 0; j <= q; j++) {
      if (mask[j] !== 1) continue;
      const w = 0.5 ** Math.abs(e.pos - entries[j]!.pos);
      const k = entries[j]!.tok;
      for (let v = 0; v < V; v++) acc[v] = acc[v]! + w * this.emb[k * V + v]!;
    }
    for (let v = 0; v < V; v++) out[off + v] = acc[v]!;
  }

  startSession(opts: SessionOptions): DecoderSession {
    return new AttentionMockSession(this, opts);
  }
}

class AttentionMockSession implements DecoderSession {
  batchSize: number;
  private cache: Entry[][];
  /** [B, T, V]: the pre-output vector of every position of the last call, exposed as the hidden state. */
  private hidden = new Float32Array(0);
  private readonly useCache: boolean;

  constructor(
    private readonly model: AttentionMockModel,
    opts: SessionOptions,
  ) {
    this.batchSize = opts.batchSize;
    this.useCache = opts.useCache;
    this.cache = Array.from({ length: opts.batchSize }, () => []);
  }

  forward(input: ForwardInput): Float32Array {
    const { tokens, length: T, attentionMask, positionIds } = input;
    const B = this.batchSize;
    const V = this.model.vocabSize;
    const P = this.useCache ? (this.cache[0]?.length ?? 0) : 0;
    if (tokens.length !== B * T || positionIds.length !== B * T)
      throw new Error(`tokens/positions must be [${B}, ${T}]`);
    if (attentionMask.length !== B * (P + T))
      throw new Error(`mask must be [${B}, ${P + T}], got ${attentionMask.length}`);
    this.model.stats.forwards++;
    this.model.stats.tokens += B * T;
    const all = input.allLogits === true;
    const out = new Float32Array(B * (all ? T : 1) * V);
    this.hidden = new Float32Array(B * T * V);
    for (let b = 0; b < B; b++) {
      const entries: Entry[] = this.useCache ? this.cache[b]! : [];
      for (let t = 0; t < T; t++) entries.push({ tok: tokens[b * T + t]!, pos: positionIds[b * T + t]! });
      const mask = attentionMask.subarray(b * (P + T), (b + 1) * (P + T));
      for (let t = 0; t < T; t++) this.model.logitsAt(entries, mask, P + t, this.hidden, (b * T + t) * V);
      if (all) out.set(this.hidden.subarray(b * T * V, (b + 1) * T * V), b * T * V);
      else out.set(this.hidden.subarray((b * T + T - 1) * V, (b * T + T) * V), b * V);
    }
    return out;
  }

  lastHiddenStates(): { data: Float32Array; hiddenSize: number } {
    return { data: this.hidden, hiddenSize: this.model.vocabSize };
  }

  reorder(rowMap: Int32Array): void {
    this.model.stats.reorders++;
    for (const r of rowMap) if (r < 0 || r >= this.batchSize) throw new Error(`reorder: row ${r} out of range`);
    this.cache = Array.from(rowMap, (r) => this.cache[r]!.map((e) => ({ ...e })));
    this.batchSize = rowMap.length;
  }
}

/** logits = fn(real tokens of the row so far); optional encoder input passed to fn. */
export type PrefixFn = (realTokens: readonly number[], encoder: readonly number[] | undefined) => ArrayLike<number>;

export class FunctionModel implements GenerativeModel {
  readonly stats: CallStats = { forwards: 0, tokens: 0, reorders: 0 };
  readonly decoderStartTokenId?: number;
  constructor(
    readonly vocabSize: number,
    readonly fn: PrefixFn,
    readonly isEncoderDecoder = false,
    decoderStartTokenId?: number,
  ) {
    if (decoderStartTokenId !== undefined) this.decoderStartTokenId = decoderStartTokenId;
  }

  startSession(opts: SessionOptions): DecoderSession {
    return new FunctionSession(this, opts);
  }
}

class FunctionSession implements DecoderSession {
  batchSize: number;
  private real: number[][];
  private seen = 0;
  private encoder: (number[] | undefined)[];

  constructor(
    private readonly model: FunctionModel,
    private readonly opts: SessionOptions,
  ) {
    this.batchSize = opts.batchSize;
    this.real = Array.from({ length: opts.batchSize }, () => []);
    this.encoder = Array.from({ length: opts.batchSize }, (_, b) => encoderRow(opts.encoderInput, b));
  }

  forward(input: ForwardInput): Float32Array {
    const { tokens, length: T, attentionMask } = input;
    const B = this.batchSize;
    const V = this.model.vocabSize;
    const P = this.opts.useCache ? this.seen : 0;
    if (attentionMask.length !== B * (P + T)) throw new Error(`mask must be [${B}, ${P + T}]`);
    this.model.stats.forwards++;
    this.model.stats.tokens += B * T;
    const out = new Float32Array(B * V);
    for (let b = 0; b < B; b++) {
      const real = this.opts.useCache ? this.real[b]! : [];
      for (let t = 0; t < T; t++) if (attentionMask[b * (P + T) + P + t] === 1) real.push(tokens[b * T + t]!);
      out.set(Float32Array.from(this.model.fn(real, this.encoder[b])), b * V);
    }
    if (this.opts.useCache) this.seen = P + T;
    return out;
  }

  reorder(rowMap: Int32Array): void {
    this.model.stats.reorders++;
    this.real = Array.from(rowMap, (r) => [...this.real[r]!]);
    this.encoder = Array.from(rowMap, (r) => this.encoder[r]);
    this.batchSize = rowMap.length;
  }
}

function encoderRow(enc: EncoderInput | undefined, b: number): number[] | undefined {
  if (enc === undefined) return undefined;
  const out: number[] = [];
  for (let j = 0; j < enc.length; j++) if (enc.mask[b * enc.length + j] === 1) out.push(enc.ids[b * enc.length + j]!);
  return out;
}

/** logits from a probability table keyed by the generated suffix after the prompt; unlisted prefixes use `fallback`. */
export function tableModel(
  vocabSize: number,
  promptLength: number,
  table: Record<string, readonly number[]>,
  fallback: readonly number[],
): FunctionModel {
  return new FunctionModel(vocabSize, (real) => {
    const key = real.slice(promptLength).join(',');
    return (table[key] ?? fallback).map((p) => Math.log(p));
  });
}

/** Tokenizer over a fixed list of token strings (decode = concatenation). */
export class StringTokenizer {
  constructor(readonly vocab: readonly string[]) {}
  decode(ids: readonly number[]): string {
    return ids.map((i) => this.vocab[i] ?? '').join('');
  }
  /** Greedy longest-match encoding over the vocabulary. */
  encode(text: string): number[] {
    const out: number[] = [];
    let i = 0;
    while (i < text.length) {
      let best = -1;
      let bestLen = 0;
      this.vocab.forEach((s, id) => {
        if (s.length > bestLen && text.startsWith(s, i)) {
          best = id;
          bestLen = s.length;
        }
      });
      if (best < 0) throw new Error(`cannot encode ${JSON.stringify(text.slice(i))}`);
      out.push(best);
      i += bestLen;
    }
    return out;
  }
}

/** Tokenizer whose tokens are byte strings; decode runs the bytes through TextDecoder (U+FFFD for bad bytes). */
export class ByteTokenizer {
  constructor(readonly vocab: readonly Uint8Array[]) {}
  decode(ids: readonly number[]): string {
    const parts = ids.map((i) => this.vocab[i] ?? new Uint8Array());
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      bytes.set(p, off);
      off += p.length;
    }
    return new TextDecoder().decode(bytes);
  }
}
