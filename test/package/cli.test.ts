/**
 * The CLI's global options: --version, --threads / LLMTS_THREADS (the kernels' pool and the
 * data pipeline's default workers both follow them), and `llmts doctor`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultThreads, threadsFromEnv } from '../../src/core/threads.ts';
import { validateConfig } from '../../src/data/pipeline/config.ts';
import { runPipeline } from '../../src/data/pipeline/run.ts';
import { runLlmts } from '../helpers/cli.ts';
import { requireNative } from '../helpers/requirements.ts';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
  version: string;
};

interface Doctor {
  llmtsBackend: string;
  threads: number;
  isa: string | null;
  nativeAddon: string;
  envThreads: string | null;
  node: string;
  cores: number;
}

function doctor(args: string[] = [], env: Record<string, string> = {}): Doctor {
  const r = runLlmts([...args, 'doctor', '--json'], { env });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Doctor;
}

describe('llmts global options', () => {
  it('--version and -V print package.json version', () => {
    for (const flag of ['--version', '-V']) {
      const r = runLlmts([flag]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${pkg.version}\n`);
    }
  });

  it('doctor reports the backend, threads, Node and the addon', () => {
    const d = doctor([], { LLMTS_THREADS: '' });
    assert.equal(d.node, process.version);
    assert.equal(d.cores, availableParallelism());
    assert.ok(['native', 'reference'].includes(d.llmtsBackend), d.llmtsBackend);
    if (d.llmtsBackend === 'native') {
      assert.equal(d.threads, availableParallelism());
      assert.match(d.isa ?? '', /\S/);
      assert.match(d.nativeAddon, /\.node$/);
    } else assert.match(d.nativeAddon, /^not available: /);
    const text = runLlmts(['doctor']);
    assert.match(text.stdout, /^backend\s+\S+$/m);
    assert.match(text.stdout, new RegExp(`^node\\s+${process.version.replaceAll('.', '\\.')}$`, 'm'));
    const ref = doctor([], { LLMTS_BACKEND: 'reference' });
    assert.equal(ref.llmtsBackend, 'reference');
    assert.equal(ref.threads, 1);
  });

  it('--threads and LLMTS_THREADS set the native pool; --threads wins', (t) => {
    const d = doctor([], { LLMTS_THREADS: '' });
    const skip = requireNative(d.llmtsBackend === 'native', 'the native addon (its thread pool is what is sized)');
    if (skip) {
      t.skip(skip);
      return;
    }
    assert.equal(doctor([], { LLMTS_THREADS: '1' }).threads, 1);
    assert.equal(doctor(['--threads', '3']).threads, 3);
    assert.equal(doctor(['--threads=2'], { LLMTS_THREADS: '1' }).threads, 2);
    assert.equal(doctor(['--threads', '1'], { LLMTS_THREADS: '4' }).envThreads, '1');
  });

  it('rejects a bad thread count in one line', () => {
    for (const args of [['--threads', '0'], ['--threads', 'many'], ['--threads=1.5']]) {
      const r = runLlmts([...args, 'doctor']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^llmts: error \[ARGUMENT\]: --threads expects an integer from 1 to 1024, got \S+\n$/);
    }
    const env = runLlmts(['doctor'], { env: { LLMTS_THREADS: 'lots' } });
    assert.equal(env.status, 1);
    assert.equal(env.stderr, 'llmts: error [BACKEND]: LLMTS_THREADS must be an integer from 1 to 1024, got "lots"\n');
  });

  it('the data pipeline starts LLMTS_THREADS workers when its config says auto', async () => {
    assert.equal(defaultThreads({}), availableParallelism());
    assert.equal(defaultThreads({ LLMTS_THREADS: '3' }), 3);
    assert.equal(threadsFromEnv({ LLMTS_THREADS: '' }), undefined);
    assert.throws(() => threadsFromEnv({ LLMTS_THREADS: '0' }), /LLMTS_THREADS must be an integer/);
    const dir = mkdtempSync(join(tmpdir(), 'llmts-threads-'));
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, '{"text":"hello   world"}\n{"text":"another  line"}\n');
    const saved = process.env['LLMTS_THREADS'];
    process.env['LLMTS_THREADS'] = '1';
    try {
      const config = validateConfig({
        input: { paths: [input] },
        output: join(dir, 'out'),
        stages: ['clean_whitespace'],
      });
      assert.equal(config.workers, -1, 'workers: auto');
      const { report } = await runPipeline(config, { quiet: true });
      assert.equal(report.timing.workers, 1);
    } finally {
      if (saved === undefined) delete process.env['LLMTS_THREADS'];
      else process.env['LLMTS_THREADS'] = saved;
    }
  });
});
