/**
 * `llmts serve` as a command: a Hugging Face GPT-2 folder written here (weights, tokenizer.json,
 * tokenizer_config.json with a chat template), served on a free loopback port; the official
 * client chats with it; SIGTERM in the middle of a stream lets the stream finish, then the
 * process exits 0. A model directory without a tokenizer is a one-line error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import { CHATML_FORMAT } from '../../src/data/chat/template.ts';
import { writeChatFormat } from '../../src/data/chat/format-file.ts';
import { saveHfModel } from '../../src/io/hf/save.ts';
import { LLMTS_BIN, runLlmts } from '../helpers/cli.ts';
import { randomModel, tokenizer } from './helpers.ts';

describe('llmts serve (command)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-serve-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const modelDir = join(dir, 'tiny-gpt2');
  saveHfModel(randomModel(6), modelDir);

  it('refuses a model directory without a tokenizer, in one line', () => {
    const r = runLlmts(['serve', '--model', modelDir, '--port', '0']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no tokenizer beside the model/);
    assert.ok(r.stderr.trim().split('\n').length <= 2, r.stderr);
  });

  it('serves chat on 127.0.0.1; SIGTERM lets a running stream finish, then exits 0', async () => {
    tokenizer().save(join(modelDir, 'tokenizer.json'));
    writeChatFormat(modelDir, CHATML_FORMAT);
    const child = spawn(
      process.execPath,
      [LLMTS_BIN, 'serve', '--model', modelDir, '--port', '0', '--kv-memory', '8'],
      {
        env: { ...process.env, LLMTS_FROM_SOURCE: '1', LLMTS_NO_PROGRESS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = / on (http:\/\/[^ ]+) /.exec(stdout);
          if (m !== null) resolve(m[1]!);
        });
        void exited.then(() => reject(new Error(`exited early: ${stderr}`)));
      });
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });
      const models = await client.models.list();
      assert.deepEqual(
        models.data.map((m) => m.id),
        ['tiny-gpt2'],
      );
      const stream = await client.chat.completions.create({
        model: 'tiny-gpt2',
        messages: [{ role: 'user', content: 'Hello' }],
        max_completion_tokens: 40,
        temperature: 0,
        logit_bias: { '50256': -100, '50258': -100 }, // no early EOS: it runs all 40 tokens
        stream: true,
      });
      let chunks = 0;
      let finish: string | null = null;
      for await (const chunk of stream) {
        if (++chunks === 3) child.kill('SIGTERM');
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(finish, 'length', 'the running stream finished within the grace period');
      assert.equal(await exited, 0, stderr);
      assert.match(stdout, /SIGTERM/);
      assert.match(stdout, /stopped/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
