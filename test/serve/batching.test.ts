/**
 * Continuous batching, observed from outside: 16 concurrent streaming greedy requests return
 * exactly (token for token, log-probability for log-probability) what the same 16 requests
 * return one at a time; so do a server with batching off (--max-batch 1) and one whose KV
 * budget is so small that sequences are preempted and recomputed; a long prompt prefilled in
 * small chunks gives the same output, while a running stream keeps receiving tokens. Greedy
 * output also matches the library's own generate() (the dense KV cache path). Cancelling a
 * stream mid-way frees its KV pages and slot at once (the metrics show it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { generate } from '../../src/generate/index.ts';
import { gptForGeneration } from '../../src/models/generative.ts';
import { Generator } from '../../src/core/random.ts';
import { metric, randomModel, served, slowed, startServer, tokenizer, type Running } from './helpers.ts';

const model = randomModel(11, 160);
const g = new Generator(5);
/** 16 prompts of 3..40 token ids (no special tokens), and budgets of 8..30 tokens. */
const REQUESTS = Array.from({ length: 16 }, (_, i) => ({
  prompt: Array.from({ length: 3 + ((i * 7) % 38) }, () => g.randint(50000)),
  maxTokens: 8 + ((i * 5) % 23),
}));

interface Out {
  text: string;
  tokens: string[];
  logprobs: number[];
  finish: string | null;
}

async function streamOne(client: OpenAI, req: (typeof REQUESTS)[number]): Promise<Out> {
  const s = await client.completions.create({
    model: 'tiny',
    prompt: req.prompt,
    max_tokens: req.maxTokens,
    temperature: 0,
    logprobs: 0,
    stream: true,
  });
  const out: Out = { text: '', tokens: [], logprobs: [], finish: null };
  for await (const chunk of s) {
    const c = chunk.choices[0]!;
    out.text += c.text;
    out.tokens.push(...(c.logprobs?.tokens ?? []));
    out.logprobs.push(...(c.logprobs?.token_logprobs ?? []));
    out.finish = c.finish_reason ?? out.finish;
  }
  return out;
}

async function sequential(client: OpenAI): Promise<Out[]> {
  const outs: Out[] = [];
  for (const req of REQUESTS) outs.push(await streamOne(client, req));
  return outs;
}

describe('continuous batching', () => {
  let r: Running;
  let alone: Out[];
  before(async () => {
    r = await startServer(served(model, { kvMemoryBytes: 16 * 2 ** 20 }), { maxBatch: 32, maxStepTokens: 256 });
    alone = await sequential(r.client);
  });
  after(() => r.close());

  it('16 concurrent streaming greedy requests equal 16 sequential ones, token for token', async () => {
    const stepsBefore = r.server.scheduler.steps;
    const together = await Promise.all(REQUESTS.map((req) => streamOne(r.client, req)));
    assert.deepEqual(together, alone);
    // they really ran together: far fewer steps than tokens
    const tokens = together.reduce((n, o) => n + o.tokens.length, 0);
    assert.ok(r.server.scheduler.steps - stepsBefore < tokens / 2, 'requests shared forward passes');
    assert.ok(alone.some((o) => o.tokens.length > 5));
  });

  it('batching off (--max-batch 1) and a tiny KV budget (preemption) give the same outputs', async () => {
    const off = await startServer(served(model), { maxBatch: 1, maxStepTokens: 8 });
    try {
      assert.deepEqual(
        await Promise.all(REQUESTS.slice(0, 6).map((req) => streamOne(off.client, req))),
        alone.slice(0, 6),
      );
    } finally {
      await off.close();
    }
    // 8 pages of 16 positions (2 layers x K,V x 32 floats a position): 128 positions for 16 requests
    // of up to 70. (The page size stays 16: attention sums a page at a time, so it is part of the
    // arithmetic, like the model's weights.)
    const bytes = 8 * 16 * 2 * 2 * 32 * 4;
    const tight = await startServer(served(model, { kvMemoryBytes: bytes }), { maxStepTokens: 32 });
    try {
      const together = await Promise.all(REQUESTS.map((req) => streamOne(tight.client, req)));
      assert.deepEqual(together, alone);
      assert.ok((await metric(tight.url, 'llmts_preemptions_total')) > 0, 'the budget forced preemptions');
      assert.equal(await metric(tight.url, 'llmts_kv_pages_used'), 0);
    } finally {
      await tight.close();
    }
  });

  it("greedy output equals the library's generate() with its dense KV cache", () => {
    const gm = gptForGeneration(model);
    for (const [i, req] of REQUESTS.slice(0, 5).entries()) {
      const res = generate(gm, undefined, req.prompt, { maxNewTokens: req.maxTokens, doSample: false });
      const ids = res.sequences[0]!.ids;
      assert.deepEqual(
        alone[i]!.tokens,
        ids.map((id) => tokenizer().decode([id], { skipSpecialTokens: false })),
        `request ${i}`,
      );
    }
  });

  it('a long prompt prefilled in chunks gives the same output, and a running stream keeps flowing', async () => {
    const chunked = await startServer(slowed(served(model), 2), { maxBatch: 4, maxStepTokens: 8 });
    try {
      // a short request that is decoding when the long one arrives
      const short = { prompt: REQUESTS[0]!.prompt, maxTokens: 30 };
      const long = { prompt: Array.from({ length: 120 }, (_, i) => (i * 97) % 50000), maxTokens: 5 };
      const s = await chunked.client.completions.create({
        model: 'tiny',
        prompt: short.prompt,
        max_tokens: short.maxTokens,
        temperature: 0,
        logprobs: 0,
        stream: true,
      });
      const it = s[Symbol.asyncIterator]();
      const first = await it.next();
      const arrivals: number[] = [];
      let longDoneAt = -1;
      const longRun = streamOne(chunked.client, long).then((o) => {
        longDoneAt = arrivals.length;
        return o;
      });
      const shortTokens = [...(first.value as OpenAI.Completion).choices[0]!.logprobs!.tokens!];
      for (;;) {
        const n = await it.next();
        if (n.done === true) break;
        arrivals.push(1);
        shortTokens.push(...((n.value as OpenAI.Completion).choices[0]!.logprobs?.tokens ?? []));
      }
      const longOut = await longRun;
      // 120 prompt tokens in steps of at most 8 tokens, one of them the short request's: >= 18 steps
      // of prefill, during which the short stream kept receiving tokens
      assert.ok(
        longDoneAt === -1 || longDoneAt >= 15,
        `the short stream got ${longDoneAt} chunks before the long one ended`,
      );
      assert.deepEqual(shortTokens, (await streamOne(r.client, short)).tokens);
      assert.deepEqual(longOut, await streamOne(r.client, long));
    } finally {
      await chunked.close();
    }
  });
});

describe('cancellation', () => {
  it('a client that disconnects mid-stream is cancelled: its pages and slot are free at once', async () => {
    const r = await startServer(slowed(served(model), 10));
    try {
      const s = await r.client.completions.create({
        model: 'tiny',
        prompt: REQUESTS[3]!.prompt,
        max_tokens: 100,
        temperature: 0,
        stream: true,
      });
      const it = s[Symbol.asyncIterator]();
      for (let i = 0; i < 3; i++) await it.next();
      assert.equal(await metric(r.url, 'llmts_running_sequences'), 1);
      assert.ok((await metric(r.url, 'llmts_kv_pages_used')) > 0);
      s.controller.abort();
      let pages = -1;
      for (let i = 0; i < 100 && pages !== 0; i++) {
        await new Promise((res) => setTimeout(res, 20));
        pages = await metric(r.url, 'llmts_kv_pages_used');
      }
      assert.equal(pages, 0);
      assert.equal(await metric(r.url, 'llmts_running_sequences'), 0);
      assert.equal(await metric(r.url, 'llmts_cancelled_requests_total', { reason: 'disconnect' }), 1);
      const generated = await metric(r.url, 'llmts_generation_tokens_total');
      assert.ok(generated < 100, `stopped early: ${generated} tokens`);
    } finally {
      await r.close();
    }
  });
});
