/**
 * node:module for the browser build: createRequire for the packages llmts loads lazily in
 * Node (protobufjs for SentencePiece models, cli-progress for progress bars), bundled here.
 */
import protobuf from 'protobufjs';

/** Progress bars write to a terminal; a page has none (progress callbacks and metrics still work). */
class SilentBar {
  start(): void {}
  update(): void {}
  increment(): void {}
  setTotal(): void {}
  stop(): void {}
}

const packages: Record<string, unknown> = {
  protobufjs: protobuf,
  'cli-progress': { SingleBar: SilentBar, Presets: { shades_classic: {}, legacy: {} } },
};

export function createRequire(_from: string | URL): (name: string) => unknown {
  return (name: string) => {
    const m = packages[name];
    if (m === undefined) throw new Error(`require('${name}') is not available in the browser build of llmts`);
    return m;
  };
}

export default { createRequire };
