/**
 * TextOutput with GPT-2's real tokenizer: stop strings spanning tokens, ending inside a token,
 * the earliest of several winning, held-back text released when a prefix stops matching, a
 * character split over several byte tokens released whole, and every token released exactly
 * once with the text offset where it starts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextOutput } from '../../src/serve/text-output.ts';
import { tokenizer } from './helpers.ts';

function run(
  text: string,
  stops: string[],
): { deltas: string[]; tokens: number[]; offsets: number[]; stopped: boolean } {
  const tok = tokenizer();
  const ids = tok.encodeIds(text, { addSpecialTokens: false });
  const out = new TextOutput<number>((x) => tok.decode(x), stops);
  const deltas: string[] = [];
  const tokens: number[] = [];
  const offsets: number[] = [];
  for (const id of ids) {
    const r = out.push(id, id);
    deltas.push(r.text);
    tokens.push(...r.tokens);
    offsets.push(...r.offsets);
    if (out.stopped) break;
  }
  const r = out.finish();
  deltas.push(r.text);
  tokens.push(...r.tokens);
  offsets.push(...r.offsets);
  return { deltas, tokens, offsets, stopped: out.stopped };
}

describe('TextOutput', () => {
  it('without stops: the deltas are the text, each token once, never half a character', () => {
    const text = 'naïve café 😀👍🏽 中文 done';
    const ids = tokenizer().encodeIds(text, { addSpecialTokens: false });
    const r = run(text, []);
    assert.equal(r.deltas.join(''), text);
    assert.deepEqual(r.tokens, ids);
    for (const d of r.deltas) assert.ok(!d.includes('\uFFFD'), JSON.stringify(d));
    // offsets: where each token's text starts (tokens of one character share the character's start)
    assert.equal(r.offsets[0], 0);
    for (let i = 1; i < r.offsets.length; i++) assert.ok(r.offsets[i]! >= r.offsets[i - 1]!);
  });

  it('a stop string ends the text before it, across tokens and inside a token', () => {
    for (const [text, stops, want] of [
      ['The answer is 42. Next question', ['. Next'], 'The answer is 42'],
      ['The answer is 42. Next question', ['swer'], 'The an'],
      ['alpha beta gamma', ['gamma', 'beta'], 'alpha '],
      ['alpha beta gamma', ['beta gam', 'a b'], 'alph'],
      ['stop at once', ['stop'], ''],
    ] as const) {
      const r = run(text, [...stops]);
      assert.equal(r.deltas.join(''), want, `${text} / ${stops.join('|')}`);
      assert.ok(r.stopped);
      // nothing shown was ever beyond the final text
      let shown = '';
      for (const d of r.deltas) {
        shown += d;
        assert.ok(want.startsWith(shown));
      }
    }
  });

  it('text that might start a stop string is held back, then released when it does not', () => {
    const r = run('one two three four', ['two thre!', 'four!']);
    assert.equal(r.deltas.join(''), 'one two three four');
    assert.ok(!r.stopped);
    // " two" and " thre..." were held while "two thre!" could still match
    const firstTwo = r.deltas.findIndex((d) => d.includes('two'));
    assert.ok(r.deltas[firstTwo]!.includes('three'), JSON.stringify(r.deltas));
  });
});
