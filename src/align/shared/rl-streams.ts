/**
 * The random streams of an online stage (PPO, GRPO), each its own generator so that one
 * kind of draw never shifts another: the prompts of each step (epoch-wise, seed), the
 * sampled answers (seed + 1) and the minibatch permutations (seed + 2). Their state goes
 * into the checkpoint for exact resume. Shared so both stages draw and resume alike.
 */
import { Generator } from '../../core/random.ts';
import type { GeneratorState } from '../../core/random.ts';
import type { JsonValue } from '../../core/json.ts';
import { EpochSampler } from './sampler.ts';

export interface RlStreamsState {
  prompts: JsonValue;
  sampling: GeneratorState;
  shuffle: GeneratorState;
}

export class RlStreams {
  readonly prompts: EpochSampler;
  readonly sampling: Generator;
  readonly shuffle: Generator;

  constructor(promptCount: number, seed: number) {
    this.prompts = new EpochSampler(promptCount, seed);
    this.sampling = new Generator(seed + 1);
    this.shuffle = new Generator(seed + 2);
  }

  /** A fresh minibatch order over B rows. */
  permutation(B: number): number[] {
    return Array.from(this.shuffle.permutation(B));
  }

  getState(): RlStreamsState {
    return { prompts: this.prompts.getState(), sampling: this.sampling.getState(), shuffle: this.shuffle.getState() };
  }

  setState(s: RlStreamsState): void {
    this.prompts.setState(s.prompts);
    this.sampling.setState(s.sampling);
    this.shuffle.setState(s.shuffle);
  }
}
