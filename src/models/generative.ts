/**
 * Adapters from the models to the generation loop's interface (src/generate/model.ts): a
 * session per generate() call owning the KV cache (and, for encoder-decoder models, the
 * encoder output), run without gradients, in eval mode, inside memory scopes.
 */
import type { DecoderSession, ForwardInput, GenerativeModel, SessionOptions } from '../generate/model.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { keep, tidy } from '../engine/memory.ts';
import { tensor } from '../engine/ops/creation.ts';
import { indexSelect } from '../engine/ops/indexing.ts';
import { cast, contiguousCopy } from '../engine/ops/movement.ts';
import type { Tensor } from '../engine/tensor.ts';
import { ArgumentError } from '../core/errors.ts';
import type { KVCache } from '../nn/kv-cache.ts';
import { GPT as GPTClass } from './gpt.ts';
import type { GPT } from './gpt.ts';
import { EncoderDecoder as EncoderDecoderClass } from './encoder-decoder.ts';
import type { EncoderDecoder } from './encoder-decoder.ts';
import type { AnyModel } from './registry.ts';

/** Runs fn with the module in eval mode (dropout off), restoring its mode afterwards. */
function inEval<T>(model: { training: boolean; train(mode?: boolean): unknown }, fn: () => T): T {
  const was = model.training;
  if (was) model.train(false);
  try {
    return fn();
  } finally {
    if (was) model.train(true);
  }
}

function logitsArray(logits: Tensor): Float32Array {
  const t = logits.dtype === 'float32' ? contiguousCopy(logits) : contiguousCopy(cast(logits, 'float32'));
  return (t.data as Float32Array).slice(0, t.size);
}

function inputs(
  model: { config: { vocabSize: number } },
  input: ForwardInput,
  B: number,
  P: number,
): { ids: Tensor; mask: Tensor; positions: Tensor } {
  const T = input.length;
  if (input.tokens.length !== B * T)
    throw new ArgumentError('session.forward', `tokens must hold B*T = ${B * T} ids, got ${input.tokens.length}`);
  if (input.attentionMask.length !== B * (P + T))
    throw new ArgumentError('session.forward', `attentionMask must hold B*(P+T) = ${B * (P + T)} entries`);
  for (const id of input.tokens) {
    if (id < 0 || id >= model.config.vocabSize)
      throw new ArgumentError(
        'session.forward',
        `token id ${id} outside the vocabulary [0, ${model.config.vocabSize})`,
      );
  }
  return {
    ids: tensor(Int32Array.from(input.tokens), { shape: [B, T] }),
    mask: tensor(Int32Array.from(input.attentionMask), { shape: [B, P + T] }),
    positions: tensor(Int32Array.from(input.positionIds), { shape: [B, T] }),
  };
}

class GPTSession implements DecoderSession {
  private cache: KVCache | null;
  private hidden: { data: Float32Array; hiddenSize: number } | null = null;
  batchSize: number;
  constructor(
    private readonly model: GPT,
    opts: SessionOptions,
  ) {
    this.batchSize = opts.batchSize;
    this.cache = opts.useCache ? model.createCache() : null;
  }

  forward(input: ForwardInput): Float32Array {
    const P = this.cache?.length ?? 0;
    return inEval(this.model, () =>
      noGrad(() =>
        tidy(() => {
          const { ids, mask, positions } = inputs(this.model, input, this.batchSize, P);
          const out = this.model.forward(ids, {
            attentionMask: mask,
            positionIds: positions,
            cache: this.cache,
            logits: input.allLogits ? 'all' : 'last',
          });
          this.hidden = { data: logitsArray(out.hidden), hiddenSize: this.model.config.nEmbd };
          return logitsArray(out.logits!);
        }),
      ),
    );
  }

  /** [B, T, C] final hidden states of the last forward call (contrastive search reads them). */
  lastHiddenStates(): { data: Float32Array; hiddenSize: number } {
    if (this.hidden === null) throw new ArgumentError('lastHiddenStates', 'no forward call yet');
    return this.hidden;
  }

  reorder(rowMap: Int32Array): void {
    if (this.cache !== null) {
      const rows = tensor(Int32Array.from(rowMap), { shape: [rowMap.length] });
      this.cache.reorder(rows);
    }
    this.batchSize = rowMap.length;
  }

  truncate(length: number): void {
    if (this.cache === null) throw new ArgumentError('session.truncate', 'the session keeps no KV cache');
    this.cache.truncate(length);
  }
}

/** A GPT as a generation model (greedy, sampling, beam search with a KV cache). */
export function gptForGeneration(model: GPT): GenerativeModel {
  const c = model.config;
  return {
    vocabSize: c.vocabSize,
    ...(c.position === 'learned' || c.position === 'sinusoidal' ? { maxPositions: c.blockSize } : {}),
    startSession: (opts) => new GPTSession(model, opts),
  };
}

class EncoderDecoderSession implements DecoderSession {
  private cache: KVCache | null;
  private memory: Tensor;
  private sourceMask: Tensor;
  batchSize: number;
  constructor(
    private readonly model: EncoderDecoder,
    opts: SessionOptions,
  ) {
    const enc = opts.encoderInput;
    if (enc === undefined) throw new ArgumentError('EncoderDecoder session', 'needs the encoder input');
    this.batchSize = opts.batchSize;
    this.cache = opts.useCache ? model.createCache() : null;
    const S = enc.length;
    const source = tensor(Int32Array.from(enc.ids), { shape: [opts.batchSize, S] });
    this.sourceMask = keep(tensor(Int32Array.from(enc.mask), { shape: [opts.batchSize, S] }));
    this.memory = inEval(model, () => noGrad(() => keep(tidy(() => model.encode(source, this.sourceMask)))));
  }

  forward(input: ForwardInput): Float32Array {
    const P = this.cache?.length ?? 0;
    return inEval(this.model, () =>
      noGrad(() =>
        tidy(() => {
          const { ids, mask, positions } = inputs(this.model, input, this.batchSize, P);
          const out = this.model.forward(ids, ids, {
            memory: this.memory,
            sourceMask: this.sourceMask,
            targetMask: mask,
            targetPositions: positions,
            cache: this.cache,
            logits: input.allLogits ? 'all' : 'last',
          });
          return logitsArray(out.logits);
        }),
      ),
    );
  }

  reorder(rowMap: Int32Array): void {
    const rows = tensor(Int32Array.from(rowMap), { shape: [rowMap.length] });
    this.cache?.reorder(rows);
    this.memory = keep(noGrad(() => contiguousCopy(indexSelect(this.memory, 0, rows))));
    this.sourceMask = keep(contiguousCopy(indexSelect(this.sourceMask, 0, rows)));
    this.batchSize = rowMap.length;
  }
}

export function encoderDecoderForGeneration(model: EncoderDecoder): GenerativeModel {
  const c = model.config;
  return {
    vocabSize: c.vocabSize,
    isEncoderDecoder: true,
    decoderStartTokenId: c.decoderStartTokenId,
    ...(c.position === 'learned' || c.position === 'sinusoidal' ? { maxPositions: c.blockSize } : {}),
    startSession: (opts) => new EncoderDecoderSession(model, opts),
  };
}

/** The generation adapter for any generative model (BERT is not one: it has no causal LM head). */
export function forGeneration(model: AnyModel): GenerativeModel {
  if (model instanceof GPTClass) return gptForGeneration(model);
  if (model instanceof EncoderDecoderClass) return encoderDecoderForGeneration(model);
  throw new ArgumentError(
    'generate',
    'BERT models are encoders with a masked-LM head and cannot generate text left to right; use a GPT or encoder-decoder model',
  );
}
