/**
 * The part of the WebAssembly JavaScript API the wasm backend uses, typed here: the project
 * compiles against ES2023 + Node's types, which do not declare the WebAssembly namespace, and
 * declaring it globally would clash with the DOM library of a program that has it.
 */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function isWasmModule(x: unknown): x is WasmModule {
  return x instanceof (WA.Module as unknown as new () => object);
}
