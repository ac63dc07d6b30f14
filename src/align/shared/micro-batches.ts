/**
 * How the online stages (PPO, GRPO) cut a rollout of B answers for their forwards: an order
 * (a permutation of the rows) is cut into minibatches (one optimizer step each, detail 24)
 * and those into micro-batches (one forward/backward each, gradients accumulating, detail
 * 25), each re-padded to its own longest prompt and answer. The old log-probabilities are
 * computed over exactly the first epoch's micro-batches, so the first minibatch's forward
 * is bit-identical and its ratio exactly 1 (detail 8). Shared so both stages keep that
 * property the same way.
 */
import type { Tensor } from '../../engine/tensor.ts';
import { noGrad } from '../../engine/grad-mode.ts';
import { tidy } from '../../engine/memory.ts';
import { tensor } from '../../engine/ops/creation.ts';
import type { SequenceBatch } from './batch.ts';
import { gatherRows, scatterRows, selectRows } from './batch.ts';

/** Some rows of a rollout, re-padded as their own batch. */
export class MicroBatch {
  readonly part: SequenceBatch;

  constructor(
    readonly full: SequenceBatch,
    readonly rows: number[],
    ids: { padId: number; eosId: number },
  ) {
    this.part = selectRows(full, rows, ids.padId, ids.eosId);
  }

  /** These rows of a [B, R] array laid out for the full batch, as a [b, R'] tensor. */
  gather(src: Float32Array): Tensor {
    return tensor(gatherRows(src, this.full, this.rows, this.part), { shape: [this.part.B, this.part.R] });
  }

  /** [b, R'] 1 on the answer tokens. */
  mask(): Tensor {
    return tensor(this.part.responseMask, { shape: [this.part.B, this.part.R] });
  }
}

/** `rows` cut into micro-batches of `size` rows. */
export function microBatches(
  batch: SequenceBatch,
  rows: readonly number[],
  size: number,
  ids: { padId: number; eosId: number },
): MicroBatch[] {
  const out: MicroBatch[] = [];
  for (let s = 0; s < rows.length; s += size) out.push(new MicroBatch(batch, rows.slice(s, s + size), ids));
  return out;
}

export interface Minibatch {
  rows: number[];
  /** Valid answer tokens in the minibatch: the denominator of its token-mean losses. */
  tokens: number;
}

/** One epoch's order cut into minibatches of `size` rows. */
export function minibatches(batch: SequenceBatch, order: readonly number[], size: number): Minibatch[] {
  const out: Minibatch[] = [];
  for (let m = 0; m < order.length; m += size) {
    const rows = order.slice(m, m + size);
    let tokens = 0;
    for (const r of rows) tokens += batch.responseLengths[r]!;
    out.push({ rows, tokens });
  }
  return out;
}

/**
 * Runs `forward` without gradients on each micro-batch of `order` (the first epoch's) and
 * writes its [b, R'] outputs back into [B, R] arrays, one per key (0 off the answers).
 */
export function forwardMicroBatches<K extends string>(
  batch: SequenceBatch,
  order: readonly number[],
  size: number,
  ids: { padId: number; eosId: number },
  forward: (part: SequenceBatch) => Record<K, ArrayLike<number>>,
): Record<K, Float32Array> {
  const out: Partial<Record<K, Float32Array>> = {};
  for (const mb of microBatches(batch, order, size, ids)) {
    const res = noGrad(() => tidy(() => forward(mb.part)));
    for (const k of Object.keys(res) as K[])
      scatterRows(res[k], mb.part, mb.rows, batch, (out[k] ??= new Float32Array(batch.B * batch.R)));
  }
  return out as Record<K, Float32Array>;
}
