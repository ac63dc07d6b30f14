import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { Generator } from '../../src/core/random.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { CHATML_FORMAT, ChatTemplate } from '../../src/data/chat/template.ts';
import type { ChatMessage } from '../../src/data/chat/template.ts';
import { chatIds } from '../../src/data/chat/encode.ts';
import { packBatch, padBatch, tokenizeSft, trainSft, SFT_DEFAULTS } from '../../src/align/sft.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';
import { loadPolicyRun, prepareForChat } from '../../src/align/shared/setup.ts';
import { trainBpeFromIterator } from '../../src/tokenizers/index.ts';

const tok = taskTokenizer(reviewsTask);
const template = new ChatTemplate(CHATML_FORMAT);
const ids = chatIds(tok, template);

function model(seed = 1): GPT {
  return new GPT(
    gptPreset('gpt2', {
      vocabSize: tok.vocabSize,
      blockSize: 64,
      nLayer: 1,
      nHead: 2,
      nEmbd: 32,
      dropout: 0,
      attnDropout: 0,
    }),
    { seed },
  );
}

function conversations(n: number, seed: number): ChatMessage[][] {
  const g = new Generator(seed);
  const prompts = reviewsTask.prompts('train');
  return Array.from({ length: n }, (_, i) => {
    const p = prompts[i % prompts.length]!;
    const turns: ChatMessage[] = [
      { role: 'system', content: 'Be kind.' },
      ...p,
      { role: 'assistant', content: reviewsTask.demonstration(p, g) },
    ];
    // every third conversation has a second turn
    if (i % 3 === 0)
      turns.push(
        { role: 'user', content: 'Describe the dog.' },
        { role: 'assistant', content: reviewsTask.demonstration([{ role: 'user', content: 'Describe the dog.' }], g) },
      );
    return turns;
  });
}

/** Cross-entropy over assistant tokens only, from full log-softmax rows (independent of the -100 targets). */
function manualLoss(m: GPT, convs: ChatMessage[][]): number {
  let total = 0;
  let n = 0;
  for (const c of convs) {
    const { examples } = tokenizeSft(tok, CHATML_FORMAT, [c], 64, ids.eosId);
    const e = examples[0]!;
    const logits = noGrad(() =>
      m
        .forward(tensor(e.input, { shape: [1, e.input.length], dtype: 'int32' }))
        .logits!.logSoftmax(-1)
        .toArray(),
    );
    const V = m.config.vocabSize;
    for (let t = 0; t < e.input.length; t++) {
      if (e.target[t] === -100) continue;
      total -= logits[t * V + e.target[t]!]!;
      n++;
    }
  }
  return total / n;
}

describe('SFT data', () => {
  it('puts exactly the assistant tokens (and their EOS) in the loss', () => {
    const conv = conversations(1, 3)[0]!;
    const { examples } = tokenizeSft(tok, CHATML_FORMAT, [conv], 64, ids.eosId);
    const e = examples[0]!;
    const trained = Array.from(e.target).filter((t) => t !== -100);
    const assistantText = conv
      .filter((m) => m.role === 'assistant')
      .map((m) => `${m.content}<|im_end|>`)
      .join('');
    assert.equal(tok.decode(trained, { skipSpecialTokens: false }), assistantText);
    // the input is the rendered conversation minus its last token (ChatML's final newline)
    assert.equal(`${tok.decode([...e.input], { skipSpecialTokens: false })}\n`, template.render(conv));
    assert.notEqual(ids.padId, ids.eosId);
  });

  it('the model loss over padded batches equals cross-entropy on assistant tokens only', () => {
    const m = model();
    const convs = conversations(5, 4);
    const { examples } = tokenizeSft(tok, CHATML_FORMAT, convs, 64, ids.eosId);
    const b = padBatch(examples, ids.padId);
    const loss = noGrad(() => m.forward(b.ids, { targets: b.targets, attentionMask: b.attentionMask }).loss!.item());
    const manual = manualLoss(m, convs);
    assert.ok(Math.abs(loss - manual) < 1e-4, `${loss} vs ${manual}`);
  });

  it('packing several conversations per row gives the same loss as padding (attention stays within a conversation)', () => {
    const m = model(2);
    const { examples } = tokenizeSft(tok, CHATML_FORMAT, conversations(6, 5), 64, ids.eosId);
    const padded = padBatch(examples, ids.padId);
    const { batch: packed, used } = packBatch(examples, 6, 64, ids.padId);
    assert.equal(used, 6);
    assert.ok(packed.ids.shape[0] === 6);
    const a = noGrad(() =>
      m.forward(padded.ids, { targets: padded.targets, attentionMask: padded.attentionMask }).loss!.item(),
    );
    const b = noGrad(() =>
      m.forward(packed.ids, { targets: packed.targets, documentIds: packed.documentIds }).loss!.item(),
    );
    assert.equal(padded.tokens, packed.tokens);
    assert.ok(Math.abs(a - b) < 1e-4, `${a} vs ${b}`);
  });

  it('adds missing chat tokens to the tokenizer and grows the embedding, keeping the old rows', () => {
    const plain = trainBpeFromIterator(['The cat is lovely.', 'Describe the cat.'], {
      vocabSize: 280,
      specialTokens: ['<|endoftext|>'],
      byteLevel: true,
    });
    const m = new GPT(
      gptPreset('gpt2', {
        vocabSize: plain.vocabSize,
        blockSize: 32,
        nLayer: 1,
        nHead: 1,
        nEmbd: 8,
        dropout: 0,
        attnDropout: 0,
      }),
      { seed: 3 },
    );
    const before = m.transformer.wte.weight.toArray();
    const r = prepareForChat(m, plain, CHATML_FORMAT);
    assert.equal(r.added, 3); // <|im_end|>, <|pad|>, <|im_start|>
    assert.equal(r.model.config.vocabSize, plain.vocabSize);
    assert.deepEqual(r.model.transformer.wte.weight.toArray().slice(0, before.length), before);
    assert.notEqual(r.ids.eosId, r.ids.padId);
  });
});

describe('SFT training', () => {
  it('lowers the assistant loss, writes a run directory that reloads, and resumes exactly', async () => {
    const train = conversations(60, 6);
    const val = conversations(12, 7);
    const base = {
      ...SFT_DEFAULTS,
      tokenizer: tok,
      format: CHATML_FORMAT,
      train,
      val,
      batchSize: 8,
      lr: 3e-3,
      minLr: 3e-4,
      warmupSteps: 2,
      evalEvery: 0,
      seed: 9,
    };
    const dirA = mkdtempSync(join(tmpdir(), 'llmts-sft-'));
    const a = await trainSft({ ...base, model: model(), runDir: dirA, steps: 40, checkpointEvery: 0 });
    const first = a.result;
    assert.ok(
      first.lastEval !== null && first.lastEval['loss']! < manualLoss(model(), val) - 0.5,
      `val loss ${first.lastEval?.['loss']}`,
    );
    for (const f of [
      'checkpoint-last.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'config.json',
      'metrics.jsonl',
      'loss.svg',
    ])
      assert.ok(existsSync(join(dirA, f)), f);
    const loaded = loadPolicyRun(dirA);
    assert.deepEqual(loaded.format, CHATML_FORMAT);
    assert.ok(Math.abs(manualLoss(loaded.model, val) - first.lastEval['loss']!) < 1e-4);

    // 40 steps in one go == 20 steps (+1 lost to the interruption), then --resume from the step-20 checkpoint
    const dirB = mkdtempSync(join(tmpdir(), 'llmts-sft-'));
    await trainSft({
      ...base,
      model: model(),
      runDir: dirB,
      steps: 40,
      checkpointEvery: 20,
      timeLimitSeconds: null,
      onStep: (r) => {
        if (r['step'] === 20) throw new Error('interrupt');
      },
    }).catch((e: Error) => assert.equal(e.message, 'interrupt'));
    const b = await trainSft({ ...base, model: model(), runDir: dirB, steps: 40, checkpointEvery: 20, resume: true });
    assert.ok(
      Math.abs(b.result.finalTrainLoss - first.finalTrainLoss) < 1e-5,
      `${b.result.finalTrainLoss} vs ${first.finalTrainLoss}`,
    );
  });
});
