/**
 * Hostile llmts checkpoints and HF folders (issue 15): sizes a file declares are checked
 * against the file before anything is allocated, metadata fields against their schema, dtypes
 * against what they may be read as (F16/BF16 widened exactly as numpy does, integers refused as
 * weights), data against its SHA-256, and a diverged model is never written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, FormatError, NumericError } from '../../src/core/errors.ts';
import {
  checkpointPath,
  loadModelFromRun,
  openCheckpoint,
  restoreOptimizer,
  saveCheckpoint,
} from '../../src/io/checkpoint.ts';
import { idValues, loadSafetensors, saveSafetensors } from '../../src/io/safetensors.ts';
import type { TensorInput, TensorRecord } from '../../src/io/safetensors.ts';
import { loadHfModel } from '../../src/io/hf/load.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { createModel, specOf } from '../../src/models/registry.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { groupsForWeightDecay } from '../../src/optim/optimizer.ts';
import { runLlmts } from '../helpers/cli.ts';
import { hfFixturesDir } from '../models/helpers.ts';

const cfg = gptPreset('gpt2', {
  vocabSize: 40,
  blockSize: 16,
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  dropout: 0,
  attnDropout: 0,
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'llmts-ckpt-hostile-'));
}

/** A valid checkpoint (model + AdamW state) and its tensors and metadata, for mutating. */
function good(): { dir: string; path: string; tensors: Map<string, TensorRecord>; meta: Record<string, unknown> } {
  const dir = tmp();
  const path = join(dir, 'checkpoint-last.safetensors');
  const model = new GPT(cfg, { seed: 3 });
  const opt = new AdamW(groupsForWeightDecay(model.parameters(), 1e-3, 0.1));
  saveCheckpoint({
    path,
    model,
    spec: specOf(model),
    optimizer: opt,
    step: 7,
    extra: { bestEvalLoss: null },
    train: null,
  });
  const { tensors, metadata } = loadSafetensors(path);
  return { dir, path, tensors, meta: JSON.parse(metadata!['llmts']!) as Record<string, unknown> };
}

/** Rewrites the checkpoint with other tensors and/or metadata (no checksum: the structure checks speak). */
function rewrite(path: string, tensors: Map<string, TensorInput>, meta: unknown): void {
  saveSafetensors(path, tensors, { llmts: JSON.stringify(meta) });
}

function fails(fn: () => unknown, field: RegExp | string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    if (typeof field === 'string') assert.equal(e.field, field, e.message);
    else assert.match(e.field ?? '', field, e.message);
    if (message !== undefined) assert.match(e.message, message);
    assert.ok(e.message.length < 400, `a bounded message: ${e.message.length} characters`);
    return true;
  });
}

test('declared sizes are checked against the tensors before the model is built', { timeout: 20_000 }, () => {
  const { path, tensors, meta } = good();
  const model = meta['model'] as { family: string; config: Record<string, unknown> };
  // n_layer 200000 made `model info` build 200000 blocks (25 s); vocab 2^31 failed allocating
  for (const [field, value, name] of [
    ['nLayer', 200_000, 'model.config.n_layer'],
    ['vocabSize', 2 ** 31 - 1, 'model.config.vocab_size'],
    ['blockSize', 2 ** 31 - 1, 'model.config.block_size'],
    ['nEmbd', 1 << 20, /model\.config\.(n_embd|vocab_size)/],
  ] as const) {
    rewrite(path, tensors, { ...meta, model: { ...model, config: { ...model.config, [field]: value } } });
    fails(() => loadModelFromRun(path), name);
  }
  // a layer removed from the file, the config unchanged
  const fewer = new Map([...tensors].filter(([k]) => !k.startsWith('model/transformer.h.1.')));
  rewrite(path, fewer, meta);
  fails(() => loadModelFromRun(path), 'model.config.n_layer', /holds 1 layers/);
});

test('metadata fields are validated by the schema: step, lr, rng, groups, nesting', () => {
  const { path, tensors, meta } = good();
  const optimizer = meta['optimizer'] as { step: number; groups: { lr: number; weightDecay: number }[] };
  const cases: [string, Record<string, unknown>, string | RegExp][] = [
    ['step "abc"', { ...meta, step: 'abc' }, 'step'],
    ['step 1e300', { ...meta, step: 1e300 }, 'step'],
    ['step -1', { ...meta, step: -1 }, 'step'],
    [
      'lr "x"',
      { ...meta, optimizer: { ...optimizer, groups: [{ lr: 'x', weightDecay: 0.1 }, optimizer.groups[1]] } },
      'optimizer.groups[0].lr',
    ],
    ['groups not an array', { ...meta, optimizer: { ...optimizer, groups: 5 } }, 'optimizer.groups'],
    ['rng words', { ...meta, rng: { s: [1, 2, 'x', 4], spareNormal: null } }, 'rng.s[2]'],
    ['rng missing', { ...meta, rng: { spareNormal: null } }, 'rng.s'],
    ['model config string', { ...meta, model: { family: 'gpt', config: 'big' } }, 'model.config'],
    [
      'unknown config field',
      { ...meta, model: { ...(meta['model'] as object), config: { ...cfg, evil: 1 } } },
      'model.config',
    ],
    ['deep extra', { ...meta, extra: JSON.parse('['.repeat(1000) + ']'.repeat(1000)) }, '__metadata__.llmts'],
  ];
  for (const [, m, field] of cases) {
    rewrite(path, tensors, m);
    fails(() => openCheckpoint(path).file.close(), field);
  }
});

test('optimizer tensor names are checked against the parameters before anything is read', { timeout: 20_000 }, () => {
  const { path, tensors, meta } = good();
  const model = new GPT(cfg, { seed: 3 });
  const opt = new AdamW(groupsForWeightDecay(model.parameters(), 1e-3, 0.1));
  const restore = (t: Map<string, TensorInput>): void => {
    rewrite(path, t, meta);
    const ckpt = openCheckpoint(path);
    try {
      restoreOptimizer(opt, ckpt);
    } finally {
      ckpt.file.close();
    }
  };
  // optim/1e9/m made the restore fill a sparse array a billion times
  const renamed = new Map(tensors);
  renamed.set('optim/1000000000/m', renamed.get('optim/0/m')!);
  renamed.delete('optim/0/m');
  fails(() => restore(renamed), '"optim/1000000000/m"', /parameter 1000000000, but the model has/);
  const badSlot = new Map(tensors);
  badSlot.set('optim/0/q', badSlot.get('optim/0/m')!);
  fails(() => restore(badSlot), '"optim/0/q"', /unknown optimizer slot/);
  const badName = new Map(tensors);
  badName.set('optim/x/m', badName.get('optim/0/m')!);
  fails(() => restore(badName), '"optim/x/m"', /malformed/);
  const wrongSize = new Map(tensors);
  wrongSize.set('optim/0/m', { dtype: 'F32', shape: [3], data: new Float32Array(3) });
  fails(() => restore(wrongSize), 'optim/0/m', /does not match parameter 0/);
  const moreGroups = { ...meta, optimizer: { step: 1, groups: [{ lr: 1, weightDecay: 0 }] } };
  rewrite(path, tensors, moreGroups);
  const ckpt = openCheckpoint(path);
  fails(() => restoreOptimizer(opt, ckpt), 'optimizer.groups');
  ckpt.file.close();
});

const half = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'io', 'half_weights.json'), 'utf8'),
) as {
  f16: { bits: number[]; float32: number[] };
  bf16: { bits: number[]; float32: number[] };
};

test('F16 and BF16 weights in an llmts checkpoint are widened exactly as numpy does', () => {
  for (const dtype of ['F16', 'BF16'] as const) {
    const oracle = dtype === 'F16' ? half.f16 : half.bf16;
    // the first 512 values are weights at weight scale; the rest the edges (subnormals, 65504, 3e38)
    for (const values of ['all', 'weights'] as const) {
      const { path, tensors, meta } = good();
      const n = values === 'all' ? oracle.bits.length : 512;
      // every model weight stored as 16-bit patterns from the numpy oracle (cycled)
      const swapped = new Map<string, TensorInput>();
      const expected = new Map<string, Float32Array>();
      let k = 0;
      for (const [name, t] of tensors) {
        if (!name.startsWith('model/')) {
          swapped.set(name, t);
          continue;
        }
        const bits = new Uint16Array(t.data.length);
        const want = new Float32Array(t.data.length);
        for (let i = 0; i < bits.length; i++, k++) {
          bits[i] = oracle.bits[k % n]!;
          want[i] = oracle.float32[k % n]!;
        }
        swapped.set(name, { dtype, shape: t.shape, data: bits });
        expected.set(name.slice('model/'.length), want);
      }
      rewrite(path, swapped, meta);
      const { model } = loadModelFromRun(path);
      for (const [name, p] of model.namedParameters()) {
        const want = expected.get(name)!;
        const got = p.toTypedArray();
        // the first difference, not a diff of thousands of numbers
        const at = Array.from(got).findIndex((v, i) => !Object.is(v, want[i]));
        assert.equal(at, -1, `${dtype} ${name}[${at}]: ${got[at]} vs numpy ${want[at]}`);
        assert.equal(got.length, want.length);
      }
      if (values === 'weights') {
        // and the model is usable: finite logits (the raw-integer read scored -5e9)
        const logits = (model as GPT).forward(tensor([[1, 2, 3]], { dtype: 'int32' })).logits!;
        const bad = Array.from(logits.toTypedArray()).filter((v) => !Number.isFinite(v)).length;
        assert.equal(bad, 0, `${dtype}: ${bad} non-finite logits`);
      }
    }
  }
});

test('integer and other non-float weights are refused with the dtype named, never cast', () => {
  const { path, tensors, meta } = good();
  const key = 'model/transformer.h.0.mlp.c_fc.bias';
  const n = tensors.get(key)!.data.length;
  for (const [dtype, data] of [
    ['I32', new Int32Array(n)],
    ['U32', new Uint32Array(n)],
    ['I64', new BigInt64Array(n)],
    ['U8', new Uint8Array(n)],
    ['BOOL', new Uint8Array(n)],
    ['F8_E4M3', new Uint8Array(n)],
  ] as const) {
    const t = new Map<string, TensorInput>(tensors);
    t.set(key, { dtype, shape: [n], data });
    rewrite(path, t, meta);
    fails(() => loadModelFromRun(path), key, new RegExp(`dtype ${dtype} cannot be read as weights`));
  }
});

test('I64 ids are read as int32 with a range check (never "Cannot mix BigInt")', () => {
  const rec = (values: bigint[]): TensorRecord => ({
    dtype: 'I64',
    shape: [values.length],
    data: BigInt64Array.from(values),
  });
  assert.deepEqual(Array.from(idValues(rec([0n, 50256n, -1n]), 'f', 'input_ids')), [0, 50256, -1]);
  assert.throws(
    () => idValues(rec([2n ** 40n]), 'f', 'input_ids'),
    (e: unknown) => e instanceof FormatError && e.field === 'input_ids' && /outside int32/.test(e.message),
  );
  assert.throws(
    () => idValues({ dtype: 'F32', shape: [1], data: new Float32Array(1) }, 'f', 'input_ids'),
    (e: unknown) => e instanceof FormatError && /cannot be read as integer ids/.test(e.message),
  );
});

test('a corrupt data section fails its SHA-256 with the file named', () => {
  const { path } = good();
  const bytes = readFileSync(path);
  bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0x40;
  writeFileSync(path, bytes);
  fails(() => loadModelFromRun(path), '__metadata__.llmts_sha256', /SHA-256/);
});

test('a model with non-finite weights is never written; the previous checkpoint stays', () => {
  const { dir, path } = good();
  const before = readFileSync(path);
  const model = new GPT(cfg, { seed: 3 });
  (model.namedParameters()[3]![1].data as Float32Array)[0] = NaN;
  (model.namedParameters()[5]![1].data as Float32Array)[2] = Infinity;
  assert.throws(
    () => saveCheckpoint({ path, model, spec: specOf(model), optimizer: null, step: 8, extra: null, train: null }),
    (e: unknown) =>
      e instanceof NumericError && /2 of \d+ weights/.test(e.message) && /previous checkpoint is kept/.test(e.message),
  );
  assert.deepEqual(readFileSync(path), before);
  assert.ok(existsSync(checkpointPath(dir, 'last')));
});

test(
  'an HF config whose size tensor is missing or whose sizes exceed the file is refused before allocation',
  { timeout: 20_000 },
  () => {
    for (const [arch, key, drop] of [
      ['gpt2', 'n_positions', 'transformer.wpe.weight'],
      ['bert', 'type_vocab_size', 'bert.embeddings.token_type_embeddings.weight'],
    ] as const) {
      const dir = tmp();
      cpSync(join(hfFixturesDir, arch), dir, { recursive: true });
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      config[key] = 2 ** 31 - 1;
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      const { tensors, metadata } = loadSafetensors(join(dir, 'model.safetensors'));
      tensors.delete(drop);
      saveSafetensors(join(dir, 'model.safetensors'), tensors, metadata);
      assert.throws(
        () => loadHfModel(dir),
        (e: unknown) => e instanceof FormatError && e.field === key,
        `${arch} ${key}`,
      );
    }
    // an I64 weight in an HF checkpoint: the dtype named
    const dir = tmp();
    cpSync(join(hfFixturesDir, 'gpt2'), dir, { recursive: true });
    const { tensors, metadata } = loadSafetensors(join(dir, 'model.safetensors'));
    const ln = tensors.get('transformer.ln_f.bias')!;
    tensors.set('transformer.ln_f.bias', { dtype: 'I64', shape: ln.shape, data: new BigInt64Array(ln.data.length) });
    saveSafetensors(join(dir, 'model.safetensors'), tensors, metadata);
    assert.throws(
      () => loadHfModel(dir),
      (e: unknown) => e instanceof FormatError && e.field === 'transformer.ln_f.bias' && /dtype I64/.test(e.message),
    );
  },
);

test('a model too large for this machine is a ConfigError before any allocation', () => {
  assert.throws(
    () =>
      createModel({
        family: 'gpt',
        config: { ...cfg, nEmbd: 100_000, nHead: 1, nKvHead: 1, intermediateSize: 400_000 },
      }),
    (e: unknown) => e instanceof ConfigError && /more than the .* GiB this machine has/.test(e.message),
  );
});

test('model info on a hostile checkpoint: one line, no stack, in a moment', () => {
  const { path, tensors, meta } = good();
  const model = meta['model'] as { family: string; config: Record<string, unknown> };
  rewrite(path, tensors, { ...meta, model: { ...model, config: { ...model.config, nLayer: 200_000 } } });
  const r = runLlmts(['model', 'info', path], { timeoutMs: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /^llmts: error \[FORMAT\]: .*\(field model\.config\.n_layer\): is 200000 but the file holds 2 layers\n$/,
  );
});
