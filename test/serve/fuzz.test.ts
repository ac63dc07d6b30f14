/**
 * Fuzzing the request bodies (fast-check): random JSON, and bodies with the known fields set to
 * random values (right and wrong types, edge numbers, odd strings) never take the server down:
 * every answer is 200 or a 4xx with an OpenAI error object, never a 500 or a hang, and the server
 * still answers a normal request afterwards with its KV pool empty.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { metric, randomModel, served, startServer, type Running } from './helpers.ts';

const FIELDS = [
  'model',
  'prompt',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'n',
  'stream',
  'stream_options',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'repetition_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'echo',
  'user',
  'tools',
  'response_format',
] as const;

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('tiny', 'Q\n', '', '😀', '\uD800', 'x'.repeat(300)),
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(0, 1, 2, 1e9, -1e9, 0.5, 1.5, 100, -100, Number.MAX_SAFE_INTEGER),
  fc.array(fc.integer({ min: -2, max: 60000 }), { maxLength: 20 }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 6 }),
  fc.constant([{ role: 'user', content: 'hi' }]),
  fc.array(
    fc.record({
      role: fc.constantFrom('user', 'system', 'assistant', 'tool', 'x'),
      content: fc.jsonValue({ maxDepth: 1 }),
    }),
    {
      maxLength: 3,
    },
  ),
  fc.dictionary(
    fc.constantFrom('0', '5', '50256', '99999999', 'a', 'include_usage', 'type'),
    fc.jsonValue({ maxDepth: 1 }),
  ),
);

/** A valid body of either endpoint with 0-3 fields set to random values (or deleted). */
const body = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom<Record<string, unknown>>(
          { model: 'tiny', prompt: 'Hi', max_tokens: 4 },
          { model: 'tiny', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 },
        ),
        fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.option(value, { nil: undefined })), { maxLength: 3 }),
      )
      .map(([base, edits]) => {
        const b: Record<string, unknown> = { ...base };
        for (const [field, v] of edits) {
          if (v === undefined) delete b[field];
          else b[field] = v;
        }
        return b;
      }),
  },
);

describe('fuzzed request bodies', () => {
  let r: Running;
  before(async () => {
    r = await startServer(served(randomModel(3, 64)), { maxQueue: 64 });
  });
  after(() => r.close());

  it('every answer is 200 or an OpenAI 4xx error; the server stays up', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('/v1/completions', '/v1/chat/completions'), async (b, path) => {
        const res = await fetch(`${r.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(b),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(
          res.status === 200 || (res.status >= 400 && res.status < 500),
          `${res.status}: ${text.slice(0, 300)}`,
        );
        if (res.status !== 200) {
          const err = (JSON.parse(text) as { error: Record<string, unknown> }).error;
          assert.equal(typeof err['message'], 'string');
          assert.ok('type' in err && 'param' in err && 'code' in err);
        } else if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
          assert.ok(text.endsWith('data: [DONE]\n\n'), text.slice(-200));
        } else JSON.parse(text);
      }),
      { numRuns: 150, seed: 16 },
    );
    // the generator reaches both sides: accepted generations and each kind of refusal
    assert.ok((statuses.get(200) ?? 0) >= 10, JSON.stringify([...statuses]));
    assert.ok((statuses.get(400) ?? 0) >= 10, JSON.stringify([...statuses]));
    const ok = await r.client.completions.create({ model: 'tiny', prompt: 'Hi', max_tokens: 2 });
    assert.equal(ok.choices.length, 1);
    assert.equal(await metric(r.url, 'llmts_kv_pages_used'), 0);
    assert.equal(await metric(r.url, 'llmts_requests_total', { status: '500' }).catch(() => 0), 0);
  });
});
