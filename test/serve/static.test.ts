/**
 * The playground hook: with staticDir the server serves a folder at / while the API routes keep
 * answering (and an unknown /v1 route is still an OpenAI 404).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scriptedModel, served, startServer } from './helpers.ts';

describe('static folder at /', () => {
  it('serves index.html and files beside the API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-static-'));
    writeFileSync(join(dir, 'index.html'), '<h1>playground</h1>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    const r = await startServer(served(scriptedModel()), { staticDir: dir });
    try {
      const index = await fetch(`${r.url}/`);
      assert.equal(index.status, 200);
      assert.equal(await index.text(), '<h1>playground</h1>');
      assert.match(index.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(await (await fetch(`${r.url}/app.js`)).text(), 'console.log(1)');
      assert.equal((await r.client.models.list()).data[0]!.id, 'tiny');
      const missing = await fetch(`${r.url}/v1/nothing`);
      assert.equal(missing.status, 404);
      assert.ok(((await missing.json()) as { error?: unknown }).error);
    } finally {
      await r.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
