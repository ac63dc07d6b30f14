/**
 * Scoring text under a causal LM: log p(token_t | tokens_<t) for every token. With a BOS id
 * (GPT-2 uses <|endoftext|>) the first token is scored too; without one it has no context
 * and its entry is null. Sequences longer than the context window are scored in sliding
 * windows that keep as much context as fits.
 */
import { noGrad } from '../engine/grad-mode.ts';
import { tidy } from '../engine/memory.ts';
import { tensor } from '../engine/ops/creation.ts';
import { logSoftmax } from '../engine/ops/softmax.ts';
import { ArgumentError } from '../core/errors.ts';
import type { GPT } from './gpt.ts';

/** Per-token log-probabilities of a sequence and their sum and mean over the scored tokens. */
export interface TokenScores {
  /** One entry per input id: its log-probability in nats, or null when it has no context. */
  logprobs: (number | null)[];
  totalLogprob: number;
  meanLogprob: number;
  scored: number;
}

/**
 * log p(token_t | tokens_<t) for every id of `ids` under `model` (sliding windows past the context;
 * `bosId` gives the first token a context to be scored in).
 */
export function scoreTokens(model: GPT, ids: readonly number[], bosId?: number): TokenScores {
  const V = model.config.vocabSize;
  for (const id of ids)
    if (!Number.isInteger(id) || id < 0 || id >= V)
      throw new ArgumentError('score', `token id ${id} outside [0, ${V})`);
  const seq = bosId !== undefined ? [bosId, ...ids] : [...ids];
  const offset = bosId !== undefined ? 1 : 0;
  const logprobs: (number | null)[] = new Array<number | null>(ids.length).fill(null);
  const window =
    model.config.position === 'learned' || model.config.position === 'sinusoidal'
      ? model.config.blockSize
      : Number.MAX_SAFE_INTEGER;
  const was = model.training;
  model.eval();
  try {
    // predict seq[t] from seq[max(0, t - window) .. t - 1]
    let t = 1;
    while (t < seq.length) {
      // first window from 0; later ones advance half a window and keep the other half as context
      const end = Math.min(seq.length, t === 1 ? window : t + Math.max(1, Math.floor(window / 2)));
      const start = Math.max(0, end - window);
      const chunk = seq.slice(start, end);
      noGrad(() =>
        tidy(() => {
          const out = model.forward(tensor(Int32Array.from(chunk), { shape: [1, chunk.length] }));
          const lp = logSoftmax(out.logits!, -1).toTypedArray();
          for (let p = t; p < end; p++) {
            const i = p - offset;
            if (i >= 0) logprobs[i] = lp[(p - start - 1) * V + seq[p]!]!;
          }
        }),
      );
      t = end;
    }
  } finally {
    model.train(was);
  }
  const scored = logprobs.filter((x): x is number => x !== null);
  const total = scored.reduce((a, b) => a + b, 0);
  return {
    logprobs,
    totalLogprob: total,
    meanLogprob: scored.length > 0 ? total / scored.length : NaN,
    scored: scored.length,
  };
}
