/**
 * The run report: documents and bytes in/out per stage, rejections per rule, reader
 * problems (malformed input), duplicate clusters, tokens, throughput. Written as
 * report.json (machine-readable), report.md (tables + a text bar chart) and
 * report.html (tables + an SVG bar chart of rejections per rule).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.ts';
import type { InputShard } from '../readers/plan.ts';
import { emptyReaderStats, mergeReaderStats } from '../readers/read-shard.ts';
import type { ReaderStats } from '../readers/read-shard.ts';
import { emptyStageStats, mergeStageStats } from '../stages/stage.ts';
import type { StageStats } from '../stages/stage.ts';
import type { ClusterResult } from '../dedup/cluster.ts';
import type { PipelineConfig } from './config.ts';
import type { ShardResult } from './task.ts';

/** A dedup segment's counts in the report: the clustering's, without its per-document arrays. */
export interface DedupSummary extends Pick<
  ClusterResult,
  'exactRemoved' | 'exactGroups' | 'minhashRemoved' | 'clusters' | 'clusterSizes' | 'largestCluster' | 'candidatePairs'
> {
  segment: number;
  documents: number;
}

export interface PipelineReport {
  inputs: { paths: string[]; files: number; shards: number; bytes: number };
  reader: ReaderStats;
  stages: StageStats[];
  /** "stage:reason" -> documents rejected */
  rejections: Record<string, number>;
  dedup: DedupSummary[];
  output: { documents: number; bytes: number };
  tokens: { dtype: string; vocab_size: number; train: number; val: number; documents: number } | null;
  timing: {
    wall_s: number;
    workers: number;
    tasks_run: number;
    tasks_skipped: number;
    mb_per_s: number;
    docs_per_s: number;
  };
}

export function buildReport(
  config: PipelineConfig,
  shards: readonly InputShard[],
  results: readonly ShardResult[][],
  dedup: DedupSummary[],
  tokensDir: string | null,
  t: { wallMs: number; workers: number; tasksRun: number; tasksSkipped: number; totalBytes: number },
): PipelineReport {
  const reader = emptyReaderStats();
  const stages = config.stages.map((s) => emptyStageStats(s.type));
  for (const seg of results) {
    for (const r of seg) {
      if (r.reader) mergeReaderStats(reader, r.reader);
      r.stages.forEach((s, i) => {
        if (s) mergeStageStats(stages[i] as StageStats, s);
      });
    }
  }
  const rejections: Record<string, number> = {};
  // corrupt_compressed counts files, not documents
  for (const [k, v] of Object.entries(reader.malformed))
    if (k !== 'corrupt_compressed' && (k !== 'invalid_utf8' || config.input.invalid_utf8 === 'reject'))
      rejections[`reader:${k}`] = v;
  for (const s of stages)
    for (const [k, v] of Object.entries(s.rejected))
      rejections[`${s.name}:${k}`] = (rejections[`${s.name}:${k}`] ?? 0) + v;
  const last = results[results.length - 1] ?? [];
  const output = {
    documents: last.reduce((a, r) => a + r.docsOut, 0),
    bytes: last.reduce((a, r) => a + r.bytesOut, 0),
  };
  let tokens: PipelineReport['tokens'] = null;
  if (tokensDir !== null && existsSync(join(tokensDir, 'meta.json'))) {
    const m = JSON.parse(readFileSync(join(tokensDir, 'meta.json'), 'utf8')) as {
      dtype: string;
      vocab_size: number;
      splits: Record<string, { tokens: number; documents: number }>;
    };
    tokens = {
      dtype: m.dtype,
      vocab_size: m.vocab_size,
      train: m.splits['train']?.tokens ?? 0,
      val: m.splits['val']?.tokens ?? 0,
      documents: (m.splits['train']?.documents ?? 0) + (m.splits['val']?.documents ?? 0),
    };
  }
  const secs = t.wallMs / 1000;
  return {
    inputs: {
      paths: config.input.paths,
      files: new Set(shards.map((s) => s.file)).size,
      shards: shards.length,
      bytes: t.totalBytes,
    },
    reader,
    stages,
    rejections,
    dedup,
    output,
    tokens,
    timing: {
      wall_s: Math.round(secs * 1000) / 1000,
      workers: t.workers,
      tasks_run: t.tasksRun,
      tasks_skipped: t.tasksSkipped,
      mb_per_s: Math.round((t.totalBytes / 1e6 / Math.max(secs, 1e-9)) * 100) / 100,
      docs_per_s: Math.round(reader.records / Math.max(secs, 1e-9)),
    },
  };
}

function fmtBytes(n: number): string {
  return n >= 1e9
    ? `${(n / 1e9).toFixed(2)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(2)} MB`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)} kB`
        : `${n} B`;
}

function sortedRejections(r: PipelineReport): [string, number][] {
  return Object.entries(r.rejections).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** A plain-text summary (what `llmts data run` and `llmts data stats` print). */
export function reportText(r: PipelineReport): string {
  const lines: string[] = [];
  lines.push(
    `inputs: ${r.inputs.files} files, ${r.inputs.shards} shards, ${fmtBytes(r.inputs.bytes)}; ${r.reader.records} records`,
  );
  const mal = Object.entries(r.reader.malformed);
  lines.push(
    `malformed input: ${mal.length === 0 ? 'none' : mal.map(([k, v]) => `${k} ${v}`).join(', ')}; empty files ${r.reader.emptyFiles}; blank lines ${r.reader.blankLines}`,
  );
  const skipped = Object.entries(r.reader.skipped ?? {});
  if (skipped.length > 0) lines.push(`skipped input records: ${skipped.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const renamed = Object.entries(r.reader.renamed ?? {});
  if (renamed.length > 0)
    lines.push(
      `input fields renamed (the pipeline writes these names): ${renamed.map(([k, v]) => `${k} (${v} records)`).join(', ')}`,
    );
  for (const e of r.reader.errors ?? []) lines.push(`error: ${e}`);
  lines.push('');
  lines.push('stage               docs in   docs out   bytes in     bytes out    time');
  for (const s of r.stages) {
    lines.push(
      `${s.name.padEnd(18)} ${String(s.docsIn).padStart(8)} ${String(s.docsOut).padStart(10)}   ${fmtBytes(s.bytesIn).padEnd(12)} ${fmtBytes(s.bytesOut).padEnd(12)} ${(s.timeMs / 1000).toFixed(2)}s`,
    );
  }
  lines.push('');
  lines.push('rejections by rule:');
  const rej = sortedRejections(r);
  const max = Math.max(1, ...rej.map(([, v]) => v));
  for (const [k, v] of rej)
    lines.push(`  ${k.padEnd(44)} ${String(v).padStart(7)} ${'#'.repeat(Math.max(1, Math.round((v / max) * 30)))}`);
  if (rej.length === 0) lines.push('  none');
  for (const d of r.dedup) {
    lines.push('');
    lines.push(
      `dedup (after segment ${d.segment}): ${d.documents} docs; exact: ${d.exactRemoved} removed in ${d.exactGroups} groups; near (MinHash-LSH): ${d.minhashRemoved} removed in ${d.clusters} clusters (largest ${d.largestCluster}, sizes ${JSON.stringify(d.clusterSizes)})`,
    );
  }
  lines.push('');
  lines.push(`output: ${r.output.documents} documents, ${fmtBytes(r.output.bytes)}`);
  if (r.tokens)
    lines.push(
      `tokens: ${r.tokens.train} train + ${r.tokens.val} val in ${r.tokens.documents} documents (${r.tokens.dtype}, vocab ${r.tokens.vocab_size})`,
    );
  lines.push(
    `time: ${r.timing.wall_s}s with ${r.timing.workers} workers (${r.timing.tasks_run} tasks run, ${r.timing.tasks_skipped} resumed), ${r.timing.mb_per_s} MB/s, ${r.timing.docs_per_s} docs/s`,
  );
  return lines.join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function reportMarkdown(r: PipelineReport): string {
  const md: string[] = ['# Data pipeline report', ''];
  md.push(
    `Inputs: ${r.inputs.files} files in ${r.inputs.shards} shards, ${fmtBytes(r.inputs.bytes)}, ${r.reader.records} records.`,
    '',
  );
  md.push(
    '## Stages',
    '',
    '| stage | docs in | docs out | bytes in | bytes out | time (s) |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const s of r.stages)
    md.push(
      `| ${s.name} | ${s.docsIn} | ${s.docsOut} | ${s.bytesIn} | ${s.bytesOut} | ${(s.timeMs / 1000).toFixed(2)} |`,
    );
  md.push('', '## Rejections per rule', '', '| rule | documents | |', '|---|---:|---|');
  const rej = sortedRejections(r);
  const max = Math.max(1, ...rej.map(([, v]) => v));
  for (const [k, v] of rej) md.push(`| ${k} | ${v} | ${'█'.repeat(Math.max(1, Math.round((v / max) * 40)))} |`);
  md.push('', '## Malformed input', '', `| kind | count |`, '|---|---:|');
  for (const [k, v] of Object.entries(r.reader.malformed)) md.push(`| ${k} | ${v} |`);
  md.push(`| empty files | ${r.reader.emptyFiles} |`, `| blank lines | ${r.reader.blankLines} |`);
  for (const [k, v] of Object.entries(r.reader.renamed ?? {})) md.push(`| renamed field ${k} | ${v} |`);
  if ((r.reader.errors ?? []).length > 0) md.push('', ...(r.reader.errors ?? []).map((e) => `- ${e}`));
  if (r.dedup.length > 0) {
    md.push(
      '',
      '## Deduplication',
      '',
      '| after segment | docs | exact removed | exact groups | near removed | clusters | largest | sizes |',
      '|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const d of r.dedup) {
      md.push(
        `| ${d.segment} | ${d.documents} | ${d.exactRemoved} | ${d.exactGroups} | ${d.minhashRemoved} | ${d.clusters} | ${d.largestCluster} | ${JSON.stringify(d.clusterSizes)} |`,
      );
    }
  }
  md.push('', '## Output', '', `${r.output.documents} documents, ${fmtBytes(r.output.bytes)}.`);
  if (r.tokens)
    md.push(
      '',
      `Tokens: ${r.tokens.train} train, ${r.tokens.val} val, ${r.tokens.documents} documents (${r.tokens.dtype}, vocabulary ${r.tokens.vocab_size}).`,
    );
  md.push(
    '',
    '## Throughput',
    '',
    `${r.timing.wall_s} s wall with ${r.timing.workers} workers: ${r.timing.mb_per_s} MB/s, ${r.timing.docs_per_s} documents/s (${r.timing.tasks_run} tasks run, ${r.timing.tasks_skipped} resumed).`,
    '',
  );
  return md.join('\n');
}

export function reportHtml(r: PipelineReport): string {
  const rej = sortedRejections(r);
  const max = Math.max(1, ...rej.map(([, v]) => v));
  const rowH = 22;
  const labelW = 320;
  const barW = 420;
  const h = Math.max(rowH, rej.length * rowH) + 10;
  const bars = rej
    .map(([k, v], i) => {
      const w = Math.max(1, Math.round((v / max) * barW));
      const y = 5 + i * rowH;
      return `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(k)}</text><rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="#4c78a8"/><text x="${labelW + w + 6}" y="${y + 15}">${v}</text>`;
    })
    .join('');
  const stageRows = r.stages
    .map(
      (s) =>
        `<tr><td>${esc(s.name)}</td><td>${s.docsIn}</td><td>${s.docsOut}</td><td>${fmtBytes(s.bytesIn)}</td><td>${fmtBytes(s.bytesOut)}</td><td>${(s.timeMs / 1000).toFixed(2)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>llmts data pipeline report</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}svg text{font:12px sans-serif}</style></head><body>
<h1>Data pipeline report</h1>
<p>${r.inputs.files} files in ${r.inputs.shards} shards, ${fmtBytes(r.inputs.bytes)}, ${r.reader.records} records &rarr; ${r.output.documents} documents, ${fmtBytes(r.output.bytes)}.</p>
<h2>Rejections per rule</h2>
<svg width="${labelW + barW + 80}" height="${h}" role="img" aria-label="rejections per rule">${bars}</svg>
<h2>Stages</h2><table><tr><th>stage</th><th>docs in</th><th>docs out</th><th>bytes in</th><th>bytes out</th><th>time (s)</th></tr>${stageRows}</table>
<h2>Malformed input</h2><p>${esc(JSON.stringify(r.reader.malformed))}; empty files ${r.reader.emptyFiles}; blank lines ${r.reader.blankLines}</p>
${r.dedup.map((d) => `<h2>Deduplication (after segment ${d.segment})</h2><p>${d.documents} documents; exact duplicates removed ${d.exactRemoved} (${d.exactGroups} groups); near duplicates removed ${d.minhashRemoved} in ${d.clusters} clusters, largest ${d.largestCluster}, sizes ${esc(JSON.stringify(d.clusterSizes))}</p>`).join('')}
${r.tokens ? `<h2>Tokens</h2><p>${r.tokens.train} train, ${r.tokens.val} val, ${r.tokens.documents} documents (${r.tokens.dtype}, vocabulary ${r.tokens.vocab_size})</p>` : ''}
<h2>Throughput</h2><p>${r.timing.wall_s} s with ${r.timing.workers} workers: ${r.timing.mb_per_s} MB/s, ${r.timing.docs_per_s} documents/s</p>
</body></html>
`;
}

export function writeReports(dir: string, r: PipelineReport): void {
  writeFileAtomic(join(dir, 'report.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileAtomic(join(dir, 'report.md'), reportMarkdown(r));
  writeFileAtomic(join(dir, 'report.html'), reportHtml(r));
}
