/**
 * Training checkpoints: one safetensors file per checkpoint (checkpoint-last,
 * checkpoint-best) written atomically, holding everything needed to continue exactly:
 *   model/<param name>            parameters and persistent buffers (tied weights once)
 *   optim/<i>/<slot>              optimizer state per parameter (AdamW m, v; SGD momentum)
 *   __metadata__ "llmts"          JSON: step, model spec, optimizer step and groups, the
 *                                 model's RNG state (dropout), the task's state (data sampler
 *                                 RNG), the training config
 * Parameters are float32 (F32) or float64 (F64) as the model holds them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../engine/tensor.ts';
import type { GeneratorState } from '../core/random.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { ConfigError, FormatError } from '../core/errors.ts';
import { SafetensorsFile, saveSafetensors } from './safetensors.ts';
import type { TensorInput } from './safetensors.ts';
import type { Module } from '../nn/module.ts';
import type { Optimizer, OptimizerState } from '../optim/optimizer.ts';
import { createModel, parseModelSpec } from '../models/registry.ts';
import type { AnyModel, ModelSpec } from '../models/registry.ts';
import type { JsonValue } from '../core/json.ts';

/** Saves and restores everything of a run at a step (RunCheckpointer below implements it). */
export interface Checkpointer {
  save(kind: 'last' | 'best', step: number, extra: JsonValue): void;
  /** The state saved with the last checkpoint, after restoring model and optimizer; null if none. */
  restore(): { step: number; extra: JsonValue } | null;
}

export const CHECKPOINT_FORMAT = 'llmts-checkpoint';

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  step: number;
  model: ModelSpec;
  optimizer: { step: number; groups: { lr: number; weightDecay: number }[] } | null;
  /** The model's generator (initialization and dropout). */
  rng: GeneratorState | null;
  extra: JsonValue;
  /** The training configuration, for the record. */
  train: JsonValue;
}

function tensorInput(t: Tensor): TensorInput {
  const data = t.toTypedArray();
  if (data instanceof Float32Array) return { dtype: 'F32', shape: [...t.shape], data };
  if (data instanceof Float64Array) return { dtype: 'F64', shape: [...t.shape], data };
  if (data instanceof Int32Array) return { dtype: 'I32', shape: [...t.shape], data };
  return { dtype: 'U8', shape: [...t.shape], data };
}

/** Parameters (each once, under its first name) and persistent buffers. */
function modelTensors(model: Module): [string, Tensor][] {
  const buffers = model.namedBuffers().filter(([, b]) => b.persistent);
  return [...model.namedParameters(), ...buffers];
}

export function checkpointPath(runDir: string, kind: 'last' | 'best'): string {
  return join(runDir, `checkpoint-${kind}.safetensors`);
}

export interface SaveCheckpointArgs {
  path: string;
  model: AnyModel;
  spec: ModelSpec;
  optimizer: Optimizer | null;
  step: number;
  extra: JsonValue;
  train: JsonValue;
}

export function saveCheckpoint(a: SaveCheckpointArgs): void {
  const tensors = new Map<string, TensorInput>();
  for (const [name, t] of modelTensors(a.model)) tensors.set(`model/${name}`, tensorInput(t));
  let optimizer: CheckpointMeta['optimizer'] = null;
  if (a.optimizer !== null) {
    const state = a.optimizer.stateDict();
    state.slots.forEach((slot, i) => {
      for (const [k, v] of Object.entries(slot)) {
        tensors.set(
          `optim/${i}/${k}`,
          v instanceof Float64Array
            ? { dtype: 'F64', shape: [v.length], data: v }
            : { dtype: 'F32', shape: [v.length], data: v },
        );
      }
    });
    optimizer = { step: state.step, groups: state.groups };
  }
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    step: a.step,
    model: a.spec,
    optimizer,
    rng: a.model.generator.getState(),
    extra: a.extra,
    train: a.train,
  };
  saveSafetensors(a.path, tensors, { llmts: JSON.stringify(meta) });
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  file: SafetensorsFile;
}

export function openCheckpoint(path: string): LoadedCheckpoint {
  const file = SafetensorsFile.open(path);
  const raw = file.metadata?.['llmts'];
  if (raw === undefined) {
    file.close();
    throw new FormatError(path, 'not an llmts checkpoint (no "llmts" entry in __metadata__)', '__metadata__.llmts');
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(raw) as CheckpointMeta;
  } catch (err) {
    file.close();
    throw new FormatError(path, 'the "llmts" metadata is not valid JSON', '__metadata__.llmts', { cause: err });
  }
  if (meta.format !== CHECKPOINT_FORMAT || meta.version !== 1) {
    file.close();
    throw new FormatError(
      path,
      `unsupported checkpoint format ${JSON.stringify(meta.format)} version ${JSON.stringify(meta.version)}`,
      'format',
    );
  }
  meta.model = parseModelSpec(meta.model, path);
  return { meta, file };
}

/** Copies the checkpoint's model tensors into a model built from the same spec. */
export function restoreModel(model: AnyModel, ckpt: LoadedCheckpoint): void {
  const path = ckpt.file.path;
  noGrad(() => {
    for (const [name, t] of modelTensors(model)) {
      const key = `model/${name}`;
      if (!ckpt.file.header.tensors.has(key)) throw new FormatError(path, `missing tensor for ${name}`, key);
      const rec = ckpt.file.read(key);
      if (rec.shape.length !== t.ndim || rec.shape.some((d, i) => d !== t.shape[i])) {
        throw new FormatError(
          path,
          `shape [${rec.shape.join(', ')}] does not match the model's [${t.shape.join(', ')}]`,
          key,
        );
      }
      if (!t.isContiguous()) throw new ConfigError(name, 'parameters must be contiguous to restore');
      // parameters may be views into one flat buffer (flattenParameters): write at their offset
      (t.data as Float32Array).set(rec.data as unknown as ArrayLike<number>, t.offset);
      t.storage.version++;
    }
  });
  if (ckpt.meta.rng !== null) model.generator.setState(ckpt.meta.rng);
}

export function restoreOptimizer(optimizer: Optimizer, ckpt: LoadedCheckpoint): void {
  const o = ckpt.meta.optimizer;
  if (o === null) throw new FormatError(ckpt.file.path, 'the checkpoint holds no optimizer state', 'optimizer');
  const slots: OptimizerState['slots'] = [];
  const names = [...ckpt.file.header.tensors.keys()].filter((k) => k.startsWith('optim/'));
  for (const name of names) {
    const [, index, slot] = name.split('/');
    const i = Number(index);
    if (!Number.isInteger(i) || slot === undefined)
      throw new FormatError(ckpt.file.path, 'malformed optimizer tensor name', name);
    slots[i] ??= {};
    slots[i]![slot] = ckpt.file.read(name).data as Float32Array;
  }
  for (let i = 0; i < slots.length; i++) slots[i] ??= {};
  optimizer.loadStateDict({ step: o.step, slots, groups: o.groups });
}

/** Loads a model (spec + weights) from a checkpoint file or a run directory (best, else last). */
export function loadModelFromRun(pathOrRun: string): { model: AnyModel; meta: CheckpointMeta; path: string } {
  let path = pathOrRun;
  if (!pathOrRun.endsWith('.safetensors')) {
    const best = checkpointPath(pathOrRun, 'best');
    const last = checkpointPath(pathOrRun, 'last');
    path = existsSync(best) ? best : last;
    if (!existsSync(path))
      throw new FormatError(
        pathOrRun,
        'no checkpoint-best.safetensors or checkpoint-last.safetensors in this run directory',
      );
  }
  const ckpt = openCheckpoint(path);
  try {
    const model = createModel(ckpt.meta.model);
    restoreModel(model, ckpt);
    return { model, meta: ckpt.meta, path };
  } finally {
    ckpt.file.close();
  }
}

/** The loop's Checkpointer for one run directory. */
export class RunCheckpointer implements Checkpointer {
  constructor(
    readonly runDir: string,
    readonly model: AnyModel,
    readonly spec: ModelSpec,
    readonly optimizer: Optimizer,
    readonly train: JsonValue,
  ) {}

  save(kind: 'last' | 'best', step: number, extra: JsonValue): void {
    saveCheckpoint({
      path: checkpointPath(this.runDir, kind),
      model: this.model,
      spec: this.spec,
      optimizer: this.optimizer,
      step,
      extra,
      train: this.train,
    });
  }

  restore(): { step: number; extra: JsonValue } | null {
    const path = checkpointPath(this.runDir, 'last');
    if (!existsSync(path)) return null;
    const ckpt = openCheckpoint(path);
    try {
      if (JSON.stringify(ckpt.meta.model) !== JSON.stringify(this.spec)) {
        throw new ConfigError(
          'model',
          `the run's checkpoint was made with a different model config; resume with the same settings or use a new run directory`,
        );
      }
      restoreModel(this.model, ckpt);
      restoreOptimizer(this.optimizer, ckpt);
      return { step: ckpt.meta.step, extra: ckpt.meta.extra };
    } finally {
      ckpt.file.close();
    }
  }
}
