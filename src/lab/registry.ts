/** Every lab experiment, in the notes' section order (`llmts lab list` prints them). */
import type { Experiment } from './types.ts';
import { gptVsBert } from './experiments/1-gpt-vs-bert.ts';
import { attentionRank } from './experiments/2-attention-rank.ts';
import { architectures } from './experiments/2-architectures.ts';
import { ppoClip } from './experiments/3-ppo-clip.ts';
import { tokenizers } from './experiments/4-tokenizers.ts';
import { activations } from './experiments/5-activations.ts';
import { multiHead } from './experiments/6-multi-head.ts';
import { dataPipeline } from './experiments/7-data-pipeline.ts';
import { decoding } from './experiments/8-decoding.ts';
import { sinusoidal } from './experiments/9-sinusoidal.ts';
import { addPosition } from './experiments/9-add-position.ts';
import { rope } from './experiments/9-rope.ts';
import { padding } from './experiments/10-padding.ts';
import { normalization } from './experiments/11-normalization.ts';

export const EXPERIMENTS: readonly Experiment[] = [
  gptVsBert,
  attentionRank,
  architectures,
  ppoClip,
  tokenizers,
  activations,
  multiHead,
  dataPipeline,
  decoding,
  sinusoidal,
  addPosition,
  rope,
  padding,
  normalization,
];
