/** multinomial draws follow the row weights (chi-square) and respect replacement rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, multinomial, tensor } from '../../src/engine/index.ts';

test('frequencies match the weights (chi-square, 4 dof, alpha 0.001)', () => {
  const w = [1, 2, 3, 4, 0];
  const n = 20000;
  const draws = multinomial(tensor(w), n, new Generator(7), true).toArray();
  const counts = [0, 0, 0, 0, 0];
  for (const d of draws) counts[d]!++;
  assert.equal(counts[4], 0, 'a zero weight is never drawn');
  let chi = 0;
  for (let k = 0; k < 4; k++) {
    const expected = (n * w[k]!) / 10;
    chi += (counts[k]! - expected) ** 2 / expected;
  }
  assert.ok(chi < 16.27, `chi-square ${chi} exceeds the 0.001 critical value for 3 dof`);
});

test('without replacement every row draws distinct categories; errors name the problem', () => {
  const out = multinomial(
    tensor([
      [1, 1, 1, 1],
      [5, 0, 1, 1],
    ]),
    3,
    new Generator(1),
  );
  assert.deepEqual(out.shape, [2, 3]);
  for (const row of out.tolist() as number[][]) assert.equal(new Set(row).size, 3);
  assert.ok(!(out.tolist() as number[][])[1]!.includes(1));
  assert.throws(() => multinomial(tensor([1, 1]), 3, new Generator(1)), /without replacement/);
  assert.throws(() => multinomial(tensor([1, -1]), 1, new Generator(1)), /weights must be finite and >= 0/);
});
