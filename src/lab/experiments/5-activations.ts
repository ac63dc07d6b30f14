/**
 * Section 5: without a non-linearity a stack of layers is one linear map. A 4-layer MLP built
 * from the library's Linear and activation() ('none', 'relu', 'gelu', 'tanh') is trained with
 * AdamW on XOR (four noisy clusters) and on two interleaved spirals. For the identity
 * activation, the product of its weight matrices (with the composed bias) must reproduce the
 * trained network's output exactly, and its accuracy cannot beat a single linear layer's.
 */
import { crossEntropy, Generator, noGrad, tensor, tidy } from '../../engine/index.ts';
import type { Tensor } from '../../engine/index.ts';
import { Linear, activation } from '../../nn/layers.ts';
import type { ActivationName } from '../../nn/layers.ts';
import { Module } from '../../nn/module.ts';
import { AdamW, createSchedule } from '../../optim/index.ts';
import { barChartSvg, lineChartSvg } from '../../core/plot.ts';
import { createProgress } from '../../core/progress.ts';
import { matmul64 } from '../linalg.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { fmt, pct, verdictOf } from '../verdict.ts';

/** Linear -> act -> Linear -> act -> ... -> Linear: [N, in] -> [N, out]. */
export class DeepMLP extends Module {
  readonly layers: Linear[];
  private readonly act: (x: Tensor) => Tensor;
  constructor(
    sizes: readonly number[],
    readonly activationName: ActivationName,
    seed: number,
  ) {
    super();
    const ctx = { generator: new Generator(seed) };
    this.layers = sizes.slice(1).map((out, i) => new Linear(sizes[i]!, out, ctx));
    this.act = activation(activationName);
  }

  forward(x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((l, i) => {
      h = l.forward(h);
      if (i < this.layers.length - 1) h = this.act(h);
    });
    return h;
  }

  /** The affine map the layers compose to if every activation were the identity: y = x·Wᵀ + b, W [out, in] (float64). */
  collapsed(): { w: Float64Array; b: Float64Array; inF: number; outF: number } {
    let w: Float64Array | null = null;
    let b: Float64Array | null = null;
    let inF = 0;
    for (const l of this.layers) {
      const wl = Float64Array.from(l.weight.toTypedArray()); // [out, in]
      const bl = l.bias ? Float64Array.from(l.bias.toTypedArray()) : new Float64Array(l.outFeatures);
      if (w === null || b === null) {
        w = wl;
        b = bl;
        inF = l.inFeatures;
        continue;
      }
      // W <- Wl·W, b <- Wl·b + bl
      w = matmul64(wl, w, l.outFeatures, l.inFeatures, inF);
      const nb = matmul64(wl, b, l.outFeatures, l.inFeatures, 1);
      for (let i = 0; i < nb.length; i++) nb[i]! += bl[i]!;
      b = nb;
    }
    return { w: w!, b: b!, inF, outF: this.layers[this.layers.length - 1]!.outFeatures };
  }
}

interface Dataset {
  x: Float32Array; // [N, 2]
  y: Int32Array; // [N]
}

/** Two interleaved spirals (classes 0 and 1), `n` points each, Gaussian noise. */
export function twoSpirals(n: number, g: Generator, noise = 0.05): Dataset {
  const x = new Float32Array(4 * n);
  const y = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = (i / n) * 3 * Math.PI + 0.5; // 1.5 turns
    const r = t / (3 * Math.PI);
    for (let c = 0; c < 2; c++) {
      const k = 2 * i + c;
      const s = c === 0 ? 1 : -1;
      x[2 * k] = s * r * Math.cos(t) + noise * g.normal();
      x[2 * k + 1] = s * r * Math.sin(t) + noise * g.normal();
      y[k] = c;
    }
  }
  return { x, y };
}

/** XOR: four Gaussian clusters at (±1, ±1), label = sign(x)·sign(y) < 0. */
export function xorClusters(n: number, g: Generator, noise = 0.25): Dataset {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = i % 2 === 0 ? 1 : -1;
    const b = Math.floor(i / 2) % 2 === 0 ? 1 : -1;
    x[2 * i] = a + noise * g.normal();
    x[2 * i + 1] = b + noise * g.normal();
    y[i] = a * b < 0 ? 1 : 0;
  }
  return { x, y };
}

function accuracyOf(logits: ArrayLike<number>, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if ((logits[2 * i + 1]! > logits[2 * i]! ? 1 : 0) === y[i]) ok++;
  return ok / y.length;
}

interface RunResult {
  act: ActivationName | 'single linear layer';
  trainAcc: number;
  testAcc: number;
  losses: [number, number][];
  /** For the identity network: max |f(x) - (x·Wᵀ + b)| on the test points, relative to max |f(x)|. */
  collapseError: number;
  collapsedAcc: number;
}

function train(
  sizes: number[],
  act: ActivationName,
  trainSet: Dataset,
  testSet: Dataset,
  steps: number,
  seed: number,
): RunResult {
  const model = new DeepMLP(sizes, act, seed);
  const opt = new AdamW([{ params: model.parameters(), lr: 1e-2, weightDecay: 0 }]);
  const schedule = createSchedule({
    kind: 'cosine',
    maxLr: 1e-2,
    minLr: 1e-3,
    warmupSteps: Math.floor(steps / 20),
    decaySteps: steps,
  });
  const N = trainSet.y.length;
  const x = tensor(trainSet.x, { shape: [N, 2] });
  const y = tensor(trainSet.y, { shape: [N], dtype: 'int32' });
  const losses: [number, number][] = [];
  const progress = createProgress(steps, { label: `lab mlp ${act}`, unit: 'step' });
  for (let step = 0; step < steps; step++) {
    opt.setLearningRate(schedule(step));
    const loss = tidy(() => {
      const l = crossEntropy(model.forward(x), y);
      l.backward();
      return l.item();
    });
    opt.step();
    opt.zeroGrad();
    if (step % Math.max(1, Math.floor(steps / 100)) === 0 || step === steps - 1) losses.push([step, loss]);
    if (step % 50 === 0 || step === steps - 1) progress.update(step + 1, { loss: loss.toFixed(4) });
  }
  progress.stop();
  return noGrad(() => {
    const M = testSet.y.length;
    const xt = tensor(testSet.x, { shape: [M, 2] });
    const out = model.forward(xt).toTypedArray();
    const trainAcc = accuracyOf(model.forward(x).toTypedArray(), trainSet.y);
    const testAcc = accuracyOf(out, testSet.y);
    // the collapsed map, evaluated in float64 outside the engine
    const { w, b, outF } = model.collapsed();
    const xw = matmul64(Float64Array.from(testSet.x), transpose(w, outF, 2), M, 2, outF);
    let maxDiff = 0;
    let maxOut = 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < outF; j++) {
        xw[i * outF + j]! += b[j]!;
        maxDiff = Math.max(maxDiff, Math.abs(xw[i * outF + j]! - out[i * outF + j]!));
        maxOut = Math.max(maxOut, Math.abs(out[i * outF + j]!));
      }
    }
    return {
      act,
      trainAcc,
      testAcc,
      losses,
      collapseError: maxDiff / Math.max(maxOut, 1e-12),
      collapsedAcc: accuracyOf(xw, testSet.y),
    };
  });
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

const ACTS: ActivationName[] = ['none', 'relu', 'gelu', 'tanh'];

export const activations: Experiment = {
  name: '5-activations',
  section: 5,
  title: 'Without activations a deep network is one linear map',
  claims: [
    {
      section: 5,
      quote:
        '如果神经网络中没有激活函数（或者只使用线性激活函数），无论你堆叠多少层，整个网络最终都等价于一个单一的线性变换。',
      english:
        'Without activation functions (or with linear ones only), however many layers you stack, the whole network is equivalent to a single linear transformation.',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const g = new Generator(ctx.seed);
    const steps = ctx.quick ? 400 : 3000;
    const width = ctx.quick ? 32 : 64;
    const sizes = [2, width, width, width, 2];
    const tasks = {
      xor: { train: xorClusters(ctx.quick ? 200 : 400, g), test: xorClusters(400, g) },
      spirals: { train: twoSpirals(ctx.quick ? 150 : 300, g), test: twoSpirals(300, g) },
    };
    const results: Record<string, RunResult[]> = {};
    for (const [name, t] of Object.entries(tasks)) {
      const rs = ACTS.map((act, i) => train(sizes, act, t.train, t.test, steps, ctx.seed + 100 * i));
      const single = train([2, 2], 'none', t.train, t.test, steps, ctx.seed + 999);
      results[name] = [...rs, { ...single, act: 'single linear layer' }];
    }
    const get = (task: string, act: string): RunResult => results[task]!.find((r) => r.act === act)!;
    const collapseWorst = Math.max(get('xor', 'none').collapseError, get('spirals', 'none').collapseError);
    const reluCollapse = Math.min(get('xor', 'relu').collapseError, get('spirals', 'relu').collapseError);
    const linAcc = Math.max(get('xor', 'none').testAcc, get('spirals', 'none').testAcc);
    const bestNonlinear = (task: string): number =>
      Math.max(get(task, 'relu').testAcc, get(task, 'gelu').testAcc, get(task, 'tanh').testAcc);
    const gapXor = bestNonlinear('xor') - get('xor', 'none').testAcc;
    const gapSpirals = bestNonlinear('spirals') - get('spirals', 'none').testAcc;
    const vsSingle = Math.max(
      Math.abs(get('xor', 'none').testAcc - get('xor', 'single linear layer').testAcc),
      Math.abs(get('spirals', 'none').testAcc - get('spirals', 'single linear layer').testAcc),
    );
    const findings: Finding[] = [
      {
        statement: 'the 4-layer identity-activation network IS the single map x·(W4W3W2W1)ᵀ + b',
        verdict: verdictOf(collapseWorst < 1e-4 && reluCollapse > 1e-2),
        evidence: `max |f(x) − (x·Wᵀ + b)| / max |f(x)| on the test points: ${fmt(collapseWorst)} (float32 network vs float64 product); the same product for the ReLU network is off by ${fmt(reluCollapse)} (control)`,
      },
      {
        statement:
          'so depth buys nothing without activations: the deep linear network does no better than one linear layer, and fails on non-linear tasks that ReLU/GELU/tanh solve',
        verdict: verdictOf(gapXor > 0.2 && gapSpirals > 0.2 && vsSingle < 0.05),
        evidence: `test accuracy, XOR: identity ${pct(get('xor', 'none').testAcc)}, one linear layer ${pct(get('xor', 'single linear layer').testAcc)}, relu ${pct(get('xor', 'relu').testAcc)}, gelu ${pct(get('xor', 'gelu').testAcc)}, tanh ${pct(get('xor', 'tanh').testAcc)}; spirals: identity ${pct(get('spirals', 'none').testAcc)}, one linear layer ${pct(get('spirals', 'single linear layer').testAcc)}, relu ${pct(get('spirals', 'relu').testAcc)}, gelu ${pct(get('spirals', 'gelu').testAcc)}, tanh ${pct(get('spirals', 'tanh').testAcc)}`,
      },
    ];
    const plots = [
      {
        name: 'accuracy',
        caption:
          'Test accuracy of the 4-layer MLP by activation, and of a single linear layer, on XOR and two spirals.',
        svg: await barChartSvg({
          title: 'test accuracy by activation',
          xLabel: 'activation',
          yLabel: 'test accuracy',
          bars: Object.entries(results).flatMap(([task, rs]) =>
            rs.map((r) => ({ label: r.act === 'none' ? 'none (identity)' : r.act, value: r.testAcc, group: task })),
          ),
        }),
      },
      {
        name: 'spirals-loss',
        caption: 'Training loss on two spirals (log scale) per activation, and of a single linear layer.',
        svg: await lineChartSvg({
          title: 'two spirals: training loss',
          xLabel: 'step',
          yLabel: 'cross-entropy',
          logY: true,
          series: results['spirals']!.map((r) => ({ name: r.act, points: r.losses })),
        }),
      },
    ];
    return {
      findings,
      measured: [
        `MLP ${sizes.join(' → ')} from src/nn Linear + activation(name), AdamW lr 1e-2 → 1e-3 (cosine), ${steps} full-batch steps; XOR = four noisy clusters, spirals = two interleaved 1.5-turn spirals (held-out test sets)`,
        'the collapsed map W = W4·W3·W2·W1, b = W4(W3(W2·b1 + b2) + b3) + b4 computed in float64 from the trained weights',
        `identity-network accuracy max ${pct(linAcc)}`,
      ],
      numbers: {
        steps,
        sizes,
        results: Object.fromEntries(
          Object.entries(results).map(([k, rs]) => [
            k,
            rs.map((r) => ({
              act: r.act,
              trainAcc: r.trainAcc,
              testAcc: r.testAcc,
              collapseError: r.collapseError,
              collapsedAcc: r.collapsedAcc,
              finalLoss: r.losses[r.losses.length - 1]![1],
            })),
          ]),
        ),
        collapseWorst,
        reluCollapse,
      },
      plots,
    };
  },
};
