/**
 * README's command tour, run as written: the ```sh block after "A tour" is parsed from README.md
 * (so the docs cannot drift from the CLI) and every `npx llmts ...` command in it runs, in order,
 * in an empty temporary folder (no ../shared), through the sources (test/helpers/cli.ts). Sizes
 * shrink only through the documented flags README lists under the block (SIZE below); `serve` is
 * started, answers one request and is stopped. `demo --rlhf` and `lab run all` take minutes: they
 * run where LLMTS_TOUR_FULL=1, and so do the commands that read what they write (chat and serve
 * on the demo's PPO model); a skip says which.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LLMTS_BIN, runLlmts } from '../helpers/cli.ts';

const root = join(import.meta.dirname, '..', '..');
const full = process.env['LLMTS_TOUR_FULL'] === '1';

/** Shell words of one command (double and single quotes; the tour uses nothing else). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** The tour's commands: the sh block after "A tour" in README.md, comments dropped, `;` split. */
export function tourCommands(readme: string): string[][] {
  const at = readme.indexOf('A tour');
  assert.ok(at >= 0, 'README.md has a tour');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, 'the tour is a ```sh block');
  const commands: string[][] = [];
  for (const raw of block[1]!.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    for (const part of line.split(';')) {
      const words = shellWords(part.trim());
      assert.deepEqual(words.slice(0, 2), ['npx', 'llmts'], `a tour line runs llmts: ${part}`);
      commands.push(words.slice(2));
    }
  }
  return commands;
}

/** The documented size flags (README, under the tour) the test adds, by command. */
const SIZE: Record<string, string[]> = {
  pretrain: ['--steps', '30', '--batch-size', '4', '--eval-every', '15', '--eval-batches', '2'],
  eval: ['--max-tokens', '4096'],
};

/** Commands that take minutes: run where LLMTS_TOUR_FULL=1. */
const LONG = (args: string[]): boolean =>
  (args[0] === 'demo' && args.includes('--rlhf')) || (args[0] === 'lab' && args[1] === 'run');

function startServe(args: string[], cwd: string): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [LLMTS_BIN, ...args, '--port', '0', '--host', '127.0.0.1'], {
    cwd,
    env: { ...process.env, LLMTS_NO_PROGRESS: '1', LLMTS_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /https?:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m === null) return;
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      resolve({
        url: m[0],
        stop: () =>
          new Promise((done) => {
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${out}`)));
  });
}

describe("README's command tour, as written, in an empty folder", () => {
  const commands = tourCommands(readFileSync(join(root, 'README.md'), 'utf8'));
  let dir: string;
  /** outputs of the commands skipped here (what later commands would read) */
  const notWritten: string[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmts-tour-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses the tour: every command is an llmts command', () => {
    assert.ok(commands.length >= 20, `${commands.length} commands`);
    assert.deepEqual(commands[0]!.slice(0, 2), ['data', 'sample'], 'the tour first writes its inputs');
  });

  for (const args of commands) {
    const shown = `llmts ${args.join(' ')}`;
    it(shown, { timeout: 600_000 }, async (t) => {
      if (LONG(args) && !full) {
        const out = args.indexOf('--out');
        if (out >= 0) notWritten.push(args[out + 1]!);
        t.skip('takes minutes: runs where LLMTS_TOUR_FULL=1');
        return;
      }
      const reads = args.find((a) => notWritten.some((w) => a === w || a.startsWith(`${w}/`)));
      if (reads !== undefined) {
        t.skip(`reads ${reads}, which a command run where LLMTS_TOUR_FULL=1 writes`);
        return;
      }
      if (args[0] === 'serve') {
        const server = await startServe(args, dir);
        try {
          const r = await fetch(`${server.url}/v1/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'ppo', prompt: 'The', max_tokens: 8 }),
          });
          const body = (await r.json()) as { choices?: { text: string }[] };
          assert.equal(r.status, 200, JSON.stringify(body));
          assert.equal(typeof body.choices?.[0]?.text, 'string');
        } finally {
          assert.equal(await server.stop(), 0);
        }
        return;
      }
      const extra = SIZE[args[0]!] ?? [];
      const r = runLlmts([...args, ...extra], {
        cwd: dir,
        ...(args[0] === 'chat' ? { input: 'Hello!\n' } : {}),
        timeoutMs: 600_000,
      });
      assert.equal(r.status, 0, `${shown} failed:\n${r.stdout}\n${r.stderr}`);
      assert.doesNotMatch(
        r.stdout + r.stderr,
        /warn|malformed(?! input: none)/i,
        `${shown} warned:\n${r.stdout}\n${r.stderr}`,
      );
      if (args[0] === 'prepare' && args.includes('clean/')) {
        // a data clean output: only its kept documents, separated by the tokenizer's EOS
        assert.match(r.stderr, /reading its kept documents/);
        assert.doesNotMatch(r.stdout, /eos none/);
      }
      if (args.includes('--out') || args.includes('--output')) {
        const i = args.indexOf('--out') >= 0 ? args.indexOf('--out') : args.indexOf('--output');
        const out = join(dir, args[i + 1]!);
        assert.ok(existsSync(out) && readdirSync(out).length > 0, `${shown} wrote ${args[i + 1]}`);
      }
    });
  }
});
