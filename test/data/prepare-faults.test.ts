/**
 * `llmts prepare` under faults and bad flags (issue 15): a prepare killed with SIGKILL after
 * staging its shards leaves a staging folder that the next prepare removes; a file where the
 * dataset directory should be, and zero/negative sizes, are one-line errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openShardDataset } from '../../src/data/shards/index.ts';
import { runLlmts } from '../helpers/cli.ts';

function setup(): { dir: string; input: string } {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-prepare-faults-'));
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'To be, or not to be, that is the question.\n'.repeat(50));
  return { dir, input };
}

const staging = (dir: string): string[] => readdirSync(dir).filter((n) => /\.staging-/.test(n));

test('a prepare killed after staging leaves a staging folder; the next prepare removes it', () => {
  const { dir, input } = setup();
  const out = join(dir, 'ds');
  const killed = runLlmts(['prepare', '--input', input, '--out', out, '--char'], {
    env: { LLMTS_FAULT: 'prepare:staged' },
  });
  assert.equal(killed.status, null, killed.stderr);
  assert.equal(staging(dir).length, 1);
  assert.equal(existsSync(out), false);
  const r = runLlmts(['prepare', '--input', input, '--out', out, '--char']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(staging(dir), []);
  const ds = openShardDataset(out);
  assert.ok(ds.split('train').numTokens > 0);
  ds.close();
});

test('prepare: a file as --out and out-of-range numbers are one-line errors', () => {
  const { dir, input } = setup();
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string[], RegExp][] = [
    [['--out', file, '--char'], /is a file/],
    [
      ['--out', join(dir, 'd1'), '--char', '--max-tokens-per-file', '0'],
      /--max-tokens-per-file expects an integer >= 1, got 0/,
    ],
    [['--out', join(dir, 'd2'), '--char', '--max-tokens-per-file', '-5'], /--max-tokens-per-file/],
    [['--out', join(dir, 'd3'), '--char', '--val-fraction', '1.5'], /--val-fraction/],
    [['--out', join(dir, 'd4'), '--char', '--val-documents', '-1'], /--val-documents/],
    [['--out', join(dir, 'd5'), '--char', '--eos-id', 'x'], /--eos-id/],
  ];
  for (const [args, message] of cases) {
    const r = runLlmts(['prepare', '--input', input, ...args]);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^llmts: error \[[A-Z_]+\]: /);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
