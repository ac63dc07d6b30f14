// Streaming never emits a broken UTF-8 character: a property test over random
// multi-byte strings split arbitrarily into byte tokens, and the async stream of a
// generation matching generate()'s text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generate } from '../../src/generate/generate.ts';
import { IncrementalDecoder, streamGenerate, streamText } from '../../src/generate/streaming.ts';
import { ByteTokenizer, FunctionModel } from './mock-models.ts';

const enc = new TextEncoder();

/** Splits bytes at the given cut points into a vocabulary of chunk tokens (ids in order). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p > prev) out.push(bytes.slice(prev, p));
    prev = Math.max(prev, p);
  }
  return out;
}

describe('IncrementalDecoder', () => {
  it('holds back partial characters: deltas are well-formed and add up to the text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (s, cuts) => {
        const chunks = chunk(enc.encode(s), cuts);
        const tok = new ByteTokenizer(chunks);
        const dec = new IncrementalDecoder(tok);
        const deltas = chunks.map((_, i) => dec.push(i));
        deltas.push(dec.flush());
        for (const d of deltas) {
          assert.ok(
            !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(d),
            'no lone surrogate',
          );
          if (!s.includes('\uFFFD')) assert.ok(!d.includes('\uFFFD'), `replacement char in delta ${JSON.stringify(d)}`);
        }
        assert.equal(deltas.join(''), s);
      }),
      { numRuns: 400, seed: 20240601 },
    );
  });
  it('one byte at a time through 4-byte characters', () => {
    const s = 'a😀é€𝄞';
    const bytes = enc.encode(s);
    const tok = new ByteTokenizer(Array.from(bytes, (b) => Uint8Array.of(b)));
    const dec = new IncrementalDecoder(tok);
    const deltas = Array.from(bytes, (_, i) => dec.push(i));
    assert.deepEqual(
      deltas.filter((d) => d !== ''),
      ['a', '😀', 'é', '€', '𝄞'],
    );
  });
  it('genuinely invalid bytes come out as U+FFFD once more text follows or at flush', () => {
    const tok = new ByteTokenizer([Uint8Array.of(0xff), enc.encode('x'), Uint8Array.of(0xe2, 0x82)]);
    const dec = new IncrementalDecoder(tok);
    assert.equal(dec.push(0), '');
    assert.equal(dec.push(1), '\uFFFDx');
    assert.equal(dec.push(2), '');
    assert.equal(dec.flush(), '\uFFFD');
  });
});

describe('streamGenerate', () => {
  // byte tokens 0..255 plus EOS 256; the model spells out a fixed UTF-8 text one byte at a time
  const text = 'héllo 😀 wörld — ok';
  const bytes = enc.encode(text);
  const vocab = [...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), new Uint8Array()];
  const tok = new ByteTokenizer(vocab);
  const model = new FunctionModel(257, (real) => {
    const i = real.length - 1; // prompt is one token
    const out = new Array<number>(257).fill(0);
    out[i < bytes.length ? bytes[i]! : 256] = 20;
    return out;
  });

  it('streams deltas that never split a character and add up to generate()', async () => {
    const deltas: string[] = [];
    let reason: string | undefined;
    for await (const c of streamGenerate(model, tok, [[65]], { maxNewTokens: 64, eosTokenId: 256 })) {
      deltas.push(c.text);
      if (c.finishReason !== undefined) reason = c.finishReason;
    }
    for (const d of deltas) assert.ok(!d.includes('\uFFFD'));
    assert.equal(deltas.join(''), text);
    assert.equal(reason, 'eos');
    assert.equal(generate(model, tok, [[65]], { maxNewTokens: 64, eosTokenId: 256 }).sequences[0]!.text, text);
  });
  it('streamText yields plain strings; batches stream every row', async () => {
    let s = '';
    for await (const d of streamText(model, tok, [66], { maxNewTokens: 7 })) s += d;
    assert.equal(s, 'héllo ');
    const rows = new Map<number, string>();
    for await (const c of streamGenerate(model, tok, [[65], [66, 67]], { maxNewTokens: 3 }))
      rows.set(c.index, (rows.get(c.index) ?? '') + c.text);
    assert.equal(rows.get(0), 'hé');
  });
  it('beam search refuses to stream', async () => {
    await assert.rejects(async () => {
      for await (const _ of streamGenerate(model, tok, [[65]], { numBeams: 2, maxNewTokens: 3 })) void _;
    });
  });
});
