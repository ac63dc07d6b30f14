/**
 * The one validation layer for llmts checkpoint metadata (`__metadata__.llmts`): a schema for
 * every field (step, model spec, optimizer step and groups, RNG state, the task's state) and
 * the checks of what the metadata declares against what the file holds, all before anything
 * is allocated or looped over:
 *   - the model config against the model tensors (layer count, embedding shapes, and a lower
 *     bound on parameters against the elements present), so n_layer 200000 or vocab 2^31 in
 *     a small file is a FormatError, not a 25 s build or an allocation failure;
 *   - optimizer tensor names (optim/<i>/<slot>) against the optimizer's parameter count and
 *     slots, so optim/1000000000/m cannot make the restore fill a billion-slot array.
 * Errors are FormatErrors naming the file and the field; messages never serialise the input.
 */
import { z } from 'zod';
import { FormatError } from '../core/errors.ts';
import { describe, quote } from '../core/describe.ts';
import { jsonDepth, MAX_NESTING } from '../core/depth.ts';
import type { GeneratorState } from '../core/random.ts';
import type { JsonValue } from '../core/json.ts';
import type { ModelSpec } from '../models/registry.ts';
import { formatIssue, parameterLowerBound, parseModelSpecFrom } from '../models/spec-schema.ts';
import type { TensorInfo } from './safetensors.ts';

/** The `format` of an llmts checkpoint's metadata. */
export const CHECKPOINT_FORMAT = 'llmts-checkpoint';

/** What `__metadata__.llmts` of a checkpoint holds (validated by parseCheckpointMeta). */
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

/** Steps are counts: integers from 0 to 2^53 - 1 (a step of 1e300 or "abc" is refused). */
const step = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const rate = z.number().finite().min(0);

/** A Generator's state: four 32-bit words and a cached normal. */
export const generatorStateSchema = z.strictObject({
  s: z.tuple([
    z
      .number()
      .int()
      .min(-(2 ** 31))
      .max(2 ** 32 - 1),
    z
      .number()
      .int()
      .min(-(2 ** 31))
      .max(2 ** 32 - 1),
    z
      .number()
      .int()
      .min(-(2 ** 31))
      .max(2 ** 32 - 1),
    z
      .number()
      .int()
      .min(-(2 ** 31))
      .max(2 ** 32 - 1),
  ]),
  spareNormal: z.number().finite().nullable(),
});

/** Optimizer groups: at most 64 (llmts makes 1 or 2). */
export const optimizerGroupsSchema = z.array(z.strictObject({ lr: rate, weightDecay: rate })).max(64);

const metaSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.literal(1),
  step,
  model: z.unknown(),
  optimizer: z.strictObject({ step, groups: optimizerGroupsSchema }).nullable(),
  rng: generatorStateSchema.nullable(),
  extra: z.unknown(),
  train: z.unknown(),
});

/**
 * Parses and validates `__metadata__.llmts` of `file`. The JSON text is bounded by the header
 * size (100 MB); its nesting is checked before anything recursive touches it.
 */
export function parseCheckpointMeta(raw: string, file: string): CheckpointMeta {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new FormatError(
      file,
      `the "llmts" metadata is not valid JSON: ${(err as Error).message.slice(0, 120)}`,
      '__metadata__.llmts',
      {
        cause: err,
      },
    );
  }
  if (jsonDepth(json) > MAX_NESTING)
    throw new FormatError(file, `the metadata nests deeper than ${MAX_NESTING} levels`, '__metadata__.llmts');
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new FormatError(file, `the "llmts" metadata must be an object, got ${describe(json)}`, '__metadata__.llmts');
  const head = json as Record<string, unknown>;
  if (head['format'] !== CHECKPOINT_FORMAT || head['version'] !== 1)
    throw new FormatError(
      file,
      `unsupported checkpoint format ${describe(head['format'])} version ${describe(head['version'])}`,
      'format',
    );
  const r = metaSchema.safeParse(json);
  if (!r.success) throw formatIssue(file, '', r.error, json);
  const m = r.data;
  return {
    format: CHECKPOINT_FORMAT,
    version: 1,
    step: m.step,
    model: parseModelSpecFrom(m.model, file, 'model'),
    optimizer: m.optimizer,
    rng: m.rng as GeneratorState | null,
    extra: (m.extra ?? null) as JsonValue,
    train: (m.train ?? null) as JsonValue,
  };
}

/** The resume state the training loop keeps in `extra`: the task's state and the best eval loss so far. */
const loopExtraSchema = z.object({
  task: z.unknown().optional(),
  bestEvalLoss: z.number().finite().nullable().optional(),
});

export function parseLoopExtra(extra: JsonValue, file: string): { task?: JsonValue; bestEvalLoss: number | null } {
  const r = loopExtraSchema.safeParse(extra);
  if (!r.success) throw formatIssue(file, 'extra', r.error, extra);
  return {
    ...(r.data.task !== undefined ? { task: r.data.task as JsonValue } : {}),
    bestEvalLoss: r.data.bestEvalLoss ?? null,
  };
}

/** A generator state from a task's saved state (the data sampler's), validated; `field` names it. */
export function parseGeneratorState(raw: unknown, file: string, field: string): GeneratorState {
  const r = generatorStateSchema.safeParse(raw);
  if (!r.success) throw formatIssue(file, field, r.error, raw);
  return r.data as GeneratorState;
}

// ------------------------------------------------------------------ declared sizes vs the file

interface LayerGroup {
  /** tensor-name prefix of layer i, before the index */
  prefix: string;
  count: number;
  field: string;
}

function layerGroups(spec: ModelSpec): LayerGroup[] {
  const c = spec.config;
  if (spec.family === 'gpt') return [{ prefix: 'transformer.h.', count: c.nLayer, field: 'n_layer' }];
  if (spec.family === 'bert') return [{ prefix: 'layer.', count: c.nLayer, field: 'n_layer' }];
  return [
    { prefix: 'encoder.', count: spec.config.nEncoderLayer, field: 'n_encoder_layer' },
    { prefix: 'decoder.', count: c.nLayer, field: 'n_layer' },
  ];
}

/** Embedding tables whose rows a config field sets: [tensor name, [rows, field], columns]. */
function embeddingAnchors(spec: ModelSpec): [string, number, string][] {
  const c = spec.config;
  if (spec.family === 'gpt')
    return [
      ['transformer.wte.weight', c.vocabSize, 'vocab_size'],
      ...(c.position === 'learned'
        ? ([['transformer.wpe.weight', c.blockSize, 'block_size']] as [string, number, string][])
        : []),
    ];
  if (spec.family === 'bert')
    return [
      ['embeddings.word_embeddings.weight', c.vocabSize, 'vocab_size'],
      ['embeddings.token_type_embeddings.weight', spec.config.typeVocabSize, 'type_vocab_size'],
      ...(c.position === 'learned'
        ? ([['embeddings.position_embeddings.weight', c.blockSize, 'block_size']] as [string, number, string][])
        : []),
    ];
  return [
    ['shared.weight', c.vocabSize, 'vocab_size'],
    ...(c.position === 'learned'
      ? ([['wpe_enc.weight', c.blockSize, 'block_size']] as [string, number, string][])
      : []),
  ];
}

/**
 * Checks the model config against the tensors under `prefix` (e.g. "model/") from the header
 * alone: the number of layers present, the rows and width of each embedding table, and that
 * the file holds at least as many elements as the config's lower bound on parameters. Throws
 * a FormatError naming model.config.<field>.
 */
export function checkSpecAgainstTensors(
  spec: ModelSpec,
  tensors: ReadonlyMap<string, TensorInfo>,
  prefix: string,
  file: string,
): void {
  const groups = layerGroups(spec);
  const seen = groups.map(() => new Set<number>());
  let elements = 0;
  for (const [name, info] of tensors) {
    if (!name.startsWith(prefix)) continue;
    let n = 1;
    for (const d of info.shape) n *= d;
    elements += n;
    const local = name.slice(prefix.length);
    groups.forEach((g, gi) => {
      if (!local.startsWith(g.prefix)) return;
      const m = /^(0|[1-9]\d{0,9})\./.exec(local.slice(g.prefix.length));
      if (m !== null) seen[gi]!.add(Number(m[1]));
    });
  }
  groups.forEach((g, gi) => {
    const have = seen[gi]!.size;
    if (have !== g.count)
      throw new FormatError(file, `is ${g.count} but the file holds ${have} layers`, `model.config.${g.field}`);
  });
  const width = spec.config.nEmbd;
  for (const [name, rows, field] of embeddingAnchors(spec)) {
    const info = tensors.get(prefix + name);
    if (info === undefined) continue; // restoring names the missing tensor
    const [r, c] = info.shape;
    if (info.shape.length !== 2 || r !== rows || c !== width) {
      const which = r !== rows ? field : 'n_embd';
      throw new FormatError(
        file,
        `${which} ${which === field ? rows : width} does not match the shape [${info.shape.join(', ')}] of ${quote(prefix + name)}`,
        `model.config.${which}`,
      );
    }
  }
  const { total, terms } = parameterLowerBound(spec);
  if (total > elements) {
    const [field] = terms.reduce((a, b) => (b[1] > a[1] ? b : a));
    throw new FormatError(
      file,
      `the config describes at least ${total} parameters but the file holds ${elements} model values`,
      `model.config.${field}`,
    );
  }
}

/**
 * The optimizer tensors under `prefix` ("optim/"), checked by name before any is read: each
 * must be <prefix><i>/<slot> with i a parameter index below `paramCount` and slot one the
 * optimizer keeps. Returns [name, index, slot] in file order.
 */
export function optimizerTensorNames(
  tensors: ReadonlyMap<string, TensorInfo>,
  prefix: string,
  paramCount: number,
  slots: readonly string[],
  file: string,
): [string, number, string][] {
  const out: [string, number, string][] = [];
  for (const name of tensors.keys()) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(0|[1-9]\d{0,9})\/([A-Za-z_][A-Za-z0-9_]{0,31})$/.exec(name.slice(prefix.length));
    if (m === null) throw new FormatError(file, `malformed optimizer tensor name ${quote(name)}`, quote(name));
    const i = Number(m[1]);
    if (i >= paramCount)
      throw new FormatError(
        file,
        `optimizer state for parameter ${i}, but the model has ${paramCount} parameters`,
        quote(name),
      );
    if (!slots.includes(m[2]!))
      throw new FormatError(
        file,
        `unknown optimizer slot ${quote(m[2]!)} (this optimizer keeps ${slots.join(', ')})`,
        quote(name),
      );
    out.push([name, i, m[2]!]);
  }
  return out;
}
