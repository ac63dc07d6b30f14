/**
 * The browser tests' harness: a static server on 127.0.0.1 (a free port) serving the browser
 * bundle, the test page and fixtures, and Debian's chromium driven by playwright-core through
 * its executable path (nothing is downloaded), with a fresh profile per launch.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

const root = resolve(import.meta.dirname, '..', '..');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves each URL prefix from a folder. `isolated` adds the COOP/COEP headers that make a page
 * cross-origin isolated (SharedArrayBuffer for worker threads).
 */
export async function serveStatic(mounts: Record<string, string>, isolated: boolean): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const prefix = Object.keys(mounts)
      .sort((a, b) => b.length - a.length)
      .find((p) => path.startsWith(p));
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (isolated) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    if (prefix === undefined) {
      res.writeHead(404, headers).end();
      return;
    }
    const dir = mounts[prefix]!;
    const file = normalize(join(dir, path.slice(prefix.length)));
    if (!(file === dir || file.startsWith(dir + sep))) {
      res.writeHead(403, headers).end();
      return;
    }
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      const body = readFileSync(file);
      res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, headers).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Builds the browser bundle from the current sources into a temporary folder (esbuild: seconds). */
export function buildBundle(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-browser-'));
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-browser.mjs'), '--outdir', join(dir, 'b')], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`browser bundle build failed: ${r.stderr || r.stdout}`);
  return { dir: join(dir, 'b'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Browser {
  page: Page;
  /** Console lines and page errors, for failure messages. */
  log: string[];
  close(): Promise<void>;
}

/** Launches chromium headless with the flags HELPERS.md lists and a fresh profile, on one page. */
export async function launch(executablePath: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'llmts-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const log: string[] = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  return {
    page,
    log,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const repoRoot = root;
