/**
 * Saving llmts models in a Hugging Face layout (config.json + model.safetensors, sharded
 * when large) that transformers' from_pretrained opens: GPT-2 (Conv1D weights transposed
 * back to [in, out], zero biases for a bias-free model), LLaMA (q|k|v split into
 * q_proj/k_proj/v_proj) and BERT (query/key/value split, tied decoder recorded).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../engine/tensor.ts';
import { ConfigError } from '../../core/errors.ts';
import { specOf } from '../../models/registry.ts';
import type { AnyModel } from '../../models/registry.ts';
import { writeFileAtomic } from '../../core/atomic.ts';
import { saveSafetensorsCheckpoint } from '../safetensors-sharded.ts';
import type { TensorInput } from '../safetensors.ts';
import { hfArchitectureFor, hfConfigFor } from './config.ts';
import { rulesFor } from './rules.ts';

/** Writes `model` as a Hugging Face folder (config.json + model.safetensors, sharded past `maxShardBytes`); returns the files written. */
export function saveHfModel(model: AnyModel, dir: string, options: { maxShardBytes?: number } = {}): string[] {
  const spec = specOf(model);
  const arch = hfArchitectureFor(spec);
  const params = new Map<string, Tensor>(model.stateDict());
  const tensors = new Map<string, TensorInput>();
  for (const rule of rulesFor(arch, spec)) {
    if (rule.hfOnly) {
      tensors.set(rule.hf[0]!, {
        dtype: 'F32',
        shape: rule.hfOnly.shape,
        data: new Float32Array(rule.hfOnly.shape.reduce((a, b) => a * b, 1)),
      });
      continue;
    }
    const p = params.get(rule.ours);
    if (p === undefined) throw new ConfigError('model', `parameter ${rule.ours} is missing`);
    const data = Float32Array.from(p.toTypedArray() as ArrayLike<number>);
    if (rule.transpose) {
      const [rows, cols] = p.shape as [number, number]; // [out, in] -> [in, out]
      const t = new Float32Array(data.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = data[r * cols + c]!;
      tensors.set(rule.hf[0]!, { dtype: 'F32', shape: [cols, rows], data: t });
      continue;
    }
    if (rule.hf.length === 1) {
      tensors.set(rule.hf[0]!, { dtype: 'F32', shape: [...p.shape], data });
      continue;
    }
    // split a fused q|k|v along dim 0: q has nHead*D rows, k and v nKvHead*D each
    const inner = p.shape.slice(1).reduce((a, b) => a * b, 1);
    const headDim = spec.config.nEmbd / spec.config.nHead;
    const rows = [spec.config.nHead * headDim, spec.config.nKvHead * headDim, spec.config.nKvHead * headDim];
    let at = 0;
    rule.hf.forEach((name, i) => {
      const n = rows[i]! * inner;
      tensors.set(name, { dtype: 'F32', shape: [rows[i]!, ...p.shape.slice(1)], data: data.slice(at, at + n) });
      at += n;
    });
  }
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(hfConfigFor(spec), null, 2));
  return saveSafetensorsCheckpoint(
    dir,
    tensors,
    options.maxShardBytes !== undefined ? { maxShardBytes: options.maxShardBytes } : {},
  );
}
