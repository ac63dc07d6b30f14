/**
 * The schema of a ModelSpec read from a file (a checkpoint's metadata, a run's config.json):
 * every field typed and bounded before a model is built from it, so a mutated file is a
 * FormatError naming the field (model.config.n_layer) instead of a TypeError, a hang or an
 * out-of-memory. Sizes are integers in [1, 2^31 - 1]; how big a model they describe is then
 * checked by parameterLowerBound against the file's tensors or the machine's memory.
 */
import { totalmem } from 'node:os';
import { z } from 'zod';
import { ConfigError, FormatError } from '../core/errors.ts';
import { describe } from '../core/describe.ts';
import { envVar } from '../core/platform.ts';
import { ACTIVATIONS } from '../nn/layers.ts';
import { NORMS } from '../nn/norm-layer.ts';
import type { ModelSpec } from './registry.ts';
import { validateGPTConfig } from './gpt.ts';
import { validateBertConfig } from './bert.ts';
import { validateEncoderDecoderConfig } from './encoder-decoder.ts';

const size = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);
const tokenId = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
const finite = z.number().finite();
const activation = z.enum(ACTIVATIONS as [string, ...string[]]);
const norm = z.enum(NORMS as [string, ...string[]]);

const common = {
  vocabSize: size,
  blockSize: size,
  nLayer: size,
  nHead: size,
  nKvHead: size,
  nEmbd: size,
  intermediateSize: size,
  activation,
  norm,
  normEps: finite,
  normPlacement: z.enum(['pre', 'post']),
  dropout: finite,
  attnDropout: finite,
  initStd: finite,
};

const gptConfig = z.strictObject({
  ...common,
  mlp: z.enum(['standard', 'gated']),
  position: z.enum(['learned', 'sinusoidal', 'rope', 'alibi', 'none']),
  ropeTheta: finite,
  ropeStyle: z.enum(['half', 'interleaved']),
  ropeScaling: z.strictObject({ type: z.enum(['linear', 'dynamic']), factor: finite }).nullable(),
  bias: z.boolean(),
  tieEmbeddings: z.boolean(),
});

const bertConfig = z.strictObject({
  ...common,
  typeVocabSize: size,
  position: z.enum(['learned', 'sinusoidal', 'rope', 'none']),
  padTokenId: tokenId,
  numLabels: z
    .number()
    .int()
    .min(0)
    .max(1 << 20),
});

const encdecConfig = z.strictObject({
  ...common,
  nEncoderLayer: size,
  mlp: z.enum(['standard', 'gated']),
  position: z.enum(['learned', 'sinusoidal', 'rope', 'none']),
  bias: z.boolean(),
  decoderStartTokenId: tokenId,
  padTokenId: tokenId,
});

export const modelSpecSchema = z.discriminatedUnion('family', [
  z.strictObject({ family: z.literal('gpt'), config: gptConfig }),
  z.strictObject({ family: z.literal('bert'), config: bertConfig }),
  z.strictObject({ family: z.literal('encdec'), config: encdecConfig }),
]);

/** A zod issue path as users read it: config.nLayer -> config.n_layer, [3] -> [3]. */
export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else {
      const name = String(p).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      out += out === '' ? name : `.${name}`;
    }
  }
  return out;
}

/** The first issue of a failed parse as a FormatError naming the file and the field, with a bounded message. */
export function formatIssue(file: string, prefix: string, error: z.ZodError, input: unknown): FormatError {
  const issue = error.issues[0]!;
  let got: unknown = input;
  for (const p of issue.path) {
    if (typeof got !== 'object' || got === null) {
      got = undefined;
      break;
    }
    got = (got as Record<PropertyKey, unknown>)[p];
  }
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys
          .slice(0, 3)
          .map((k) => describe(k))
          .join(', ')}`
      : `${issue.message.slice(0, 120)}, got ${describe(got)}`;
  return new FormatError(file, message, fieldPath(prefix, issue.path) || prefix || undefined);
}

/**
 * Validates a spec read from `file` (unknown JSON): types and bounds by the schema, then the
 * model's own consistency rules (n_embd divisible by n_head, ...). Errors are FormatErrors
 * naming the file and the field under `prefix` (e.g. "model").
 */
export function parseModelSpecFrom(raw: unknown, file: string, prefix = 'model'): ModelSpec {
  const r = modelSpecSchema.safeParse(raw);
  if (!r.success) throw formatIssue(file, prefix, r.error, raw);
  const spec = r.data as ModelSpec;
  try {
    if (spec.family === 'gpt') validateGPTConfig(spec.config);
    else if (spec.family === 'bert') validateBertConfig(spec.config);
    else validateEncoderDecoderConfig(spec.config);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new FormatError(file, err.message.replace(/^config field \S+: /, ''), `${prefix}.config.${err.field}`, {
        cause: err,
      });
    throw err;
  }
  return spec;
}

/**
 * A lower bound on the number of parameters of the model a spec describes: the embeddings,
 * learned position tables and the weight matrices of attention and MLP (biases and norms left
 * out), computed without building anything. If even this is more than a file holds, the file
 * cannot be this model's; if it is more than memory holds, building it would fail after a
 * long time. `buffers` adds what a build allocates besides parameters (a sinusoidal table).
 * Returns each term with the config field that scales it.
 */
export function parameterLowerBound(
  spec: ModelSpec,
  options: { buffers?: boolean } = {},
): { total: number; terms: [string, number][] } {
  const c = spec.config;
  const C = c.nEmbd;
  const kv = (C / c.nHead) * c.nKvHead;
  const attn = 2 * C * C + 2 * C * kv; // q, o and k, v
  const gated = 'mlp' in c && c.mlp === 'gated';
  const mlp = (gated ? 3 : 2) * C * c.intermediateSize;
  const terms: [string, number][] = [['vocab_size', c.vocabSize * C]];
  // learned position tables are parameters; a sinusoidal table is a buffer of the same size (not saved)
  if (c.position === 'learned') terms.push(['block_size', c.blockSize * C * (spec.family === 'encdec' ? 2 : 1)]);
  else if (c.position === 'sinusoidal' && options.buffers === true) terms.push(['block_size', c.blockSize * C]);
  if (spec.family === 'gpt' && !spec.config.tieEmbeddings) terms.push(['vocab_size', c.vocabSize * C]);
  if (spec.family === 'bert') terms.push(['type_vocab_size', spec.config.typeVocabSize * C]);
  if (spec.family === 'encdec') {
    terms.push(['n_encoder_layer', spec.config.nEncoderLayer * (attn + mlp)]);
    terms.push(['n_layer', c.nLayer * (2 * attn + mlp)]);
  } else terms.push(['n_layer', c.nLayer * (attn + mlp)]);
  return { total: terms.reduce((s, [, n]) => s + n, 0), terms };
}

/**
 * Bytes a build may use for weights: all of the machine's memory (a model that needs more
 * cannot be built here); 4 GiB where it is unknown (the browser build: wasm32's limit).
 */
export function weightBudgetBytes(): number {
  const env = Number(envVar('LLMTS_MAX_MODEL_BYTES'));
  if (Number.isFinite(env) && env > 0) return env;
  const mem = totalmem();
  return mem > 0 ? mem : 2 ** 32;
}

/**
 * Throws a ConfigError naming the field that dominates when the model's weights alone (4 bytes
 * a parameter) would exceed `budget` bytes: before anything is allocated, instead of an
 * out-of-memory or an "Array buffer allocation failed" minutes later.
 */
export function checkModelFits(spec: ModelSpec, budget = weightBudgetBytes()): void {
  const { total, terms } = parameterLowerBound(spec, { buffers: true });
  const bytesPer = 4;
  if (total * bytesPer <= budget) return;
  const [field] = terms.reduce((a, b) => (b[1] > a[1] ? b : a));
  throw new ConfigError(
    field,
    `the model needs at least ${(total / 1e9).toFixed(2)} billion parameters (${((total * bytesPer) / 2 ** 30).toFixed(1)} GiB of weights), more than the ${(budget / 2 ** 30).toFixed(1)} GiB this machine has; check ${field} and n_embd`,
  );
}
