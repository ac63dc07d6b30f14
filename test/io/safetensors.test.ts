// safetensors reader/writer against files written by an independent Python
// implementation of the format with torch-made values (scripts/oracles/safetensors_fixtures.py).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ArgumentError } from '../../src/core/errors.ts';
import {
  deserializeSafetensors,
  DTYPES,
  loadSafetensors,
  readHeader,
  SafetensorsFile,
  saveSafetensors,
  serializeSafetensorsToBuffer,
  type Dtype,
  type TensorInput,
} from '../../src/io/safetensors.ts';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, halfBitsToFloat32 } from '../../src/io/safetensors-dtypes.ts';
import { FIXTURES, inputOf, num, readExpected, sameValues } from './safetensors-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'llmts-st-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const FIXTURE_NAMES = ['all_dtypes', 'names', 'empty', 'metadata_only', 'convert'];

function expectedData(t: ReturnType<typeof readExpected>['tensors'][string]): ArrayLike<number | bigint> {
  return inputOf(t).data as ArrayLike<number | bigint>;
}

describe('reading files written by the Python oracle', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: every tensor's dtype, shape and elements; the metadata`, () => {
      const exp = readExpected(join(FIXTURES, `${name}.json`));
      const { metadata, tensors } = loadSafetensors(join(FIXTURES, `${name}.safetensors`));
      assert.deepEqual(metadata ?? null, exp.metadata);
      assert.deepEqual([...tensors.keys()].sort(), Object.keys(exp.tensors).sort());
      for (const [k, t] of Object.entries(exp.tensors)) {
        const got = tensors.get(k)!;
        assert.equal(got.dtype, t.dtype, k);
        assert.deepEqual(got.shape, t.shape, k);
        assert.ok(sameValues(got.data as ArrayLike<number | bigint>, expectedData(t)), `${k} elements`);
      }
    });
  }
  it('F16/BF16 widen to float32 exactly as torch .float() does', () => {
    for (const name of ['all_dtypes', 'convert']) {
      const exp = readExpected(join(FIXTURES, `${name}.json`));
      const { tensors } = loadSafetensors(join(FIXTURES, `${name}.safetensors`), { float32: true });
      for (const [k, t] of Object.entries(exp.tensors)) {
        if (t.dtype !== 'F16' && t.dtype !== 'BF16') continue;
        const got = tensors.get(k)!.data;
        assert.ok(got instanceof Float32Array);
        assert.ok(sameValues(got, Float32Array.from(t.values, num)), k);
      }
    }
  });
  it('the in-memory reader gives the same as the file reader and shares aligned memory', () => {
    const buf = new Uint8Array(readFileSync(join(FIXTURES, 'all_dtypes.safetensors')));
    const a = deserializeSafetensors(buf);
    const b = loadSafetensors(join(FIXTURES, 'all_dtypes.safetensors'));
    for (const [k, t] of b.tensors)
      assert.ok(sameValues(a.tensors.get(k)!.data as ArrayLike<number>, t.data as ArrayLike<number>), k);
    const f32 = a.tensors.get('f32')!.data;
    assert.equal(f32.buffer, buf.buffer, 'zero-copy view');
  });
});

describe('writing byte-identical files', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: same bytes as the Python writer`, () => {
      const exp = readExpected(join(FIXTURES, `${name}.json`));
      const inputs = new Map(Object.entries(exp.tensors).map(([k, t]) => [k, inputOf(t)]));
      const out = serializeSafetensorsToBuffer(inputs, exp.metadata ?? undefined);
      assert.deepEqual(Buffer.from(out), readFileSync(join(FIXTURES, `${name}.safetensors`)));
    });
  }
  it('an empty dict is 8 + "{}" + 6 spaces', () => {
    assert.deepEqual(
      Array.from(serializeSafetensorsToBuffer({})),
      [8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32],
    );
  });
  it('float32 input for F16/BF16 rounds to nearest even exactly as torch', () => {
    const exp = readExpected(join(FIXTURES, 'convert.json'));
    const src = Float32Array.from(exp.tensors['src']!.values, num);
    const out = serializeSafetensorsToBuffer({
      src: { dtype: 'F32', shape: [src.length], data: src },
      f16: { dtype: 'F16', shape: [src.length], data: src },
      bf16: { dtype: 'BF16', shape: [src.length], data: src },
    });
    assert.deepEqual(Buffer.from(out), readFileSync(join(FIXTURES, 'convert.safetensors')));
  });
  it('rejects bad input with typed errors', () => {
    const f = (t: TensorInput): Uint8Array => serializeSafetensorsToBuffer({ t });
    assert.throws(() => f({ dtype: 'F32', shape: [3], data: new Float32Array(2) }), ArgumentError);
    assert.throws(() => f({ dtype: 'F32', shape: [2], data: new Float64Array(2) }), ArgumentError);
    assert.throws(() => f({ dtype: 'I64', shape: [-1], data: new BigInt64Array(0) }), ArgumentError);
    assert.throws(() => f({ dtype: 'BOOL', shape: [1], data: Uint8Array.of(2) }), ArgumentError);
    assert.throws(() => f({ dtype: 'F8_E4M3', shape: [2], data: new Uint8Array(3) }), ArgumentError);
    assert.throws(() => f({ dtype: 'X' as Dtype, shape: [], data: new Uint8Array(1) }), ArgumentError);
    assert.throws(
      () => serializeSafetensorsToBuffer({ __metadata__: { dtype: 'U8', shape: [], data: new Uint8Array(1) } }),
      ArgumentError,
    );
  });
});

describe('round trips', () => {
  it('every dtype, scalars and zero-size tensors, through a file', () => {
    const tensors = new Map<string, TensorInput>();
    for (const d of DTYPES) {
      const bits = { BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6 }[d as string] ?? 0;
      if (d === 'BOOL') tensors.set(d, { dtype: d, shape: [2, 2], data: Uint8Array.of(1, 0, 0, 1) });
      else if (bits === 4) tensors.set(d, { dtype: d, shape: [2, 3], data: Uint8Array.of(0x12, 0x34, 0x56) });
      else if (bits === 6) tensors.set(d, { dtype: d, shape: [4], data: Uint8Array.of(1, 2, 3) });
      else if (d === 'I64')
        tensors.set(d, { dtype: d, shape: [2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n) });
      else if (d === 'U64') tensors.set(d, { dtype: d, shape: [2], data: BigUint64Array.of(0n, 2n ** 64n - 1n) });
      else if (d === 'C64') tensors.set(d, { dtype: d, shape: [1], data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
      else if (d === 'F64') tensors.set(d, { dtype: d, shape: [3], data: Float64Array.of(Math.PI, -0, Infinity) });
      else if (d === 'F32') tensors.set(d, { dtype: d, shape: [], data: Float32Array.of(1.5) });
      else if (d === 'F16' || d === 'BF16')
        tensors.set(d, { dtype: d, shape: [2], data: Uint16Array.of(0x3c00, 0xfbff) });
      else if (d === 'I32') tensors.set(d, { dtype: d, shape: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) });
      else if (d === 'U32') tensors.set(d, { dtype: d, shape: [1, 1], data: Uint32Array.of(2 ** 32 - 1) });
      else if (d === 'I16') tensors.set(d, { dtype: d, shape: [0], data: new Int16Array(0) });
      else if (d === 'U16') tensors.set(d, { dtype: d, shape: [1], data: Uint16Array.of(65535) });
      else if (d === 'I8') tensors.set(d, { dtype: d, shape: [2], data: Int8Array.of(-128, 127) });
      else tensors.set(d, { dtype: d, shape: [3], data: Uint8Array.of(0, 128, 255) }); // U8 and F8 variants
    }
    const path = join(tmp, 'all.safetensors');
    saveSafetensors(
      path,
      tensors,
      Object.fromEntries([
        ['format', 'pt'],
        ['__proto__', 'x'],
      ]),
    );
    const back = loadSafetensors(path);
    assert.equal(back.metadata?.['format'], 'pt');
    assert.equal(Object.getOwnPropertyDescriptor(back.metadata, '__proto__')?.value, 'x');
    for (const [k, t] of tensors) {
      const r = back.tensors.get(k)!;
      assert.equal(r.dtype, t.dtype);
      assert.deepEqual(r.shape, [...t.shape]);
      assert.ok(sameValues(r.data as ArrayLike<number>, t.data as ArrayLike<number>), k);
    }
    assert.deepEqual(readdirSync(tmp), ['all.safetensors'], 'no temporary file left behind');
  });
  it('the data section starts 8-byte aligned and each tensor is naturally aligned', () => {
    const buf = serializeSafetensorsToBuffer({
      a: { dtype: 'U8', shape: [3], data: new Uint8Array(3) },
      b: { dtype: 'F64', shape: [1], data: new Float64Array(1) },
      c: { dtype: 'I16', shape: [1], data: new Int16Array(1) },
      d: { dtype: 'F32', shape: [1], data: new Float32Array(1) },
    });
    const h = readHeader(buf);
    assert.equal(h.dataStart % 8, 0);
    assert.deepEqual([...h.tensors.keys()], ['b', 'd', 'c', 'a']);
    for (const info of h.tensors.values())
      assert.equal(
        info.dataOffsets[0] % (info.dtype === 'U8' ? 1 : info.dtype === 'I16' ? 2 : info.dtype === 'F32' ? 4 : 8),
        0,
      );
  });
  it('reading one tensor from a file reads only its bytes', () => {
    const big = new Float32Array(1 << 20);
    const path = join(tmp, 'lazy.safetensors');
    saveSafetensors(path, {
      big: { dtype: 'F32', shape: [big.length], data: big },
      small: { dtype: 'I32', shape: [2], data: Int32Array.of(7, 8) },
    });
    const f = SafetensorsFile.open(path);
    try {
      const start = f.bytesRead;
      assert.equal(start, f.header.dataStart);
      assert.deepEqual(Array.from(f.read('small').data as Int32Array), [7, 8]);
      assert.equal(f.bytesRead, start + 8);
      assert.deepEqual(f.info('big').shape, [1 << 20]);
    } finally {
      f.close();
    }
    assert.ok(existsSync(path));
  });
});

describe('half-precision conversions', () => {
  it('every F16 and BF16 bit pattern survives widening and narrowing', () => {
    for (let h = 0; h < 65536; h++) {
      const x = f16ToF32(h);
      if (Number.isNaN(x)) assert.equal(f32ToF16(x) & 0x7fff, 0x7e00);
      else assert.equal(f32ToF16(x), h, `f16 ${h.toString(16)}`);
      const y = bf16ToF32(h);
      if (Number.isNaN(y)) assert.equal(f32ToBf16(y), 0xffff);
      else assert.equal(f32ToBf16(y), h, `bf16 ${h.toString(16)}`);
    }
  });
  it('bulk widening equals the scalar path', () => {
    const bits = Uint16Array.from({ length: 4096 }, (_, i) => i * 16);
    const f = halfBitsToFloat32(bits, 'F16');
    const b = halfBitsToFloat32(bits, 'BF16');
    bits.forEach((h, i) => {
      assert.ok(Object.is(f[i], Math.fround(f16ToF32(h))) || Number.isNaN(f[i]));
      assert.ok(Object.is(b[i], bf16ToF32(h)) || Number.isNaN(b[i]));
    });
  });
});
