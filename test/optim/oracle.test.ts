/**
 * The optimizer against PyTorch: fixtures written by scripts/oracles/optim_fixtures.py
 * (torch 1.13, float32) and replayed here on every backend.
 *  - AdamW with two weight-decay groups, a learning rate that changes every step and a step
 *    whose gradients are scaled (llmts's step(gradScale) vs torch on pre-scaled gradients);
 *    SGD plain, with momentum, dampening, Nesterov and coupled weight decay: parameters after
 *    each of 5 steps within 2e-6 relative to the parameters' scale.
 *  - clipGradNorm_ / gradNorm vs torch.nn.utils.clip_grad_norm_ (clipping and not).
 *  - The schedules vs nanoGPT's get_lr as written in its train.py, which src/optim/schedule.ts
 *    claims (cosine), and the same with a linear coefficient: exact to 1e-15.
 *  - A 10-step trajectory of the GPT-2 fixture (AdamW with llmts's decay groups, warmup+cosine,
 *    clipping at 1.0): every step's loss (1e-5) and gradient norm (1e-4), the learning rate
 *    (exact), and the weights after the 10th step (3e-4 of each tensor's scale; the key biases,
 *    whose gradient is rounding noise, are checked for that instead) - as llm.c checks its
 *    trajectory against PyTorch.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../src/backends/backend.ts';
import { tensor } from '../../src/engine/index.ts';
import { Parameter } from '../../src/nn/parameter.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { SGD } from '../../src/optim/sgd.ts';
import { clipFactor, clipGradNorm_, gradNorm } from '../../src/optim/clip.ts';
import { createSchedule } from '../../src/optim/schedule.ts';
import type { ScheduleOptions } from '../../src/optim/schedule.ts';
import { groupsForWeightDecay } from '../../src/optim/optimizer.ts';
import type { Optimizer } from '../../src/optim/optimizer.ts';
import { loadHfModel } from '../../src/io/hf/load.ts';
import { GPT } from '../../src/models/gpt.ts';
import { backends } from '../models/helpers.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'optim');
const read = <T>(name: string): T => JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;

interface OptimFixture {
  W0: number[];
  WShape: number[];
  b0: number[];
  grads: { W: number[]; b: number[] }[];
  lrs: number[];
  scales: number[];
  cases: Record<
    string,
    {
      options: {
        betas?: [number, number];
        eps?: number;
        momentum?: number;
        dampening?: number;
        nesterov?: boolean;
        weightDecay: [number, number];
      };
      after: { W: number[]; b: number[] }[];
    }
  >;
}

/** max |a - b| / max(max |b|, 1e-3) */
function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

function param(data: number[], shape: number[], backend: Backend): Parameter {
  return new Parameter(tensor(Float32Array.from(data), { shape, backend }));
}

for (const backend of backends()) {
  describe(`optimizer oracles (PyTorch) on the ${backend.name} backend`, () => {
    const fx = read<OptimFixture>('optimizers.json');
    for (const [name, c] of Object.entries(fx.cases)) {
      it(`${name}: parameters after each of ${c.after.length} steps match torch.optim`, (t) => {
        const W = param(fx.W0, fx.WShape, backend);
        const b = param(fx.b0, [fx.b0.length], backend);
        const o = c.options;
        const groups = [
          { params: [W], lr: fx.lrs[0]!, weightDecay: o.weightDecay[0] },
          { params: [b], lr: fx.lrs[0]!, weightDecay: o.weightDecay[1] },
        ];
        const opt: Optimizer = name.startsWith('adamw')
          ? new AdamW(groups, { betas: o.betas!, eps: o.eps! })
          : new SGD(groups, { momentum: o.momentum!, dampening: o.dampening!, nesterov: o.nesterov! });
        let worst = 0;
        c.after.forEach((want, s) => {
          W.grad = tensor(Float32Array.from(fx.grads[s]!.W), { shape: fx.WShape, backend });
          b.grad = tensor(Float32Array.from(fx.grads[s]!.b), { shape: [fx.b0.length], backend });
          opt.setLearningRate(fx.lrs[s]!);
          opt.step(fx.scales[s]);
          worst = Math.max(
            worst,
            relMax(W.toTypedArray() as Float32Array, want.W),
            relMax(b.toTypedArray() as Float32Array, want.b),
          );
        });
        t.diagnostic(`${name} on ${backend.name}: max relative parameter error ${worst.toExponential(2)}`);
        assert.ok(worst <= 2e-6, `${name}: ${worst}`);
      });
    }

    it('gradNorm and clipGradNorm_ match torch.nn.utils.clip_grad_norm_', () => {
      const c = read<{
        shapes: number[][];
        grads: number[][];
        cases: { maxNorm: number; totalNorm: number; after: number[][] }[];
      }>('clip.json');
      for (const k of c.cases) {
        const ps = c.shapes.map((s) => param(new Array<number>(s.reduce((a, b) => a * b, 1)).fill(0), s, backend));
        ps.forEach((p, i) => (p.grad = tensor(Float32Array.from(c.grads[i]!), { shape: c.shapes[i]!, backend })));
        assert.ok(Math.abs(gradNorm(ps) - k.totalNorm) <= 1e-6 * k.totalNorm);
        const norm = clipGradNorm_(ps, k.maxNorm);
        assert.ok(Math.abs(norm - k.totalNorm) <= 1e-6 * k.totalNorm, `norm ${norm} vs ${k.totalNorm}`);
        ps.forEach((p, i) => assert.ok(relMax(p.grad!.toTypedArray() as Float32Array, k.after[i]!) <= 1e-6));
        // the factor the training loop passes to step(gradScale) instead of scaling in place
        const f = clipFactor(k.totalNorm, k.maxNorm);
        assert.ok(Math.abs(f - Math.min(1, k.maxNorm / (k.totalNorm + 1e-6))) < 1e-15);
      }
    });
  });
}

describe('schedules vs nanoGPT get_lr', () => {
  const s = read<{ cases: (ScheduleOptions & { lr: number[] })[] }>('schedules.json');
  for (const c of s.cases) {
    it(`${c.kind}: warmup ${c.warmupSteps}, decay to ${c.minLr} at ${c.decaySteps}, steps 0..${c.lr.length - 1}`, () => {
      const lr = createSchedule(c);
      c.lr.forEach((want, step) => {
        const got = lr(step);
        assert.ok(Math.abs(got - want) <= 1e-15 * c.maxLr + 1e-18, `step ${step}: ${got} vs ${want}`);
      });
    });
  }
});

interface Trajectory {
  batch: [number, number];
  steps: number;
  optimizer: { betas: [number, number]; eps: number; weightDecay: number; decayed: string[] };
  schedule: ScheduleOptions;
  clip: number;
  batches: number[][];
  losses: number[];
  gradNorms: number[];
  lrs: number[];
}

for (const backend of backends()) {
  it(`10 training steps of the GPT-2 fixture follow PyTorch's trajectory on the ${backend.name} backend`, (t) => {
    const tr = read<Trajectory>('gpt2-trajectory/trajectory.json');
    const model = loadHfModel(join(dir, '..', 'models', 'hf', 'gpt2'), { backend }).eval(); // eval: no dropout
    assert.ok(model instanceof GPT);
    const groups = groupsForWeightDecay(model.parameters(), tr.schedule.maxLr, tr.optimizer.weightDecay);
    // the same split as the oracle's: decay on the attention and MLP matrices only
    const decayedNames = model
      .namedParameters()
      .filter(([, p]) => groups[0]!.params.includes(p))
      .map(([n]) => n);
    assert.ok(
      decayedNames.every((n) => /\.(attn|mlp)\.c_(attn|proj|fc)\.weight$/.test(n)),
      decayedNames.join(),
    );
    assert.equal(
      decayedNames.length,
      tr.optimizer.decayed.length,
      'as many decayed matrices as the oracle (q|k|v fused in both)',
    );
    const opt = new AdamW(groups, { betas: tr.optimizer.betas, eps: tr.optimizer.eps });
    const schedule = createSchedule(tr.schedule);
    const [B, T] = tr.batch;
    let lossErr = 0;
    let normErr = 0;
    for (let step = 0; step < tr.steps; step++) {
      const ids = Int32Array.from(tr.batches[step]!);
      // HF shifts inside the model: targets[t] = ids[t + 1], the last position ignored
      const targets = Int32Array.from(ids, (_, i) => (i % T === T - 1 ? -100 : ids[i + 1]!));
      const lr = schedule(step);
      assert.ok(Math.abs(lr - tr.lrs[step]!) <= 1e-15, `lr at ${step}`);
      opt.setLearningRate(lr);
      opt.zeroGrad();
      const loss = model.forward(tensor(ids, { shape: [B, T], backend }), {
        targets: tensor(targets, { shape: [B, T], backend }),
      }).loss!;
      loss.backward();
      if (step === 0) {
        // the key biases' gradient is zero up to rounding (see below)
        for (const [name, p] of model.namedParameters()) {
          if (!name.endsWith('.attn.c_attn.bias')) continue;
          const g = p.grad!.toTypedArray() as Float32Array;
          const C = g.length / 3;
          const top = Math.max(...g.map(Math.abs));
          const key = Math.max(...g.subarray(C, 2 * C).map(Math.abs));
          assert.ok(key <= 1e-5 * top, `${name}: key-bias gradient ${key} vs ${top}`);
        }
      }
      const norm = gradNorm(model.parameters());
      opt.step(clipFactor(norm, tr.clip));
      lossErr = Math.max(lossErr, Math.abs(loss.item() - tr.losses[step]!) / tr.losses[step]!);
      normErr = Math.max(normErr, Math.abs(norm - tr.gradNorms[step]!) / tr.gradNorms[step]!);
    }
    const want = loadHfModel(join(dir, 'gpt2-trajectory'), { backend });
    const wanted = new Map(want.namedParameters());
    const C = model.config.nEmbd;
    let weightErr = 0;
    for (const [name, p] of model.namedParameters()) {
      const w = wanted.get(name);
      assert.ok(w !== undefined, name);
      let got = p.toTypedArray() as Float32Array;
      let exp = w.toTypedArray() as Float32Array;
      if (name.endsWith('.attn.c_attn.bias')) {
        // the key bias adds q . b_k to every score of a query: softmax cancels it, so its
        // gradient is rounding noise (checked above) that Adam normalizes into lr-sized steps
        // in random directions, in PyTorch and here alike. Compare the query and value biases.
        got = Float32Array.from([...got.subarray(0, C), ...got.subarray(2 * C)]);
        exp = Float32Array.from([...exp.subarray(0, C), ...exp.subarray(2 * C)]);
      }
      const e = relMax(got, exp);
      if (process.env['DEBUG_TRAJ']) t.diagnostic(`${name}: ${e.toExponential(2)}`);
      weightErr = Math.max(weightErr, e);
    }
    t.diagnostic(
      `gpt2 trajectory on ${backend.name}: max relative error loss ${lossErr.toExponential(2)}, grad norm ${normErr.toExponential(2)}, weights after 10 steps ${weightErr.toExponential(2)}`,
    );
    assert.ok(lossErr <= 1e-5, `loss ${lossErr}`);
    assert.ok(normErr <= 1e-4, `grad norm ${normErr}`);
    // Adam divides each element's step by its own gradient scale, so an element whose gradient
    // is nearly zero (a GELU unit off for the whole batch) turns float32 rounding differences
    // into steps of up to lr: measured 1.3e-4 (reference) and 7e-5 (native) of the scale
    assert.ok(weightErr <= 3e-4, `weights ${weightErr}`);
  });
}
