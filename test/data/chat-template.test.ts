import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHATML_FORMAT, ChatTemplate, PLAIN_FORMAT } from '../../src/data/chat/template.ts';
import type { ChatMessage } from '../../src/data/chat/template.ts';
import { chatIds, decodeResponse, encodeChat, encodePrompt, encodeResponse } from '../../src/data/chat/encode.ts';
import { readChatFormat, resolveChatFormat, writeChatFormat } from '../../src/data/chat/format-file.ts';
import { trainBpeFromIterator } from '../../src/tokenizers/index.ts';

interface Case {
  name: string;
  template: string;
  messages: ChatMessage[];
  specials: { eos_token: string; pad_token: string; bos_token: string };
  add_generation_prompt: boolean;
  text: string;
  spans: [number, number][];
}

const cases = JSON.parse(
  readFileSync(new URL('../fixtures/rlhf/chat-templates.json', import.meta.url), 'utf8'),
) as Case[];

describe('chat templates (fixtures rendered by Jinja2 as transformers configures it)', () => {
  for (const c of cases) {
    it(`${c.name}: same text and assistant spans`, () => {
      const t = new ChatTemplate({
        template: c.template,
        eosToken: c.specials.eos_token,
        padToken: c.specials.pad_token,
        bosToken: c.specials.bos_token,
      });
      const r = t.renderWithSpans(c.messages, { addGenerationPrompt: c.add_generation_prompt });
      assert.equal(r.text, c.text);
      assert.deepEqual(r.spans, c.spans);
    });
  }

  it('the prefix fallback and generation blocks agree on ChatML', () => {
    const conv = cases[0]!.messages;
    const withBlocks = new ChatTemplate(CHATML_FORMAT).renderWithSpans(conv);
    const noBlocks = new ChatTemplate({
      ...CHATML_FORMAT,
      template: CHATML_FORMAT.template.replace(/\{% (end)?generation %\}/g, ''),
    });
    assert.equal(noBlocks.hasGenerationBlocks, false);
    const r = noBlocks.renderWithSpans(conv);
    assert.equal(r.text, withBlocks.text);
    // the fallback span also covers the newline the template writes after <|im_end|>
    assert.deepEqual(
      r.spans,
      withBlocks.spans.map(([a, b]) => [a, b + 1]),
    );
  });

  it('template errors are ConfigErrors: raise_exception, bad syntax, pad == eos', () => {
    const llama = cases.find((c) => c.name.startsWith('llama'))!;
    const t = new ChatTemplate({ template: llama.template, eosToken: '</s>', padToken: '<pad>', bosToken: '<s>' });
    assert.throws(() => t.render([{ role: 'assistant', content: 'x' }]), /must alternate/);
    assert.throws(() => new ChatTemplate({ ...CHATML_FORMAT, template: '{% for x in %}' }), /does not parse/);
    assert.throws(() => new ChatTemplate({ ...CHATML_FORMAT, padToken: '<|im_end|>' }), /must differ from eos_token/);
  });
});

describe('conversations to ids and loss masks', () => {
  const texts = cases.map((c) => c.text);
  const tok = trainBpeFromIterator([...texts, ...texts], {
    vocabSize: 300,
    specialTokens: ['<|endoftext|>', '<|pad|>', '<|im_start|>', '<|im_end|>'],
    byteLevel: true,
  });
  const chatml = new ChatTemplate(CHATML_FORMAT);
  const ids = chatIds(tok, chatml);

  it('marks exactly the assistant tokens, EOS included', () => {
    const conv = cases[0]!.messages;
    const enc = encodeChat(tok, chatml, conv, ids.eosId);
    assert.equal(tok.decode(enc.ids, { skipSpecialTokens: false }), chatml.render(conv));
    const marked: number[][] = [];
    let cur: number[] = [];
    enc.assistant.forEach((a, i) => {
      if (a === 1) cur.push(enc.ids[i]!);
      else if (cur.length > 0) {
        marked.push(cur);
        cur = [];
      }
    });
    if (cur.length > 0) marked.push(cur);
    assert.deepEqual(
      marked.map((m) => tok.decode(m, { skipSpecialTokens: false })),
      ['Sure! The cat is lovely.<|im_end|>', 'The dog is great 🐶 and friendly.<|im_end|>'],
    );
  });

  it('appends EOS to an assistant span whose template leaves it out', () => {
    const noEos = new ChatTemplate({ ...PLAIN_FORMAT, template: PLAIN_FORMAT.template.replace(' + eos_token', '') });
    const plainIds = chatIds(tok, noEos);
    const enc = encodeChat(
      tok,
      noEos,
      [
        { role: 'user', content: 'Describe the cat.' },
        { role: 'assistant', content: ' Sure!' },
      ],
      plainIds.eosId,
    );
    assert.equal(enc.ids[enc.ids.length - 1], plainIds.eosId);
    assert.equal(enc.assistant[enc.assistant.length - 1], 1);
    assert.equal(
      tok.decode(
        enc.ids.filter((_, i) => enc.assistant[i] === 1),
        { skipSpecialTokens: false },
      ),
      ' Sure!<|endoftext|>',
    );
  });

  it('prompt ‖ response ‖ EOS tokenizes like the rendered conversation', () => {
    const prompt = [{ role: 'user', content: 'Describe the cat.' }];
    const full = encodeChat(
      tok,
      chatml,
      [...prompt, { role: 'assistant', content: 'Sure! The cat is lovely.' }],
      ids.eosId,
    ).ids;
    const parts = [...encodePrompt(tok, chatml, prompt), ...encodeResponse(tok, 'Sure! The cat is lovely.', ids.eosId)];
    assert.deepEqual(parts, full.slice(0, parts.length));
    assert.equal(decodeResponse(tok, [...encodeResponse(tok, 'The cat.', ids.eosId), 7, 8], ids.eosId), 'The cat.');
  });

  it('chat formats round-trip through tokenizer_config.json and resolve by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-chat-'));
    writeChatFormat(dir, CHATML_FORMAT);
    assert.deepEqual(readChatFormat(join(dir, 'tokenizer_config.json')), CHATML_FORMAT);
    assert.deepEqual(resolveChatFormat(dir), CHATML_FORMAT);
    assert.equal(resolveChatFormat('plain'), PLAIN_FORMAT);
    // HF writes tokens as objects and may name several templates
    const hf = join(dir, 'hf.json');
    writeFileSync(
      hf,
      JSON.stringify({
        chat_template: [
          { name: 'tool_use', template: 'x' },
          { name: 'default', template: '{{ 1 }}' },
        ],
        eos_token: { content: '</s>' },
        pad_token: '<pad>',
      }),
    );
    assert.deepEqual(readChatFormat(hf), { template: '{{ 1 }}', eosToken: '</s>', padToken: '<pad>' });
    writeFileSync(hf, JSON.stringify({ chat_template: 'x', eos_token: '</s>' }));
    assert.throws(() => readChatFormat(hf), /pad_token/);
    assert.throws(() => resolveChatFormat('no-such-template'), /not chatml, plain/);
  });
});
