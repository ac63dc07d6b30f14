/**
 * Epoch-wise sampling without replacement: each epoch is a fresh permutation of the
 * examples (detail 24 for PPO minibatches; the same for SFT, reward and DPO batches). The
 * state (generator, order, position) goes into checkpoints for exact resume.
 */
import { Generator } from '../../core/random.ts';
import type { GeneratorState } from '../../core/random.ts';
import { ArgumentError } from '../../core/errors.ts';
import type { JsonValue } from '../../core/json.ts';

export class EpochSampler {
  private readonly g: Generator;
  private order: Int32Array;
  private pos = 0;
  epoch = 0;

  constructor(
    readonly size: number,
    seed: number,
  ) {
    if (size <= 0) throw new ArgumentError('EpochSampler', 'no examples to sample from');
    this.g = new Generator(seed);
    this.order = this.g.permutation(size);
  }

  /** The next n indices, continuing into a new epoch (a new permutation) when one ends. */
  next(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.pos >= this.size) {
        this.order = this.g.permutation(this.size);
        this.pos = 0;
        this.epoch++;
      }
      out.push(this.order[this.pos++]!);
    }
    return out;
  }

  getState(): JsonValue {
    return {
      g: this.g.getState() as unknown as JsonValue,
      order: Array.from(this.order),
      pos: this.pos,
      epoch: this.epoch,
    };
  }

  setState(s: JsonValue): void {
    const st = s as unknown as { g: GeneratorState; order: number[]; pos: number; epoch: number };
    if (!Array.isArray(st.order) || st.order.length !== this.size)
      throw new ArgumentError(
        'EpochSampler.setState',
        `the saved order covers ${st.order?.length} examples, the data ${this.size}`,
      );
    this.g.setState(st.g);
    this.order = Int32Array.from(st.order);
    this.pos = st.pos;
    this.epoch = st.epoch;
  }
}
