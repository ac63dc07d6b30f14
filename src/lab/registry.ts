/** Every lab experiment, in the notes' section order (`llmts lab list` prints them). */
import type { Experiment } from './types.ts';
import { sinusoidal } from './experiments/9-sinusoidal.ts';
import { addPosition } from './experiments/9-add-position.ts';
import { rope } from './experiments/9-rope.ts';

export const EXPERIMENTS: readonly Experiment[] = [sinusoidal, addPosition, rope];
