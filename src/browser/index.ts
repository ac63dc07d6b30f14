/**
 * llmts in the browser: the engine, models, tokenizers, decoding, training and alignment, with
 * the wasm backend (the native kernels compiled to WebAssembly SIMD), as one ES module built by
 * scripts/build-browser.mjs (`llmts/browser`, and the `browser` condition of `llmts`). It uses no
 * Node built-in: files come from URLs, Files the user picked or bytes (src/core/platform.ts).
 *
 *   import { initWasm, loadTokenizerFrom, GPT, gptPreset, tidy } from 'llmts/browser';
 *   await initWasm();                                   // the wasm backend becomes the default
 *   const tok = await loadTokenizerFrom('/gpt2/tokenizer.json');
 *
 * Worker threads run the large kernels when the page is cross-origin isolated (COOP/COEP
 * headers); otherwise everything runs on one thread. The whole library also runs inside a Web
 * Worker (start one with this module, `type: 'module'`), which keeps a page responsive while it
 * trains. See docs/wasm-backend.md.
 */
import type { Backend } from '../backends/backend.ts';
import { setDefaultBackend } from '../backends/select.ts';
import type { WasmBackendOptions } from '../backends/wasm/index.ts';
import { initWasmBackend } from '../backends/wasm/index.ts';

export * from '../index.ts';
export * as engine from '../engine/index.ts';
export * as nn from '../nn/index.ts';
export * as optim from '../optim/index.ts';
export * as models from '../models/index.ts';
export * as tokenizers from '../tokenizers/index.ts';
// `generate` is the top-level function (as in llmts); the area is `generation`
export * as generation from '../generate/index.ts';
export * as train from '../train/index.ts';
export * as align from '../align/index.ts';
export * as io from '../io/index.ts';
export { loadTokenizerFrom } from '../tokenizers/index.ts';
export type { TokenizerSources } from '../tokenizers/index.ts';
export { loadHfModelFrom, MemoryCheckpoint, deserializeSafetensors, serializeSafetensors } from '../io/index.ts';
export type { HfSources } from '../io/index.ts';
export { readSource, readSourceText, sharedMemoryThreads, platformName } from '../core/platform.ts';
export type { FileSource } from '../core/platform.ts';
export { initWasmBackend, wasmInternals } from '../backends/wasm/index.ts';
export type { WasmBackendOptions } from '../backends/wasm/index.ts';

/**
 * Loads the wasm backend (fetches llmts.wasm from beside this module unless `module` says
 * otherwise, compiles it off the main thread, starts worker threads where the page allows)
 * and makes it the default backend for new tensors. Returns it.
 */
export async function initWasm(options: WasmBackendOptions = {}): Promise<Backend> {
  const backend = await initWasmBackend(options);
  setDefaultBackend(backend);
  return backend;
}
