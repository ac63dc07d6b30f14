/**
 * Denoising seq2seq objective for the encoder-decoder (BART's text infilling): spans of the
 * source (lengths ~ Poisson(3), covering ~15% of tokens) are each replaced by one mask
 * token; the decoder reconstructs the original sequence from a right-shifted copy.
 */
import type { Generator } from '../../core/random.ts';

export interface DenoisingOptions {
  maskTokenId: number;
  padTokenId: number;
  decoderStartTokenId: number;
  noiseDensity?: number;
  meanSpan?: number;
}

function poisson(g: Generator, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= g.random();
  } while (p > l);
  return k - 1;
}

/** ids/mask [B, T] (right-padded rows) -> source, its mask, decoder input and labels (all [B, T]). */
export function corruptSpans(
  ids: Int32Array,
  mask: Int32Array,
  B: number,
  T: number,
  g: Generator,
  o: DenoisingOptions,
): {
  source: Int32Array;
  sourceMask: Int32Array;
  decoderInput: Int32Array;
  labels: Int32Array;
} {
  const density = o.noiseDensity ?? 0.15;
  const meanSpan = o.meanSpan ?? 3;
  const source = new Int32Array(B * T).fill(o.padTokenId);
  const sourceMask = new Int32Array(B * T);
  const decoderInput = new Int32Array(B * T).fill(o.padTokenId);
  const labels = new Int32Array(B * T).fill(-100);
  for (let b = 0; b < B; b++) {
    let len = 0;
    while (len < T && mask[b * T + len] === 1) len++;
    // labels: the original row; decoder input: the row shifted right after the start token
    for (let t = 0; t < len; t++) labels[b * T + t] = ids[b * T + t]!;
    decoderInput[b * T] = o.decoderStartTokenId;
    for (let t = 1; t < len; t++) decoderInput[b * T + t] = ids[b * T + t - 1]!;
    let out = 0;
    let t = 0;
    while (t < len) {
      if (g.random() < density / meanSpan) {
        const span = Math.max(1, poisson(g, meanSpan));
        source[b * T + out++] = o.maskTokenId;
        t += span;
      } else {
        source[b * T + out++] = ids[b * T + t]!;
        t++;
      }
    }
    for (let i = 0; i < out; i++) sourceMask[b * T + i] = 1;
  }
  return { source, sourceMask, decoderInput, labels };
}
