/** packedAttention equals scaledDotProductAttention on the q/k/v slices, forward and backward, on every backend. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator,
  gradcheck,
  packedAttention,
  randn,
  scaledDotProductAttention,
  slice,
  tensor,
} from '../../src/engine/index.ts';
import { availableBackends } from '../../src/backends/select.ts';

function maxDiff(a: number[], b: number[]): number {
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

for (const backend of availableBackends()) {
  for (const [H, Hkv] of [
    [4, 4],
    [4, 2],
    [4, 1],
  ] as const) {
    test(`${backend.name}: packed == sliced, H ${H} Hkv ${Hkv}, causal + padding mask`, () => {
      const g = new Generator(H * 10 + Hkv);
      const [B, T, D] = [2, 5, 8];
      const qkv = randn([B, T, (H + 2 * Hkv) * D], { generator: g, backend, requiresGrad: true });
      const mask = tensor(
        [
          [0, 0, 0, 0, 0],
          [-Infinity, -Infinity, 0, 0, 0],
        ],
        { backend },
      ).reshape([B, 1, 1, T]);
      const w = randn([B, H, T, D], { generator: g, backend });
      const heads = qkv.view([B, T, H + 2 * Hkv, D]).transpose(1, 2);
      const a = packedAttention(heads, H, Hkv, { causal: true, mask });
      a.mul(w).sum().backward();
      const ga = qkv.grad!.toArray();
      qkv.grad = null;
      const b = scaledDotProductAttention(
        slice(heads, 1, 0, H),
        slice(heads, 1, H, H + Hkv),
        slice(heads, 1, H + Hkv, H + 2 * Hkv),
        { causal: true, mask },
      );
      b.mul(w).sum().backward();
      assert.ok(maxDiff(a.toArray(), b.toArray()) < 1e-6, 'outputs differ');
      assert.ok(maxDiff(ga, qkv.grad!.toArray()) < 1e-5, 'gradients differ');
    });
  }
}

test('packedAttention passes a float64 gradient check (GQA, causal)', () => {
  const g = new Generator(3);
  const qkv = randn([1, 4, 3, 4], { generator: g, dtype: 'float64', requiresGrad: true });
  const r = gradcheck((x) => packedAttention(x, 2, 1, { causal: true }), [qkv]);
  assert.ok(r.ok, r.worst);
});
