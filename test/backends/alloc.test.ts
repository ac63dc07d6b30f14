/** The native backend's arrays: large ones start on a 64-byte cache line, all come zeroed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nat, skipReason } from './helpers.ts';

describe('native alloc', { skip: skipReason() }, () => {
  it('places arrays of 4 KiB and more on a cache line, zeroed, of the requested dtype and length', () => {
    const { backend, addon } = nat();
    for (const [dtype, length] of [
      ['float32', 1024],
      ['float32', 98_304],
      ['float64', 4096],
      ['int32', 5000],
      ['bool', 70_000],
    ] as const) {
      for (let i = 0; i < 8; i++) {
        const a = backend.alloc(dtype, length + i);
        assert.equal(a.length, length + i);
        assert.equal(
          addon.addressMod64(a),
          0,
          `${dtype}[${length + i}] starts ${addon.addressMod64(a)} bytes into a line`,
        );
        assert.ok(a.every((v) => v === 0));
      }
    }
    assert.ok(backend.alloc('float32', 7) instanceof Float32Array); // small ones: plain arrays
    assert.ok(backend.alloc('float64', 100_000) instanceof Float64Array);
    assert.ok(backend.alloc('int32', 100_000) instanceof Int32Array);
    assert.ok(backend.alloc('bool', 100_000) instanceof Uint8Array);
  });
});
