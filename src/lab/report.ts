/**
 * The lab report: one self-contained HTML page (inline CSS and SVG, no scripts, no network)
 * with a summary table of every experiment's verdict and its evidence findings, then per
 * experiment the notes' claim (Chinese quote and English), what was measured, the findings
 * with their rules and per-seed numbers (mean ± standard error), the sanity checks apart, and
 * the plots.
 */
import { FONT_STACK } from '../core/plot.ts';
import type { ExperimentResult, Finding, Verdict } from './types.ts';
import { VERDICTS } from './types.ts';
import { seedStatText } from './print.ts';
import { evidenceOf } from './verdict.ts';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const BADGE: Record<Verdict, string> = {
  holds: 'holds',
  'does not hold': 'fails',
  'holds with a caveat': 'caveat',
  'not resolved at this size': 'unresolved',
};

function badge(v: Verdict): string {
  return `<span class="badge ${BADGE[v]}">${escapeHtml(v)}</span>`;
}

/** Vega's SVGs carry a fixed width/height; make them scale down on narrow screens. */
function responsiveSvg(svg: string): string {
  return svg.replace(/^<svg([^>]*)>/, (_m, attrs: string) => `<svg${attrs} style="max-width:100%;height:auto">`);
}

export interface ReportPlot {
  caption: string;
  svg: string;
}

function findingRow(f: Finding): string {
  const rule = f.rule !== undefined ? `<div class="rule">rule: ${escapeHtml(f.rule)}</div>` : '';
  const seeds =
    f.seeds !== undefined && f.seeds.length > 0
      ? `<div class="seeds">${f.seeds.map((s) => escapeHtml(seedStatText(s))).join('<br>')}</div>`
      : '';
  return `<tr><td>${badge(f.verdict)}</td><td><b>${escapeHtml(f.statement)}</b><br><span class="ev">${escapeHtml(f.evidence)}</span>${rule}${seeds}</td></tr>`;
}

export function renderReportHtml(
  results: readonly { result: ExperimentResult; plots: ReportPlot[] }[],
  meta: { generated: string; command: string },
): string {
  const modes = new Set(results.map((r) => (r.result.quick ? 'quick' : 'full')));
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const { result } of results) counts[result.verdict]++;
  const seedSets = new Set(results.map((r) => (r.result.seeds ?? [r.result.seed]).join(', ')));
  const rows = results
    .map(({ result: r }) => {
      const ev = evidenceOf(r.findings);
      const list = ev.map((f) => `${badge(f.verdict)} ${escapeHtml(f.statement)}`).join('<br>');
      return `<tr><td>§${r.section}</td><td><a href="#${escapeHtml(r.name)}">${escapeHtml(r.name)}</a><br><small>${escapeHtml(r.title)}</small></td><td>${badge(r.verdict)}</td><td class="list">${list}</td></tr>`;
    })
    .join('\n');
  const sections = results
    .map(({ result: r, plots }) => {
      const claims = r.claims
        .map(
          (c) =>
            `<blockquote><div class="zh" lang="zh">§${c.section}「${escapeHtml(c.quote)}」</div><div class="en">${escapeHtml(c.english)}</div></blockquote>`,
        )
        .join('\n');
      const measured = r.measured.map((m) => `<li>${escapeHtml(m)}</li>`).join('\n');
      const ev = evidenceOf(r.findings);
      const sanity = r.findings.filter((f) => !ev.includes(f));
      const sanityTable =
        sanity.length > 0
          ? `<h3>Sanity checks <small>(hold by construction: shown, not counted as evidence)</small></h3>
<table class="findings sanity">${sanity.map(findingRow).join('\n')}</table>`
          : '';
      const figs = plots
        .map((p) => `<figure>${responsiveSvg(p.svg)}<figcaption>${escapeHtml(p.caption)}</figcaption></figure>`)
        .join('\n');
      const cpu = r.cpuSeconds !== undefined ? `, ${r.cpuSeconds.toFixed(1)} s CPU` : '';
      return `<section id="${escapeHtml(r.name)}">
<h2>§${r.section} · ${escapeHtml(r.title)} <small>${escapeHtml(r.name)}</small> ${badge(r.verdict)}</h2>
${claims}
<h3>Measured</h3>
<ul>${measured}</ul>
<h3>Findings</h3>
<table class="findings">${ev.map(findingRow).join('\n')}</table>
${sanityTable}
${figs}
<p class="meta">${r.quick ? '--quick, ' : ''}seeds ${escapeHtml((r.seeds ?? [r.seed]).join(', '))}, ${r.seconds.toFixed(1)} s${cpu}</p>
</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>llmts lab: the notes, executed</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", ${FONT_STACK}; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #1b1b1b; line-height: 1.45; }
h1 { margin-bottom: 0.2em; }
h2 { border-top: 2px solid #ddd; padding-top: 1em; margin-top: 2em; }
h2 small, h3 small { color: #777; font-weight: normal; font-size: 0.6em; }
h3 small { font-size: 0.8em; }
h3 { margin-bottom: 0.3em; }
table { border-collapse: collapse; }
.summary td, .summary th { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
.summary .list { font-size: 0.85em; }
.findings td { padding: 6px 8px; vertical-align: top; border-bottom: 1px solid #eee; }
.sanity { opacity: 0.8; }
.ev, .rule, .seeds { color: #444; font-size: 0.92em; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.rule { color: #555; font-style: italic; margin-top: 0.3em; }
.seeds { margin-top: 0.3em; }
blockquote { margin: 0.6em 0; padding: 0.4em 1em; border-left: 4px solid #9ab; background: #f6f8fa; }
.zh { font-size: 1.05em; }
.en { color: #555; font-style: italic; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.8em; font-weight: 600; white-space: nowrap; vertical-align: middle; }
.badge.holds { background: #d7f5dd; color: #0b5d1e; }
.badge.fails { background: #fbd9d9; color: #8a1010; }
.badge.caveat { background: #fff1c2; color: #6b5200; }
.badge.unresolved { background: #e4e7ec; color: #364152; }
figure { margin: 1em 0; }
figcaption { color: #555; font-size: 0.9em; }
.meta { color: #888; font-size: 0.85em; }
</style>
</head>
<body>
<h1>llmts lab</h1>
<p>Every claim of the seed notes run as an experiment on llmts's own models, tokenizers, decoders and trainers.
${results.length} experiments: ${counts.holds} hold, ${counts['holds with a caveat']} hold with a caveat, ${counts['does not hold']} do not hold, ${counts['not resolved at this size']} not resolved at this size.
Mode: ${escapeHtml([...modes].join(' + '))}; seeds ${escapeHtml([...seedSets].join(' / '))}. Comparisons of trained models run once per seed and report mean ± standard error; a difference whose 95% interval (mean ± t·SE) crosses zero is "not resolved at this size". Sanity checks (properties that hold by construction) are shown but not counted.
Generated ${escapeHtml(meta.generated)} by <code>${escapeHtml(meta.command)}</code>.</p>
<table class="summary"><tr><th>notes</th><th>experiment</th><th>verdict</th><th>findings (evidence)</th></tr>
${rows}
</table>
${sections}
</body>
</html>
`;
}
