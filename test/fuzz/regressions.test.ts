/**
 * Issue 15's findings not covered by the area tests (test/io/checkpoint-hostile, test/train/
 * faults, test/data/hostile-input, test/data/shards), each with the small file that triggered
 * it, generated here from a committed fixture.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../src/core/errors.ts';
import { loadTokenizer } from '../../src/tokenizers/index.ts';
import '../../src/tokenizers/sentencepiece/index.ts';
import { loadHfModel } from '../../src/io/hf/load.ts';
import { prepareDataset } from '../../src/data/prepare.ts';
import { runLlmts } from '../helpers/cli.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const TOKENIZER_JSON = join(FIXTURES, 'generate', 'llama-sp', 'tokenizer.json');
let root = '';

before(() => {
  root = mkdtempSync(join(tmpdir(), 'llmts-regress-'));
});
after(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

function tokenizerJsonWith(edit: (j: Record<string, unknown>) => string | Record<string, unknown>): string {
  const j = JSON.parse(readFileSync(TOKENIZER_JSON, 'utf8')) as Record<string, unknown>;
  const out = edit(j);
  const dir = mkdtempSync(join(root, 'tok-'));
  const path = join(dir, 'tokenizer.json');
  writeFileSync(path, typeof out === 'string' ? out : JSON.stringify(out));
  return path;
}

test('tokenizer.json: an added token with id 2^31-2 is refused before the first decode allocates ~19 GB', () => {
  const path = tokenizerJsonWith((j) => ({
    ...j,
    added_tokens: [
      {
        id: 2 ** 31 - 2,
        content: '<x>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
  }));
  assert.throws(
    () => loadTokenizer(path).decode([0]),
    (e: unknown) =>
      e instanceof FormatError && e.field === 'added_tokens[0].id' && /far past the vocabulary/.test(e.message),
  );
});

test('tokenizer.json: normalizers and pre-tokenizers nested 100,000 deep are a FormatError, not a stack overflow', () => {
  const N = 100_000;
  for (const [key, list, leaf] of [
    ['normalizer', 'normalizers', '{"type":"Lowercase"}'],
    ['pre_tokenizer', 'pretokenizers', '{"type":"Whitespace"}'],
  ] as const) {
    const nested = `{"type":"Sequence","${list}":[`.repeat(N) + leaf + ']}'.repeat(N);
    const path = tokenizerJsonWith((j) => JSON.stringify({ ...j, [key]: 'HOLE' }).replace('"HOLE"', nested));
    assert.throws(
      () => loadTokenizer(path),
      (e: unknown) => e instanceof FormatError && /nested more than \d+ levels deep/.test(e.message),
    );
  }
});

test('SentencePiece .model: static_cast<s> encodes <s> as text, as SentencePiece; allowedSpecial opts in', () => {
  const tok = loadTokenizer(join(FIXTURES, 'tokenizers', 'sentencepiece', 'bpe-en.model'));
  const bos = tok.bosId!;
  assert.equal(tok.idToToken(bos), '<s>');
  const plain = tok.encode('static_cast<s>', null, { addSpecialTokens: false });
  assert.ok(!plain.ids.includes(bos), `no BOS in ${plain.tokens.join(' ')}`);
  assert.equal(tok.decode(plain.ids), 'static_cast<s>');
  assert.ok(tok.encodeIds('static_cast<s>', { addSpecialTokens: false }).every((id) => id !== bos));
  const allowed = tok.encode('static_cast<s>', null, { addSpecialTokens: false, allowedSpecial: 'all' });
  assert.equal(allowed.ids[allowed.ids.length - 1], bos);
  // tokenizer.json keeps Hugging Face's default (specials in the text matched)
  const json = join(root, 'sp.json');
  tok.save(json);
  assert.ok(loadTokenizer(json).encode('static_cast<s>', null, { addSpecialTokens: false }).ids.includes(bos));
});

test('HF BERT config.json: type_vocab_size 2^31 is a FormatError naming it, before allocating', () => {
  const dir = join(root, 'bert');
  cpSync(join(FIXTURES, 'models', 'hf', 'bert'), dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, type_vocab_size: 2 ** 31 }));
  assert.throws(
    () => loadHfModel(dir),
    (e: unknown) => e instanceof FormatError && e.field === 'type_vocab_size',
  );
});

test('CLI: the bad command lines that printed stack traces give one typed line', { timeout: 300_000 }, async () => {
  writeFileSync(join(root, 'input.txt'), 'the cat sat on the mat. '.repeat(40));
  const data = join(root, 'data');
  await prepareDataset({ inputs: [join(root, 'input.txt')], out: data, char: true, quiet: true });
  const aFile = join(root, 'input.txt');
  const model = join(FIXTURES, 'generate', 'gpt2-chars');
  mkdirSync(join(root, 'a-dir'));
  const cases: [string[], RegExp][] = [
    [['pretrain', '--data', data, '--out', aFile, '--steps', '1'], /\[IO\].*is a file/],
    [['prepare', '--char', '--input', aFile, '--out', aFile], /^llmts: error \[/],
    [['score', '--model', model, '--input', join(root, 'missing.txt')], /\[IO\].*no such file/],
    [['score', '--model', model, '--input', join(root, 'a-dir')], /\[IO\].*not a file/],
    [
      ['pretrain', '--data', data, '--out', join(root, 'big'), '--n-embd', '100000', '--steps', '1'],
      /^llmts: error \[/,
    ],
    [
      ['prepare', '--char', '--input', aFile, '--out', join(root, 'd0'), '--max-tokens-per-file', '0'],
      /max-tokens-per-file/,
    ],
  ];
  for (const [args, want] of cases) {
    const r = runLlmts(args, { timeoutMs: 120_000 });
    const what = args.slice(0, 1).concat(args.slice(-3)).join(' ');
    assert.notEqual(r.status, 0, `${what} must fail`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line, got\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, what);
    assert.match(r.stderr.trim(), want, what);
  }
});
