/**
 * The browser build of llmts (dist-browser/llmts.js + llmts.wasm), copied beside the app as
 * llmts/ by scripts/build-playground.mjs and loaded at run time (not bundled into the app, so a
 * build of the app takes seconds and the library is one cached file shared with the worker).
 */
import type * as Llmts from '../../src/browser/index.ts';

export type L = typeof Llmts;

/** The URL of the bundle, beside the page (works under any path prefix). */
export function bundleUrl(): string {
  return new URL('llmts/llmts.js', document.baseURI).href;
}

let loading: Promise<L> | undefined;

/** The library, loaded once. */
export function llmts(): Promise<L> {
  loading ??= import(/* @vite-ignore */ bundleUrl()) as Promise<L>;
  return loading;
}

let wasm: Promise<L> | undefined;

/** The library with the wasm backend as the default backend (for pages that compute on tensors). */
export function llmtsWithWasm(): Promise<L> {
  wasm ??= llmts().then(async (lib) => {
    await lib.initWasm();
    return lib;
  });
  return wasm;
}

/** Asset URLs (vocabularies, corpus) beside the page. */
export function asset(path: string): string {
  return new URL(path, document.baseURI).href;
}
