/**
 * Section 7 (empty in the notes; CLAIMS.md: cleaning, normalization, quality filtering,
 * de-duplication, PII removal, tokenization and packing are what the field does). The
 * library's data pipeline runs on a sample: clean documents from nlp-corpus plus documents
 * seeded with one known defect each (HTML boilerplate, messy whitespace, decomposed Unicode,
 * foreign script, repetition spam, too-short pages, code, lorem ipsum, menus, exact and near
 * duplicates, e-mail/phone/IP addresses). Each stage is scored on the defect it is for, and
 * on how many clean documents it wrongly removes.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../data/pipeline/config.ts';
import { runPipeline } from '../../data/pipeline/run.ts';
import { readNlpCorpus } from '../../data/corpora/nlp-corpus.ts';
import { Generator } from '../../engine/index.ts';
import { writeFileAtomic } from '../../core/atomic.ts';
import { barChartSvg } from '../../core/plot.ts';
import { asJson } from '../json.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { pct, verdictOf } from '../verdict.ts';
import { chineseSample } from './4-tokenizers.ts';

type Kind =
  | 'clean'
  | 'html'
  | 'whitespace'
  | 'unicode'
  | 'foreign-script'
  | 'repetition'
  | 'too-short'
  | 'code'
  | 'lorem-ipsum'
  | 'menu'
  | 'exact-duplicate'
  | 'near-duplicate'
  | 'pii';

/** What each defect is for: the stage expected to reject it, or (transformations) the check on the kept text. */
const EXPECT: Record<Exclude<Kind, 'clean'>, { stages: string[]; check?: (text: string, doc: Doc) => boolean }> = {
  html: {
    stages: ['html_extract'],
    check: (t) => !/[<>]/.test(t) && !t.includes('Copyright') && !t.includes('var tracker'),
  },
  whitespace: { stages: ['clean_whitespace'], check: (t) => !/[\r\u200b\t]| {2}/.test(t) },
  unicode: { stages: ['normalize'], check: (t) => t.includes('caf\u00e9') && !t.includes('\u0301') },
  'foreign-script': { stages: ['script_filter'] },
  repetition: { stages: ['gopher_repetition'] },
  'too-short': { stages: ['gopher_quality'] },
  code: { stages: ['c4_quality'] },
  'lorem-ipsum': { stages: ['c4_quality'] },
  menu: { stages: ['fineweb_quality', 'c4_quality', 'gopher_quality'] },
  'exact-duplicate': { stages: ['exact_dedup'] },
  'near-duplicate': { stages: ['minhash_dedup'] },
  pii: { stages: ['pii'], check: (t, d) => d.secrets.every((s) => !t.includes(s)) },
};

interface Doc {
  id: string;
  kind: Kind;
  text: string;
  /** PII strings that must not survive. */
  secrets: string[];
}

const RUSSIAN =
  'Москва является столицей России и одним из крупнейших городов Европы. Через город протекает река Москва. В городе много музеев, театров и парков, а метро перевозит миллионы людей каждый день. Зимой здесь бывает очень холодно, но летом погода тёплая. Жители любят гулять по набережным и старым улицам центра.';

function buildSample(sentences: readonly string[], perKind: number, clean: number, g: Generator): Doc[] {
  let at = 0;
  const para = (n: number): string => {
    const s = sentences.slice(at, at + n).join(' ');
    at += n;
    return s;
  };
  const article = (): string => `${para(6)}\n\n${para(6)}`;
  const docs: Doc[] = [];
  const cleanDocs: Doc[] = [];
  for (let i = 0; i < clean; i++) cleanDocs.push({ id: `clean-${i}`, kind: 'clean', text: article(), secrets: [] });
  docs.push(...cleanDocs);
  const zh = chineseSample().train;
  for (let i = 0; i < perKind; i++) {
    const add = (kind: Kind, text: string, secrets: string[] = []): void => {
      docs.push({ id: `${kind}-${i}`, kind, text, secrets });
    };
    add(
      'html',
      `<html><head><title>News ${i}</title><script>var tracker = ${i};</script></head><body><nav><a href="/">Home</a> <a href="/about">About us</a></nav><main><article><p>${para(6)}</p><p>${para(6)}</p></article></main><footer>Copyright 2024 Example Media</footer></body></html>`,
    );
    add(
      'whitespace',
      `  ${para(6).replace(/ /g, (m) => (g.random() < 0.1 ? '   ' : m))}\r\n\r\n\r\n\r\n${para(6).replace('. ', '.\u200b ')}\t \r\n`,
    );
    add('unicode', `${para(6)} They met at the cafe\u0301 on the corner.\n\n${para(5)}`);
    add(
      'foreign-script',
      i % 2 === 0
        ? zh.slice((3 * i) % (zh.length - 3), ((3 * i) % (zh.length - 3)) + 3).join('\n\n')
        : `${RUSSIAN}\n\n${RUSSIAN}`,
    );
    add(
      'repetition',
      Array.from({ length: 30 }, () => 'Click here to buy the best cheap watches online now.').join('\n'),
    );
    add('too-short', para(1));
    add('code', `${para(6)}\n\nfunction track(user) { return fetch('/api/' + user.id); }\n\n${para(6)}`);
    add('lorem-ipsum', `Lorem ipsum dolor sit amet, consectetur adipiscing elit. ${para(6)}\n\n${para(6)}`);
    add(
      'menu',
      `${['Home', 'Products', 'Pricing', 'Blog', 'Careers', 'Contact', 'Log in', 'Sign up', 'Help', 'Terms', 'Privacy', 'Sitemap', 'Press', 'Partners', 'Events', 'Shop'].join('\n')}\n\n${para(3)}`,
    );
    const source = cleanDocs[i % cleanDocs.length]!;
    add('exact-duplicate', source.text);
    const words = cleanDocs[(i + 1) % cleanDocs.length]!.text.split(' ');
    for (let k = 0; k < 3; k++) words[5 + 17 * k] = 'indeed';
    add('near-duplicate', words.join(' '));
    const email = `jane.doe${i}@mailservice.com`;
    const ip = `93.184.${100 + i}.${20 + i}`;
    const phone = `(415) 867-${String(1000 + i).padStart(4, '0')}`;
    add('pii', `${para(6)} Write to ${email} or call ${phone} for details; the server is at ${ip}.\n\n${para(6)}`, [
      email,
      ip,
      phone,
    ]);
  }
  return docs;
}

function readJsonl(dir: string): Record<string, unknown>[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

interface KindScore {
  kind: Kind;
  total: number;
  /** Rejected by an expected stage, or kept and transformed as expected. */
  handled: number;
  /** Removed by the stage built for the defect (or repaired, for transformations). */
  byItsStage: number;
  /** Where the documents went: "kept" or "stage:reason". */
  outcomes: Record<string, number>;
}

export const dataPipeline: Experiment = {
  name: '7-data-pipeline',
  section: 7,
  title: 'Data preprocessing: what each pipeline stage removes',
  claims: [
    {
      section: 7,
      quote: '对LLM进行数据预处理有哪些常见的做法？（笔记此节为空）',
      english:
        'What are the common data preprocessing practices for LLMs? The notes leave the section empty; CLAIMS.md: cleaning, normalisation, quality filtering, de-duplication, PII removal, tokenization and packing.',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const perKind = ctx.quick ? 4 : 20;
    const clean = ctx.quick ? 40 : 300;
    // clean prose: sentences that start with a capital, end with terminal punctuation and have 6+ words
    const sentences = readNlpCorpus(ctx.quick ? 3000 : 20000).filter(
      (x) => /^[A-Z]/.test(x) && /[.!?]["')]?$/.test(x) && x.split(' ').length >= 6,
    );
    const docs = buildSample(sentences, perKind, clean, new Generator(ctx.seed));
    const dir = join(ctx.outDir, '7-data-pipeline', 'run');
    rmSync(dir, { recursive: true, force: true });
    const input = join(dir, 'input', 'sample.jsonl');
    writeFileAtomic(input, docs.map((d) => JSON.stringify({ id: d.id, text: d.text })).join('\n') + '\n');
    const stages = [
      'html_extract',
      'clean_whitespace',
      { normalize: { form: 'NFC' } },
      { script_filter: { keep: ['Latin'] } },
      'gopher_repetition',
      'gopher_quality',
      { c4_quality: { filter_no_terminal_punct: false } },
      'fineweb_quality',
      'exact_dedup',
      'minhash_dedup',
      'pii',
      { tokenize: { tokenizer: 'bytes', val_fraction: 0.1 } },
    ];
    const config = validateConfig({ input: { paths: [input] }, output: { dir: join(dir, 'out') }, workers: 0, stages });
    const { report } = await runPipeline(config, { workers: 0, quiet: true, fresh: true });
    const kept = new Map(readJsonl(join(dir, 'out', 'kept')).map((r) => [String(r['id']), String(r['text'])]));
    const rejectedRecords = readJsonl(join(dir, 'out', 'rejected'));
    const rejected = new Map(
      rejectedRecords.map((r) => [String(r['id']), `${String(r['rejected_stage'])}:${String(r['rejected_reason'])}`]),
    );
    // the text a rejected document had when it was rejected (earlier stages' repairs applied)
    const rejectedText = new Map(rejectedRecords.map((r) => [String(r['id']), String(r['text'])]));
    const kinds = [...new Set(docs.map((d) => d.kind))];
    const scores: KindScore[] = kinds.map((kind) => {
      const mine = docs.filter((d) => d.kind === kind);
      const outcomes: Record<string, number> = {};
      let handled = 0;
      let byItsStage = 0;
      for (const d of mine) {
        const text = kept.get(d.id);
        const outcome = text !== undefined ? 'kept' : (rejected.get(d.id) ?? 'missing');
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (kind === 'clean') {
          if (text !== undefined) handled++;
          continue;
        }
        const e = EXPECT[kind];
        const ok = e.check !== undefined ? e.check(text ?? rejectedText.get(d.id) ?? d.text, d) : text === undefined;
        if (ok) handled++;
        if (ok && (e.check !== undefined || e.stages.includes(outcome.split(':')[0]!))) byItsStage++;
      }
      return { kind, total: mine.length, handled, byItsStage, outcomes };
    });
    const defects = scores.filter((s) => s.kind !== 'clean');
    const cleanScore = scores.find((s) => s.kind === 'clean')!;
    const falsePositive = 1 - cleanScore.handled / cleanScore.total;
    const keptBytes = [...kept.values()].reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
    const tokens = report.tokens;
    const tokenTotal = tokens !== null ? tokens.train + tokens.val : 0;
    const expectedTokens = keptBytes + kept.size; // byte tokenizer: one token per UTF-8 byte, plus EOS per document
    const rate = (s: KindScore): number => s.handled / s.total;
    const describe = (s: KindScore): string =>
      `${s.kind} ${s.handled}/${s.total} (${Object.entries(s.outcomes)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')})`;
    const allCaught = defects.every((s) => rate(s) >= 0.9);
    const mostCaught = defects.filter((s) => rate(s) >= 0.9).length >= defects.length - 2;
    const misattributed = defects.filter((s) => s.byItsStage < s.handled);
    const findings: Finding[] = [
      {
        statement: 'every seeded defect is removed (filters, dedup) or repaired (extraction, whitespace, Unicode, PII)',
        verdict: allCaught ? 'holds' : mostCaught ? 'holds with a caveat' : 'does not hold',
        evidence: defects.map(describe).join('; '),
      },
      {
        statement: 'each defect is caught by the stage built for it',
        verdict: defects.every((s) => s.byItsStage >= 0.75 * s.total)
          ? 'holds'
          : defects.filter((s) => s.byItsStage >= 0.75 * s.total).length >= (2 * defects.length) / 3
            ? 'holds with a caveat'
            : 'does not hold',
        evidence: `${defects.map((s) => `${s.kind} → ${EXPECT[s.kind as Exclude<Kind, 'clean'>].stages[0]} ${s.byItsStage}/${s.total}`).join(', ')}${misattributed.length > 0 ? `; caught earlier by another rule: ${misattributed.map(describe).join('; ')}` : ''}`,
      },
      {
        statement: 'clean documents pass through (few false positives)',
        verdict: verdictOf(falsePositive <= 0.1, falsePositive > 0.02),
        evidence: `${cleanScore.handled} of ${cleanScore.total} clean nlp-corpus documents kept (${pct(falsePositive)} removed: ${
          Object.entries(cleanScore.outcomes)
            .filter(([k]) => k !== 'kept')
            .map(([k, v]) => `${v} ${k}`)
            .join(', ') || 'none'
        })`,
      },
      {
        statement:
          'tokenization and packing: every kept document becomes tokens plus an end-of-document token in the shard dataset',
        verdict: verdictOf(tokens !== null && tokenTotal === expectedTokens && tokens.documents === kept.size),
        evidence: `${tokenTotal.toLocaleString('en')} tokens in ${tokens?.documents ?? 0} documents (train ${tokens?.train ?? 0}, val ${tokens?.val ?? 0}); expected ${expectedTokens.toLocaleString('en')} = ${keptBytes.toLocaleString('en')} UTF-8 bytes of the ${kept.size} kept documents + one EOS each`,
      },
    ];
    const plots = [
      {
        name: 'stages',
        caption: 'Documents removed by each stage of the pipeline (in order), out of the seeded sample.',
        svg: await barChartSvg({
          title: 'documents removed per stage',
          xLabel: 'stage',
          yLabel: 'documents removed',
          bars: report.stages.map((s) => ({ label: s.name, value: s.docsIn - s.docsOut })),
        }),
      },
      {
        name: 'defects',
        caption:
          'Share of the documents of each seeded defect that the responsible stage removed or repaired; for clean documents, the share kept.',
        svg: await barChartSvg({
          title: 'defects handled by their stage',
          xLabel: 'document kind',
          yLabel: 'share handled',
          horizontal: true,
          bars: scores.map((s) => ({
            label: s.kind,
            value: rate(s),
            group: s.kind === 'clean' ? 'clean (kept)' : 'seeded defect',
          })),
        }),
      },
    ];
    return {
      findings,
      measured: [
        `${docs.length} documents: ${clean} clean (12 nlp-corpus sentences each) and ${perKind} of each of ${defects.length} seeded defects; runPipeline with ${config.stages.map((s) => s.type).join(' → ')}`,
        ...report.stages.map(
          (s) =>
            `${s.name}: ${s.docsIn} in, ${s.docsOut} out${
              Object.keys(s.rejected).length > 0
                ? ` (${Object.entries(s.rejected)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')})`
                : ''
            }${
              Object.keys(s.counters).length > 0
                ? `; ${Object.entries(s.counters)
                    .slice(0, 6)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')}`
                : ''
            }`,
        ),
      ],
      numbers: {
        documents: docs.length,
        perKind,
        clean,
        scores: asJson(scores),
        falsePositive,
        tokens: asJson(report.tokens),
        expectedTokens,
        stages: asJson(
          report.stages.map((s) => ({ name: s.name, docsIn: s.docsIn, docsOut: s.docsOut, rejected: s.rejected })),
        ),
      },
      plots,
    };
  },
};
