/**
 * Replays the PyTorch fixtures (test/fixtures/engine/ops.json, written by
 * scripts/oracles/engine_fixtures.py) on every available backend: the same seeded inputs
 * (through the same view steps), the forward output (shape, dtype, values), and the gradient
 * of sum(out * w) for the stored weights w with respect to every float input.
 *
 * Tolerance: each element within rtol * max(|expected|, max |expected| over the tensor) + 1e-7
 * (helpers.ts assertClose), rtol = 1e-5 for float32 (torch and llmts round differently inside
 * sums), 1e-10 for float64.
 *
 * Semantics pinned by the fixtures: max/min reductions split the gradient evenly among tied
 * extremes (torch.amax/amin; torch.max(x, dim) instead gives it all to the returned index),
 * maximum/minimum split it on ties, attention is HF's eager attention (bottom-right causal
 * alignment when queries < keys, GQA by repeat_interleave), RMSNorm is LLaMA's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/backends/backend.ts';
import type { DType, Tensor } from '../../src/engine/index.ts';
import {
  abs,
  add,
  cast,
  cat,
  chunk,
  clamp,
  contiguous,
  cos,
  crossEntropy,
  div,
  embedding,
  erf,
  exp,
  expand,
  flatten,
  gather,
  gelu,
  indexSelect,
  layerNorm,
  linear,
  log,
  logSoftmax,
  logsumexp,
  maskedFill,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  noGrad,
  permute,
  pow,
  reciprocal,
  relu,
  reshape,
  rmsNorm,
  rsqrt,
  scaledDotProductAttention,
  select,
  sigmoid,
  silu,
  sin,
  slice,
  softmax,
  split,
  sqrt,
  square,
  squeeze,
  stack,
  sub,
  sum,
  tanh,
  tensor,
  transpose,
  unsqueeze,
  variance,
  view,
  where,
} from '../../src/engine/index.ts';
import type { CrossEntropyOptions } from '../../src/engine/index.ts';
import { assertClose, backends, readFixture } from './helpers.ts';
import type { EncodedTensor } from './helpers.ts';

type Prep =
  ['T'] | ['permute', number[]] | ['slice', number, number | null, number | null, number | null] | ['expand', number[]];

interface OpCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  preps: Record<string, Prep[]>;
  inputs: (EncodedTensor | { scalar: number })[];
  outputs: EncodedTensor[];
  weights: (EncodedTensor | null)[];
  grads: (EncodedTensor | null)[];
}

interface OpsFixture {
  generator: string;
  torch: string;
  cases: OpCase[];
}

function decode(e: EncodedTensor, backend: Backend, requiresGrad = false): Tensor {
  return tensor(e.data, { shape: e.shape, dtype: e.dtype, backend, requiresGrad });
}

function applyPrep(t: Tensor, steps: Prep[] | undefined): Tensor {
  let out = t;
  for (const s of steps ?? []) {
    if (s[0] === 'T') out = transpose(out, -2, -1);
    else if (s[0] === 'permute') out = permute(out, s[1]);
    else if (s[0] === 'expand') out = expand(out, s[1]);
    else out = slice(out, s[1], s[2] ?? 0, s[3] ?? undefined, s[4] ?? 1);
  }
  return out;
}

type Fn = (inputs: (Tensor | number)[], attrs: Record<string, unknown>) => Tensor | Tensor[];

const T = (x: Tensor | number): Tensor => {
  if (typeof x === 'number') throw new Error('expected a tensor input');
  return x;
};
const axesOf = (a: unknown): number | number[] | undefined => (a === null ? undefined : (a as number | number[]));

const UNARY: Record<string, (x: Tensor) => Tensor> = {
  neg,
  exp,
  log,
  sqrt,
  rsqrt,
  tanh,
  sigmoid,
  relu,
  silu,
  abs,
  sin,
  cos,
  square,
  reciprocal,
  erf,
  gelu: (x) => gelu(x),
  gelu_tanh: (x) => gelu(x, 'tanh'),
};
const BINARY: Record<string, (a: Tensor | number, b: Tensor | number) => Tensor> = {
  add,
  sub,
  mul,
  div,
  maximum,
  minimum,
  pow,
};

const OPS: Record<string, Fn> = {
  unary: ([x], a) => UNARY[a['fn'] as string]!(T(x!)),
  pow_scalar: ([x], a) => pow(T(x!), a['exponent'] as number),
  binary: ([x, y], a) => BINARY[a['fn'] as string]!(T(x!), T(y!)),
  scalar: ([x], a) => BINARY[a['fn'] as string]!(T(x!), a['scalar'] as number),
  rscalar: ([x], a) => BINARY[a['fn'] as string]!(a['scalar'] as number, T(x!)),
  where: ([c, x, y]) => where(T(c!), T(x!), T(y!)),
  maskedFill: ([x, m], a) => maskedFill(T(x!), T(m!), a['value'] as number),
  clamp: ([x], a) => clamp(T(x!), a['min'] as number | null, a['max'] as number | null),
  reduce: ([x], a) => {
    const axes = axesOf(a['axes']);
    const keep = a['keepdim'] as boolean;
    switch (a['fn']) {
      case 'sum':
        return sum(T(x!), axes, keep);
      case 'mean':
        return mean(T(x!), axes, keep);
      case 'max':
        return max(T(x!), axes, keep);
      case 'min':
        return min(T(x!), axes, keep);
      case 'var':
        return variance(T(x!), axes, keep, a['correction'] as number);
      case 'logsumexp':
        return logsumexp(T(x!), axes ?? [], keep);
      default:
        throw new Error(`unknown reduction ${String(a['fn'])}`);
    }
  },
  matmul: ([x, y]) => matmul(T(x!), T(y!)),
  linear: ([x, w, b]) => linear(T(x!), T(w!), b === undefined ? null : T(b)),
  softmax: ([x], a) => (a['log'] ? logSoftmax : softmax)(T(x!), a['axis'] as number),
  layerNorm: ([x, w, b], a) =>
    layerNorm(T(x!), w === undefined ? null : T(w), b === undefined ? null : T(b), a['eps'] as number),
  rmsNorm: ([x, w], a) => rmsNorm(T(x!), w === undefined ? null : T(w), a['eps'] as number),
  crossEntropy: ([l, t], a) => crossEntropy(T(l!), T(t!), a as CrossEntropyOptions),
  indexSelect: ([x, i], a) => indexSelect(T(x!), a['axis'] as number, T(i!)),
  embedding: ([w, i]) => embedding(T(w!), T(i!)),
  gather: ([x, i], a) => gather(T(x!), a['axis'] as number, T(i!)),
  cat: (xs, a) => cat(xs.map(T), a['axis'] as number),
  stack: (xs, a) => stack(xs.map(T), a['axis'] as number),
  split: ([x], a) => split(T(x!), a['size'] as number | number[], a['axis'] as number),
  chunk: ([x], a) => chunk(T(x!), a['chunks'] as number, a['axis'] as number),
  reshape: ([x], a) => reshape(T(x!), a['shape'] as number[]),
  view: ([x], a) => view(T(x!), a['shape'] as number[]),
  permute: ([x], a) => permute(T(x!), a['axes'] as number[]),
  transpose: ([x], a) => transpose(T(x!), a['a'] as number, a['b'] as number),
  expand: ([x], a) => expand(T(x!), a['shape'] as number[]),
  slice: ([x], a) =>
    slice(
      T(x!),
      a['axis'] as number,
      (a['start'] as number | null) ?? 0,
      (a['end'] as number | null) ?? undefined,
      a['step'] as number,
    ),
  select: ([x], a) => select(T(x!), a['axis'] as number, a['index'] as number),
  squeeze: ([x], a) => squeeze(T(x!), (a['axis'] as number | null) ?? undefined),
  unsqueeze: ([x], a) => unsqueeze(T(x!), a['axis'] as number),
  flatten: ([x], a) => flatten(T(x!), a['start'] as number, a['end'] as number),
  cast: ([x], a) => cast(T(x!), a['dtype'] as DType),
  contiguous: ([x]) => contiguous(T(x!)),
  attention: ([q, k, v, mask], a) =>
    scaledDotProductAttention(T(q!), T(k!), T(v!), {
      causal: (a['causal'] as boolean | undefined) ?? false,
      mask: mask === undefined ? null : T(mask),
      ...(a['scale'] !== undefined ? { scale: a['scale'] as number } : {}),
    }),
};

const fixture = readFixture<OpsFixture>('ops.json');

function tolerance(dtype: DType): number {
  return dtype === 'float64' ? 1e-10 : 1e-5;
}

/** Runs one case on a backend and compares outputs and gradients. */
function replay(c: OpCase, backend: Backend): void {
  const fn = OPS[c.op];
  assert.ok(fn, `no replay for op ${c.op}`);
  const leaves = c.inputs.map((e, i) => {
    if ('scalar' in e) return e.scalar;
    const float = e.dtype === 'float32' || e.dtype === 'float64';
    return decode(e, backend, float && c.grads[i] !== null);
  });
  const viewed = leaves.map((x, i) => (typeof x === 'number' ? x : applyPrep(x, c.preps[String(i)])));
  const result = fn(viewed, c.attrs);
  const outs = Array.isArray(result) ? result : [result];
  assert.equal(outs.length, c.outputs.length, `${c.name}: number of outputs`);
  outs.forEach((o, i) => {
    const e = c.outputs[i]!;
    assert.deepEqual(o.shape, e.shape, `${c.name}: output ${i} shape`);
    assert.equal(o.dtype, e.dtype, `${c.name}: output ${i} dtype`);
    assertClose(o.toArray(), e.data, `${c.name} output ${i}`, tolerance(e.dtype));
  });
  const anyGrad = c.grads.some((g) => g !== null);
  if (!anyGrad) return;
  // loss = sum_i sum(out_i * w_i)
  let loss: Tensor | null = null;
  outs.forEach((o, i) => {
    const w = c.weights[i];
    if (w === null || w === undefined) return;
    const term = sum(mul(o, decode(w, backend)));
    loss = loss === null ? term : add(loss, term);
  });
  assert.ok(loss !== null, `${c.name}: no weighted output`);
  (loss as Tensor).backward();
  c.grads.forEach((e, i) => {
    if (e === null) return;
    const x = leaves[i] as Tensor;
    assert.ok(x.grad !== null, `${c.name}: input ${i} got no gradient`);
    assert.deepEqual(x.grad.shape, e.shape, `${c.name}: grad ${i} shape`);
    assert.equal(x.grad.dtype, e.dtype, `${c.name}: grad ${i} dtype`);
    assertClose(x.grad.toArray(), e.data, `${c.name} grad of input ${i}`, tolerance(e.dtype));
  });
}

for (const backend of backends()) {
  describe(`torch parity on the ${backend.name} backend (${fixture.cases.length} cases, torch ${fixture.torch})`, () => {
    const groups = new Map<string, OpCase[]>();
    for (const c of fixture.cases) {
      const group = c.name.split('/')[0]!;
      groups.set(group, [...(groups.get(group) ?? []), c]);
    }
    for (const [group, cases] of groups) {
      it(`${group}: ${cases.map((c) => c.name.slice(group.length + 1) || '(base)').join(', ')}`, () => {
        const failures: string[] = [];
        for (const c of cases) {
          try {
            replay(c, backend);
          } catch (err) {
            failures.push(err instanceof Error ? err.message : String(err));
          }
        }
        assert.deepEqual(failures, [], failures.join('\n'));
      });
    }
    it('covers every op of the replay table', () => {
      const used = new Set(fixture.cases.map((c) => c.op));
      for (const op of Object.keys(OPS)) assert.ok(used.has(op), `no fixture exercises ${op}`);
    });
    it('forward results are identical under noGrad', () => {
      const c = fixture.cases.find((x) => x.name === 'attention/causal')!;
      const inputs = c.inputs.map((e) => decode(e as EncodedTensor, backend));
      const a = noGrad(() => OPS['attention']!(inputs, c.attrs) as Tensor).toArray();
      const b = (OPS['attention']!(inputs, c.attrs) as Tensor).toArray();
      assert.deepEqual(a, b);
    });
  });
}
