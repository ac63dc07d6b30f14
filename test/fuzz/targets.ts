/**
 * The file formats llmts reads, each as a fuzz target: a valid seed (a committed fixture or a
 * small file generated here), the files a case mutates, and what the command that reads the
 * file does next (a forward pass after loading a model, encode + decode after loading a
 * tokenizer, reading every window of a shard dataset, restoring the optimizer of a checkpoint).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHfModel } from '../../src/io/hf/load.ts';
import { loadModelFromRun, openCheckpoint, restoreOptimizer, saveCheckpoint } from '../../src/io/checkpoint.ts';
import { loadTokenizer } from '../../src/tokenizers/index.ts';
import '../../src/tokenizers/sentencepiece/index.ts';
import { createShardWriter, openShardDataset } from '../../src/data/shards/index.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { specOf } from '../../src/models/registry.ts';
import type { AnyModel } from '../../src/models/registry.ts';
import type { JsonValue } from '../../src/core/json.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { groupsForWeightDecay } from '../../src/optim/optimizer.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { tidy } from '../../src/engine/memory.ts';
import { mutateBytes, mutateJson } from './mutate.ts';
import type { Rng } from './mutate.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

export interface Target {
  name: string;
  /** Writes the valid files into `seedDir` (once). */
  setup(seedDir: string): void;
  /** Writes one mutated case into `caseDir` from the seed files. */
  mutate(seedDir: string, caseDir: string, rng: Rng): void;
  /** Does what llmts does with the folder: load it and use it. */
  run(caseDir: string): void;
}

/** The text every tokenizer case encodes (with specials spelled out, as untrusted text can). */
const TEXT = 'Hello world, héllo 世界 <s> </s> static_cast<s> [CLS] <|endoftext|> 123\n\t  x';

function forward(model: AnyModel): void {
  if (!(model instanceof GPT)) return;
  const V = model.config.vocabSize;
  const T = Math.min(4, model.config.blockSize);
  const ids = Array.from({ length: T }, (_, i) => (i * 7) % V);
  tidy(() => noGrad(() => model.forward(tensor([ids], { dtype: 'int32' }))));
}

function useTokenizer(path: string): void {
  const tok = loadTokenizer(path);
  const ids = tok.encode(TEXT).ids;
  tok.decode(ids);
  // ids of the whole vocabulary's edge: decode must not allocate by an id's value
  const n = tok.vocabSize;
  tok.decode([0, Math.max(0, n - 1)].filter((i) => i < n));
}

function copyAll(from: string, to: string, names: readonly string[]): void {
  mkdirSync(to, { recursive: true });
  for (const n of names) copyFileSync(join(from, n), join(to, n));
}

/** A safetensors file with its JSON header mutated (tensor data unchanged). */
function mutateSafetensorsHeader(bytes: Uint8Array, rng: Rng): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const mutated = new TextEncoder().encode(mutateJson(header, rng));
  const out = new Uint8Array(8 + mutated.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(mutated.length), true);
  out.set(mutated, 8);
  out.set(bytes.subarray(8 + n), 8 + mutated.length);
  return out;
}

const HF = join(FIXTURES, 'generate', 'llama-sp');
const HF_FILES = ['config.json', 'model.safetensors'];

const hfModel = (mutate: (seed: string, out: string, rng: Rng) => void): Omit<Target, 'name'> => ({
  setup: (seed) => copyAll(HF, seed, HF_FILES),
  mutate: (seed, dir, rng) => {
    copyAll(seed, dir, HF_FILES);
    mutate(seed, dir, rng);
  },
  run: (dir) => forward(loadHfModel(dir)),
});

function makeCheckpoint(seed: string): void {
  mkdirSync(seed, { recursive: true });
  const cfg = gptPreset('gpt2', { vocabSize: 40, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 });
  const model = new GPT(cfg, { seed: 3 });
  const opt = new AdamW(groupsForWeightDecay(model.parameters(), 1e-3, 0.1));
  saveCheckpoint({
    path: join(seed, 'checkpoint-last.safetensors'),
    model,
    spec: specOf(model),
    optimizer: opt,
    step: 7,
    extra: { bestEvalLoss: null, task: { sampler: model.generator.getState() as unknown as JsonValue } },
    train: null,
  });
}

function resumeCheckpoint(dir: string): void {
  const { model } = loadModelFromRun(join(dir, 'checkpoint-last.safetensors'));
  forward(model);
  const ckpt = openCheckpoint(join(dir, 'checkpoint-last.safetensors'));
  try {
    restoreOptimizer(new AdamW(groupsForWeightDecay(model.parameters(), 1e-3, 0.1)), ckpt);
  } finally {
    ckpt.file.close();
  }
}

/** The checkpoint with its llmts metadata mutated and the checksum dropped (so the schema speaks). */
function mutateCheckpointMeta(bytes: Uint8Array, rng: Rng): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    Record<string, string>
  >;
  const md = header['__metadata__']!;
  md['llmts'] = mutateJson(md['llmts']!, rng);
  delete md['llmts_sha256'];
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(bytes.subarray(8 + n), 8 + text.length);
  return out;
}

const BERT_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', '##s', 'x', ',', '1', '##2', '##3'];
const GPT2_VOCAB = { H: 0, e: 1, l: 2, o: 3, Ġ: 4, w: 5, r: 6, d: 7, He: 8, ll: 9, Hell: 10, Hello: 11, Ġw: 12 };
const GPT2_MERGES = '#version: 0.2\nH e\nl l\nHe ll\nHell o\nĠ w\n';

function makeShards(seed: string): void {
  const w = createShardWriter(seed, { vocabSize: 300, eosId: 299, maxTokensPerFile: 64, source: 'fuzz seed' });
  for (let d = 0; d < 12; d++)
    w.addDocument(
      'train',
      Array.from({ length: 5 + d * 3 }, (_, i) => (d * 31 + i * 7) % 299),
    );
  w.addDocument('val', [1, 2, 3]);
  w.finish();
}

function readShards(dir: string): void {
  const ds = openShardDataset(dir, { chunkTokens: 16, cacheChunks: 2 });
  try {
    for (const name of Object.keys(ds.meta.splits)) {
      const s = ds.split(name);
      const n = Math.min(s.numTokens, 1 << 16);
      s.read(0, n, new Int32Array(n));
      if (s.numDocuments > 0) s.documentBounds(s.numDocuments - 1);
      s.verify();
    }
  } finally {
    ds.close();
  }
}

function shardFiles(seed: string): string[] {
  const meta = JSON.parse(readFileSync(join(seed, 'meta.json'), 'utf8')) as {
    splits: Record<string, { files: { bin: string; idx: string }[] }>;
  };
  return Object.values(meta.splits).flatMap((s) => s.files.flatMap((f) => [f.bin, f.idx]));
}

/** meta.json without the files' SHA-256 (an older dataset: the structure checks must catch what the hash would). */
function dropShardChecksums(dir: string): void {
  const p = join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(p, 'utf8')) as { splits: Record<string, { files: Record<string, unknown>[] }> };
  for (const s of Object.values(meta.splits))
    for (const f of s.files) {
      delete f['bin_sha256'];
      delete f['idx_sha256'];
    }
  writeFileSync(p, JSON.stringify(meta));
}

export const TARGETS: Target[] = [
  { name: 'HF config.json', ...hfModel((_, dir, rng) => mutateFile(join(dir, 'config.json'), rng, 'json')) },
  {
    name: 'safetensors header',
    ...hfModel((_, dir, rng) => {
      const p = join(dir, 'model.safetensors');
      writeFileSync(p, mutateSafetensorsHeader(readFileSync(p), rng));
    }),
  },
  { name: 'safetensors bytes', ...hfModel((_, dir, rng) => mutateFile(join(dir, 'model.safetensors'), rng, 'bytes')) },
  {
    name: 'llmts checkpoint metadata',
    setup: makeCheckpoint,
    mutate: (seed, dir, rng) => {
      mkdirSync(dir, { recursive: true });
      const p = 'checkpoint-last.safetensors';
      writeFileSync(join(dir, p), mutateCheckpointMeta(readFileSync(join(seed, p)), rng));
    },
    run: resumeCheckpoint,
  },
  {
    name: 'llmts checkpoint bytes',
    setup: makeCheckpoint,
    mutate: (seed, dir, rng) => {
      copyAll(seed, dir, ['checkpoint-last.safetensors']);
      mutateFile(join(dir, 'checkpoint-last.safetensors'), rng, 'bytes');
    },
    run: resumeCheckpoint,
  },
  {
    name: 'tokenizer.json',
    setup: (seed) => copyAll(HF, seed, ['tokenizer.json']),
    mutate: (seed, dir, rng) => {
      copyAll(seed, dir, ['tokenizer.json']);
      mutateFile(join(dir, 'tokenizer.json'), rng, rng.next() < 0.8 ? 'json' : 'bytes');
    },
    run: (dir) => useTokenizer(join(dir, 'tokenizer.json')),
  },
  {
    name: 'SentencePiece .model',
    setup: (seed) => copyAll(join(FIXTURES, 'tokenizers', 'sentencepiece'), seed, ['bpe-en.model']),
    mutate: (seed, dir, rng) => {
      copyAll(seed, dir, ['bpe-en.model']);
      mutateFile(join(dir, 'bpe-en.model'), rng, 'bytes');
    },
    run: (dir) => useTokenizer(join(dir, 'bpe-en.model')),
  },
  {
    name: 'vocab.txt (WordPiece)',
    setup: (seed) => {
      mkdirSync(seed, { recursive: true });
      writeFileSync(join(seed, 'vocab.txt'), BERT_VOCAB.join('\n') + '\n');
    },
    mutate: (seed, dir, rng) => {
      copyAll(seed, dir, ['vocab.txt']);
      mutateFile(join(dir, 'vocab.txt'), rng, 'bytes');
    },
    run: (dir) => useTokenizer(join(dir, 'vocab.txt')),
  },
  {
    name: 'vocab.json + merges.txt',
    setup: (seed) => {
      mkdirSync(seed, { recursive: true });
      writeFileSync(join(seed, 'vocab.json'), JSON.stringify(GPT2_VOCAB));
      writeFileSync(join(seed, 'merges.txt'), GPT2_MERGES);
    },
    mutate: (seed, dir, rng) => {
      copyAll(seed, dir, ['vocab.json', 'merges.txt']);
      if (rng.next() < 0.5) mutateFile(join(dir, 'vocab.json'), rng, 'json');
      else mutateFile(join(dir, 'merges.txt'), rng, 'bytes');
    },
    run: (dir) => useTokenizer(join(dir, 'vocab.json')),
  },
  {
    name: 'token shards (meta.json + .bin)',
    setup: makeShards,
    mutate: (seed, dir, rng) => {
      const files = shardFiles(seed);
      copyAll(seed, dir, ['meta.json', ...files]);
      if (rng.next() < 0.6) mutateFile(join(dir, 'meta.json'), rng, 'json');
      else {
        if (rng.next() < 0.5) dropShardChecksums(dir);
        mutateFile(join(dir, rng.pick(files)), rng, 'bytes');
      }
    },
    run: readShards,
  },
];

function mutateFile(path: string, rng: Rng, how: 'json' | 'bytes'): void {
  const bytes = readFileSync(path);
  if (how === 'json') writeFileSync(path, mutateJson(bytes.toString('utf8'), rng));
  else writeFileSync(path, mutateBytes(bytes, rng));
}
