import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPreferenceJsonl, readPromptJsonl, readSftJsonl, toJsonl } from '../../src/data/chat/dataset.ts';
import { FormatError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-chatdata-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('alignment datasets (JSONL)', () => {
  it('reads SFT records as messages or prompt/response (completion)', () => {
    const p = file(
      'sft.jsonl',
      toJsonl([
        {
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: 'hello' },
          ],
        },
        { prompt: 'Describe the cat.', response: 'The cat is lovely.' },
        {
          prompt: [
            { role: 'system', content: 's' },
            { role: 'user', content: 'q' },
          ],
          completion: [{ role: 'assistant', content: 'a' }],
        },
      ]) + '\n\n',
    );
    const out = readSftJsonl(p);
    assert.equal(out.length, 3);
    assert.deepEqual(out[1], [
      { role: 'user', content: 'Describe the cat.' },
      { role: 'assistant', content: 'The cat is lovely.' },
    ]);
    assert.deepEqual(
      out[2]!.map((m) => m.role),
      ['system', 'user', 'assistant'],
    );
  });

  it('reads preference pairs (with margin) and ranked groups (reordered best first)', () => {
    const p = file(
      'pref.jsonl',
      toJsonl([
        { prompt: 'q', chosen: 'good', rejected: 'bad', margin: 0.5 },
        { prompt: 'q', responses: ['b', 'a', 'c'], ranking: [1, 0, 2] },
      ]),
    );
    const out = readPreferenceJsonl(p);
    assert.deepEqual(out[0], { prompt: [{ role: 'user', content: 'q' }], responses: ['good', 'bad'], margin: 0.5 });
    assert.deepEqual(out[1]!.responses, ['a', 'b', 'c']);
  });

  it("keeps a prompt record's other fields", () => {
    const out = readPromptJsonl(file('prompts.jsonl', toJsonl([{ prompt: 'Describe the cat.', topic: 'cat' }])));
    assert.deepEqual(out[0], { prompt: [{ role: 'user', content: 'Describe the cat.' }], meta: { topic: 'cat' } });
  });

  it('names the file, line and field of a bad record', () => {
    const bad: [string, string, RegExp][] = [
      ['a.jsonl', '{"messages": [{"role": "user", "content": "x"}]}\n{not json', /line 2 is not valid JSON/],
      ['b.jsonl', '[1, 2]', /line 1 must be a JSON object/],
      ['c.jsonl', '{"messages": [{"role": "user"}]}', /line 1: messages\[0\] must be/],
      ['d.jsonl', '{"messages": [{"role": "user", "content": "x"}]}', /no assistant message/],
      ['e.jsonl', '{"prompt": "q", "responses": ["a", "b"], "ranking": [0, 0]}', /ranking.*permutation/],
      ['f.jsonl', '{"prompt": "q", "chosen": 3, "rejected": "b"}', /"chosen" must be a string/],
      ['g.jsonl', '\n\n', /no records/],
    ];
    for (const [name, text, re] of bad) {
      const p = file(name, text);
      const read = name < 'e' ? readSftJsonl : readPreferenceJsonl;
      assert.throws(
        () => read(p),
        (err: unknown) => err instanceof FormatError && re.test(err.message) && err.message.includes(p),
        name,
      );
    }
    assert.throws(() => readSftJsonl(join(dir, 'missing.jsonl')), /cannot read/);
  });
});
