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
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Tensor } from '../engine/tensor.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { ConfigError, FormatError, LlmtsError, NumericError } from '../core/errors.ts';
import { removeStaleTemps } from '../core/atomic.ts';
import { warn } from '../core/warn.ts';
import { SafetensorsFile, floatValues, saveSafetensors, serializeSafetensors } from './safetensors.ts';
import type { TensorInput, TensorInfo } from './safetensors.ts';
import type { Module } from '../nn/module.ts';
import type { Optimizer, OptimizerState } from '../optim/optimizer.ts';
import { AdamW } from '../optim/adamw.ts';
import { SGD } from '../optim/sgd.ts';
import { createModel } from '../models/registry.ts';
import type { AnyModel, ModelSpec } from '../models/registry.ts';
import type { JsonValue } from '../core/json.ts';
import {
  CHECKPOINT_FORMAT,
  checkSpecAgainstTensors,
  optimizerTensorNames,
  parseCheckpointMeta,
  parseLoopExtra,
} from './checkpoint-meta.ts';
import type { CheckpointMeta } from './checkpoint-meta.ts';

export { CHECKPOINT_FORMAT };
export type { CheckpointMeta };

/** Saves and restores everything of a run at a step (RunCheckpointer below implements it). */
export interface Checkpointer {
  save(kind: 'last' | 'best', step: number, extra: JsonValue): void;
  /** The state saved with the last checkpoint, after restoring model and optimizer; null if none. */
  restore(): { step: number; extra: JsonValue; path?: string } | null;
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

/** The metadata key of the data section's SHA-256 (hex), checked when the checkpoint is opened. */
export const CHECKSUM_KEY = 'llmts_sha256';

/** Counts non-finite values of float tensors (NaN, Infinity). */
function nonFinite(tensors: ReadonlyMap<string, TensorInput>): { bad: number; total: number; first: string | null } {
  let bad = 0;
  let total = 0;
  let first: string | null = null;
  for (const [name, t] of tensors) {
    const d = t.data;
    if (!(d instanceof Float32Array || d instanceof Float64Array)) continue;
    total += d.length;
    for (let i = 0; i < d.length; i++) {
      // v - v is NaN exactly when v is NaN or infinite
      const v = d[i]!;
      if (v - v !== 0) {
        bad++;
        first ??= name;
      }
    }
  }
  return { bad, total, first };
}

/**
 * Writes a checkpoint atomically with a SHA-256 of its data in the metadata. Refuses (a
 * NumericError, nothing written) when any weight or optimizer value is NaN or infinite: a
 * diverged step never overwrites a good checkpoint.
 */
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
  const { bad, total, first } = nonFinite(tensors);
  if (bad > 0)
    throw new NumericError(
      `refusing to write ${a.path}: ${bad} of ${total} weights and optimizer values are not finite (first in ${first}); the previous checkpoint is kept`,
    );
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
  const metadata = { llmts: JSON.stringify(meta) };
  saveSafetensors(a.path, tensors, { ...metadata, [CHECKSUM_KEY]: dataDigest(tensors, metadata) });
}

/** SHA-256 of the data section serializeSafetensors lays out for these tensors. */
function dataDigest(tensors: ReadonlyMap<string, TensorInput>, metadata: Record<string, string>): string {
  const h = createHash('sha256');
  const chunks = serializeSafetensors(tensors, metadata);
  for (let i = 1; i < chunks.length; i++) h.update(chunks[i]!);
  return h.digest('hex');
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  file: SafetensorsFile;
}

/**
 * Opens a checkpoint and validates it: the metadata by its schema (checkpoint-meta.ts), the
 * data section by its SHA-256 when the writer recorded one, and the model config against the
 * model tensors present. Nothing is allocated from a declared size before these checks pass.
 */
export function openCheckpoint(path: string, options: { verifyChecksum?: boolean } = {}): LoadedCheckpoint {
  const file = SafetensorsFile.open(path);
  try {
    const raw = file.metadata?.['llmts'];
    if (raw === undefined)
      throw new FormatError(path, 'not an llmts checkpoint (no "llmts" entry in __metadata__)', '__metadata__.llmts');
    const meta = parseCheckpointMeta(raw, path);
    const want = file.metadata?.[CHECKSUM_KEY];
    if (want !== undefined && (options.verifyChecksum ?? true)) {
      const got = file.dataSha256();
      if (got !== want)
        throw new FormatError(
          path,
          `the data's SHA-256 ${got.slice(0, 16)}... does not match ${want.slice(0, 16)}... recorded when it was written: the file is corrupt`,
          `__metadata__.${CHECKSUM_KEY}`,
        );
    }
    checkSpecAgainstTensors(meta.model, file.header.tensors, 'model/', path);
    return { meta, file };
  } catch (err) {
    file.close();
    throw err;
  }
}

/**
 * Copies the tensor `key` of a checkpoint into `t` (a parameter or buffer of a model built
 * from the checkpoint's spec): shape checked, float dtypes converted to the model's (F16 and
 * BF16 widened), any other dtype refused.
 */
export function restoreTensor(file: SafetensorsFile, key: string, t: Tensor, name: string): void {
  const path = file.path;
  if (!file.header.tensors.has(key)) throw new FormatError(path, `missing tensor for ${name}`, key);
  const info: TensorInfo = file.info(key);
  if (info.shape.length !== t.ndim || info.shape.some((d, i) => d !== t.shape[i])) {
    throw new FormatError(
      path,
      `shape [${info.shape.join(', ')}] does not match the model's [${t.shape.join(', ')}]`,
      key,
    );
  }
  if (!t.isContiguous()) throw new ConfigError(name, 'parameters must be contiguous to restore');
  const rec = file.read(key);
  let values: ArrayLike<number>;
  if (t.dtype === 'float32' || t.dtype === 'float64')
    values = floatValues(rec, t.dtype === 'float32' ? 'F32' : 'F64', path, key);
  else if (rec.dtype === (t.dtype === 'int32' ? 'I32' : 'U8')) values = rec.data as Int32Array | Uint8Array;
  else throw new FormatError(path, `dtype ${rec.dtype} cannot be read into a ${t.dtype} buffer`, key);
  // parameters may be views into one flat buffer (flattenParameters): write at their offset
  (t.data as Float32Array).set(values, t.offset);
  t.storage.version++;
}

/** Copies the checkpoint's model tensors into a model built from the same spec. */
export function restoreModel(model: AnyModel, ckpt: LoadedCheckpoint): void {
  noGrad(() => {
    for (const [name, t] of modelTensors(model)) restoreTensor(ckpt.file, `model/${name}`, t, name);
  });
  if (ckpt.meta.rng !== null) model.generator.setState(ckpt.meta.rng);
}

/** The state slots an optimizer keeps per parameter. */
export function optimizerSlots(optimizer: Optimizer): readonly string[] {
  if (optimizer instanceof AdamW) return ['m', 'v'];
  if (optimizer instanceof SGD) return ['momentum'];
  return [];
}

/**
 * Reads the optimizer state under `prefix` ("optim/") into `optimizer`: tensor names checked
 * against its parameter count and slots before any is read, sizes against each parameter by
 * loadStateDict, float dtypes converted; `recorded` is the step and groups from the metadata.
 */
export function restoreOptimizerState(
  optimizer: Optimizer,
  file: SafetensorsFile,
  prefix: string,
  recorded: { step: number; groups: { lr: number; weightDecay: number }[] },
): void {
  const path = file.path;
  const params = optimizer.groups.flatMap((g) => g.params);
  if (recorded.groups.length !== optimizer.groups.length)
    throw new FormatError(
      path,
      `${recorded.groups.length} parameter groups, but the optimizer has ${optimizer.groups.length}`,
      'optimizer.groups',
    );
  const names = optimizerTensorNames(file.header.tensors, prefix, params.length, optimizerSlots(optimizer), path);
  const slots: OptimizerState['slots'] = Array.from({ length: params.length }, () => ({}));
  for (const [name, i, slot] of names) {
    const p = params[i]!;
    const info = file.info(name);
    if (info.shape.length !== 1 || info.shape[0] !== p.size)
      throw new FormatError(
        path,
        `shape [${info.shape.join(', ')}] does not match parameter ${i} of ${p.size} values`,
        name,
      );
    slots[i]![slot] = floatValues(file.read(name), p.dtype === 'float64' ? 'F64' : 'F32', path, name);
  }
  optimizer.loadStateDict({ step: recorded.step, slots, groups: recorded.groups });
}

export function restoreOptimizer(optimizer: Optimizer, ckpt: LoadedCheckpoint): void {
  const o = ckpt.meta.optimizer;
  if (o === null) throw new FormatError(ckpt.file.path, 'the checkpoint holds no optimizer state', 'optimizer');
  restoreOptimizerState(optimizer, ckpt.file, 'optim/', o);
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

  /**
   * Restores the newest valid checkpoint of the run: the last one, or, when it cannot be read
   * (truncated, corrupt, failing its checksum or its schema), the best one, with a warning.
   * Temp files of a write that was killed are removed first. A checkpoint of a different
   * model config is a ConfigError (never skipped).
   */
  restore(): { step: number; extra: JsonValue; path: string } | null {
    removeStaleTemps(this.runDir);
    const paths = (['last', 'best'] as const).map((k) => checkpointPath(this.runDir, k)).filter((p) => existsSync(p));
    let firstError: LlmtsError | null = null;
    for (const path of paths) {
      try {
        return this.restoreFrom(path);
      } catch (err) {
        if (!(err instanceof LlmtsError) || err instanceof ConfigError) throw err;
        firstError ??= err;
        const next = paths[paths.indexOf(path) + 1];
        warn(`${err.message}${next !== undefined ? `; resuming from ${next} instead` : ''}`);
      }
    }
    if (firstError !== null) throw firstError;
    return null;
  }

  private restoreFrom(path: string): { step: number; extra: JsonValue; path: string } {
    const ckpt = openCheckpoint(path);
    try {
      if (!sameSpec(ckpt.meta.model, this.spec)) {
        throw new ConfigError(
          'model',
          `the run's checkpoint was made with a different model config; resume with the same settings or use a new run directory`,
        );
      }
      const extra = parseLoopExtra(ckpt.meta.extra, path);
      restoreModel(this.model, ckpt);
      restoreOptimizer(this.optimizer, ckpt);
      return { step: ckpt.meta.step, extra: extra as JsonValue, path };
    } finally {
      ckpt.file.close();
    }
  }
}

/** Two specs describe the same model (validated specs: plain JSON of bounded depth). */
/**
 * Whether two specs describe the same model. Key order does not count: a spec read back
 * through the metadata schema has its keys in the schema's order, not the writer's.
 */
export function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}
