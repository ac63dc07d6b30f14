/**
 * LoRA layers against the formula and the base model: rank r with B = 0 changes nothing;
 * merged and unmerged adapters give the same outputs; switching adapters off gives the base;
 * gradients reach only the adapters and match finite differences of y = x Wᵀ + b + s·x Aᵀ Bᵀ.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import type { GPTConfig } from '../../src/models/gpt.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { square } from '../../src/engine/ops/elementwise.ts';
import { sum } from '../../src/engine/ops/reduce.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { Generator } from '../../src/core/random.ts';
import { Linear } from '../../src/nn/layers.ts';
import { normal_ } from '../../src/nn/init.ts';
import {
  LoraLinear,
  adapterParameters,
  applyLora,
  loraLayers,
  mergeAndUnload,
  withAdaptersDisabled,
} from '../../src/nn/lora.ts';
import { loraTargets } from '../../src/io/peft.ts';

function tiny(over: Partial<GPTConfig> = {}, preset: 'gpt2' | 'llama' = 'gpt2'): GPT {
  return new GPT(
    gptPreset(preset, {
      vocabSize: 40,
      blockSize: 16,
      nLayer: 2,
      nHead: 4,
      nKvHead: preset === 'llama' ? 2 : 4,
      nEmbd: 32,
      intermediateSize: 48,
      dropout: 0,
      attnDropout: 0,
      ...over,
    }),
    { seed: 3 },
  ).eval();
}

const ids = tensor(
  Int32Array.from({ length: 2 * 9 }, (_, i) => (i * 7) % 40),
  { shape: [2, 9], dtype: 'int32' },
);
const logits = (m: GPT): Float32Array => noGrad(() => m.forward(ids).logits!.toTypedArray() as Float32Array);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

/** Random B so the update is not zero. */
function randomizeB(m: GPT, seed: number): void {
  const g = new Generator(seed);
  for (const [, l] of loraLayers(m)) for (const a of l.adapters) normal_(a.lora_B.weight, 0.2, g);
}

describe('LoRA layer', () => {
  for (const preset of ['gpt2', 'llama'] as const) {
    it(`${preset}: rank 4 with B = 0 changes nothing; adapters on every projection`, () => {
      const m = tiny({}, preset);
      const before = logits(m);
      const t = loraTargets(m.config, 'all-linear');
      applyLora(m, t.targets, { r: 4, alpha: 8, dropout: 0 }, 1);
      // gpt2: c_attn, c_proj, c_fc, mlp.c_proj per layer; llama: c_attn (q, k, v) + o + gate/up/down
      assert.equal(loraLayers(m).length, preset === 'gpt2' ? 8 : 10);
      assert.deepEqual(logits(m), before);
    });

    it(`${preset}: merged = unmerged, adapters off = the base, unloading restores plain Linears`, () => {
      const m = tiny({}, preset);
      const base = logits(m);
      const t = loraTargets(m.config, preset === 'gpt2' ? ['c_attn', 'c_fc'] : ['q_proj', 'v_proj', 'up_proj']);
      applyLora(m, t.targets, { r: 3, alpha: 6, dropout: 0.1 }, 2);
      randomizeB(m, 5);
      const adapted = logits(m);
      assert.ok(maxDiff(adapted, base) > 1e-2, 'the adapters change the outputs');
      assert.deepEqual(
        withAdaptersDisabled(m, () => logits(m)),
        base,
      );
      for (const [, l] of loraLayers(m)) l.merge();
      assert.ok(maxDiff(logits(m), adapted) < 1e-5, `merged vs unmerged ${maxDiff(logits(m), adapted)}`);
      for (const [, l] of loraLayers(m)) l.unmerge();
      assert.ok(maxDiff(logits(m), adapted) < 1e-5);
      mergeAndUnload(m);
      assert.equal(loraLayers(m).length, 0);
      assert.ok(m.transformer.h[0]!.attn.c_attn instanceof Linear);
      assert.ok(maxDiff(logits(m), adapted) < 1e-5);
      assert.ok(!m.stateDict().has('transformer.h.0.attn.c_attn.adapters.0.lora_A.weight'));
    });
  }

  it('llama q/k/v: each adapter covers only its rows of the fused c_attn (GQA: k, v are nKvHead * D rows)', () => {
    const m = tiny({}, 'llama');
    const t = loraTargets(m.config, ['k_proj']);
    const [[, layer]] = applyLora(m, t.targets, { r: 2, alpha: 2, dropout: 0 }, 1) as [[string, LoraLinear]];
    const D = 32 / 4;
    assert.deepEqual(
      layer.adapters.map((a) => [a.hfName, a.rowStart, a.rowEnd]),
      [['model.layers.0.self_attn.k_proj', 4 * D, 4 * D + 2 * D]],
    );
    randomizeB(m, 1);
    const d = layer.delta();
    const C = 32;
    for (let row = 0; row < layer.outFeatures; row++) {
      const nonzero = Array.from(d.subarray(row * C, (row + 1) * C)).some((v) => v !== 0);
      assert.equal(nonzero, row >= 4 * D && row < 6 * D, `row ${row}`);
    }
  });

  it('gradients reach only the adapters, and match finite differences of the formula (float64)', () => {
    const ctx = { generator: new Generator(1), dtype: 'float64' as const };
    const base = new Linear(5, 6, ctx);
    const layer = new LoraLinear(base, [{ hfName: 'x', rows: [1, 5] }], { r: 2, alpha: 3, dropout: 0 }, 4);
    normal_(layer.adapters[0]!.lora_B.weight, 0.5, new Generator(9));
    const x = tensor(
      Float64Array.from({ length: 3 * 5 }, (_, i) => Math.sin(i + 1)),
      { shape: [3, 5], dtype: 'float64' },
    );
    const loss = (): number => noGrad(() => sum(square(layer.forward(x))).item());
    const out = sum(square(layer.forward(x)));
    out.backward();
    assert.equal(base.weight.grad, null, 'the frozen weight gets no gradient');
    assert.equal(base.bias!.grad, null);
    assert.deepEqual(
      adapterParameters(layer).map((p) => p.requiresGrad),
      [true, true],
    );
    const h = 1e-6;
    for (const p of adapterParameters(layer)) {
      const g = p.grad!.toTypedArray();
      const data = p.data as Float64Array;
      for (const i of [0, 3, p.size - 1]) {
        const v = data[p.offset + i]!;
        data[p.offset + i] = v + h;
        const up = loss();
        data[p.offset + i] = v - h;
        const down = loss();
        data[p.offset + i] = v;
        const fd = (up - down) / (2 * h);
        assert.ok(Math.abs(fd - g[i]!) < 1e-6 * Math.max(1, Math.abs(fd)), `${fd} vs ${g[i]}`);
      }
    }
    // the update is s * B A on rows 1..4 only: y - base(x) by hand
    const A = layer.adapters[0]!.lora_A.weight.toTypedArray();
    const B = layer.adapters[0]!.lora_B.weight.toTypedArray();
    const y = noGrad(() => layer.forward(x).toTypedArray());
    const yBase = noGrad(() => base.forward(x).toTypedArray());
    const xs = x.toTypedArray();
    for (let n = 0; n < 3; n++)
      for (let o = 0; o < 6; o++) {
        let u = 0;
        if (o >= 1 && o < 5)
          for (let k = 0; k < 2; k++) {
            let ax = 0;
            for (let j = 0; j < 5; j++) ax += A[k * 5 + j]! * xs[n * 5 + j]!;
            u += B[(o - 1) * 2 + k]! * ax;
          }
        assert.ok(Math.abs(y[n * 6 + o]! - yBase[n * 6 + o]! - 1.5 * u) < 1e-12);
      }
  });
});
