/**
 * What llmts needs from its host beyond the language: environment variables, the CPU count,
 * reading a file, URL or user-picked File, worker threads, the package's own files and the
 * native addon. This module is the Node implementation; the browser build
 * (scripts/build-browser.mjs) swaps in ./platform.browser.ts, which exports the same names, so
 * every other module imports its host services from here and stays free of Node built-ins.
 * The two files must keep the same exports (test/browser/platform.test.ts checks it).
 */
import { readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IOError } from './errors.ts';
import { packageRoot } from './package-root.ts';

export const platformName: 'node' | 'browser' = 'node';

/**
 * Something to read bytes from: a file path (Node), a URL (http(s): fetched; file: read from
 * disk in Node), a Blob or File (a file the user picked in a page), or the bytes themselves.
 */
export type FileSource = string | URL | Blob | ArrayBuffer | ArrayBufferView;

/** An environment variable (LLMTS_BACKEND, LLMTS_THREADS, ...); undefined when unset. */
export function envVar(name: string): string | undefined {
  return process.env[name];
}

/** How many threads the host can run at once. */
export function cpuCount(): number {
  return availableParallelism();
}

/** One line for the user (stderr in Node, the console in a page). */
export function warnLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A readable name for a source, for error messages. */
export function sourceName(source: FileSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  if (typeof Blob !== 'undefined' && source instanceof Blob)
    return typeof File !== 'undefined' && source instanceof File ? source.name : '<blob>';
  return '<bytes>';
}

function isUrlString(s: string): boolean {
  return /^(https?|data|blob):/i.test(s);
}

async function fetchBytes(url: string, name: string, maxBytes: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new IOError(name, `cannot fetch: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new IOError(name, `HTTP ${res.status} ${res.statusText}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new IOError(name, `${declared} bytes, more than the ${maxBytes} allowed`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > maxBytes) throw new IOError(name, `${bytes.length} bytes, more than the ${maxBytes} allowed`);
  return bytes;
}

/** Bytes given directly, as a Uint8Array over the same memory. */
export function bytesOf(source: ArrayBuffer | ArrayBufferView): Uint8Array {
  return source instanceof ArrayBuffer
    ? new Uint8Array(source)
    : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}

/** Reads a whole source (at most maxBytes; a larger one is an IOError naming it). */
export async function readSource(source: FileSource, maxBytes = 2 ** 32): Promise<Uint8Array> {
  const name = sourceName(source);
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return bytesOf(source);
  if (source instanceof Blob) {
    if (source.size > maxBytes) throw new IOError(name, `${source.size} bytes, more than the ${maxBytes} allowed`);
    return new Uint8Array(await source.arrayBuffer());
  }
  if (source instanceof URL && source.protocol !== 'file:') return fetchBytes(source.href, name, maxBytes);
  if (typeof source === 'string' && isUrlString(source)) return fetchBytes(source, name, maxBytes);
  const path: string = source instanceof URL ? fileURLToPath(source) : source;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new IOError(path, 'not a regular file');
    if (st.size > maxBytes) throw new IOError(path, `${st.size} bytes, more than the ${maxBytes} allowed`);
    return new Uint8Array(await readFile(path));
  } catch (err) {
    if (err instanceof IOError) throw err;
    throw new IOError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads a source as UTF-8 text. */
export async function readSourceText(source: FileSource, maxBytes?: number): Promise<string> {
  return new TextDecoder('utf-8').decode(await readSource(source, maxBytes));
}

/**
 * A file shipped in the llmts package (path relative to its root), read synchronously; where
 * that is impossible (a page), the IOError says so. `packageFileSource` gives the same file as
 * a source for readSource (a path here, a URL beside the bundle in the browser build).
 */
export function readPackageFile(relative: string): Uint8Array {
  const path = join(packageRoot(), relative);
  if (!existsSync(path)) throw new IOError(path, 'missing from the llmts package');
  return new Uint8Array(readFileSync(path));
}

export function packageFileSource(relative: string): FileSource {
  return join(packageRoot(), relative);
}

/** Loads a native (N-API) addon (an absolute path, or one relative to the package), or throws an IOError saying why not. */
export function loadNativeAddon(file: string): unknown {
  const path = isAbsolute(file) ? file : join(packageRoot(), file);
  if (!existsSync(path)) throw new IOError(path, 'not built');
  return createRequire(import.meta.url)(path);
}

/** The host side of a worker thread started with startWorker. */
export interface PlatformWorker {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  terminate(): void;
  /** Whether a pending message from this worker keeps the process alive (Node; a page always waits). */
  keepAlive(on: boolean): void;
}

/** Whether worker threads can share a WebAssembly memory here (always in Node). */
export function sharedMemoryThreads(): boolean {
  return true;
}

/**
 * Starts a worker thread running `body`, the source of a function
 * `(post: (message) => void, listen: (listener: (message) => void) => void) => void`.
 * The worker never keeps the process alive.
 */
export function startWorker(body: string, name: string): PlatformWorker {
  const code =
    `const { parentPort } = require('node:worker_threads');\n` +
    `(${body})((m) => parentPort.postMessage(m), (f) => parentPort.on('message', f));\n`;
  const w = new Worker(code, { eval: true, name });
  w.unref();
  // a listener refs the worker's port again: unref after each one
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (f) => void w.on('message', f).unref(),
    onError: (f) => void w.on('error', f).unref(),
    terminate: () => void w.terminate(),
    keepAlive: (on) => void (on ? w.ref() : w.unref()),
  };
}
