/**
 * Running experiments: each writes `<out>/<name>/result.json` and its plots
 * (`<out>/<name>/<plot>.svg`), prints its claim, measurements and verdict, and the run ends
 * with `<out>/report.html` built from every result in the output directory.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { ArgumentError, FormatError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/atomic.ts';
import { LabContext } from './context.ts';
import { formatResult } from './print.ts';
import { EXPERIMENTS } from './registry.ts';
import { renderReportHtml } from './report.ts';
import type { ReportPlot } from './report.ts';
import type { Experiment, ExperimentResult } from './types.ts';
import { VERDICTS } from './types.ts';
import { overallVerdict } from './verdict.ts';

export interface LabRunOptions {
  outDir: string;
  quick: boolean;
  seed: number;
  /** Seeds per comparison of trained models (default 3 with quick, 5 at full size). */
  seeds?: number;
  log?: (line: string) => void;
  /** The command line, for the report's header. */
  command?: string;
  /** Write report.html at the end (default true). */
  report?: boolean;
}

/**
 * Experiments for the names a user typed: `all`, a section number (`9` runs every section-9
 * experiment) or experiment names. Unknown names are an ArgumentError listing the valid ones.
 */
export function selectExperiments(
  names: readonly string[],
  registry: readonly Experiment[] = EXPERIMENTS,
): Experiment[] {
  if (names.length === 0)
    throw new ArgumentError('lab run', 'name an experiment, a section number or "all" (see `llmts lab list`)');
  const out: Experiment[] = [];
  for (const name of names) {
    const picked =
      name === 'all'
        ? [...registry]
        : /^\d+$/.test(name)
          ? registry.filter((e) => e.section === Number(name))
          : registry.filter((e) => e.name === name);
    if (picked.length === 0) {
      throw new ArgumentError(
        'lab run',
        `no experiment "${name}"; choose from: all, a section number (1-11), ${registry.map((e) => e.name).join(', ')}`,
      );
    }
    for (const e of picked) if (!out.includes(e)) out.push(e);
  }
  return out.sort((a, b) => registry.indexOf(a) - registry.indexOf(b)); // section order, whatever the typing order
}

/** Runs one experiment in a context and writes its files; returns the result. */
export async function runExperiment(e: Experiment, ctx: LabContext): Promise<ExperimentResult> {
  ctx.log(`-- ${e.name}: running${ctx.quick ? ' (--quick)' : ''}`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const out = await e.run(ctx);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const dir = join(ctx.outDir, e.name);
  const plots = out.plots.map((p) => {
    const file = `${p.name}.svg`;
    writeFileAtomic(join(dir, file), p.svg);
    return { name: p.name, caption: p.caption, file };
  });
  const result: ExperimentResult = {
    name: e.name,
    section: e.section,
    title: e.title,
    claims: e.claims,
    verdict: overallVerdict(out.findings),
    findings: out.findings,
    measured: out.measured,
    numbers: out.numbers,
    plots,
    quick: ctx.quick,
    seed: ctx.seed,
    seeds: [...ctx.seeds],
    seconds,
    cpuSeconds,
  };
  writeFileAtomic(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  ctx.log(formatResult(result, [join(dir, 'result.json'), ...plots.map((p) => join(dir, p.file))]));
  return result;
}

export async function runLab(names: readonly string[], o: LabRunOptions): Promise<ExperimentResult[]> {
  const experiments = selectExperiments(names);
  const ctx = new LabContext({
    outDir: o.outDir,
    quick: o.quick,
    seed: o.seed,
    ...(o.seeds !== undefined ? { seeds: o.seeds } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const load0 = loadavg()[0]!;
  const results: ExperimentResult[] = [];
  for (const e of experiments) results.push(await runExperiment(e, ctx));
  const cpu = process.cpuUsage(cpu0);
  const timing = {
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    loadBefore: load0,
    loadAfter: loadavg()[0]!,
    cores: availableParallelism(),
  };
  if (o.report ?? true) {
    const path = writeReport(o.outDir, o.command ?? `llmts lab run ${names.join(' ')}`);
    ctx.log(`report: ${path}`);
  }
  const tally = VERDICTS.map((v) => `${results.filter((r) => r.verdict === v).length} ${v}`).join(', ');
  ctx.log(`${results.length} experiment${results.length === 1 ? '' : 's'}: ${tally}`);
  ctx.log(
    `time: ${timing.seconds.toFixed(0)} s wall, ${timing.cpuSeconds.toFixed(0)} s CPU on ${timing.cores} cores (1-minute load average ${timing.loadBefore.toFixed(1)} before, ${timing.loadAfter.toFixed(1)} after)`,
  );
  writeFileAtomic(
    join(o.outDir, 'timing.json'),
    `${JSON.stringify({ command: o.command ?? null, experiments: results.map((r) => ({ name: r.name, seconds: r.seconds, cpuSeconds: r.cpuSeconds })), ...timing }, null, 2)}\n`,
  );
  return results;
}

/** Reads one result.json, checking the fields the report needs. */
export function readResult(path: string): ExperimentResult {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FormatError(path, 'not valid JSON', undefined, { cause: err });
  }
  const r = raw as Partial<ExperimentResult>;
  for (const field of ['name', 'title', 'verdict'] as const)
    if (typeof r[field] !== 'string') throw new FormatError(path, `missing ${field}`, field);
  if (!VERDICTS.includes(r.verdict!))
    throw new FormatError(path, `unknown verdict ${JSON.stringify(r.verdict)}`, 'verdict');
  if (!Array.isArray(r.findings) || !Array.isArray(r.plots) || !Array.isArray(r.claims) || !Array.isArray(r.measured))
    throw new FormatError(path, 'missing findings, plots, claims or measured', 'findings');
  return r as ExperimentResult;
}

/** report.html from every `<out>/<name>/result.json` of known experiments, in registry order. */
export function writeReport(outDir: string, command: string): string {
  const order = new Map(EXPERIMENTS.map((e, i) => [e.name, i]));
  const entries: { result: ExperimentResult; plots: ReportPlot[] }[] = [];
  for (const name of existsSync(outDir) ? readdirSync(outDir) : []) {
    const path = join(outDir, name, 'result.json');
    if (!order.has(name) || !existsSync(path)) continue;
    const result = readResult(path);
    const plots = result.plots.map((p) => {
      const file = join(outDir, name, p.file);
      return { caption: p.caption, svg: existsSync(file) ? readFileSync(file, 'utf8') : `<p>(missing ${p.file})</p>` };
    });
    entries.push({ result, plots });
  }
  entries.sort((a, b) => order.get(a.result.name)! - order.get(b.result.name)!);
  const path = join(outDir, 'report.html');
  writeFileAtomic(
    path,
    renderReportHtml(entries, { generated: new Date().toISOString().slice(0, 19).replace('T', ' '), command }),
  );
  return path;
}
