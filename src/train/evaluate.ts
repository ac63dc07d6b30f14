/**
 * Evaluation of a causal LM over a whole split: non-overlapping windows of block_size
 * tokens (each predicting its next tokens), summed loss, perplexity, and bits per byte
 * (total nats / ln 2 / UTF-8 bytes of the predicted text) when a decoder is given.
 */
import type { TokenSplit } from '../data/shards/index.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { tidy } from '../engine/memory.ts';
import { tensor } from '../engine/ops/creation.ts';
import type { GPT } from '../models/gpt.ts';

export interface EvalResult {
  tokens: number;
  loss: number;
  perplexity: number;
  bitsPerByte: number | null;
}

export function evaluateCausalLM(
  model: GPT,
  split: TokenSplit,
  options: { batchSize?: number; maxTokens?: number; decode?: (ids: readonly number[]) => string } = {},
): EvalResult {
  const T = model.config.blockSize;
  const B = options.batchSize ?? 8;
  const limit = Math.min(split.numTokens - 1, options.maxTokens ?? Infinity);
  const windows = Math.max(1, Math.floor(limit / T));
  let nats = 0;
  let tokens = 0;
  let bytes = 0;
  const was = model.training;
  model.eval();
  const buf = new Int32Array(T + 1);
  try {
    for (let w0 = 0; w0 < windows; w0 += B) {
      const n = Math.min(B, windows - w0);
      const len = Math.min(T, limit);
      const x = new Int32Array(n * len);
      const y = new Int32Array(n * len);
      for (let i = 0; i < n; i++) {
        split.read((w0 + i) * len, len + 1, buf);
        x.set(buf.subarray(0, len), i * len);
        y.set(buf.subarray(1, len + 1), i * len);
        if (options.decode) bytes += Buffer.byteLength(options.decode(Array.from(buf.subarray(1, len + 1))), 'utf8');
      }
      const mean = noGrad(() =>
        tidy(() =>
          model.forward(tensor(x, { shape: [n, len] }), { targets: tensor(y, { shape: [n, len] }) }).loss!.item(),
        ),
      );
      nats += mean * n * len;
      tokens += n * len;
    }
  } finally {
    model.train(was);
  }
  const loss = nats / tokens;
  return {
    tokens,
    loss,
    perplexity: Math.exp(loss),
    bitsPerByte: options.decode && bytes > 0 ? nats / Math.LN2 / bytes : null,
  };
}
