/**
 * Loading Hugging Face checkpoints (config.json + model.safetensors, or a sharded index)
 * into llmts models, key by key with shape checks, as nanoGPT's from_pretrained does.
 * F16/BF16 weights widen to float32.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../backends/backend.ts';
import { noGrad } from '../../engine/grad-mode.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { FormatError } from '../../core/errors.ts';
import { createModel } from '../../models/registry.ts';
import type { AnyModel } from '../../models/registry.ts';
import type { ReadOptions, TensorInfo, TensorRecord } from '../safetensors.ts';
import { SafetensorsCheckpoint } from '../safetensors-sharded.ts';
import { floatValues } from '../safetensors.ts';
import { architectureOf, specFromHfConfig } from './config.ts';
import { checkSizesAgainstCheckpoint, validateHfSpec } from './check.ts';
import { hfAliases } from './mapping.ts';
import { rulesFor } from './rules.ts';

export function isHfModelDir(dir: string): boolean {
  return (
    existsSync(join(dir, 'config.json')) &&
    (existsSync(join(dir, 'model.safetensors')) || existsSync(join(dir, 'model.safetensors.index.json')))
  );
}

function readConfig(dir: string): Record<string, unknown> {
  const file = join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FormatError(file, 'not valid JSON', undefined, { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new FormatError(file, 'config.json must be a JSON object');
  return raw as Record<string, unknown>;
}

/** Builds the model on `backend` (default: the default backend) and copies the checkpoint into it. */
export function loadHfModel(dir: string, options: { backend?: Backend } = {}): AnyModel {
  const cfg = readConfig(dir);
  const file = join(dir, 'config.json');
  return hfModelFromCheckpoint(cfg, file, () => SafetensorsCheckpoint.open(dir), options);
}

/** What loading reads from a checkpoint: SafetensorsCheckpoint on disk, or one held in memory. */
export interface CheckpointReader {
  /** Names the checkpoint in errors. */
  readonly dir: string;
  /** Every tensor name in the checkpoint. */
  keys(): string[];
  /** Whether the checkpoint holds a tensor of this name. */
  has(name: string): boolean;
  /** A tensor's dtype, shape and byte range (throws SafetensorsError for an unknown name). */
  info(name: string): TensorInfo;
  /** A tensor's values (decoded to float32 with `opts.float32`). */
  read(name: string, opts?: ReadOptions): TensorRecord;
  /** Releases the files or memory behind the checkpoint. */
  close(): void;
}

/**
 * The model of a parsed config.json (`file` names it in errors) with the weights of the
 * checkpoint `open` gives (opened after the config has been validated).
 */
export function hfModelFromCheckpoint(
  cfg: Record<string, unknown>,
  file: string,
  open: () => CheckpointReader,
  options: { backend?: Backend } = {},
): AnyModel {
  const arch = architectureOf(cfg, file);
  const spec = specFromHfConfig(cfg, file);
  validateHfSpec(arch, spec, file);
  const ckpt = open();
  let model: AnyModel;
  try {
    // sizes agree with the file's shapes before anything is allocated
    checkSizesAgainstCheckpoint(arch, spec, ckpt, file);
    model = createModel(spec, options.backend !== undefined ? { backend: options.backend } : {});
    const params = new Map<string, Tensor>(model.stateDict());
    const available = new Set(ckpt.keys());
    const find = (name: string): string => {
      for (const alias of hfAliases(name)) if (available.has(alias)) return alias;
      throw new FormatError(ckpt.dir, `missing tensor ${name}`, name);
    };
    const used = new Set<string>();
    const headDim = spec.config.nEmbd / spec.config.nHead;
    const qkvRows = [spec.config.nHead * headDim, spec.config.nKvHead * headDim, spec.config.nKvHead * headDim];
    noGrad(() => {
      for (const rule of rulesFor(arch, spec)) {
        if (rule.optional && !rule.hf.some((n) => hfAliases(n).some((a) => available.has(a)))) continue;
        const parts = rule.hf.map((n) => {
          const key = find(n);
          used.add(key);
          // F16/BF16 widen, F64 narrows; an integer or other dtype is refused, never cast
          const rec = ckpt.read(key, { float32: true });
          return { key, rec: { ...rec, data: floatValues(rec, 'F32', ckpt.dir, key) } };
        });
        if (rule.hfOnly) {
          // a tensor llmts does not have (bias of a bias-free model): it must be zero to be exact
          for (const { key, rec } of parts) {
            if (Array.from(rec.data as Float32Array).some((v) => v !== 0))
              throw new FormatError(ckpt.dir, 'non-zero bias for a model configured without biases', key);
          }
          continue;
        }
        const target = params.get(rule.ours);
        if (target === undefined)
          throw new FormatError(ckpt.dir, `no llmts parameter ${rule.ours} for ${rule.hf.join(' + ')}`);
        const dst = (target.data as Float32Array).subarray(target.offset, target.offset + target.size);
        let at = 0;
        for (const part of parts) {
          const { key, rec } = part;
          const src = rec.data as Float32Array;
          if (rule.transpose) {
            // Conv1D [in, out] -> Linear [out, in]
            const [rows, cols] = rec.shape as [number, number];
            if (target.shape[0] !== cols || target.shape[1] !== rows) {
              throw new FormatError(
                ckpt.dir,
                `shape [${rec.shape.join(', ')}] transposed does not match the model's [${target.shape.join(', ')}]`,
                key,
              );
            }
            for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c]!;
            at += src.length;
          } else {
            // a fused q|k|v target takes [H·D, ...], [Hkv·D, ...], [Hkv·D, ...] in turn
            const want =
              parts.length === 1 ? target.shape : [qkvRows[parts.indexOf(part)] ?? -1, ...target.shape.slice(1)];
            if (at + src.length > target.size || rec.shape.join() !== want.join()) {
              throw new FormatError(
                ckpt.dir,
                `shape [${rec.shape.join(', ')}] does not match the model's [${target.shape.join(', ')}]`,
                key,
              );
            }
            dst.set(src, at);
            at += src.length;
          }
        }
        if (at !== target.size)
          throw new FormatError(
            ckpt.dir,
            `${rule.hf.join(' + ')} fill ${at} of ${target.size} elements of ${rule.ours}`,
            rule.hf[0],
          );
      }
    });
    // tied weights and buffers HF keeps (attn.bias masks, rotary inv_freq) are expected leftovers
    const leftovers = [...available].filter(
      (k) =>
        !used.has(k) &&
        !/(\.attn\.(masked_)?bias$|rotary_emb\.inv_freq$|lm_head\.weight$|position_ids$|cls\.predictions\.decoder\.(weight|bias)$)/.test(
          k,
        ),
    );
    if (leftovers.length > 0)
      throw new FormatError(
        ckpt.dir,
        `unexpected tensors not used by ${arch}: ${leftovers.slice(0, 8).join(', ')}${leftovers.length > 8 ? ', ...' : ''}`,
      );
  } finally {
    ckpt.close();
  }
  return model;
}
