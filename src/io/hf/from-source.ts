/**
 * `loadHfModelFrom({ config, weights })`: a Hugging Face checkpoint (config.json +
 * model.safetensors) from URLs, Files the user picked, bytes or (Node) paths, read through the
 * host's file adapter (src/core/platform.ts). The page-friendly twin of loadHfModel(dir); the
 * same config checks, key mapping and shape checks (hfModelFromCheckpoint), with the
 * safetensors file held in memory.
 */
import type { Backend } from '../../backends/backend.ts';
import { FormatError } from '../../core/errors.ts';
import type { FileSource } from '../../core/platform.ts';
import { readSource, sourceName } from '../../core/platform.ts';
import type { AnyModel } from '../../models/registry.ts';
import type { ReadOptions, SafetensorsHeader, TensorInfo, TensorRecord } from '../safetensors.ts';
import { decodeTensorBytes, readHeader, SafetensorsError } from '../safetensors.ts';
import type { CheckpointReader } from './load.ts';
import { hfModelFromCheckpoint } from './load.ts';

/** A single .safetensors file held in memory (validated header, tensors decoded on read). */
export class MemoryCheckpoint implements CheckpointReader {
  private readonly header: SafetensorsHeader;

  constructor(
    private readonly bytes: Uint8Array,
    readonly dir: string,
  ) {
    this.header = readHeader(bytes, dir);
  }

  /** Every tensor name in the file. */
  keys(): string[] {
    return [...this.header.tensors.keys()];
  }

  /** Whether the file holds a tensor of this name. */
  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  /** A tensor's dtype, shape and byte range (SafetensorsError for an unknown name). */
  info(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (info === undefined) throw new SafetensorsError(this.dir, 'TensorNotFound', 'no such tensor in the file', name);
    return info;
  }

  /** A tensor's values, decoded from the held bytes. */
  read(name: string, opts: ReadOptions = {}): TensorRecord {
    const info = this.info(name);
    const [b, e] = info.dataOffsets;
    const raw = this.bytes.subarray(this.header.dataStart + b, this.header.dataStart + e);
    return { dtype: info.dtype, shape: [...info.shape], data: decodeTensorBytes(info.dtype, raw, opts) };
  }

  /** Nothing to release: the bytes belong to the caller. */
  close(): void {}
}

/** Where loadHfModelFrom reads an HF model: paths, URLs, Files or bytes. */
export interface HfSources {
  /** config.json */
  config: FileSource;
  /** model.safetensors (one file; sharded checkpoints need loadHfModel with a directory) */
  weights: FileSource;
}

/** Reads an HF config + safetensors pair and builds the model on `backend` (default: the default backend). */
export async function loadHfModelFrom(sources: HfSources, options: { backend?: Backend } = {}): Promise<AnyModel> {
  const file = sourceName(sources.config);
  const [configBytes, weights] = await Promise.all([readSource(sources.config, 1 << 26), readSource(sources.weights)]);
  let cfg: unknown;
  try {
    cfg = JSON.parse(new TextDecoder('utf-8').decode(configBytes));
  } catch (err) {
    throw new FormatError(file, 'not valid JSON', undefined, { cause: err });
  }
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg))
    throw new FormatError(file, 'config.json must be a JSON object');
  return hfModelFromCheckpoint(
    cfg as Record<string, unknown>,
    file,
    () => new MemoryCheckpoint(weights, sourceName(sources.weights)),
    options,
  );
}
