/**
 * Every way a request can be wrong, through the official client where it can send it and raw
 * HTTP where it cannot: OpenAI error objects ({error: {message, type, param, code}}) with the
 * right status, and the server still serving afterwards. Also: the API key, the queue limit
 * (429), the request timeout (504, and an error event in a stream) and the body size limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { metric, randomModel, scriptedModel, served, slowed, startServer, type Running } from './helpers.ts';

async function post(url: string, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error?: Record<string, unknown> } };
}

function assertErrorObject(body: { error?: Record<string, unknown> }): void {
  assert.ok(body.error, `an error object: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof body.error['message'], 'string');
  assert.ok((body.error['message'] as string).length > 0);
}

describe('bad requests get OpenAI error objects', () => {
  let r: Running;
  before(async () => {
    r = await startServer(served(scriptedModel()), { bodyLimitBytes: 4096 });
  });
  after(() => r.close());

  const expectApiError = async (
    call: () => Promise<unknown>,
    status: number,
    param: string | null,
    code?: string,
  ): Promise<void> => {
    await assert.rejects(call, (err: unknown) => {
      assert.ok(err instanceof OpenAI.APIError, String(err));
      assert.equal(err.status, status, err.message);
      assert.equal(err.param, param, err.message);
      if (code !== undefined) assert.equal(err.code, code, err.message);
      return true;
    });
  };

  it('an unknown model: 404 model_not_found', async () => {
    await expectApiError(
      () => r.client.completions.create({ model: 'gpt-4', prompt: 'x' }),
      404,
      'model',
      'model_not_found',
    );
    await expectApiError(
      () => r.client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
      404,
      'model',
      'model_not_found',
    );
  });

  it('wrong types, negative and out-of-range numbers: 400 naming the parameter', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ temperature: 'hot' }, 'temperature'],
      [{ temperature: 3 }, 'temperature'],
      [{ max_tokens: -1 }, 'max_tokens'],
      [{ max_tokens: 2.5 }, 'max_tokens'],
      [{ n: 0 }, 'n'],
      [{ top_p: 1.5 }, 'top_p'],
      [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      [{ stop: '' }, 'stop'],
      [{ logprobs: 6 }, 'logprobs'],
      [{ logit_bias: { abc: 1 } }, 'logit_bias'],
      [{ logit_bias: { '5': 500 } }, 'logit_bias'],
      [{ presence_penalty: -3 }, 'presence_penalty'],
      [{ stream: 'yes' }, 'stream'],
      [{ seed: 'x' }, 'seed'],
      [{ prompt: 5 }, 'prompt'],
      [{ prompt: [] }, 'prompt'],
      [{ prompt: [[-1]] }, 'prompt'],
    ];
    for (const [fields, param] of bad) {
      const res = await post(r.url, '/v1/completions', JSON.stringify({ model: 'tiny', prompt: 'Q\n', ...fields }));
      assert.equal(res.status, 400, JSON.stringify(fields));
      assertErrorObject(res.body);
      assert.equal(res.body.error!['type'], 'invalid_request_error');
      assert.equal(res.body.error!['param'], param, JSON.stringify(fields));
    }
  });

  it('missing required fields: 400 missing_required_parameter', async () => {
    const res = await post(r.url, '/v1/completions', JSON.stringify({ model: 'tiny' }));
    assert.equal(res.status, 400);
    assert.equal(res.body.error!['param'], 'prompt');
    assert.equal(res.body.error!['code'], 'missing_required_parameter');
    const chat = await post(
      r.url,
      '/v1/chat/completions',
      JSON.stringify({ model: 'tiny', messages: [{ content: 'x' }] }),
    );
    assert.equal(chat.status, 400);
    assert.equal(chat.body.error!['param'], 'messages[0].role');
  });

  it('malformed JSON, an empty body, another content type, a body over the limit', async () => {
    const broken = await post(r.url, '/v1/completions', '{"model": "tiny", "prompt": ');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error!['code'], 'invalid_json');
    const empty = await post(r.url, '/v1/completions', '');
    assert.equal(empty.status, 400);
    assertErrorObject(empty.body);
    const text = await post(r.url, '/v1/completions', 'hello', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assertErrorObject(text.body);
    const big = await post(r.url, '/v1/completions', JSON.stringify({ model: 'tiny', prompt: 'x'.repeat(5000) }));
    assert.equal(big.status, 413);
    assertErrorObject(big.body);
  });

  it('prompt and max_tokens are checked against the context: 400 context_length_exceeded', async () => {
    // the scripted model's context is 96 positions
    await expectApiError(
      () => r.client.completions.create({ model: 'tiny', prompt: 'Q\n', max_tokens: 95 }),
      400,
      'max_tokens',
      'context_length_exceeded',
    );
    await expectApiError(
      () => r.client.completions.create({ model: 'tiny', prompt: Array<number>(96).fill(48) }),
      400,
      'prompt',
      'context_length_exceeded',
    );
    await expectApiError(
      () =>
        r.client.chat.completions.create({
          model: 'tiny',
          messages: [{ role: 'user', content: 'x' }],
          max_completion_tokens: 1000,
        }),
      400,
      'max_completion_tokens',
      'context_length_exceeded',
    );
  });

  it('token ids outside the vocabulary, in the prompt or logit_bias: 400', async () => {
    await expectApiError(() => r.client.completions.create({ model: 'tiny', prompt: [1, 999999] }), 400, 'prompt');
    await expectApiError(
      () => r.client.completions.create({ model: 'tiny', prompt: 'x', logit_bias: { '999999': 1 } }),
      400,
      'logit_bias',
    );
    const res = await post(r.url, '/detokenize', JSON.stringify({ tokens: [5, 10 ** 7] }));
    assert.equal(res.status, 400);
    assertErrorObject(res.body);
  });

  it('features llmts does not implement are refused by name', async () => {
    await expectApiError(() => r.client.completions.create({ model: 'tiny', prompt: 'x', echo: true }), 400, 'echo');
    await expectApiError(
      () =>
        r.client.chat.completions.create({
          model: 'tiny',
          messages: [{ role: 'user', content: 'x' }],
          tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
        }),
      400,
      'tools',
    );
    await expectApiError(
      () =>
        r.client.chat.completions.create({
          model: 'tiny',
          messages: [{ role: 'user', content: 'x' }],
          response_format: { type: 'json_object' },
        }),
      400,
      'response_format',
    );
  });

  it('unknown routes: 404 with an error object; the server still answers', async () => {
    const res = await fetch(`${r.url}/v1/engines`);
    assert.equal(res.status, 404);
    assertErrorObject((await res.json()) as { error?: Record<string, unknown> });
    const ok = await r.client.completions.create({ model: 'tiny', prompt: 'Q\n', max_tokens: 2, temperature: 0 });
    assert.equal(ok.choices[0]!.text, 'Hello w');
  });
});

describe('API key, queue limit, timeout', () => {
  it('with --api-key, /v1 needs the Bearer key (401 otherwise); /health does not', async () => {
    const r = await startServer(served(scriptedModel()), { apiKey: 's3cret' });
    try {
      const wrong = new OpenAI({ baseURL: `${r.url}/v1`, apiKey: 'guess', maxRetries: 0 });
      await assert.rejects(
        () => wrong.models.list(),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.AuthenticationError);
          assert.equal(err.code, 'invalid_api_key');
          return true;
        },
      );
      const none = await fetch(`${r.url}/v1/models`);
      assert.equal(none.status, 401);
      assert.equal((await fetch(`${r.url}/health`)).status, 200);
      const tok = await post(r.url, '/tokenize', JSON.stringify({ content: 'x' }));
      assert.equal(tok.status, 401);
      const ok = await r.client.completions.create({ model: 'tiny', prompt: 'Q\n', max_tokens: 1, temperature: 0 });
      assert.equal(ok.choices[0]!.text, 'Hello');
    } finally {
      await r.close();
    }
  });

  it('a full queue answers 429 (rate_limit_error)', async () => {
    const r = await startServer(slowed(served(randomModel(2)), 20), { maxBatch: 1, maxQueue: 0, maxStepTokens: 16 });
    try {
      const first = await r.client.completions.create({
        model: 'tiny',
        prompt: 'Hello',
        max_tokens: 60,
        temperature: 0,
        stream: true,
      });
      const it = first[Symbol.asyncIterator]();
      await it.next(); // it is running: the one slot is taken
      await assert.rejects(
        () => r.client.completions.create({ model: 'tiny', prompt: 'Hi', max_tokens: 2 }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.RateLimitError, String(err));
          assert.equal(err.type, 'rate_limit_error');
          return true;
        },
      );
      first.controller.abort();
    } finally {
      await r.close();
    }
  });

  it('a request over --request-timeout gets 504, a stream gets an error event; its KV pages are freed', async () => {
    const r = await startServer(slowed(served(randomModel(2)), 15), { requestTimeoutMs: 300 });
    try {
      const ask = { model: 'tiny', prompt: 'Hello', max_tokens: 100, temperature: 0 };
      await assert.rejects(
        () => r.client.completions.create(ask),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.APIError);
          assert.equal(err.status, 504);
          assert.equal(err.code, 'timeout');
          return true;
        },
      );
      const stream = await r.client.completions.create({ ...ask, stream: true });
      let chunks = 0;
      await assert.rejects(
        async () => {
          for await (const _ of stream) chunks++;
        },
        (err: unknown) => err instanceof OpenAI.APIError && /did not finish within/.test(err.message),
      );
      assert.ok(chunks > 0, 'some tokens were streamed before the timeout');
      assert.equal(await metric(r.url, 'llmts_cancelled_requests_total', { reason: 'timeout' }), 2);
      assert.equal(await metric(r.url, 'llmts_kv_pages_used'), 0);
      assert.equal(await metric(r.url, 'llmts_running_sequences'), 0);
    } finally {
      await r.close();
    }
  });
});
