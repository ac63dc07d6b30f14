// Sharded checkpoints: reading the oracle's transformers-style shards + index, writing
// byte-identical ones, and rejecting bad indexes.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FormatError, IOError } from '../../src/core/errors.ts';
import { SafetensorsError, type TensorInput } from '../../src/io/safetensors.ts';
import { INDEX_FILE, SafetensorsCheckpoint, saveSafetensorsCheckpoint } from '../../src/io/safetensors-sharded.ts';
import { FIXTURES, inputOf, readExpected, sameValues } from './safetensors-fixtures.ts';

const SHARDED = join(FIXTURES, 'sharded');
const tmp = mkdtempSync(join(tmpdir(), 'llmts-st-shard-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const expected = readExpected(join(SHARDED, 'expected.json'));
// the oracle's state-dict order
const ORDER = ['embed.weight', 'layer.0.weight', 'layer.1.weight', 'head.bias'];
const inputs = new Map<string, TensorInput>(ORDER.map((k) => [k, inputOf(expected.tensors[k]!)]));

describe('reading a sharded checkpoint', () => {
  it('opens the directory through the index and reads every tensor from its shard', () => {
    const ckpt = SafetensorsCheckpoint.open(SHARDED);
    try {
      assert.deepEqual(ckpt.keys().sort(), [...ORDER].sort());
      assert.equal(ckpt.index?.metadata['total_size'], 4 * (12 + 9 + 9 + 4));
      for (const k of ORDER) {
        const r = ckpt.read(k);
        assert.deepEqual(r.shape, expected.tensors[k]!.shape);
        assert.ok(sameValues(r.data as Float32Array, inputs.get(k)!.data as Float32Array), k);
      }
      assert.deepEqual(ckpt.metadata, { format: 'pt' });
      assert.throws(() => ckpt.read('missing'), SafetensorsError);
    } finally {
      ckpt.close();
    }
  });
  it('opens the index file or a single file directly', () => {
    const a = SafetensorsCheckpoint.open(join(SHARDED, INDEX_FILE));
    assert.equal(a.keys().length, 4);
    a.close();
    const b = SafetensorsCheckpoint.open(join(SHARDED, 'model-00002-of-00002.safetensors'));
    assert.deepEqual(b.keys().sort(), ['head.bias', 'layer.1.weight']);
    b.close();
  });
});

describe('writing checkpoints', () => {
  it('shards, names and index are byte-identical to the transformers layout', () => {
    const dir = join(tmp, 'out');
    const files = saveSafetensorsCheckpoint(dir, inputs, { maxShardBytes: 84 });
    assert.deepEqual(files, ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', INDEX_FILE]);
    for (const f of files) assert.deepEqual(readFileSync(join(dir, f)), readFileSync(join(SHARDED, f)), f);
    assert.deepEqual(readdirSync(dir).sort(), [...files].sort());
  });
  it('one shard is written as model.safetensors without an index', () => {
    const dir = join(tmp, 'single');
    assert.deepEqual(saveSafetensorsCheckpoint(dir, inputs), ['model.safetensors']);
    const ckpt = SafetensorsCheckpoint.open(dir);
    assert.equal(ckpt.index, undefined);
    assert.equal(ckpt.keys().length, 4);
    ckpt.close();
  });
  it('a tensor larger than the shard size gets a shard of its own (huggingface_hub order)', () => {
    const dir = join(tmp, 'big');
    const t = (n: number): TensorInput => ({ dtype: 'U8', shape: [n], data: new Uint8Array(n) });
    saveSafetensorsCheckpoint(
      dir,
      new Map([
        ['a', t(4)],
        ['big', t(20)],
        ['b', t(4)],
        ['c', t(4)],
      ]),
      { maxShardBytes: 10 },
    );
    const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8')) as { weight_map: Record<string, string> };
    assert.deepEqual(index.weight_map, {
      a: 'model-00002-of-00003.safetensors',
      b: 'model-00002-of-00003.safetensors',
      big: 'model-00001-of-00003.safetensors',
      c: 'model-00003-of-00003.safetensors',
    });
  });
});

describe('bad checkpoints', () => {
  const withIndex = (name: string, index: string): string => {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    for (const f of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'])
      copyFileSync(join(SHARDED, f), join(dir, f));
    writeFileSync(join(dir, INDEX_FILE), index);
    return dir;
  };
  it('shard names with path parts are refused', () => {
    const dir = withIndex(
      'traversal',
      JSON.stringify({ weight_map: { 'embed.weight': '../model-00001-of-00002.safetensors' } }),
    );
    assert.throws(
      () => SafetensorsCheckpoint.open(dir),
      (e: unknown) => e instanceof FormatError && e.field === 'weight_map.embed.weight',
    );
  });
  it('a tensor missing from its shard, a missing shard, a broken index', () => {
    const dir = withIndex(
      'missing',
      JSON.stringify({ weight_map: { 'head.bias': 'model-00001-of-00002.safetensors' } }),
    );
    assert.throws(
      () => SafetensorsCheckpoint.open(dir),
      (e: unknown) => e instanceof SafetensorsError && e.kind === 'TensorNotFound',
    );
    const dir2 = withIndex('noshard', JSON.stringify({ weight_map: { x: 'model-00009-of-00009.safetensors' } }));
    assert.throws(() => SafetensorsCheckpoint.open(dir2), IOError);
    const dir3 = withIndex('broken', '{"weight_map": ');
    assert.throws(() => SafetensorsCheckpoint.open(dir3), FormatError);
    const dir4 = withIndex('nomap', '{"metadata": {"total_size": -1}, "weight_map": {}}');
    assert.throws(
      () => SafetensorsCheckpoint.open(dir4),
      (e: unknown) => e instanceof FormatError && e.field === 'metadata.total_size',
    );
    assert.throws(() => SafetensorsCheckpoint.open(join(tmp, 'nowhere')), IOError);
    assert.ok(existsSync(dir));
  });
});
