/**
 * Quantized model files (docs/quantization.md): `llmts quantize` writes a directory with
 * model.safetensors and the tokenizer/generation files of the source model. The safetensors
 * file holds, under llmts parameter names:
 *   NAME.weight.q      U8  [out, in] (q8_0: int8 bit patterns) or [out, in / 2] (q4_0 nibbles)
 *   NAME.weight.scale  F16 [out, in / 32]
 * for every quantized Linear NAME, and every other parameter and persistent buffer as F32
 * (a float weight tied to a quantized head is not stored: it is the dequantized head).
 * __metadata__.llmts = {"format": "llmts-quantized", "version": 1, "model": <ModelSpec>,
 * "quantization": {"scheme": "q8_0" | "q4_0", "block": 32}, "source": <path>}.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QUANT_BLOCK, QUANT_SCHEMES, quantRowBytes, type QuantScheme } from '../backends/quant.ts';
import { FormatError } from '../core/errors.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { createModel, parseModelSpec, type AnyModel, type ModelSpec } from '../models/registry.ts';
import { linearModules, setQuantized } from '../models/quantize.ts';
import { SafetensorsFile, saveSafetensors, type TensorInput } from './safetensors.ts';

export const QUANTIZED_FORMAT = 'llmts-quantized';
export const QUANTIZED_FILE = 'model.safetensors';

export interface QuantizedMeta {
  format: typeof QUANTIZED_FORMAT;
  version: 1;
  model: ModelSpec;
  quantization: { scheme: QuantScheme; block: number };
  source: string;
}

export function saveQuantizedModel(path: string, model: AnyModel, spec: ModelSpec, source: string): QuantScheme {
  const tensors = new Map<string, TensorInput>();
  let scheme: QuantScheme | null = null;
  const tiedAway = new Set<unknown>();
  for (const [name, linear] of linearModules(model)) {
    const q = linear.quantized;
    if (q === null) continue;
    if (scheme !== null && q.scheme !== scheme)
      throw new FormatError(path, `mixed quantization schemes (${scheme}, ${q.scheme}) are not supported`, name);
    scheme = q.scheme;
    tensors.set(`${name}.weight.q`, { dtype: 'U8', shape: [q.rows, quantRowBytes(q.scheme, q.cols)], data: q.wq });
    tensors.set(`${name}.weight.scale`, { dtype: 'F16', shape: [q.rows, q.cols / QUANT_BLOCK], data: q.wd });
    tiedAway.add(linear.weight);
  }
  if (scheme === null) throw new FormatError(path, 'the model has no quantized layer (run quantizeModel first)');
  for (const [name, p] of model.namedParameters()) {
    if (tiedAway.has(p)) continue;
    tensors.set(name, { dtype: 'F32', shape: [...p.shape], data: p.toTypedArray() as Float32Array });
  }
  for (const [name, b] of model.namedBuffers())
    if (b.persistent) tensors.set(name, { dtype: 'F32', shape: [...b.shape], data: b.toTypedArray() as Float32Array });
  const meta: QuantizedMeta = {
    format: QUANTIZED_FORMAT,
    version: 1,
    model: spec,
    quantization: { scheme, block: QUANT_BLOCK },
    source,
  };
  saveSafetensors(path, tensors, { llmts: JSON.stringify(meta) });
  return scheme;
}

/** The metadata of a quantized model file, or null when the file is something else. */
export function quantizedMeta(file: SafetensorsFile): QuantizedMeta | null {
  const raw = file.metadata?.['llmts'];
  if (raw === undefined) return null;
  let meta: unknown;
  try {
    meta = JSON.parse(raw);
  } catch {
    return null;
  }
  if (meta === null || typeof meta !== 'object' || (meta as { format?: unknown }).format !== QUANTIZED_FORMAT)
    return null;
  const m = meta as QuantizedMeta;
  if (m.version !== 1)
    throw new FormatError(file.path, `quantized format version ${String(m.version)} is not supported`);
  if (!QUANT_SCHEMES.includes(m.quantization?.scheme) || m.quantization.block !== QUANT_BLOCK)
    throw new FormatError(file.path, 'unknown quantization scheme', '__metadata__.llmts.quantization');
  return m;
}

/** Whether path is a quantized model directory or file. */
export function isQuantizedModel(path: string): boolean {
  const file = path.endsWith('.safetensors') ? path : join(path, QUANTIZED_FILE);
  if (!existsSync(file) || existsSync(join(path, 'config.json'))) return false;
  const f = SafetensorsFile.open(file);
  try {
    return quantizedMeta(f) !== null;
  } finally {
    f.close();
  }
}

export function loadQuantizedModel(path: string): { model: AnyModel; meta: QuantizedMeta; file: string } {
  const file = path.endsWith('.safetensors') ? path : join(path, QUANTIZED_FILE);
  const f = SafetensorsFile.open(file);
  try {
    const meta = quantizedMeta(f);
    if (meta === null) throw new FormatError(file, 'not an llmts quantized model (__metadata__.llmts.format)');
    const model = createModel(parseModelSpec(meta.model, file));
    const scheme = meta.quantization.scheme;
    const filled = new Set<unknown>();
    noGrad(() => {
      for (const [name, linear] of linearModules(model)) {
        const qName = `${name}.weight.q`;
        if (!f.has(qName)) continue;
        const rows = linear.outFeatures;
        const cols = linear.inFeatures;
        const qi = f.info(qName);
        const si = f.info(`${name}.weight.scale`);
        const wantQ = [rows, quantRowBytes(scheme, cols)];
        const wantS = [rows, cols / QUANT_BLOCK];
        if (qi.dtype !== 'U8' || qi.shape.join() !== wantQ.join())
          throw new FormatError(
            file,
            `expected U8 [${wantQ.join(', ')}], got ${qi.dtype} [${qi.shape.join(', ')}]`,
            qName,
          );
        if (si.dtype !== 'F16' || si.shape.join() !== wantS.join())
          throw new FormatError(
            file,
            `expected F16 [${wantS.join(', ')}], got ${si.dtype} [${si.shape.join(', ')}]`,
            `${name}.weight.scale`,
          );
        const wq = new Uint8Array(f.read(qName).data as Uint8Array);
        const wd = new Uint16Array(f.read(`${name}.weight.scale`).data as Uint16Array);
        setQuantized(linear, { scheme, rows, cols, wq, wd });
        filled.add(linear.weight);
      }
      for (const [name, p] of model.namedParameters()) {
        if (!f.has(name)) {
          if (filled.has(p)) continue;
          throw new FormatError(file, `missing tensor for ${name}`, name);
        }
        const rec = f.read(name);
        if (rec.dtype !== 'F32' || rec.shape.join() !== p.shape.join())
          throw new FormatError(
            file,
            `expected F32 [${p.shape.join(', ')}], got ${rec.dtype} [${rec.shape.join(', ')}]`,
            name,
          );
        (p.data as Float32Array).set(rec.data as Float32Array, p.offset);
        p.storage.version++;
      }
      for (const [name, b] of model.namedBuffers()) {
        if (!b.persistent || !f.has(name)) continue;
        (b.data as Float32Array).set(f.read(name).data as Float32Array, b.offset);
      }
    });
    model.requiresGrad_(false);
    return { model, meta, file };
  } finally {
    f.close();
  }
}
