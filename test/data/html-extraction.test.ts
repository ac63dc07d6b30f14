/**
 * Extraction quality on a labelled set of real-world page shapes
 * (test/fixtures/data/labelled/pages: WordPress themes, news, forum, Sphinx and MkDocs
 * documentation, a product page, 1990s and Hacker-News-style table layouts, consent
 * overlays, a wiki): main-text recall >= 0.98 and boilerplate removal >= 0.95, pooled
 * over the set; headings and titles kept; markdown-ish output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractHtml } from '../../src/data/stages/html-extract.ts';
import { goldPage, scoreExtraction } from '../../src/data/html/gold.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'data', 'labelled', 'pages');

test('labelled pages: main-text recall >= 0.98 and boilerplate removal >= 0.95', () => {
  let mainChars = 0;
  let mainFound = 0;
  let bp = 0;
  let bpRemoved = 0;
  const report: string[] = [];
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.html'))
    .sort();
  assert.ok(files.length >= 10);
  for (const f of files) {
    const page = goldPage(readFileSync(join(DIR, f), 'utf8'));
    assert.ok(page.main.length > 0 && page.boilerplate.length > 0, `${f} is labelled`);
    const { text } = extractHtml(page.html);
    const s = scoreExtraction(page, text);
    mainChars += s.mainChars;
    mainFound += s.mainFound;
    bp += s.bpSegments;
    bpRemoved += s.bpRemoved;
    report.push(
      `${f}: main ${(s.mainFound / s.mainChars).toFixed(3)}, boilerplate removed ${s.bpRemoved}/${s.bpSegments}` +
        (s.missed.length ? `\n   missed: ${s.missed.map((m) => m.slice(0, 60)).join(' || ')}` : '') +
        (s.leaked.length ? `\n   leaked: ${s.leaked.map((m) => m.slice(0, 60)).join(' || ')}` : ''),
    );
  }
  const recall = mainFound / mainChars;
  const removal = bpRemoved / bp;
  console.log(
    `# extraction on ${files.length} labelled pages: main-text recall ${recall.toFixed(3)}, boilerplate removed ${removal.toFixed(3)} (${bpRemoved}/${bp})`,
  );
  for (const r of report) console.log(`# ${r}`);
  assert.ok(recall >= 0.98, `main-text recall ${recall}\n${report.join('\n')}`);
  assert.ok(removal >= 0.95, `boilerplate removal ${removal}\n${report.join('\n')}`);
});

test('title to metadata; headings, lists, tables and code in markdown-ish output', () => {
  const page = goldPage(readFileSync(join(DIR, 'docs-sphinx-rtd.html'), 'utf8'));
  const { text, title } = extractHtml(page.html, { markdown: true });
  assert.equal(title, 'Configuration — fastqueue 2.1 documentation');
  assert.match(text, /^# Configuration$/m);
  assert.match(text, /^## The configuration file$/m);
  assert.match(text, /```\n\[broker\]\nurl = "redis:\/\/localhost:6379\/0"\nmax_retries = 5\n```/);
  assert.match(text, /^\| max_retries \| 3 \| how often a failed job is retried \|$/m);
  const recipe = extractHtml(goldPage(readFileSync(join(DIR, 'wordpress-astra-recipe.html'), 'utf8')).html, {
    markdown: true,
  });
  assert.match(recipe.text, /^- 225 g caster sugar$/m);
});
