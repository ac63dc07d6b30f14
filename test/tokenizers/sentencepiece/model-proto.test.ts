/**
 * .model files: byte-identical re-encoding of SentencePiece's own files, and hostile input
 * (truncation, corruption, absurd lengths, inconsistent pieces, broken charsmaps, huge files)
 * -> FormatError naming the file and the field, never another exception or a hang.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { FormatError, IOError } from '../../../src/core/errors.ts';
import {
  decodeModelProto,
  defaultNormalizerSpec,
  defaultTrainerSpec,
  encodeModelProto,
  readModelProtoFile,
  type ModelProto,
} from '../../../src/tokenizers/sentencepiece/index.ts';
import { loadExpected, modelBytes, type Expected } from './fixtures.ts';

function tinyProto(): ModelProto {
  const pieces = ['<unk>', '<s>', '</s>', '▁', 'a', 'b', '▁a', 'ab'].map((piece, i) => ({
    piece,
    score: i < 3 ? 0 : -i,
    type: (i === 0 ? 'UNKNOWN' : i < 3 ? 'CONTROL' : 'NORMAL') as 'UNKNOWN' | 'CONTROL' | 'NORMAL',
  }));
  return {
    pieces,
    trainerSpec: { ...defaultTrainerSpec(), vocabSize: 8 },
    normalizerSpec: defaultNormalizerSpec(),
    denormalizerSpec: null,
  };
}

function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FormatError, `expected a FormatError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a FormatError');
}

describe('ModelProto encoding', () => {
  for (const name of Object.keys(loadExpected().models) as (keyof Expected['models'])[]) {
    it(`re-encodes ${name} byte for byte`, () => {
      const bytes = modelBytes(name);
      const proto = decodeModelProto(bytes, name);
      assert.deepEqual(Buffer.from(encodeModelProto(proto)), Buffer.from(bytes));
    });
  }

  it('keeps explicit false fields (proto2 presence) through a round trip', () => {
    const p = tinyProto();
    p.normalizerSpec.removeExtraWhitespaces = false;
    p.normalizerSpec.addDummyPrefix = false;
    const back = decodeModelProto(encodeModelProto(p));
    assert.equal(back.normalizerSpec.removeExtraWhitespaces, false);
    assert.equal(back.normalizerSpec.addDummyPrefix, false);
    assert.equal(back.normalizerSpec.escapeWhitespaces, true);
    assert.deepEqual(back.pieces, p.pieces);
  });
});

describe('hostile .model input', () => {
  const good = encodeModelProto(tinyProto());

  it('names the field where a truncated file breaks', () => {
    let failures = 0;
    for (let n = 1; n < good.length; n++) {
      try {
        decodeModelProto(good.subarray(0, n), 'cut.model');
        continue; // cut exactly between two top-level fields: a smaller, valid model
      } catch (err) {
        assert.ok(err instanceof FormatError, String(err));
        assert.equal(err.file, 'cut.model');
        assert.ok(err.field !== undefined && err.field.length > 0);
        failures++;
      }
    }
    assert.ok(failures > good.length * 0.9, `${failures} of ${good.length} truncations rejected`);
    const e = formatError(() => decodeModelProto(good.subarray(0, 5), 'cut.model'));
    assert.match(e.field!, /^pieces\[0\]/);
  });

  it('rejects an absurd length prefix without allocating it', () => {
    // field 1 (pieces), wire type 2, length 2^31 - 1, then 3 bytes
    const bytes = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 1, 2, 3]);
    const e = formatError(() => decodeModelProto(bytes, 'huge.model'));
    assert.equal(e.field, 'pieces[0]');
    assert.match(e.message, /exceeds/);
  });

  it('rejects unknown wire types and group nesting', () => {
    assert.ok(formatError(() => decodeModelProto(Uint8Array.from([0x0f, 0x00]))));
    const deep = new Uint8Array(20000).fill(0x0b); // start-group tags, nested
    assert.ok(formatError(() => decodeModelProto(deep)));
  });

  it('checks what SentencePiece checks: unk, duplicates, types, byte pieces, scores', () => {
    const noUnk = tinyProto();
    noUnk.pieces[0]!.type = 'NORMAL';
    assert.equal(formatError(() => decodeModelProto(encodeModelProto(noUnk))).field, 'pieces');
    const dup = tinyProto();
    dup.pieces[5]!.piece = 'a';
    assert.equal(formatError(() => decodeModelProto(encodeModelProto(dup))).field, 'pieces[5].piece');
    const empty = tinyProto();
    empty.pieces[4]!.piece = '';
    assert.equal(formatError(() => decodeModelProto(encodeModelProto(empty))).field, 'pieces[4].piece');
    const badByte = tinyProto();
    badByte.pieces[4]!.type = 'BYTE';
    assert.equal(formatError(() => decodeModelProto(encodeModelProto(badByte))).field, 'pieces[4].piece');
    const nan = tinyProto();
    nan.pieces[6]!.score = NaN;
    assert.equal(formatError(() => decodeModelProto(encodeModelProto(nan))).field, 'pieces[6].score');
    const bf = tinyProto();
    bf.trainerSpec.byteFallback = true;
    assert.match(formatError(() => decodeModelProto(encodeModelProto(bf))).message, /<0x00> is missing/);
  });

  it('rejects a charsmap whose header lies', () => {
    const p = tinyProto();
    p.normalizerSpec.precompiledCharsmap = Uint8Array.from([0xff, 0xff, 0, 0, 1, 2, 3, 4]);
    const e = formatError(() => decodeModelProto(encodeModelProto(p), 'cm.model'));
    assert.equal(e.field, 'normalizer_spec.precompiled_charsmap');
  });

  it('survives random corruption: loads or throws FormatError', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 6 }), (edits) => {
        const bytes = Uint8Array.from(good);
        for (const [i, v] of edits) bytes[i] = v;
        try {
          decodeModelProto(bytes);
        } catch (err) {
          assert.ok(err instanceof FormatError, String(err));
        }
      }),
      { numRuns: 400, seed: 3 },
    );
  });

  it('refuses files larger than any model before reading them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-spm-'));
    try {
      const path = join(dir, 'big.model');
      writeFileSync(path, '');
      truncateSync(path, 2 ** 31); // sparse: no disk used
      const e = formatError(() => readModelProtoFile(path));
      assert.equal(e.file, path);
      assert.throws(() => readModelProtoFile(join(dir, 'missing.model')), IOError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
