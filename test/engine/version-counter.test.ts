/** In-place writes to tensors autograd saved are detected at backward (PyTorch's version counter). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, noGrad, LlmtsErrorCheck } from './version-helpers.ts';

test('modifying an op output in place before backward raises AUTOGRAD naming the op', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = x.exp();
  noGrad(() => y.mul_(0));
  assert.throws(
    () => y.sum().backward(),
    (e: unknown) => LlmtsErrorCheck(e, 'AUTOGRAD', /backward of exp: its output was modified in place/),
  );
});

test('modifying a saved input in place raises; an untouched graph does not', () => {
  const w = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { requiresGrad: true },
  );
  const x = tensor([
    [1, 0],
    [0, 1],
  ]);
  const y = x.matmul(w);
  noGrad(() => x.add_(1));
  assert.throws(
    () => y.sum().backward(),
    (e: unknown) => LlmtsErrorCheck(e, 'AUTOGRAD', /backward of matmul: input 0/),
  );
  const y2 = x.matmul(w);
  y2.sum().backward();
  assert.deepEqual(w.grad!.toArray(), [3, 3, 3, 3]);
});

test('an optimizer step between forward and backward is detected', async () => {
  const { AdamW } = await import('../../src/optim/adamw.ts');
  const { Parameter } = await import('../../src/nn/parameter.ts');
  const p = new Parameter(tensor([1, 2, 3]));
  p.grad = tensor([0.1, 0.1, 0.1]);
  const out = p.mul(p);
  new AdamW([{ params: [p], lr: 0.1, weightDecay: 0 }]).step();
  assert.throws(
    () => out.sum().backward(),
    (e: unknown) => LlmtsErrorCheck(e, 'AUTOGRAD', /modified in place/),
  );
});
