/**
 * Checkpoints holding several modules and optimizers in one atomic safetensors file, in the
 * llmts-checkpoint layout (src/io/checkpoint.ts), so `loadModelFromRun` reads the module
 * stored under `model/` (the policy of a PPO run, the backbone of a reward model):
 *   model/<name>          the main GPT
 *   <prefix>/<name>       other modules (head/ of a reward model, critic/ of PPO)
 *   <optim>/<i>/<slot>    optimizer state per parameter (optim/ first, then others)
 * A module with LoRA adapters stores its adapted layers' weights merged (W + s·B A) under their
 * usual names, so every plain loader sees the tuned model, and the adapters beside them
 * (`...c_attn.adapters.0.lora_A.weight`); restoring it (resume) reads the adapters and leaves
 * the frozen base weights as the stage loaded them from its starting model.
 * __metadata__.llmts.extra holds the stage's state (step, KL controller, RNG streams,
 * reward normalization) and `optimizers` records each optimizer's step and groups.
 */
import { existsSync } from 'node:fs';
import type { Tensor } from '../../engine/tensor.ts';
import type { GeneratorState } from '../../core/random.ts';
import { noGrad } from '../../engine/grad-mode.ts';
import { ConfigError, FormatError } from '../../core/errors.ts';
import { CHECKPOINT_FORMAT, openCheckpoint } from '../../io/checkpoint.ts';
import type { CheckpointMeta } from '../../io/checkpoint.ts';
import { saveSafetensors } from '../../io/safetensors.ts';
import type { TensorInput } from '../../io/safetensors.ts';
import type { ModelSpec } from '../../models/registry.ts';
import type { Module } from '../../nn/module.ts';
import { loraBaseTensors, mergedWeight } from '../../nn/lora.ts';
import type { Optimizer, OptimizerState } from '../../optim/optimizer.ts';
import type { JsonValue } from '../../core/json.ts';

export interface ModuleEntry {
  /** 'model' for the main GPT; another word for the others. */
  prefix: string;
  module: Module;
}

export interface OptimizerEntry {
  /** 'optim' for the main optimizer. */
  prefix: string;
  optimizer: Optimizer;
}

export interface MultiCheckpoint {
  spec: ModelSpec;
  modules: ModuleEntry[];
  optimizers: OptimizerEntry[];
  rng: GeneratorState | null;
  step: number;
  extra: JsonValue;
  train: JsonValue;
}

function tensorInput(t: Tensor): TensorInput {
  const data = t.toTypedArray();
  if (data instanceof Float64Array) return { dtype: 'F64', shape: [...t.shape], data };
  if (data instanceof Float32Array) return { dtype: 'F32', shape: [...t.shape], data };
  throw new ConfigError('checkpoint', `cannot store a ${t.dtype} parameter`);
}

function moduleTensors(m: Module): [string, Tensor][] {
  return [...m.namedParameters(), ...m.namedBuffers().filter(([, b]) => b.persistent)];
}

export function saveMultiCheckpoint(path: string, c: MultiCheckpoint): void {
  const tensors = new Map<string, TensorInput>();
  for (const { prefix, module } of c.modules) {
    const base = loraBaseTensors(module);
    for (const [name, t] of moduleTensors(module)) {
      const layer = base.get(t);
      tensors.set(
        `${prefix}/${name}`,
        layer !== undefined && t === layer.weight
          ? { ...tensorInput(t), data: mergedWeight(layer) as Float32Array }
          : tensorInput(t),
      );
    }
  }
  const optimizers: { prefix: string; step: number; groups: { lr: number; weightDecay: number }[] }[] = [];
  for (const { prefix, optimizer } of c.optimizers) {
    const state = optimizer.stateDict();
    state.slots.forEach((slot, i) => {
      for (const [k, v] of Object.entries(slot))
        tensors.set(`${prefix}/${i}/${k}`, {
          dtype: v instanceof Float64Array ? 'F64' : 'F32',
          shape: [v.length],
          data: v,
        });
    });
    optimizers.push({ prefix, step: state.step, groups: state.groups });
  }
  const main = optimizers.find((o) => o.prefix === 'optim') ?? null;
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    step: c.step,
    model: c.spec,
    optimizer: main === null ? null : { step: main.step, groups: main.groups },
    rng: c.rng,
    extra: { ...(c.extra as Record<string, JsonValue>), optimizers: optimizers as unknown as JsonValue },
    train: c.train,
  };
  saveSafetensors(path, tensors, { llmts: JSON.stringify(meta) });
}

export interface RestoredCheckpoint {
  step: number;
  extra: JsonValue;
  rng: GeneratorState | null;
}

/** Restores the given modules and optimizers in place; missing or mis-shaped tensors are FormatErrors. */
export function restoreMultiCheckpoint(
  path: string,
  modules: readonly ModuleEntry[],
  optimizers: readonly OptimizerEntry[],
): RestoredCheckpoint {
  if (!existsSync(path)) throw new FormatError(path, 'checkpoint not found');
  const ckpt = openCheckpoint(path);
  try {
    const file = ckpt.file;
    noGrad(() => {
      for (const { prefix, module } of modules) {
        const base = loraBaseTensors(module);
        for (const [name, t] of moduleTensors(module)) {
          if (base.has(t)) continue; // frozen, as loaded from the starting model (the file holds it merged)
          const key = `${prefix}/${name}`;
          if (!file.header.tensors.has(key)) throw new FormatError(path, `missing tensor ${key}`, key);
          const rec = file.read(key);
          if (rec.shape.length !== t.ndim || rec.shape.some((d, i) => d !== t.shape[i])) {
            throw new FormatError(
              path,
              `shape [${rec.shape.join(', ')}] does not match the model's [${t.shape.join(', ')}]`,
              key,
            );
          }
          if (!t.isContiguous()) throw new ConfigError(name, 'parameters must be contiguous to restore');
          (t.data as Float32Array).set(rec.data as unknown as ArrayLike<number>, t.offset);
        }
      }
    });
    const recorded =
      (
        ckpt.meta.extra as {
          optimizers?: { prefix: string; step: number; groups: { lr: number; weightDecay: number }[] }[];
        } | null
      )?.optimizers ?? [];
    for (const { prefix, optimizer } of optimizers) {
      const rec = recorded.find((o) => o.prefix === prefix);
      if (rec === undefined) throw new FormatError(path, `no state for optimizer ${prefix}`, prefix);
      const slots: OptimizerState['slots'] = [];
      for (const key of file.header.tensors.keys()) {
        if (!key.startsWith(`${prefix}/`)) continue;
        const [, index, slot] = key.split('/');
        const i = Number(index);
        if (!Number.isInteger(i) || slot === undefined)
          throw new FormatError(path, 'malformed optimizer tensor name', key);
        slots[i] ??= {};
        slots[i]![slot] = file.read(key).data as Float32Array;
      }
      for (let i = 0; i < slots.length; i++) slots[i] ??= {};
      optimizer.loadStateDict({ step: rec.step, slots, groups: rec.groups });
    }
    return { step: ckpt.meta.step, extra: ckpt.meta.extra, rng: ckpt.meta.rng };
  } finally {
    ckpt.file.close();
  }
}

/** Reads only the tensors under `prefix/` into a module (a frozen reward model or critic init). */
export function loadModulePrefix(path: string, prefix: string, module: Module): JsonValue {
  return restoreMultiCheckpoint(path, [{ prefix, module }], []).extra;
}
