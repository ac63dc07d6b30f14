// The quickstart as a TypeScript consumer would write it (moduleResolution nodenext): the types
// come from the declarations the package ships. test/package/consumer.test.ts type-checks it
// with `tsc --noEmit` in a project that installed the packed package, then runs it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT, generate, gptPreset, noGrad, tensor, type GPTConfig, type Tensor } from 'llmts';
import { trainBpe, type Tokenizer } from 'llmts/tokenizers';
import { gptForGeneration } from 'llmts/models';
import type { GenerationTokenizer, GenerativeModel } from 'llmts/generate';

const dir = mkdtempSync(join(tmpdir(), 'llmts-quickstart-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'the cat sat on the mat. the dog sat on the log. a cat and a dog.\n'.repeat(100));
const tokenizer: Tokenizer = await trainBpe([corpus], { vocabSize: 300 });
rmSync(dir, { recursive: true });
const ids: number[] = tokenizer.encodeIds('the cat sat');
console.log(`tokenizer: ${tokenizer.vocabSize} tokens; "the cat sat" -> [${ids.join(', ')}]`);

const config: GPTConfig = gptPreset('gpt2', {
  vocabSize: tokenizer.vocabSize,
  blockSize: 64,
  nLayer: 2,
  nHead: 2,
  nEmbd: 32,
});
const model = new GPT(config, { seed: 0 }).eval();
const logits: Tensor | null = noGrad(() => model.forward(tensor([ids], { dtype: 'int32' })).logits);
if (logits === null) throw new Error('no logits');
console.log(`logits: [${logits.shape.join(', ')}], first: ${logits.toArray()[0]!.toFixed(6)}`);

const text: GenerationTokenizer = { encode: (t) => tokenizer.encodeIds(t), decode: (i) => tokenizer.decode(i) };
const generative: GenerativeModel = gptForGeneration(model);
const out = generate(generative, text, 'the cat', { maxNewTokens: 8, doSample: false });
console.log(`greedy: ${JSON.stringify(out.sequences[0]!.text)}`);
