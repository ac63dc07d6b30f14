/**
 * Weight-only quantized models: quantizeModel in memory, the file written by
 * `llmts quantize` (bit-identical logits after the round trip), the quantized forward close to
 * the float one, KV-cache decoding equal to recomputation, and the commands that load a model
 * (sample, score) accepting the quantized directory.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLlmts } from '../helpers/cli.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { loadQuantizedModel, saveQuantizedModel } from '../../src/io/quantized.ts';
import { quantizeModel } from '../../src/models/quantize.ts';
import { specOf } from '../../src/models/registry.ts';
import { GPT } from '../../src/models/gpt.ts';
import { forGeneration } from '../../src/models/generative.ts';
import { generate } from '../../src/generate/index.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { Linear } from '../../src/nn/layers.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'generate');
const ids = tensor(Int32Array.from([5, 17, 3, 88, 41, 9, 60, 2, 33, 71, 12, 4]), { shape: [2, 6] });

function logits(model: GPT): Float32Array {
  return noGrad(() => model.forward(ids, { logits: 'all' }).logits!.toTypedArray() as Float32Array);
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

describe('quantized models', () => {
  for (const fixture of ['gpt2-chars', 'llama-sp'])
    for (const scheme of ['q8_0', 'q4_0'] as const) {
      it(`${fixture} ${scheme}: file round trip, closeness to float32, cache = recompute`, async () => {
        const float = loadModel(join(FIX, fixture)).model as GPT;
        const want = logits(float);
        const q = loadModel(join(FIX, fixture)).model as GPT;
        const report = quantizeModel(q, scheme);
        // every Linear of these models has a width that is a multiple of 32 (the tied GPT-2 head included)
        const linears = q.namedModules().filter(([, m]) => m instanceof Linear).length;
        assert.equal(report.quantized.length, linears);
        assert.ok(q.lm_head.quantized !== null);
        const got = logits(q);
        const err = relErr(got, want);
        assert.ok(err < (scheme === 'q8_0' ? 0.03 : 0.5), `${scheme} relative logits error ${err}`);
        assert.ok(err > 0, 'the quantized path is taken');

        const dir = mkdtempSync(join(tmpdir(), 'llmts-quant-'));
        saveQuantizedModel(join(dir, 'model.safetensors'), q, specOf(q), fixture);
        const back = loadQuantizedModel(dir).model as GPT;
        assert.deepEqual(logits(back), got);

        const gm = forGeneration(back);
        const prompts = [[5, 17, 3], [88]];
        const a = await generate(gm, undefined, prompts, { maxNewTokens: 8, useCache: true, eosTokenId: 96 });
        const b = await generate(gm, undefined, prompts, { maxNewTokens: 8, useCache: false, eosTokenId: 96 });
        assert.deepEqual(
          a.sequences.map((s) => s.ids),
          b.sequences.map((s) => s.ids),
        );
      });
    }

  it('llmts quantize writes a directory that sample and score load', () => {
    const out = mkdtempSync(join(tmpdir(), 'llmts-quant-cli-'));
    const q = runLlmts(['quantize', '--model', join(FIX, 'llama-sp'), '--bits', '4', '--out', out]);
    assert.equal(q.status, 0, q.stderr);
    assert.match(q.stdout, /q4_0: 11 linear layers/);
    const s = runLlmts(['sample', '--model', out, '--prompt', 'u an a', '--max-new-tokens', '6', '--json']);
    assert.equal(s.status, 0, s.stderr);
    const row = JSON.parse(s.stdout.trim()) as { ids: number[] };
    assert.ok(row.ids.length >= 1);
    const sc = runLlmts(['score', '--model', out, '--text', 'u an a ip', '--json']);
    assert.equal(sc.status, 0, sc.stderr);
    const scored = JSON.parse(sc.stdout.trim()) as { mean_logprob: number };
    assert.ok(Number.isFinite(scored.mean_logprob));
    const bad = runLlmts(['quantize', '--model', join(FIX, 'llama-sp'), '--bits', '3', '--out', out]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--bits.*8 or 4/);
  });
});
