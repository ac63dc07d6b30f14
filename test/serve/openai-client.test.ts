/**
 * `llmts serve` through the official `openai` client, on a real loopback server: completions and
 * chat, streamed and whole, with the scripted model (which writes a known text, so every field
 * can be checked exactly): text, usage, finish_reason, UTF-8-safe streaming across the tokens of
 * an emoji, stop strings (never emitted, never partly streamed), logprobs in both shapes,
 * logit_bias, include_usage, n > 1 and seeds; models, tokenize/detokenize and health.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { randomModel, SCRIPT, scriptedModel, served, startServer, tokenizer, type Running } from './helpers.ts';

const utf8 = new TextEncoder();

describe('llmts serve with the official openai client (scripted model)', () => {
  let r: Running;
  before(async () => {
    r = await startServer(served(scriptedModel()));
  });
  after(() => r.close());

  const scriptIds = (): number[] => tokenizer().encodeIds(SCRIPT, { addSpecialTokens: false });

  it('lists the model', async () => {
    const models = await r.client.models.list();
    assert.deepEqual(
      models.data.map((m) => [m.id, m.object, m.owned_by]),
      [['tiny', 'model', 'llmts']],
    );
    assert.equal((await r.client.models.retrieve('tiny')).id, 'tiny');
  });

  it('completes a prompt: text, finish_reason stop at EOS, usage', async () => {
    const c = await r.client.completions.create({ model: 'tiny', prompt: 'Q\n', max_tokens: 40, temperature: 0 });
    assert.equal(c.object, 'text_completion');
    assert.match(c.id, /^cmpl-/);
    assert.equal(c.choices.length, 1);
    assert.equal(c.choices[0]!.text, SCRIPT);
    assert.equal(c.choices[0]!.finish_reason, 'stop');
    assert.equal(c.choices[0]!.logprobs, null);
    // prompt "Q\n" = 2 tokens; the script, then <|im_end|> (no text) and <|endoftext|> (EOS)
    assert.deepEqual(c.usage, {
      prompt_tokens: 2,
      completion_tokens: scriptIds().length + 2,
      total_tokens: scriptIds().length + 4,
    });
  });

  it('stops at max_tokens with finish_reason length; token-id prompts work too', async () => {
    const c = await r.client.completions.create({ model: 'tiny', prompt: [48, 198], max_tokens: 3, temperature: 0 });
    assert.equal(c.choices[0]!.text, 'Hello wör');
    assert.equal(c.choices[0]!.finish_reason, 'length');
    assert.equal(c.usage!.completion_tokens, 3);
  });

  it('streams completions: deltas rebuild the text, never half a character, end with finish_reason', async () => {
    const stream = await r.client.completions.create({
      model: 'tiny',
      prompt: 'Q\n',
      max_tokens: 40,
      temperature: 0,
      stream: true,
    });
    const deltas: string[] = [];
    const reasons: (string | null)[] = [];
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'text_completion');
      deltas.push(chunk.choices[0]!.text);
      reasons.push(chunk.choices[0]!.finish_reason);
    }
    assert.equal(deltas.join(''), SCRIPT);
    for (const d of deltas)
      assert.ok(!d.includes('\uFFFD'), `a delta carries a broken character: ${JSON.stringify(d)}`);
    assert.ok(deltas.includes(' 😀'), 'the emoji (two tokens) arrives whole in one delta');
    assert.equal(reasons.at(-1), 'stop');
    assert.ok(reasons.slice(0, -1).every((x) => x === null));
  });

  it('streams chat: the role first, content deltas, then finish_reason; include_usage adds a usage chunk', async () => {
    const stream = await r.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: 'assistant', content: '' });
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage!.completion_tokens, scriptIds().length + 1); // the script and <|im_end|>
    assert.equal(last.usage!.total_tokens, last.usage!.prompt_tokens + last.usage!.completion_tokens);
    const body = chunks.slice(1, -1);
    assert.equal(body.at(-1)!.choices[0]!.finish_reason, 'stop');
    assert.equal(body.map((c) => c.choices[0]!.delta.content ?? '').join(''), SCRIPT);
    for (const c of chunks.slice(0, -1)) assert.equal(c.usage, null);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]!.id));
  });

  it('chat: a whole response with the template applied', async () => {
    const c = await r.client.chat.completions.create({
      model: 'tiny',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      ],
      temperature: 0,
    });
    assert.equal(c.object, 'chat.completion');
    assert.deepEqual(c.choices[0]!.message, { role: 'assistant', content: SCRIPT, refusal: null });
    assert.equal(c.choices[0]!.finish_reason, 'stop');
    const prompt = tokenizer().encodeIds(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
      { addSpecialTokens: false },
    );
    assert.equal(c.usage!.prompt_tokens, prompt.length);
  });

  for (const stream of [false, true]) {
    it(`stop strings end the output before them and never stream part of one (stream: ${stream})`, async () => {
      const cases: [string[], string][] = [
        [[' stop'], 'Hello wörld! 😀'],
        [['ld! 😀 s'], 'Hello wör'], // spans four tokens, ends inside one
        [['here', 'wö'], 'Hello '], // the earliest match wins
        [['stop here, X'], SCRIPT], // a prefix matches for a while, then does not: everything comes out
      ];
      for (const [stop, want] of cases) {
        let text: string;
        let finish: string | null;
        if (stream) {
          const s = await r.client.completions.create({
            model: 'tiny',
            prompt: 'Q\n',
            max_tokens: 40,
            temperature: 0,
            stop,
            stream: true,
          });
          const deltas: string[] = [];
          finish = null;
          for await (const chunk of s) {
            deltas.push(chunk.choices[0]!.text);
            finish = chunk.choices[0]!.finish_reason ?? finish;
          }
          text = deltas.join('');
          // no prefix of the output ever shown went beyond the final text
          let shown = '';
          for (const d of deltas) {
            shown += d;
            assert.ok(want.startsWith(shown), `streamed ${JSON.stringify(shown)} beyond ${JSON.stringify(want)}`);
          }
        } else {
          const c = await r.client.completions.create({
            model: 'tiny',
            prompt: 'Q\n',
            max_tokens: 40,
            temperature: 0,
            stop,
          });
          text = c.choices[0]!.text;
          finish = c.choices[0]!.finish_reason;
        }
        assert.equal(text, want, `stop ${JSON.stringify(stop)}`);
        assert.equal(finish, 'stop');
      }
    });
  }

  it('completions logprobs: tokens, token_logprobs, top_logprobs and text_offset', async () => {
    const c = await r.client.completions.create({
      model: 'tiny',
      prompt: 'Q\n',
      max_tokens: 5,
      temperature: 0,
      logprobs: 2,
    });
    const lp = c.choices[0]!.logprobs!;
    const tok = tokenizer();
    const ids = scriptIds().slice(0, 5);
    assert.equal(c.choices[0]!.text, tok.decode(ids));
    assert.deepEqual(
      lp.tokens,
      ids.map((id) => tok.decode([id])),
    );
    assert.equal(lp.token_logprobs!.length, 5);
    for (const x of lp.token_logprobs!) assert.ok(x <= 0 && x > -1e-6, `the scripted token is certain: ${x}`);
    for (const [i, top] of lp.top_logprobs!.entries()) {
      assert.equal(Object.keys(top).length, 2);
      assert.equal(top[lp.tokens![i]!], lp.token_logprobs![i]);
    }
    // offsets count from the start of the prompt text "Q\n"
    let at = 2;
    const want = ids.map((id) => {
      const o = at;
      at += tok.decode([id]).length;
      return o;
    });
    assert.deepEqual(lp.text_offset, want);
  });

  it('chat logprobs: token, logprob, bytes and top_logprobs; the bytes rebuild the UTF-8 text', async () => {
    const c = await r.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 0,
      logprobs: true,
      top_logprobs: 3,
    });
    const content = c.choices[0]!.logprobs!.content!;
    assert.equal(content.length, scriptIds().length);
    for (const t of content) {
      assert.equal(t.top_logprobs.length, 3);
      assert.equal(t.top_logprobs[0]!.token, t.token);
      assert.ok(t.top_logprobs[0]!.logprob >= t.top_logprobs[1]!.logprob);
    }
    assert.deepEqual(
      content.flatMap((t) => t.bytes!),
      Array.from(utf8.encode(SCRIPT)),
    );
  });

  it('logit_bias bans a token the model would pick', async () => {
    const c = await r.client.completions.create({
      model: 'tiny',
      prompt: 'Q\n',
      max_tokens: 2,
      temperature: 0,
      logit_bias: { '15496': -100 }, // "Hello"
      logprobs: 0,
    });
    assert.notEqual(c.choices[0]!.logprobs!.tokens![0], 'Hello');
  });

  it('tokenize and detokenize round-trip (llama.cpp endpoints); health', async () => {
    const tokens = (await (
      await fetch(`${r.url}/tokenize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: SCRIPT }),
      })
    ).json()) as { tokens: number[] };
    assert.deepEqual(tokens.tokens, scriptIds());
    const back = (await (
      await fetch(`${r.url}/detokenize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tokens: tokens.tokens }),
      })
    ).json()) as { content: string };
    assert.equal(back.content, SCRIPT);
    const health = await fetch(`${r.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
  });
});

describe('sampling through the server (random model)', () => {
  let r: Running;
  before(async () => {
    r = await startServer(served(randomModel(4)));
  });
  after(() => r.close());

  it('n > 1 returns n choices; the same seed gives the same choices, another seed others', async () => {
    const ask = (seed: number) =>
      r.client.completions.create({
        model: 'tiny',
        prompt: 'Once upon a time',
        max_tokens: 12,
        n: 3,
        temperature: 1,
        seed,
      });
    const a = await ask(7);
    const b = await ask(7);
    const c = await ask(8);
    assert.deepEqual(
      a.choices.map((x) => x.index),
      [0, 1, 2],
    );
    assert.deepEqual(
      a.choices.map((x) => x.text),
      b.choices.map((x) => x.text),
    );
    assert.notDeepEqual(
      a.choices.map((x) => x.text),
      c.choices.map((x) => x.text),
    );
    assert.ok(new Set(a.choices.map((x) => x.text)).size > 1, 'the choices are independent draws');
    assert.equal(a.usage!.prompt_tokens, 4);
  });

  it('several prompts: choices are prompt-major (index = prompt * n + choice)', async () => {
    const c = await r.client.completions.create({
      model: 'tiny',
      prompt: ['Hello', 'The cat sat'],
      max_tokens: 4,
      n: 2,
      temperature: 0,
    });
    assert.deepEqual(
      c.choices.map((x) => x.index),
      [0, 1, 2, 3],
    );
    // greedy: both choices of a prompt agree
    assert.equal(c.choices[0]!.text, c.choices[1]!.text);
    assert.equal(c.choices[2]!.text, c.choices[3]!.text);
    assert.equal(c.usage!.prompt_tokens, 1 + 3);
  });

  it('streams n > 1 choices interleaved, each ending with its finish_reason', async () => {
    const s = await r.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hi' }],
      max_completion_tokens: 6,
      n: 2,
      temperature: 0.9,
      seed: 3,
      stream: true,
    });
    const finish = new Map<number, string>();
    const roles = new Set<number>();
    for await (const chunk of s) {
      const ch = chunk.choices[0]!;
      if (ch.delta.role === 'assistant') roles.add(ch.index);
      if (ch.finish_reason !== null) finish.set(ch.index, ch.finish_reason);
    }
    assert.deepEqual([...roles].sort(), [0, 1]);
    assert.deepEqual([...finish.keys()].sort(), [0, 1]);
  });
});
