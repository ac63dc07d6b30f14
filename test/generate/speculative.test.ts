/**
 * Speculative decoding: with any draft model, the output is the target's plain greedy output;
 * with the target as its own draft every proposal is accepted; a draft from another model is
 * partly rejected and still changes nothing. Also through processors and EOS, and the CLI.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { gptForGeneration } from '../../src/models/generative.ts';
import { generate } from '../../src/generate/index.ts';
import type { GenerateOptions } from '../../src/generate/index.ts';
import { quantizeModel } from '../../src/models/quantize.ts';
import { runLlmts } from '../helpers/cli.ts';

const V = 61;
const make = (seed: number, nLayer: number, nEmbd: number, quant = false): ReturnType<typeof gptForGeneration> => {
  const m = new GPT(
    gptPreset('gpt2', {
      vocabSize: V,
      blockSize: 96,
      nLayer,
      nHead: 2,
      nEmbd,
      dropout: 0,
      attnDropout: 0,
      initStd: 0.2,
    }),
    { seed },
  );
  if (quant) quantizeModel(m, 'q8_0');
  return gptForGeneration(m);
};

describe('speculative decoding = the target greedy output', () => {
  const target = make(1, 3, 64);
  const drafts = {
    itself: target,
    'q8_0 copy': make(1, 3, 64, true),
    unrelated: make(2, 1, 32),
  };
  const prompts = [[3, 14, 15, 9, 26], [5], [35, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6]];
  const cases: [string, GenerateOptions][] = [
    ['greedy', { maxNewTokens: 40 }],
    ['repetition penalty + no-repeat 3-grams', { maxNewTokens: 30, repetitionPenalty: 1.3, noRepeatNgramSize: 3 }],
    ['EOS list', { maxNewTokens: 40, eosTokenId: [7, 11] }],
  ];
  for (const [name, opts] of cases)
    it(name, async () => {
      for (const prompt of prompts) {
        const plain = await generate(target, undefined, [prompt], opts);
        for (const [dname, draft] of Object.entries(drafts))
          for (const k of [1, 3, 6]) {
            const spec = await generate(target, undefined, [prompt], {
              ...opts,
              assistantModel: draft,
              numAssistantTokens: k,
            });
            assert.deepEqual(
              spec.sequences[0]!.ids,
              plain.sequences[0]!.ids,
              `${dname} k=${k} prompt ${prompt.join(',')}`,
            );
            assert.equal(spec.sequences[0]!.finishReason, plain.sequences[0]!.finishReason);
            const s = spec.speculative!;
            assert.ok(s.accepted <= s.proposed);
            // the draft proposes its raw argmax: with processors the target may differ from it, and
            // proposals after an EOS are dropped; plain greedy accepts all of its own proposals
            if (dname === 'itself' && name === 'greedy')
              assert.equal(s.accepted, s.proposed, 'the target accepts its own proposals');
            if (dname === 'itself' && k > 1 && plain.sequences[0]!.ids.length > 10)
              assert.ok(s.targetForwards < plain.sequences[0]!.ids.length, 'fewer target passes than tokens');
          }
      }
    });

  it('an unrelated draft is partly rejected', async () => {
    const r = await generate(target, undefined, [prompts[0]!], {
      maxNewTokens: 40,
      assistantModel: drafts.unrelated,
      numAssistantTokens: 4,
    });
    assert.ok(r.speculative!.accepted < r.speculative!.proposed);
  });

  it('refuses sampling, beams and several prompts', async () => {
    await assert.rejects(async () => generate(target, undefined, [[1]], { assistantModel: target, doSample: true }));
    await assert.rejects(async () => generate(target, undefined, [[1]], { assistantModel: target, numBeams: 2 }));
    await assert.rejects(async () => generate(target, undefined, [[1], [2]], { assistantModel: target }));
  });

  it('llmts sample --draft-model gives the greedy output', () => {
    const fix = join(import.meta.dirname, '..', 'fixtures', 'generate', 'gpt2-chars');
    const args = ['sample', '--model', fix, '--prompt', 'The cat sat', '--max-new-tokens', '12', '--json'];
    const plain = runLlmts(args);
    const spec = runLlmts([...args, '--draft-model', fix, '--num-assistant-tokens', '3']);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(spec.status, 0, spec.stderr);
    const a = JSON.parse(plain.stdout) as { ids: number[] };
    const b = JSON.parse(spec.stdout) as { ids: number[]; speculative: { accepted: number; proposed: number } };
    assert.deepEqual(b.ids, a.ids);
    assert.equal(b.speculative.accepted, b.speculative.proposed);
  });
});
