/**
 * Masked-LM inputs (BERT, notes section 1), exactly as HF's DataCollatorForLanguageModeling:
 * each non-special, non-padding token is selected with probability p (0.15); of those 80%
 * become [MASK], 10% a random token, 10% stay; labels are the original ids where selected
 * and -100 elsewhere.
 */
import type { Generator } from '../../core/random.ts';
import { ArgumentError } from '../../core/errors.ts';

export interface MlmOptions {
  maskTokenId: number;
  vocabSize: number;
  /** Ids never selected ([CLS], [SEP], [PAD], ...). */
  specialIds: readonly number[];
  probability?: number;
  /** 1 = real token; padding is never selected. */
  attentionMask?: ArrayLike<number>;
}

export function maskTokens(
  ids: Int32Array,
  generator: Generator,
  o: MlmOptions,
): { inputs: Int32Array; labels: Int32Array } {
  const p = o.probability ?? 0.15;
  if (!(p > 0 && p < 1)) throw new ArgumentError('maskTokens', `probability must be in (0, 1), got ${p}`);
  const special = new Set(o.specialIds);
  const inputs = Int32Array.from(ids);
  const labels = new Int32Array(ids.length).fill(-100);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (special.has(id) || (o.attentionMask !== undefined && o.attentionMask[i] === 0)) continue;
    if (generator.random() >= p) continue;
    labels[i] = id;
    const r = generator.random();
    if (r < 0.8) inputs[i] = o.maskTokenId;
    else if (r < 0.9) inputs[i] = generator.randint(o.vocabSize);
    // else: unchanged
  }
  return { inputs, labels };
}
