/**
 * Causal-LM batches: random windows of block_size + 1 tokens from a token split (nanoGPT's
 * get_batch): x = window[:-1], y = window[1:]. The sampler's Generator state is part of the
 * checkpoint, so a resumed run draws the same windows.
 */
import type { TokenSplit } from '../../data/shards/index.ts';
import { Generator } from '../../core/random.ts';
import type { GeneratorState } from '../../core/random.ts';
import { ArgumentError } from '../../core/errors.ts';

export interface TokenBatch {
  /** [B, T] inputs. */
  x: Int32Array;
  /** [B, T] targets (next tokens). */
  y: Int32Array;
  batchSize: number;
  blockSize: number;
}

export class WindowSampler {
  readonly generator: Generator;
  private readonly window: Int32Array;
  constructor(
    readonly split: TokenSplit,
    readonly batchSize: number,
    readonly blockSize: number,
    seed: number,
  ) {
    if (split.numTokens < blockSize + 2) {
      throw new ArgumentError(
        'WindowSampler',
        `split "${split.name}" has ${split.numTokens} tokens, fewer than block_size + 2 = ${blockSize + 2}`,
      );
    }
    this.generator = new Generator(seed);
    this.window = new Int32Array(blockSize + 1);
  }

  next(): TokenBatch {
    const { batchSize: B, blockSize: T } = this;
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = this.generator.randint(this.split.numTokens - T - 1);
      this.split.read(start, T + 1, this.window);
      x.set(this.window.subarray(0, T), b * T);
      y.set(this.window.subarray(1), b * T);
    }
    return { x, y, batchSize: B, blockSize: T };
  }

  getState(): GeneratorState {
    return this.generator.getState();
  }

  setState(s: GeneratorState): void {
    this.generator.setState(s);
  }
}
