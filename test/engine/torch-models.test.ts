/**
 * A tiny MLP and a 2-layer pre-LN transformer with a tied LM head, rebuilt from llmts ops as
 * plain functions, against PyTorch (test/fixtures/engine/models.json from
 * scripts/oracles/engine_fixtures.py): the loss and every parameter gradient within 1e-4
 * relative (to the tensor's largest magnitude, see assertClose), on every backend.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/backends/backend.ts';
import type { Tensor } from '../../src/engine/index.ts';
import {
  add,
  crossEntropy,
  embedding,
  gelu,
  layerNorm,
  linear,
  matmul,
  mean,
  mul,
  reshape,
  scaledDotProductAttention,
  slice,
  split,
  squeeze,
  sub,
  tensor,
  tidy,
  transpose,
  view,
} from '../../src/engine/index.ts';
import { assertClose, backends, readFixture } from './helpers.ts';
import type { EncodedTensor } from './helpers.ts';

interface ModelFixture {
  params: Record<string, EncodedTensor>;
  grads: Record<string, EncodedTensor>;
  loss: number;
}

interface Fixture {
  torch: string;
  mlp: ModelFixture & { x: EncodedTensor; y: EncodedTensor };
  transformer: ModelFixture & {
    config: { vocab: number; block: number; embd: number; heads: number; layers: number; batch: number };
    idx: EncodedTensor;
    targets: EncodedTensor;
    logits: EncodedTensor;
  };
}

const fixture = readFixture<Fixture>('models.json');

function load(e: EncodedTensor, backend: Backend, requiresGrad = false): Tensor {
  return tensor(e.data, { shape: e.shape, dtype: e.dtype, backend, requiresGrad });
}

function loadParams(f: ModelFixture, backend: Backend): Map<string, Tensor> {
  return new Map(Object.entries(f.params).map(([k, v]) => [k, load(v, backend, true)]));
}

function checkGrads(f: ModelFixture, params: Map<string, Tensor>, rtol: number): void {
  assert.deepEqual([...params.keys()].sort(), Object.keys(f.grads).sort());
  for (const [name, p] of params) {
    assert.ok(p.grad !== null, `${name} has no gradient`);
    assert.deepEqual(p.grad.shape, f.grads[name]!.shape, `${name} gradient shape`);
    assertClose(p.grad.toArray(), f.grads[name]!.data, `d loss / d ${name}`, rtol, 1e-8);
  }
}

/** 2 -> 16 -> 16 -> 1: linear, layerNorm, gelu, linear, gelu, linear; MSE. */
function mlpLoss(p: Map<string, Tensor>, x: Tensor, y: Tensor): Tensor {
  const P = (n: string) => p.get(n)!;
  let h = linear(x, P('fc1.weight'), P('fc1.bias')); // [N, 16]
  h = gelu(layerNorm(h, P('ln.weight'), P('ln.bias'), 1e-5));
  h = gelu(linear(h, P('fc2.weight'), P('fc2.bias'))); // [N, 16]
  const out = squeeze(linear(h, P('fc3.weight'), P('fc3.bias')), -1); // [N]
  const d = sub(out, y);
  return mean(mul(d, d));
}

/** GPT-2 style forward: wte + wpe, pre-LN blocks with fused QKV and causal attention, ln_f, tied head. */
function transformerLoss(
  p: Map<string, Tensor>,
  cfg: Fixture['transformer']['config'],
  idx: Tensor,
  targets: Tensor,
): { loss: Tensor; logits: Tensor } {
  const P = (n: string) => p.get(n)!;
  const { block: T, embd: C, heads: nh, layers, batch: B } = cfg;
  const hs = C / nh;
  let x = add(embedding(P('wte'), idx), slice(P('wpe'), 0, 0, T)); // (B, T, C)
  for (let l = 0; l < layers; l++) {
    const W = (n: string) => P(`h.${l}.${n}`);
    let h = layerNorm(x, W('ln_1.weight'), W('ln_1.bias'), 1e-5);
    const qkv = linear(h, W('attn.c_attn.weight'), W('attn.c_attn.bias')); // (B, T, 3C)
    const [q, k, v] = split(qkv, C, 2).map((t) => transpose(view(t, [B, T, nh, hs]), 1, 2)); // (B, nh, T, hs)
    const y = scaledDotProductAttention(q!, k!, v!, { causal: true }); // (B, nh, T, hs)
    const merged = reshape(transpose(y, 1, 2), [B, T, C]);
    x = add(x, linear(merged, W('attn.c_proj.weight'), W('attn.c_proj.bias')));
    h = layerNorm(x, W('ln_2.weight'), W('ln_2.bias'), 1e-5);
    h = gelu(linear(h, W('mlp.c_fc.weight'), W('mlp.c_fc.bias')), 'tanh');
    x = add(x, linear(h, W('mlp.c_proj.weight'), W('mlp.c_proj.bias')));
  }
  x = layerNorm(x, P('ln_f.weight'), P('ln_f.bias'), 1e-5);
  const logits = matmul(x, transpose(P('wte'))); // (B, T, V), tied
  return { loss: crossEntropy(logits, targets), logits };
}

for (const backend of backends()) {
  describe(`PyTorch model parity on the ${backend.name} backend (torch ${fixture.torch})`, () => {
    it('tiny MLP (LayerNorm, GELU, MSE): loss and every parameter gradient', () => {
      const f = fixture.mlp;
      const params = loadParams(f, backend);
      const loss = tidy(() => {
        const l = mlpLoss(params, load(f.x, backend), load(f.y, backend));
        l.backward();
        return l;
      });
      assertClose([loss.item()], [f.loss], 'mlp loss', 1e-5);
      checkGrads(f, params, 1e-4);
    });

    it('2-layer pre-LN transformer with a tied LM head: logits, loss and every parameter gradient', () => {
      const f = fixture.transformer;
      const params = loadParams(f, backend);
      const { loss, logits } = tidy(() => {
        const r = transformerLoss(params, f.config, load(f.idx, backend), load(f.targets, backend));
        r.loss.backward();
        return r;
      });
      assert.deepEqual(logits.shape, f.logits.shape);
      assertClose(logits.toArray(), f.logits.data, 'logits', 1e-5);
      assertClose([loss.item()], [f.loss], 'transformer loss', 1e-5);
      checkGrads(f, params, 1e-4);
      // the tied embedding receives gradient from both the lookup and the head
      assert.ok(params.get('wte')!.grad!.toArray().every(Number.isFinite));
    });
  });
}
