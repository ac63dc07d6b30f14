/**
 * What the scheduler needs of a model: one forward pass over a mixed batch (the tokens of many
 * sequences side by side, each at its own position, reading and writing a paged KV cache),
 * returning the logits of the chosen rows. GPTStepModel runs an llmts GPT (GPT-2 and LLaMA
 * layouts, any position scheme) without gradients, in eval mode, inside a memory scope.
 */
import { ArgumentError } from '../core/errors.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { tidy } from '../engine/memory.ts';
import { tensor } from '../engine/ops/creation.ts';
import { contiguousCopy } from '../engine/ops/movement.ts';
import type { GPT } from '../models/gpt.ts';
import { PagedKVCache, type PagedStep } from '../nn/paged-kv-cache.ts';

export interface StepInput {
  /** [N] token ids of the batch, sequence after sequence. */
  ids: Int32Array;
  /** [N] their positions. */
  positions: Int32Array;
  /** Pages, rows and write slots (tokenPos equals positions). */
  step: PagedStep;
  /** [R] which of the N tokens get logits. */
  logitRows: Int32Array;
}

export interface StepModel {
  readonly vocabSize: number;
  /** The context window: positions 0..maxPositions-1. */
  readonly maxPositions: number;
  readonly pageSize: number;
  readonly numPages: number;
  /** Bytes the KV cache holds (keys and values of every layer). */
  readonly kvBytes: number;
  /** Logits [R, V] row-major. */
  forward(input: StepInput): Float32Array;
}

export class GPTStepModel implements StepModel {
  readonly cache: PagedKVCache;
  readonly vocabSize: number;
  readonly maxPositions: number;

  constructor(
    readonly model: GPT,
    readonly numPages: number,
    readonly pageSize: number,
  ) {
    const c = model.config;
    model.train(false);
    this.vocabSize = c.vocabSize;
    this.maxPositions = c.blockSize;
    this.cache = new PagedKVCache({
      nLayers: c.nLayer,
      numPages,
      pageSize,
      kvHeads: c.nKvHead,
      headDim: c.nEmbd / c.nHead,
      dtype: model.dtype,
      backend: model.transformer.wte.weight.backend,
    });
  }

  get kvBytes(): number {
    return this.cache.bytes;
  }

  /** Bytes one position of KV cache takes for this model. */
  static bytesPerPosition(model: GPT): number {
    const c = model.config;
    return PagedKVCache.bytesPerPosition({
      nLayers: c.nLayer,
      kvHeads: c.nKvHead,
      headDim: c.nEmbd / c.nHead,
      dtype: model.dtype,
    });
  }

  forward(input: StepInput): Float32Array {
    const N = input.ids.length;
    if (N === 0 || input.positions.length !== N)
      throw new ArgumentError('GPTStepModel', 'ids and positions must match');
    return noGrad(() =>
      tidy(() => {
        const out = this.model.forward(tensor(input.ids, { shape: [1, N] }), {
          positionIds: tensor(input.positions, { shape: [1, N] }),
          paged: { cache: this.cache, step: input.step },
          logitRows: tensor(input.logitRows, { shape: [input.logitRows.length] }),
        });
        const logits = contiguousCopy(out.logits!);
        return (logits.data as Float32Array).slice(0, logits.size);
      }),
    );
  }
}
