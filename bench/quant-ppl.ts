/**
 * `npm run bench -- quant-ppl --model PATH [--text FILE] [--tokens N] [--json]`
 *
 * Quality of weight-only quantization (docs/quantization.md): perplexity of a trained model on
 * held-out text with float32, q8_0 and q4_0 weights (the same windows for all three), and the
 * relative increase. Default text: the last 10% of Tiny Shakespeare (the validation split of
 * the shakespeare-char recipe). Windows of the model's block size, each token predicted from
 * the tokens before it in its window.
 *
 * `--gpt2-shape` adds a GPT-2-small-shaped model (12 x 768, vocab 50,257) with random weights:
 * its perplexity means nothing, so it reports the mean KL divergence of the quantized next-token
 * distributions from the float32 ones and how often their argmax agrees.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/io/load-model.ts';
import { GPT, gptPreset } from '../src/models/gpt.ts';
import { quantizeModel } from '../src/models/quantize.ts';
import type { QuantScheme } from '../src/backends/quant.ts';
import { noGrad } from '../src/engine/grad-mode.ts';
import { tidy } from '../src/engine/memory.ts';
import { tensor } from '../src/engine/ops/creation.ts';
import { Generator } from '../src/core/random.ts';
import { flagValue, startBench } from './lib/harness.ts';

function nll(model: GPT, ids: number[], window: number): { nll: number; tokens: number } {
  let total = 0;
  let count = 0;
  noGrad(() => {
    for (let s = 0; s + 1 < ids.length; s += window) {
      const chunk = ids.slice(s, Math.min(ids.length, s + window + 1));
      if (chunk.length < 2) break;
      const x = chunk.slice(0, -1);
      const y = chunk.slice(1);
      tidy(() => {
        const out = model.forward(tensor(Int32Array.from(x), { shape: [1, x.length] }), {
          targets: tensor(Int32Array.from(y), { shape: [1, y.length] }),
        });
        total += out.loss!.item() * y.length;
        count += y.length;
      });
    }
  });
  return { nll: total / count, tokens: count };
}

function logitsRows(model: GPT, ids: number[]): Float32Array {
  return noGrad(() =>
    tidy(
      () =>
        model.forward(tensor(Int32Array.from(ids), { shape: [1, ids.length] })).logits!.toTypedArray() as Float32Array,
    ),
  );
}

function softmax(row: Float32Array): Float64Array {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  const p = new Float64Array(row.length);
  let s = 0;
  for (let i = 0; i < row.length; i++) s += p[i] = Math.exp(row[i]! - m);
  for (let i = 0; i < row.length; i++) p[i]! /= s;
  return p;
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('quant-ppl', args);
  const path = flagValue(args, '--model');
  const textFile =
    flagValue(args, '--text') ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'tinyshakespeare.txt');
  const maxTokens = Number(flagValue(args, '--tokens') ?? 20000);
  const schemes: ('fp32' | QuantScheme)[] = ['fp32', 'q8_0', 'q4_0'];
  if (path !== undefined) {
    if (!existsSync(textFile)) throw new Error(`no text at ${textFile} (--text FILE)`);
    const text = readFileSync(textFile, 'utf8');
    const held = text.slice(Math.floor(text.length * 0.9));
    const base = loadModel(path);
    if (!(base.model instanceof GPT) || base.codec === null) throw new Error('--model must be a GPT with a tokenizer');
    const ids = base.codec.encode(held).slice(0, maxTokens + 1);
    const window = base.model.config.blockSize;
    console.log(`${path}: ${ids.length - 1} held-out tokens (last 10% of ${textFile}), windows of ${window}`);
    let ref = 0;
    for (const s of schemes) {
      const model = loadModel(path).model as GPT;
      if (s !== 'fp32') quantizeModel(model, s);
      const r = nll(model, ids, window);
      const ppl = Math.exp(r.nll);
      if (s === 'fp32') ref = ppl;
      const inc = (ppl / ref - 1) * 100;
      bench.record({
        case: `${path} perplexity`,
        impl: s,
        perplexity: Math.round(ppl * 1e4) / 1e4,
        increasePct: Math.round(inc * 1000) / 1000,
        tokens: r.tokens,
      });
      bench.summary[`${s} perplexity increase %`] = Math.round(inc * 1000) / 1000;
      console.log(
        `  ${s.padEnd(5)} perplexity ${ppl.toFixed(4)}  (${inc >= 0 ? '+' : ''}${inc.toFixed(3)}% vs float32)`,
      );
    }
  }
  if (args.includes('--gpt2-shape')) {
    const g = new Generator(7);
    const ids = Array.from({ length: 64 }, () => g.randint(50257));
    const make = (): GPT => new GPT(gptPreset('gpt2', { dropout: 0, attnDropout: 0 }), { seed: 0 });
    const f = logitsRows(make(), ids);
    const V = 50257;
    for (const s of ['q8_0', 'q4_0'] as const) {
      const m = make();
      quantizeModel(m, s);
      const q = logitsRows(m, ids);
      let kl = 0;
      let agree = 0;
      for (let t = 0; t < ids.length; t++) {
        const p = softmax(f.subarray(t * V, (t + 1) * V));
        const r = softmax(q.subarray(t * V, (t + 1) * V));
        let k = 0;
        let ap = 0;
        let aq = 0;
        for (let i = 0; i < V; i++) {
          if (p[i]! > 0) k += p[i]! * Math.log(p[i]! / Math.max(r[i]!, 1e-300));
          if (p[i]! > p[ap]!) ap = i;
          if (r[i]! > r[aq]!) aq = i;
        }
        kl += k;
        if (ap === aq) agree++;
      }
      kl /= ids.length;
      bench.record({
        case: 'gpt2-small shape, random weights',
        impl: s,
        meanKl: kl,
        top1Agreement: agree / ids.length,
      });
      console.log(
        `  gpt2-small shape (random weights) ${s}: mean KL ${kl.toExponential(3)} nats, argmax agrees ${agree}/${ids.length}`,
      );
    }
  }
  bench.finish();
}
