/** The tokenizer CLI end to end: train -> tokenize -> detokenize round trip, errors as one line. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runLlmts } from '../helpers/cli.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = runLlmts(args);
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('llmts tokenizer / tokenize / detokenize', () => {
  it('trains a BPE, tokenizes lines of a file and decodes them back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-cli-tok-'));
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, 'the cat sat on the mat\nthe dog sat on the log\n'.repeat(50));
    const t = run(
      'tokenizer',
      'train',
      '--model',
      'bpe',
      '--vocab-size',
      '270',
      '--input',
      corpus,
      '--output',
      join(dir, 'tok'),
      '--special-tokens',
      '<|endoftext|>',
      '--no-progress',
    );
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /trained bpe tokenizer: 270 tokens/);
    const lines = join(dir, 'lines.txt');
    writeFileSync(lines, 'the cat sat\nthe dog<|endoftext|>\n');
    const enc = run('tokenize', '--tokenizer', join(dir, 'tok'), '--input', lines);
    assert.equal(enc.code, 0, enc.err);
    const idLines = enc.out.trim().split('\n');
    assert.equal(idLines.length, 2);
    assert.ok(idLines[1]!.trim().endsWith(' 0'), 'the special token is id 0');
    const idsFile = join(dir, 'ids.txt');
    writeFileSync(idsFile, enc.out);
    const dec = run(
      'detokenize',
      '--tokenizer',
      join(dir, 'tok', 'tokenizer.json'),
      '--input',
      idsFile,
      '--keep-special',
    );
    assert.equal(dec.code, 0, dec.err);
    assert.equal(dec.out, 'the cat sat\nthe dog<|endoftext|>\n');
    const js = run('tokenize', '--tokenizer', join(dir, 'tok'), '--format', 'json', 'the', 'mat');
    const parsed = JSON.parse(js.out) as { tokens: string[]; offsets: [number, number][] };
    assert.deepEqual(parsed.tokens.join('').replaceAll('\u0120', ' '), 'the mat');
  });

  it('reports bad input as one typed error line', () => {
    const r = run('tokenize', '--tokenizer', '/nonexistent/tok.json', 'x');
    assert.equal(r.code, 1);
    assert.match(r.err, /^llmts: error \[IO\]: \/nonexistent\/tok.json: no such file/);
    const u = run('tokenizer', 'train', '--model', 'nope', '--input', '/dev/null', '--output', '/tmp/x');
    assert.equal(u.code, 1);
    assert.match(u.err, /unknown --model nope; available: .*bpe/);
  });
});
