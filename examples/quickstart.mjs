// llmts from plain Node (no TypeScript, no bundler): train a tiny byte-level BPE, run a small
// GPT's forward pass and a greedy generation. README's library section quotes this file, and
// test/package/consumer.test.ts runs it against the packed and installed package.
//   node examples/quickstart.mjs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT, generate, gptPreset, noGrad, tensor } from 'llmts';
import { trainBpe } from 'llmts/tokenizers';
import { gptForGeneration } from 'llmts/models';

// a tokenizer trained on a few sentences (trainBpe reads text files)
const dir = mkdtempSync(join(tmpdir(), 'llmts-quickstart-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'the cat sat on the mat. the dog sat on the log. a cat and a dog.\n'.repeat(100));
const tokenizer = await trainBpe([corpus], { vocabSize: 300 });
rmSync(dir, { recursive: true });
const ids = tokenizer.encodeIds('the cat sat');
console.log(`tokenizer: ${tokenizer.vocabSize} tokens; "the cat sat" -> [${ids.join(', ')}]`);

// a small GPT-2-shaped model (random weights from a fixed seed)
const config = gptPreset('gpt2', { vocabSize: tokenizer.vocabSize, blockSize: 64, nLayer: 2, nHead: 2, nEmbd: 32 });
const model = new GPT(config, { seed: 0 }).eval();
const logits = noGrad(() => model.forward(tensor([ids], { dtype: 'int32' })).logits);
console.log(`logits: [${logits.shape.join(', ')}], first: ${logits.toArray()[0].toFixed(6)}`);

// greedy decoding: generate() takes token ids, or text with a tokenizer that encodes to ids
const text = { encode: (t) => tokenizer.encodeIds(t), decode: (i) => tokenizer.decode(i) };
const out = generate(gptForGeneration(model), text, 'the cat', { maxNewTokens: 8, doSample: false });
console.log(`greedy: ${JSON.stringify(out.sequences[0].text)}`);
