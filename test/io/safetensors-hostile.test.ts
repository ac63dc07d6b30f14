// Hostile and malformed safetensors files: each must fail with the reference's error
// kind (safetensors/src/tensor.rs, in its order) as a typed FormatError naming the
// file and field, never a crash, an out-of-memory or a hang.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { FormatError } from '../../src/core/errors.ts';
import {
  deserializeSafetensors,
  readHeader,
  SafetensorsError,
  SafetensorsFile,
  serializeSafetensorsToBuffer,
  type SafetensorsErrorKind,
} from '../../src/io/safetensors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'llmts-st-hostile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** [N as u64 LE][header bytes][data bytes]; n overrides the declared length. */
function file(header: string | Uint8Array, data: number | Uint8Array = 0, n?: bigint): Uint8Array {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

function rejects(buf: Uint8Array, kind: SafetensorsErrorKind, field?: string): void {
  assert.throws(
    () => deserializeSafetensors(buf, { file: 'bad.safetensors' }),
    (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${String(e)}`);
      assert.ok(e instanceof FormatError);
      assert.equal(e.kind, kind, e.message);
      assert.equal(e.file, 'bad.safetensors');
      if (field !== undefined) assert.equal(e.field, field, e.message);
      return true;
    },
  );
  // the file-path reader validates identically
  const path = join(tmp, 'bad.safetensors');
  writeFileSync(path, buf);
  assert.throws(
    () => SafetensorsFile.open(path),
    (e: unknown) => e instanceof SafetensorsError && e.kind === kind && e.file === path,
  );
}

const t = (name: string, dtype: string, shape: unknown, offsets: unknown): string =>
  `${JSON.stringify(name)}:{"dtype":${JSON.stringify(dtype)},"shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

describe('header length', () => {
  it('fewer than 8 bytes: HeaderTooSmall', () => {
    rejects(new Uint8Array(0), 'HeaderTooSmall');
    rejects(new Uint8Array(7), 'HeaderTooSmall');
  });
  it('N > 1e8: HeaderTooLarge, before anything is allocated', () => {
    rejects(file('{}', 0, 100_000_001n), 'HeaderTooLarge');
    rejects(file('{}', 0, 2n ** 64n - 1n), 'HeaderTooLarge');
  });
  it('8 + N past the end of the file: InvalidHeaderLength', () => {
    rejects(file('{}', 0, 99_999_999n), 'InvalidHeaderLength');
    rejects(file('{}', 0, 3n), 'InvalidHeaderLength');
  });
});

describe('header text and schema', () => {
  it('not UTF-8: InvalidHeader', () => {
    rejects(file(Uint8Array.of(0x7b, 0xff, 0x7d)), 'InvalidHeader');
  });
  it('invalid JSON or a BOM or trailing characters: InvalidHeaderDeserialization', () => {
    rejects(file('{"a":'), 'InvalidHeaderDeserialization');
    rejects(file('\ufeff{}'), 'InvalidHeaderDeserialization');
    rejects(file('{} x'), 'InvalidHeaderDeserialization');
    rejects(file('[]'), 'InvalidHeaderDeserialization');
    rejects(file('"str"'), 'InvalidHeaderDeserialization');
    rejects(file('{"a":"\\ud800"}'), 'InvalidHeaderDeserialization');
  });
  it('whitespace around the object and space padding are fine', () => {
    assert.equal(readHeader(file(' \n{}  \t ')).tensors.size, 0);
  });
  it('deep nesting fails cleanly instead of overflowing the stack', () => {
    rejects(file(`{"a":${'['.repeat(100000)}`), 'InvalidHeaderDeserialization');
  });
  it('unknown dtype names the field', () => {
    rejects(file(`{${t('w', 'F17', [1], [0, 4])}}`, 4), 'InvalidHeaderDeserialization', 'w.dtype');
    rejects(file(`{${t('w', 'f32', [1], [0, 4])}}`, 4), 'InvalidHeaderDeserialization', 'w.dtype');
  });
  it('bad shapes and offsets name the field', () => {
    rejects(file(`{${t('w', 'F32', [-1], [0, 4])}}`, 4), 'InvalidHeaderDeserialization', 'w.shape[0]');
    rejects(file(`{${t('w', 'F32', [1.5], [0, 4])}}`, 4), 'InvalidHeaderDeserialization', 'w.shape[0]');
    rejects(file(`{${t('w', 'F32', ['1'], [0, 4])}}`, 4), 'InvalidHeaderDeserialization', 'w.shape[0]');
    rejects(file(`{${t('w', 'F32', 1, [0, 4])}}`, 4), 'InvalidHeaderDeserialization', 'w.shape');
    rejects(file(`{${t('w', 'F32', [1], [0, 4, 8])}}`, 4), 'InvalidHeaderDeserialization', 'w.data_offsets');
    rejects(file('{"w":{"dtype":"F32","shape":[1]}}', 4), 'InvalidHeaderDeserialization', 'w.data_offsets');
    rejects(
      file(
        `{${t('w', 'F32', [1], [0, 18446744073709551616n.toString()])}}`.replace(
          '"18446744073709551616"',
          '18446744073709551616',
        ),
        4,
      ),
      'InvalidHeaderDeserialization',
      'w.data_offsets[1]',
    );
    rejects(file('{"w":5}', 0), 'InvalidHeaderDeserialization', 'w');
  });
  it('non-string metadata values are rejected', () => {
    rejects(file('{"__metadata__":{"format":1}}'), 'InvalidHeaderDeserialization', '__metadata__.format');
    rejects(file('{"__metadata__":["pt"]}'), 'InvalidHeaderDeserialization', '__metadata__');
    assert.equal(readHeader(file('{"__metadata__":null}')).metadata, undefined);
  });
  it('duplicate keys are rejected (tensors and metadata)', () => {
    rejects(file(`{${t('w', 'F32', [1], [0, 4])},${t('w', 'F32', [1], [0, 4])}}`, 4), 'InvalidHeaderDeserialization');
    rejects(file('{"__metadata__":{"a":"1","a":"2"}}'), 'InvalidHeaderDeserialization');
  });
});

describe('offsets and sizes', () => {
  it('json attack: ten tensors on the same range -> InvalidOffset', () => {
    const entries = Array.from({ length: 10 }, (_, i) => t(`weight_${i}`, 'F32', [2, 2], [0, 16]));
    rejects(file(`{${entries.join(',')}}`, 16), 'InvalidOffset');
  });
  it('gaps, overlaps, a late start and END < BEGIN -> InvalidOffset naming the tensor', () => {
    rejects(file(`{${t('a', 'F32', [1], [0, 4])},${t('b', 'F32', [1], [8, 12])}}`, 12), 'InvalidOffset', 'b');
    rejects(file(`{${t('a', 'F32', [2], [0, 8])},${t('b', 'F32', [2], [4, 12])}}`, 12), 'InvalidOffset', 'b');
    rejects(file(`{${t('a', 'F32', [1], [4, 8])}}`, 8), 'InvalidOffset', 'a');
    rejects(file(`{${t('a', 'F32', [0], [4, 0])}}`, 4), 'InvalidOffset', 'a');
  });
  it('any JSON order is fine when the ranges tile the data', () => {
    const h = readHeader(file(`{${t('b', 'F32', [1], [4, 8])},${t('a', 'F32', [1], [0, 4])}}`, 8));
    assert.deepEqual([...h.tensors.keys()], ['a', 'b']);
  });
  it('element-count overflow -> ValidationOverflow', () => {
    rejects(file(`{${t('a', 'F32', [2 ** 40, 2 ** 40], [0, 4])}}`, 4), 'ValidationOverflow', 'a.shape');
    rejects(file(`{${t('a', 'U64', [2 ** 62], [0, 4])}}`, 4), 'ValidationOverflow', 'a.shape');
  });
  it('sub-byte dtypes must fill whole bytes -> MisalignedSlice', () => {
    rejects(file(`{${t('a', 'F4', [3], [0, 2])}}`, 2), 'MisalignedSlice', 'a');
    assert.equal(readHeader(file(`{${t('a', 'F4', [4], [0, 2])}}`, 2)).tensors.size, 1);
  });
  it('size != numel * bits / 8 -> TensorInvalidInfo', () => {
    rejects(file(`{${t('a', 'F32', [2], [0, 4])}}`, 4), 'TensorInvalidInfo', 'a');
    rejects(file(`{${t('a', 'F32', [], [0, 0])}}`, 0), 'TensorInvalidInfo', 'a');
    rejects(file(`{${t('a', 'F16', [3], [0, 4])}}`, 4), 'TensorInvalidInfo', 'a');
  });
  it('huge offsets that JSON.parse would round are caught exactly', () => {
    rejects(
      file(
        `{${t('a', 'U8', [1], [0, 1])},"b":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[1,9007199254740994]}}`,
        1,
      ),
      'MetadataIncompleteBuffer',
    );
  });
  it('truncated data or trailing bytes -> MetadataIncompleteBuffer', () => {
    const good = serializeSafetensorsToBuffer({ w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    assert.equal(readHeader(good).tensors.size, 1);
    rejects(good.subarray(0, good.length - 1), 'MetadataIncompleteBuffer');
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    rejects(longer, 'MetadataIncompleteBuffer');
  });
  it('zero-size tensors may share an offset; scalars take one element', () => {
    const h = readHeader(
      file(`{${t('a', 'F32', [0, 3], [0, 0])},${t('b', 'I8', [0], [0, 0])},${t('s', 'F32', [], [0, 4])}}`, 4),
    );
    assert.deepEqual([...h.tensors.keys()].sort(), ['a', 'b', 's']);
  });
  it('"__proto__" is an ordinary tensor name', () => {
    const { tensors } = deserializeSafetensors(file(`{${t('__proto__', 'U8', [1], [0, 1])}}`, Uint8Array.of(9)));
    assert.equal(tensors.get('__proto__')!.data[0], 9);
  });
});

describe('fuzzing', () => {
  it('random corruptions of a valid file either load or raise SafetensorsError', () => {
    const good = serializeSafetensorsToBuffer(
      {
        a: { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
        b: { dtype: 'I64', shape: [1], data: BigInt64Array.of(5n) },
        c: { dtype: 'BF16', shape: [3], data: Uint16Array.of(1, 2, 3) },
      },
      { format: 'pt' },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -4, max: 4 }),
        (edits, resize) => {
          const buf = new Uint8Array(Math.max(0, good.length + resize));
          buf.set(good.subarray(0, buf.length));
          for (const [i, v] of edits) if (i < buf.length) buf[i] = v;
          try {
            deserializeSafetensors(buf);
          } catch (e) {
            if (!(e instanceof SafetensorsError)) throw e;
          }
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });
});
