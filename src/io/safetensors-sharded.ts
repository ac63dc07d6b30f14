/**
 * Sharded safetensors checkpoints, as transformers writes them: shard files
 * model-00001-of-0000N.safetensors plus model.safetensors.index.json =
 * {"metadata": {"total_size": <tensor bytes>}, "weight_map": {name: shard file}}.
 * A checkpoint that fits in one shard is a single model.safetensors without index.
 *
 * SafetensorsCheckpoint opens either form (a directory, an index file or a single
 * file) and reads tensors on demand from the right shard.
 */
import { describe } from '../core/describe.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ArgumentError, FormatError, IOError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/atomic.ts';
import { DTYPE_BITS } from './safetensors-dtypes.ts';
import {
  SafetensorsError,
  SafetensorsFile,
  serializeSafetensors,
  type ReadOptions,
  type TensorInfo,
  type TensorInput,
  type TensorRecord,
} from './safetensors.ts';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
/** transformers' default max_shard_size "5GB" (decimal). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

export interface ShardIndex {
  /** The index's "metadata" object (total_size and anything else found there). */
  metadata: Record<string, unknown>;
  /** Tensor name -> shard file name (a bare file name in the index's directory). */
  weightMap: Map<string, string>;
}

/** Reads and checks model.safetensors.index.json. Shard names must be bare file names (no path parts). */
export function readShardIndex(path: string): ShardIndex {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IOError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FormatError(path, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new FormatError(path, 'must be a JSON object');
  const { metadata = {}, weight_map: wm } = json as { metadata?: unknown; weight_map?: unknown };
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw new FormatError(path, 'must be an object', 'metadata');
  const total = (metadata as Record<string, unknown>)['total_size'];
  if (total !== undefined && !(Number.isSafeInteger(total) && (total as number) >= 0)) {
    throw new FormatError(path, `must be a non-negative integer, got ${describe(total)}`, 'metadata.total_size');
  }
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm))
    throw new FormatError(path, 'must be an object of tensor name -> shard file', 'weight_map');
  const weightMap = new Map<string, string>();
  for (const [name, file] of Object.entries(wm)) {
    if (
      typeof file !== 'string' ||
      file.length === 0 ||
      file !== basename(file) ||
      file === '.' ||
      file === '..' ||
      file.includes('\\')
    ) {
      throw new FormatError(
        path,
        `shard must be a file name in the same directory, got ${describe(file)}`,
        `weight_map.${name}`,
      );
    }
    weightMap.set(name, file);
  }
  return { metadata: metadata as Record<string, unknown>, weightMap };
}

/** A checkpoint of one or more safetensors files, read tensor by tensor. */
export class SafetensorsCheckpoint {
  private readonly files = new Map<string, SafetensorsFile>();

  private constructor(
    readonly dir: string,
    /** Tensor name -> the file holding it. */
    private readonly location: Map<string, string>,
    readonly index: ShardIndex | undefined,
  ) {}

  /**
   * Opens a directory (model.safetensors.index.json, else model.safetensors), an
   * index file, or a single .safetensors file. Every shard's header is validated,
   * and every tensor the index names must exist in its shard.
   */
  static open(path: string): SafetensorsCheckpoint {
    if (!existsSync(path)) throw new IOError(path, 'no such file or directory');
    let indexPath: string | undefined;
    let single: string | undefined;
    if (statSync(path).isDirectory()) {
      if (existsSync(join(path, INDEX_FILE))) indexPath = join(path, INDEX_FILE);
      else if (existsSync(join(path, SINGLE_FILE))) single = join(path, SINGLE_FILE);
      else throw new IOError(path, `no ${INDEX_FILE} or ${SINGLE_FILE} in this directory`);
    } else if (path.endsWith('.json')) indexPath = path;
    else single = path;

    if (single !== undefined) {
      const f = SafetensorsFile.open(single);
      const ckpt = new SafetensorsCheckpoint(
        dirname(single),
        new Map(f.keys().map((k) => [k, basename(single)])),
        undefined,
      );
      ckpt.files.set(basename(single), f);
      return ckpt;
    }
    const index = readShardIndex(indexPath!);
    const dir = dirname(indexPath!);
    const ckpt = new SafetensorsCheckpoint(dir, index.weightMap, index);
    try {
      for (const [name, file] of index.weightMap) {
        const f = ckpt.shard(file);
        if (!f.has(name)) {
          throw new SafetensorsError(
            join(dir, file),
            'TensorNotFound',
            `${INDEX_FILE} maps this tensor to this shard, which lacks it`,
            name,
          );
        }
      }
    } catch (err) {
      ckpt.close();
      throw err;
    }
    return ckpt;
  }

  private shard(file: string): SafetensorsFile {
    let f = this.files.get(file);
    if (f === undefined) {
      f = SafetensorsFile.open(join(this.dir, file));
      this.files.set(file, f);
    }
    return f;
  }

  keys(): string[] {
    return [...this.location.keys()];
  }

  has(name: string): boolean {
    return this.location.has(name);
  }

  private fileOf(name: string): SafetensorsFile {
    const file = this.location.get(name);
    if (file === undefined)
      throw new SafetensorsError(this.dir, 'TensorNotFound', 'no such tensor in the checkpoint', name);
    return this.shard(file);
  }

  info(name: string): TensorInfo {
    return this.fileOf(name).info(name);
  }

  read(name: string, opts: ReadOptions = {}): TensorRecord {
    return this.fileOf(name).read(name, opts);
  }

  /** The __metadata__ of the single file, or of the first shard. */
  get metadata(): Record<string, string> | undefined {
    const first = this.files.values().next();
    return first.done === true ? undefined : first.value.metadata;
  }

  close(): void {
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}

function byteSize(t: TensorInput): number {
  return (t.shape.reduce((a, d) => a * d, 1) * DTYPE_BITS[t.dtype]) / 8;
}

/** Python json.dumps(indent=2, sort_keys=True) output, ensure_ascii included, so indexes match transformers byte for byte. */
function pythonJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  };
  return JSON.stringify(sortKeys(value), null, 2).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Writes a checkpoint the way transformers' save_pretrained does: tensors are
 * grouped in the given order into shards of at most maxShardBytes (a tensor larger
 * than that gets a shard of its own); one shard is written as model.safetensors,
 * several as model-0000i-of-0000n.safetensors plus the index. Each shard carries
 * `metadata` (default {"format": "pt"}). Returns the file names written.
 */
export function saveSafetensorsCheckpoint(
  dir: string,
  tensors: ReadonlyMap<string, TensorInput> | Readonly<Record<string, TensorInput>>,
  opts: { maxShardBytes?: number; metadata?: Readonly<Record<string, string>> } = {},
): string[] {
  const maxShard = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!(maxShard > 0))
    throw new ArgumentError('saveSafetensorsCheckpoint', `maxShardBytes must be > 0, got ${maxShard}`);
  const metadata = opts.metadata ?? { format: 'pt' };
  const list: [string, TensorInput][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  // huggingface_hub split_state_dict_into_shards_factory
  const shards: Map<string, TensorInput>[] = [];
  let current = new Map<string, TensorInput>();
  let currentSize = 0;
  let total = 0;
  for (const [name, t] of list) {
    const size = byteSize(t);
    total += size;
    if (size > maxShard) {
      shards.push(new Map([[name, t]]));
      continue;
    }
    if (currentSize + size > maxShard) {
      shards.push(current);
      current = new Map();
      currentSize = 0;
    }
    current.set(name, t);
    currentSize += size;
  }
  if (current.size > 0 || shards.length === 0) shards.push(current);

  if (shards.length === 1) {
    writeFileAtomic(join(dir, SINGLE_FILE), serializeSafetensors(shards[0]!, metadata));
    return [SINGLE_FILE];
  }
  const pad = (i: number): string => String(i).padStart(5, '0');
  const names = shards.map((_, i) => `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
  const weightMap: [string, string][] = [];
  shards.forEach((shard, i) => {
    writeFileAtomic(join(dir, names[i]!), serializeSafetensors(shard, metadata));
    for (const name of shard.keys()) weightMap.push([name, names[i]!]);
  });
  const index = { metadata: { total_size: total }, weight_map: Object.fromEntries(weightMap) };
  writeFileAtomic(join(dir, INDEX_FILE), `${pythonJson(index)}\n`);
  return [...names, INDEX_FILE];
}
