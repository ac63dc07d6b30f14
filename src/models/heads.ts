/**
 * A GPT backbone with a scalar head on its final hidden states: the reward model (score
 * read at the last real token) and the PPO critic (a value per token). The LM head of the
 * backbone is not used (logits: 'none'); when it is untied it is frozen.
 *
 * Initialization (detail 17): a reward head N(0, 1/sqrt(C + 1)) with bias 0 (Stiennon et
 * al., the N-implementation-details blog); a value head on a fresh backbone starts at 0
 * (OAI's lm-human-preferences), so the first advantages are the rewards themselves.
 */
import type { Tensor } from '../engine/tensor.ts';
import { tensor } from '../engine/ops/creation.ts';
import { indexSelect } from '../engine/ops/indexing.ts';
import { reshape, squeeze } from '../engine/ops/movement.ts';
import { ShapeError } from '../core/errors.ts';
import { Module } from '../nn/module.ts';
import { Linear } from '../nn/layers.ts';
import { constant_, normal_ } from '../nn/init.ts';
import { Generator } from '../core/random.ts';
import { GPT } from './gpt.ts';

export type HeadInit = 'reward' | 'zero';

export class ScalarHeadModel extends Module {
  readonly backbone: GPT;
  readonly head: Linear;

  constructor(backbone: GPT, init: HeadInit = 'reward', seed = 0) {
    super();
    this.backbone = backbone;
    const C = backbone.config.nEmbd;
    const g = new Generator(seed);
    this.head = new Linear(
      C,
      1,
      { generator: g, dtype: backbone.dtype, backend: backbone.transformer.wte.weight.backend },
      { bias: true, std: 1 },
    );
    if (init === 'reward') normal_(this.head.weight, 1 / Math.sqrt(C + 1), g);
    else constant_(this.head.weight, 0);
    constant_(this.head.bias!, 0);
    if (!backbone.config.tieEmbeddings) backbone.lm_head.weight.requiresGrad = false;
  }

  /** Scores at every position: ids [B, T] -> [B, T]. */
  forward(ids: Tensor, attentionMask: Tensor | null): Tensor {
    const { hidden } = this.backbone.forward(ids, { attentionMask, logits: 'none' });
    return squeeze(this.head.forward(hidden), -1);
  }

  /**
   * Scores at chosen positions: for each row b, the position index[b] (the last real token
   * for a reward model). ids [B, T], attentionMask [B, T] -> [B].
   */
  scoreAt(ids: Tensor, attentionMask: Tensor | null, index: readonly number[]): Tensor {
    const [B, T] = ids.shape as [number, number];
    if (index.length !== B)
      throw new ShapeError('ScalarHeadModel.scoreAt', `one index per row expected (${B}), got ${index.length}`);
    const { hidden } = this.backbone.forward(ids, { attentionMask, logits: 'none' });
    const C = hidden.shape[2]!;
    const rows = tensor(
      Int32Array.from(index, (t, b) => {
        if (!(t >= 0 && t < T))
          throw new ShapeError('ScalarHeadModel.scoreAt', `index ${t} of row ${b} is outside [0, ${T})`);
        return b * T + t;
      }),
      { shape: [B] },
    );
    const picked = indexSelect(reshape(hidden, [B * T, C]), 0, rows); // [B, C]
    return squeeze(this.head.forward(picked), -1);
  }
}

/** The index of the last real token of each row of a right-padded [B, T] mask. */
export function lastTokenIndex(mask: ArrayLike<number>, B: number, T: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    let last = -1;
    for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) last = t;
    if (last < 0) throw new ShapeError('lastTokenIndex', `row ${b} has no real token`);
    out.push(last);
  }
  return out;
}
