/**
 * A frozen reward model as PPO, GRPO and the evaluations use it: the score at each
 * answer's last token, normalized with the gain and bias fitted after RM training so that
 * the SFT policy's answers score mean 0, std 1 (detail 16).
 */
import { noGrad } from '../../engine/grad-mode.ts';
import { tidy } from '../../engine/memory.ts';
import type { ScalarHeadModel } from '../../models/heads.ts';
import type { SequenceBatch } from './batch.ts';
import { selectRows } from './batch.ts';
import { rewardForward } from './forward.ts';

export interface RewardNormalization {
  mean: number;
  std: number;
}

export class RewardScorer {
  constructor(
    readonly model: ScalarHeadModel,
    public normalization: RewardNormalization,
    readonly padId: number,
    readonly eosId: number,
    readonly chunk = 128,
  ) {
    model.eval();
  }

  /** Raw and normalized scores of every row. */
  score(batch: SequenceBatch): { raw: Float32Array; normalized: Float32Array } {
    const raw = new Float32Array(batch.B);
    for (let s = 0; s < batch.B; s += this.chunk) {
      const rows = Array.from({ length: Math.min(this.chunk, batch.B - s) }, (_, i) => s + i);
      const part = rows.length === batch.B ? batch : selectRows(batch, rows, this.padId, this.eosId);
      const out = noGrad(() => tidy(() => rewardForward(this.model, part).toTypedArray()));
      raw.set(out as Float32Array, s);
    }
    const { mean, std } = this.normalization;
    return { raw, normalized: raw.map((r) => (r - mean) / std) };
  }
}

/**
 * The score the online stages (PPO, GRPO) optimize: the normalized RM score, minus
 * `missingEosPenalty` for an answer cut at the length budget (detail 10), clipped to
 * +-scoreClip.
 */
export function penalizedScores(
  normalized: ArrayLike<number>,
  hasEos: readonly boolean[],
  missingEosPenalty: number,
  scoreClip: number,
): Float32Array {
  const scores = new Float32Array(normalized.length);
  for (let b = 0; b < normalized.length; b++) {
    let s = normalized[b]!;
    if (!hasEos[b]) s -= missingEosPenalty;
    scores[b] = Math.max(-scoreClip, Math.min(scoreClip, s));
  }
  return scores;
}
