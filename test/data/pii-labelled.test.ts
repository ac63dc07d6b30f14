/**
 * PII redaction measured on a labelled set (test/fixtures/data/labelled/pii.txt): real
 * phone formats of ten countries, emails, public IPs, IBANs and card numbers with valid
 * checksums, and decoys that must be left alone (version and section numbers, file names
 * like logo@2x.png, numbers failing Luhn or mod-97, reserved IPs, dates, ISBNs...).
 * Precision and recall are over labelled spans; the report prints them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pii } from '../../src/data/stages/pii.ts';
import { isCardNumber, isValidIban, luhnValid } from '../../src/data/stages/pii-patterns.ts';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'data', 'labelled', 'pii.txt');
const MARK = /\[\[([A-Z_]+):(.+?)\]\]/g;

interface Example {
  input: string;
  expected: string;
  spans: number;
}

function examples(): Example[] {
  return readFileSync(FILE, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => ({
      input: l.replace(MARK, (_, _k: string, t: string) => t),
      expected: l.replace(MARK, (_, k: string) => `|||${k}|||`),
      spans: [...l.matchAll(MARK)].length,
    }));
}

test('checksums: Luhn, card issuer prefixes, IBAN mod-97 and country length', () => {
  assert.equal(luhnValid('79927398713'), true);
  assert.equal(luhnValid('79927398710'), false);
  assert.equal(isCardNumber('4111 1111 1111 1111'), true);
  assert.equal(isCardNumber('1234 5678 9012 3452'), false); // Luhn-valid, no issuer uses prefix 1
  assert.equal(isValidIban('GB82 WEST 1234 5698 7654 32'), true);
  assert.equal(isValidIban('GB82 WEST 1234 5698 7654 33'), false);
  assert.equal(isValidIban('GB82 WEST 1234 5698 7654'), false); // wrong length for GB
});

test('pii on the labelled set: precision and recall over spans, decoys untouched', () => {
  const stage = pii({ mode: 'tag' });
  let tp = 0;
  let fn = 0;
  let fp = 0;
  let decoyLines = 0;
  let decoyLinesChanged = 0;
  const misses: string[] = [];
  for (const ex of examples()) {
    const doc = { id: 'x', text: ex.input, metadata: {} };
    stage.apply(doc, () => {});
    const got = doc.text;
    const tagsOut = [...got.matchAll(/\|\|\|[A-Z_]+\|\|\|/g)].length;
    if (ex.spans === 0) {
      decoyLines++;
      if (got !== ex.input) decoyLinesChanged++;
    }
    if (got === ex.expected) tp += ex.spans;
    else {
      misses.push(`${ex.input}\n   -> ${got}`);
      // span-level: each expected tag present in order counts; extra tags are false positives
      const want = [...ex.expected.matchAll(/\|\|\|([A-Z_]+)\|\|\|/g)].map((m) => m[1]);
      const have = [...got.matchAll(/\|\|\|([A-Z_]+)\|\|\|/g)].map((m) => m[1]);
      let hit = 0;
      for (const w of want) {
        const k = have.indexOf(w);
        if (k !== -1) {
          have.splice(k, 1);
          hit++;
        }
      }
      tp += hit;
      fn += want.length - hit;
      fp += tagsOut - hit;
    }
  }
  const precision = tp / Math.max(1, tp + fp);
  const recall = tp / Math.max(1, tp + fn);
  console.log(
    `# pii labelled set: ${tp + fn} PII spans, ${decoyLines} decoy lines; precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}, decoy lines altered ${decoyLinesChanged}`,
  );
  assert.ok(tp + fn >= 30 && decoyLines >= 20, 'the set has enough of both');
  assert.equal(decoyLinesChanged, 0, `decoys altered:\n${misses.join('\n')}`);
  assert.ok(precision >= 0.97, `precision ${precision}\n${misses.join('\n')}`);
  assert.ok(recall >= 0.95, `recall ${recall}\n${misses.join('\n')}`);
});
