/**
 * Weight-only quantization of a model for inference (docs/quantization.md): every Linear whose
 * input width is a multiple of 32 gets a q8_0 or q4_0 copy of its weight (`Linear.quantized`),
 * which its forward uses when no gradient is needed, and its float weight is overwritten with
 * the dequantized values, so everything else that reads the weight (a tied embedding lookup,
 * a training step) sees the same weights. Embedding tables that are not tied to a head stay
 * float32 (a lookup reads one row per token; llama.cpp quantizes them for size, not speed).
 */
import { dequantizeRows, quantizeMatrix, QUANT_BLOCK, type QuantScheme } from '../backends/quant.ts';
import type { QuantizedMatrix } from '../backends/quant.ts';
import { Linear } from '../nn/layers.ts';
import type { Module } from '../nn/module.ts';

export interface QuantizeReport {
  /** Module names of the quantized Linears. */
  quantized: string[];
  /** Linears left in float32 (input width not a multiple of 32, or not float32). */
  skipped: string[];
  /** Bytes of the float32 weights replaced, and of their quants + scales. */
  floatBytes: number;
  quantBytes: number;
}

/** The Linear modules of a model with their names (each weight once: a tied head is listed once). */
export function linearModules(model: Module): [string, Linear][] {
  return model.namedModules().filter((e): e is [string, Linear] => e[1] instanceof Linear);
}

/** Attaches q to the Linear and writes the dequantized values into its weight. */
export function setQuantized(linear: Linear, q: QuantizedMatrix): void {
  const w = linear.weight;
  const data = w.data as Float32Array;
  dequantizeRows(q, 0, q.rows, data.subarray(w.offset, w.offset + w.size));
  w.storage.version++;
  linear.quantized = q;
}

export function quantizeModel(model: Module, scheme: QuantScheme): QuantizeReport {
  const report: QuantizeReport = { quantized: [], skipped: [], floatBytes: 0, quantBytes: 0 };
  for (const [name, linear] of linearModules(model)) {
    const w = linear.weight;
    if (w.dtype !== 'float32' || linear.inFeatures % QUANT_BLOCK !== 0 || !w.isContiguous()) {
      report.skipped.push(name);
      continue;
    }
    const data = (w.data as Float32Array).subarray(w.offset, w.offset + w.size);
    const q = quantizeMatrix(scheme, data, linear.outFeatures, linear.inFeatures);
    setQuantized(linear, q);
    report.quantized.push(name);
    report.floatBytes += w.size * 4;
    report.quantBytes += q.wq.byteLength + q.wd.byteLength;
  }
  model.requiresGrad_(false);
  return report;
}
