/**
 * `llmts sample` against Hugging Face generate()'s semantics: test/fixtures/generate/cases.json
 * was written by scripts/oracles/hf_generate.py (a PyTorch re-implementation of HF's greedy and
 * beam search, processors and stopping on two tiny HF-layout checkpoints). Each case runs the
 * CLI with the flags that ask for HF's options and compares the generated ids (and, for the
 * SentencePiece-style model, the printed continuation) with what HF returns.
 *
 * Then every flag the oracle does not cover is checked end to end against the library: the CLI
 * output equals generate() called with the option the flag names (and differs from the output
 * without it), and flags that would be ignored are refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { runLlmts } from '../helpers/cli.ts';
import { commandEntries } from '../../cli/commands/index.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { forGeneration } from '../../src/models/generative.ts';
import { generate } from '../../src/generate/index.ts';
import type { GenerateOptions } from '../../src/generate/index.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'generate');

interface Case {
  name: string;
  model: string;
  flags: string[];
  prompts: string[];
  prompt_ids: number[][];
  sequences: number[][];
  texts?: string[];
}

const { cases } = JSON.parse(readFileSync(join(FIX, 'cases.json'), 'utf8')) as { cases: Case[] };

interface JsonRow {
  prompt: string;
  text: string;
  ids: number[];
  finish_reason: string;
  score: number;
  scores?: (number | null)[][];
}

function sample(model: string, prompts: string[], flags: string[]): { rows: JsonRow[]; stdout: string } {
  const r = runLlmts(['sample', '--model', join(FIX, model), '--prompt', ...prompts, '--json', ...flags], {
    cwd: FIX,
  });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JsonRow);
  return { rows, stdout: r.stdout };
}

function refused(args: string[], pattern: RegExp): void {
  const r = runLlmts(['sample', '--model', join(FIX, 'gpt2-chars'), '--prompt', 'Hi', ...args], { cwd: FIX });
  assert.notEqual(r.status, 0, `expected a refusal of ${args.join(' ')}`);
  assert.match(r.stderr, pattern);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
}

describe('llmts sample = HF generate() (PyTorch oracle fixtures)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { rows } = sample(c.model, c.prompts, c.flags);
      assert.deepEqual(
        rows.map((r) => r.ids),
        c.sequences,
      );
      if (c.texts !== undefined)
        assert.deepEqual(
          rows.map((r) => r.text),
          c.texts,
        );
    });
  }

  it('the KV cache changes nothing (batch, beams, GQA model)', () => {
    for (const name of ['greedy-batch', 'beam-4-return-2', 'llama-batch']) {
      const c = cases.find((x) => x.name === name)!;
      const { rows } = sample(c.model, c.prompts, [...c.flags, '--no-kv-cache']);
      assert.deepEqual(
        rows.map((r) => r.ids),
        c.sequences,
        name,
      );
    }
  });

  it('prints the continuation with its word boundary, streamed or not (SentencePiece decoder)', () => {
    const c = cases.find((x) => x.name === 'llama-greedy')!;
    assert.ok(c.texts![0]!.startsWith(' '), 'the fixture continuation starts a new word');
    for (const extra of [[], ['--stream']]) {
      const r = runLlmts(['sample', '--model', join(FIX, c.model), '--prompt', c.prompts[0]!, ...c.flags, ...extra]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.split('\n')[0], c.prompts[0]! + c.texts![0]!, extra.join(' '));
    }
  });
});

describe('llmts sample flags = the library options', () => {
  const gm = forGeneration(loadModel(join(FIX, 'gpt2-chars')).model);
  const codec = loadModel(join(FIX, 'gpt2-chars')).codec!;
  const prompt = 'The cat sat';
  const lib = async (o: GenerateOptions): Promise<number[][]> =>
    (await generate(gm, codec, [prompt], { eosTokenId: 96, ...o })).sequences.map((s) => s.ids);
  const cli = (flags: string[]): number[][] => sample('gpt2-chars', [prompt], flags).rows.map((r) => r.ids);

  const flagCases: [string, string[], GenerateOptions][] = [
    ['sampling', ['--do-sample', '--seed', '5'], { doSample: true, seed: 5 }],
    [
      'temperature',
      ['--do-sample', '--seed', '5', '--temperature', '0.3'],
      { doSample: true, seed: 5, temperature: 0.3 },
    ],
    [
      'top-k',
      ['--do-sample', '--seed', '5', '--top-k', '3', '--temperature', '4'],
      { doSample: true, seed: 5, temperature: 4, topK: 3 },
    ],
    [
      'top-p',
      ['--do-sample', '--seed', '5', '--top-p', '0.5', '--temperature', '4'],
      { doSample: true, seed: 5, temperature: 4, topP: 0.5 },
    ],
    [
      'min-p',
      ['--do-sample', '--seed', '5', '--min-p', '0.2', '--temperature', '4'],
      { doSample: true, seed: 5, temperature: 4, minP: 0.2 },
    ],
    [
      'typical-p',
      ['--do-sample', '--seed', '5', '--typical-p', '0.5', '--temperature', '4'],
      { doSample: true, seed: 5, temperature: 4, typicalP: 0.5 },
    ],
    [
      'epsilon-cutoff',
      ['--do-sample', '--seed', '5', '--epsilon-cutoff', '0.05', '--temperature', '4'],
      { doSample: true, seed: 5, temperature: 4, epsilonCutoff: 0.05 },
    ],
    [
      'eta-cutoff',
      ['--do-sample', '--seed', '5', '--eta-cutoff', '0.05', '--temperature', '4'],
      { doSample: true, seed: 5, temperature: 4, etaCutoff: 0.05 },
    ],
    [
      'frequency/presence penalty',
      ['--frequency-penalty', '2', '--presence-penalty', '1'],
      { frequencyPenalty: 2, presencePenalty: 1 },
    ],
    ['logit-bias', ['--logit-bias', '{"95": -100, "2": 5}'], { logitBias: { '95': -100, '2': 5 } }],
    [
      'diverse beam search',
      ['--num-beams', '4', '--num-beam-groups', '2', '--diversity-penalty', '3', '--num-return-sequences', '2'],
      { numBeams: 4, numBeamGroups: 2, diversityPenalty: 3, numReturnSequences: 2 },
    ],
    ['contrastive search', ['--penalty-alpha', '0.6', '--top-k', '4'], { penaltyAlpha: 0.6, topK: 4 }],
    ['min-length', ['--eos-token-id', '10', '--min-length', '18'], { eosTokenId: 10, minLength: 18 }],
    ['forced-bos', ['--forced-bos-token-id', '5'], { forcedBosTokenId: 5 }],
    [
      'renormalize-logits + beams',
      ['--num-beams', '2', '--renormalize-logits'],
      { numBeams: 2, renormalizeLogits: true },
    ],
  ];
  for (const [name, flags, options] of flagCases) {
    it(name, async () => {
      const want = await lib({ maxNewTokens: 12, ...options });
      assert.deepEqual(cli(['--max-new-tokens', '12', ...flags]), want);
    });
  }

  it('the option changes the output (each flag does something here)', async () => {
    const plain = await lib({ maxNewTokens: 12 });
    for (const [name, , options] of flagCases) {
      if (name === 'forced-bos' || name === 'renormalize-logits + beams' || name === 'min-length') continue;
      const sampledPlain = options.doSample
        ? await lib({ maxNewTokens: 12, doSample: true, seed: 5, temperature: options.temperature === 4 ? 4 : 1 })
        : plain;
      if (name === 'sampling') assert.notDeepEqual(sampledPlain, plain, name);
      else assert.notDeepEqual(await lib({ maxNewTokens: 12, ...options }), sampledPlain, name);
    }
  });

  it('--output-scores gives the processed score rows (removed tokens as null)', () => {
    const { rows } = sample(
      'gpt2-chars',
      [prompt],
      ['--max-new-tokens', '3', '--output-scores', '--suppress-tokens', '95'],
    );
    assert.equal(rows[0]!.scores!.length, 3);
    assert.equal(rows[0]!.scores![0]!.length, 97);
    assert.equal(rows[0]!.scores![0]![95], null);
    const greedy = rows[0]!.scores!.map((row) => row.indexOf(Math.max(...row.map((x) => x ?? -Infinity))));
    assert.deepEqual(greedy, rows[0]!.ids);
  });

  it('--stream with --json streams tagged chunks of several prompts', () => {
    const r = runLlmts([
      'sample',
      '--model',
      join(FIX, 'gpt2-chars'),
      '--prompt',
      'Hi',
      'The cat sat',
      '--max-new-tokens',
      '5',
      '--stream',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const chunks = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { prompt_index: number; tokens: number[]; finish_reason?: string });
    const c = cases.find((x) => x.name === 'greedy-batch')!;
    for (const p of [0, 1]) {
      const ids = chunks.filter((x) => x.prompt_index === p).flatMap((x) => x.tokens);
      assert.deepEqual(ids, c.sequences[p === 0 ? 1 : 0]!.slice(0, 5));
    }
  });

  it('refuses flags that would be ignored', () => {
    refused(['--top-p', '0.9'], /--top-p.*add --do-sample/);
    refused(['--greedy', '--temperature', '0.7'], /--temperature.*--greedy/);
    refused(['--greedy', '--do-sample'], /--greedy/);
    refused(['--stream', '--num-beams', '2'], /--stream.*beam/);
    refused(['--stream', '--prompt', 'a', 'b'], /--stream.*--json/);
    refused(['--output-scores'], /--output-scores.*--json/);
    refused(['--bad-words-ids', '[[1], 2]'], /bad_words_ids/);
  });
});

describe('CLI option names', () => {
  it('no value option starts with --no- (commander would read it as a negated boolean)', async () => {
    const program = new Command();
    for (const e of commandEntries) (await e.load()).register(program);
    const offenders: string[] = [];
    let negated = 0;
    const visit = (cmd: Command): void => {
      for (const o of cmd.options) {
        if (!o.long?.startsWith('--no-')) continue;
        negated++;
        // a real negation is a boolean; a value option must not be negated (its value would land elsewhere)
        if (o.negate && (o.required || o.optional)) offenders.push(`${cmd.name()} ${o.flags}`);
        if (!o.negate && !(o.required || o.optional)) offenders.push(`${cmd.name()} ${o.flags}`);
      }
      for (const sub of cmd.commands) visit(sub);
    };
    visit(program);
    assert.ok(negated >= 4, 'the --no-* options were found');
    assert.deepEqual(offenders, []);
  });
});
