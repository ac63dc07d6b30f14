/**
 * `llmts data`: the preprocessing pipeline. `run CONFIG` runs a declarative config
 * (JSON/YAML), `clean` is the quick form with a preset chain, `stats` prints the report
 * of a run, the summary of a token-shard dataset, or statistics of raw inputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ArgumentError } from '../../src/core/errors.ts';
import { loadConfigFile, validateConfig } from '../../src/data/pipeline/config.ts';
import { runPipeline } from '../../src/data/pipeline/run.ts';
import { runArrayTask } from '../../src/data/pipeline/array.ts';
import { queueStatus, runQueued, startQueueWorker, statusText } from '../../src/data/pipeline/queue.ts';
import { EMIT_DEFAULTS, emitK8s, emitSlurm, planText } from '../../src/data/pipeline/emit.ts';
import { splitSegments } from '../../src/data/pipeline/segments.ts';
import { planSteps } from '../../src/data/pipeline/steps.ts';
import { planShards } from '../../src/data/readers/plan.ts';
import { reportText } from '../../src/data/pipeline/report.ts';
import type { PipelineReport } from '../../src/data/pipeline/report.ts';
import { mergeShardDatasets, openShardDataset } from '../../src/data/shards/index.ts';
import { corpusStats } from '../../src/data/stats.ts';
import { INPUT_DEFAULTS } from '../../src/data/readers/input-spec.ts';
import { writeSampleInputs } from '../../src/data/corpora/sample-inputs.ts';

/** Preset chains for `data clean` (FineWeb's order: repetition before quality, C4 without the punctuation line rule). */
const PRESETS: Record<string, unknown[]> = {
  fineweb: [
    'html_extract',
    'clean_whitespace',
    'normalize',
    'gopher_repetition',
    'gopher_quality',
    { c4_quality: { filter_no_terminal_punct: false } },
    'fineweb_quality',
    'exact_dedup',
    'minhash_dedup',
    'pii',
  ],
  gopher: [
    'html_extract',
    'clean_whitespace',
    'normalize',
    'gopher_repetition',
    'gopher_quality',
    'exact_dedup',
    'minhash_dedup',
  ],
  c4: ['html_extract', 'clean_whitespace', 'normalize', 'c4_quality', 'exact_dedup'],
  minimal: ['html_extract', 'clean_whitespace', 'normalize', 'exact_dedup'],
};

function intOf(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n)) throw new ArgumentError('data', `${flag} expects an integer, got ${v}`);
  return n;
}

function workersOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new ArgumentError('data', `--workers expects a non-negative integer, got ${v}`);
  return n;
}

export function register(program: Command): void {
  const data = program
    .command('data')
    .description('data preprocessing: extract, normalize, filter, dedup, redact PII, tokenize');

  data
    .command('run')
    .description('run a pipeline config (JSON or YAML); re-running resumes an interrupted run')
    .argument('<config>', 'pipeline config file')
    .option('--workers <n>', 'worker threads (0 = in this thread); default: the config, else one per core')
    .option('--fresh', 'start over, deleting an earlier run in the output directory')
    .option('--segment <s>', 'array mode: the segment to run a task of (a name or number from llmts data plan)')
    .option('--tasks <n>', 'array mode: the size of the array (task I runs tasks I, I + N, ... of the segment)')
    .option('--task <i>', 'array mode: this array task, 0 .. N-1 (e.g. $SLURM_ARRAY_TASK_ID, $JOB_COMPLETION_INDEX)')
    .option(
      '--executor <kind>',
      'local (worker threads here) | bullmq (queue on Redis, run by llmts data worker)',
      'local',
    )
    .option('--redis <url>', 'bullmq: redis://HOST:PORT')
    .action(
      async (
        configPath: string,
        o: {
          workers?: string;
          fresh?: boolean;
          segment?: string;
          tasks?: string;
          task?: string;
          executor: string;
          redis?: string;
        },
      ) => {
        const cfg = loadConfigFile(configPath);
        if (o.executor !== 'local' && o.executor !== 'bullmq')
          throw new ArgumentError('data run', `--executor expects local or bullmq, got ${o.executor}`);
        if (o.executor === 'bullmq') {
          if (o.redis === undefined)
            throw new ArgumentError('data run', '--executor bullmq needs --redis redis://HOST:PORT');
          if (o.tasks !== undefined || o.task !== undefined)
            throw new ArgumentError(
              'data run',
              '--executor bullmq runs every task through the queue; drop --tasks/--task',
            );
          let last = '';
          const r = await runQueued(cfg, {
            redis: o.redis,
            fresh: o.fresh === true,
            onStatus: (s) => {
              const line = statusText(s);
              const short = line.replace(/, [\d.]+ s, .*$/, '');
              if (short !== last && process.env['LLMTS_NO_PROGRESS'] !== '1') process.stderr.write(`${line}\n`);
              last = short;
            },
          });
          console.log(reportText(r.report));
          console.log(`\nqueued run ${r.launch}; report: ${join(cfg.output.dir, 'report.md')} and report.html`);
          return;
        }
        if (o.tasks !== undefined || o.task !== undefined || o.segment !== undefined) {
          if (o.tasks === undefined || o.task === undefined)
            throw new ArgumentError('data run', 'array mode needs both --tasks N and --task I (and --segment S)');
          if (o.fresh === true)
            throw new ArgumentError(
              'data run',
              '--fresh cannot be used with --task: other array tasks share the output',
            );
          const r = await runArrayTask(cfg, {
            segment: o.segment,
            tasks: intOf('--tasks', o.tasks),
            task: intOf('--task', o.task),
          });
          console.log(
            `${r.step.name}: task ${o.task} of ${o.tasks} ran ${r.ran.length} (${r.ran.join(', ') || 'none'}), already done ${r.skipped.length}, of the segment's ${r.step.tasks} tasks`,
          );
          return;
        }
        const w = workersOf(o.workers);
        const { report } = await runPipeline(cfg, {
          ...(w !== undefined ? { workers: w } : {}),
          fresh: o.fresh === true,
        });
        console.log(reportText(report));
        console.log(`\nreport: ${join(cfg.output.dir, 'report.md')} and report.html`);
      },
    );

  data
    .command('worker')
    .description('consume pipeline tasks from a Redis queue (llmts data run --executor bullmq) until stopped')
    .requiredOption('--redis <url>', 'redis://HOST:PORT')
    .option('--concurrency <n>', 'tasks at once, each on its own thread', '1')
    .option('--lock-ms <n>', "job lock: a killed worker's task is run again elsewhere after about this long", '30000')
    .action(async (o: { redis: string; concurrency: string; lockMs: string }) => {
      const w = await startQueueWorker({
        redis: o.redis,
        concurrency: intOf('--concurrency', o.concurrency),
        lockMs: intOf('--lock-ms', o.lockMs),
        log: (line) => console.log(line),
      });
      console.log(`worker ${process.pid} ready on ${o.redis}`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          console.log('stopping: finishing the running tasks');
          void w.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  data
    .command('status')
    .description('progress of queued runs: tasks done, documents, bytes, ETA')
    .requiredOption('--redis <url>', 'redis://HOST:PORT')
    .option('--all', 'every launch Redis knows, not only the newest')
    .action(async (o: { redis: string; all?: boolean }) => {
      const { launches, counts } = await queueStatus(o.redis);
      if (launches.length === 0) console.log('no queued runs');
      for (const s of o.all === true ? launches : launches.slice(0, 1)) console.log(statusText(s));
      console.log(
        `queue: ${Object.entries(counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    });

  data
    .command('plan')
    .description('print the segments of a run and their task counts; --emit writes a Slurm script or Kubernetes Jobs')
    .argument('<config>', 'pipeline config file')
    .option('--emit <kind>', 'slurm | k8s: print a job file for an array scheduler')
    .option('--max-array <n>', 'largest job array (array task I then runs tasks I, I + N, ...)', '1000')
    .option('--llmts <cmd>', 'the command that runs llmts on the nodes', 'llmts')
    .option('--image <name>', 'k8s: container image', EMIT_DEFAULTS.image)
    .option('--claim <name>', 'k8s: persistent volume claim holding config, inputs and outputs', EMIT_DEFAULTS.claim)
    .option('--mount <dir>', 'k8s: where the claim is mounted', EMIT_DEFAULTS.mount)
    .action((configPath: string, o: Record<string, string | undefined>) => {
      const cfg = loadConfigFile(configPath);
      const segments = splitSegments(cfg.stages);
      const shards = planShards(cfg.input).length;
      const view = { config: cfg, segments, steps: planSteps(segments, shards), shards };
      if (o['emit'] === undefined) {
        console.log(planText(view));
        return;
      }
      const opts = {
        config: resolve(configPath),
        maxArray: intOf('--max-array', o['maxArray'] as string),
        llmts: o['llmts'] as string,
        image: o['image'] as string,
        claim: o['claim'] as string,
        mount: o['mount'] as string,
      };
      if (opts.maxArray < 1) throw new ArgumentError('data plan', '--max-array must be at least 1');
      if (o['emit'] === 'slurm') process.stdout.write(emitSlurm(view, opts));
      else if (o['emit'] === 'k8s') process.stdout.write(emitK8s(view, opts));
      else throw new ArgumentError('data plan', `--emit expects slurm or k8s, got ${o['emit']}`);
    });

  data
    .command('sample')
    .description("write README's tour inputs from the nlp-corpus package: corpus.txt (plain text) and raw/ (JSONL)")
    .option('--out <dir>', 'folder to write corpus.txt and raw/ into', '.')
    .option('--bytes <n>', 'size of corpus.txt in bytes (whole corpus files, so a little more)', '300000')
    .action((o: Record<string, string>) => {
      const bytes = Number(o['bytes']);
      if (!Number.isInteger(bytes) || bytes <= 0)
        throw new ArgumentError('--bytes', `expects a positive integer, got ${o['bytes']}`);
      const r = writeSampleInputs(o['out']!, bytes);
      console.log(`wrote ${r.corpus} (${r.corpusBytes} bytes) and ${r.raw}/ (${r.rawDocuments} JSONL documents)`);
    });

  data
    .command('clean')
    .description('quick form: clean inputs with a preset chain')
    .requiredOption('--input <paths...>', 'files, directories or globs')
    .requiredOption('--output <dir>', 'output directory (kept/, rejected/, report.*)')
    .option('--preset <name>', `${Object.keys(PRESETS).join(' | ')}`, 'fineweb')
    .option('--format <f>', 'auto | jsonl | text | html | warc | parquet | csv', 'auto')
    .option('--text-field <name>', 'JSONL text field', 'text')
    .option('--text-mode <mode>', 'text files: file | paragraph | line', 'paragraph')
    .option('--tokenizer <spec>', 'also tokenize the kept documents into <output>/tokens (tokenizer file or "bytes")')
    .option('--val-fraction <f>', 'with --tokenizer: fraction of documents for val', '0')
    .option('--workers <n>', 'worker threads (0 = in this thread)')
    .option('--fresh', 'start over')
    .action(async (o: Record<string, string | string[] | boolean | undefined>) => {
      const preset = PRESETS[o['preset'] as string];
      if (preset === undefined)
        throw new ArgumentError('data clean', `unknown preset ${o['preset']} (${Object.keys(PRESETS).join(', ')})`);
      const stages: unknown[] = [...preset];
      if (o['tokenizer'] !== undefined)
        stages.push({ tokenize: { tokenizer: o['tokenizer'], val_fraction: Number(o['valFraction']) } });
      const cfg = validateConfig({
        input: { paths: o['input'], format: o['format'], text_field: o['textField'], text_mode: o['textMode'] },
        output: o['output'],
        stages,
      });
      const w = workersOf(o['workers'] as string | undefined);
      const { report } = await runPipeline(cfg, {
        ...(w !== undefined ? { workers: w } : {}),
        fresh: o['fresh'] === true,
      });
      console.log(reportText(report));
    });

  data
    .command('merge')
    .description(
      'merge token-shard datasets into one, documents shuffled with a seed (llmts shards or Megatron .bin/.idx)',
    )
    .argument('<datasets...>', 'token-shard dataset directories (same vocabulary)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'shuffle seed', '0')
    .option('--no-shuffle', 'keep input order')
    .option('--format <f>', 'llmts | megatron (<split>_text_document.bin/.idx)', 'llmts')
    .action((inputs: string[], o: { out: string; seed: string; shuffle: boolean; format: string }) => {
      if (o.format !== 'llmts' && o.format !== 'megatron')
        throw new ArgumentError('data merge', `--format expects llmts or megatron, got ${o.format}`);
      const seed = Number(o.seed);
      if (!Number.isInteger(seed)) throw new ArgumentError('data merge', `--seed expects an integer, got ${o.seed}`);
      const r = mergeShardDatasets(inputs, o.out, { seed: o.shuffle ? seed : null, format: o.format });
      for (const [split, s] of Object.entries(r.splits))
        console.log(`${split}: ${s.documents} documents, ${s.tokens.toLocaleString('en')} tokens`);
      console.log(`wrote ${o.out}`);
    });

  data
    .command('stats')
    .description('print the report of a pipeline run, a token-shard dataset summary, or statistics of raw input files')
    .argument('<paths...>', 'a run directory, a dataset directory, or input files/globs')
    .option('--format <f>', 'inputs: auto | jsonl | text | html | warc | parquet | csv', 'auto')
    .option('--text-field <name>', 'inputs: JSONL text field', 'text')
    .option('--text-mode <mode>', 'inputs: file | paragraph | line', 'paragraph')
    .action(async (paths: string[], o: Record<string, string>) => {
      const one = paths.length === 1 ? (paths[0] as string) : null;
      if (one !== null && existsSync(join(one, 'report.json'))) {
        console.log(reportText(JSON.parse(readFileSync(join(one, 'report.json'), 'utf8')) as PipelineReport));
        return;
      }
      if (one !== null && existsSync(join(one, 'meta.json'))) {
        const ds = openShardDataset(one);
        const m = ds.meta;
        console.log(
          `${ds.dir}: ${m.format} v${m.version}, ${m.dtype}, vocab ${m.vocab_size}, eos ${m.eos_id ?? 'none'}, bos ${m.bos_id ?? 'none'}`,
        );
        console.log(
          `tokenizer: ${m.tokenizer.file ?? m.tokenizer.name ?? 'unknown'}; source: ${m.source}; created by ${m.created_by}`,
        );
        for (const name of ds.splits) {
          const s = ds.split(name);
          const mean = s.numDocuments > 0 ? (s.numTokens / s.numDocuments).toFixed(1) : '0';
          console.log(
            `${name}: ${s.numTokens.toLocaleString('en')} tokens, ${s.numDocuments} documents (mean ${mean} tokens), ${m.splits[name]?.files.length ?? 0} file(s)`,
          );
        }
        ds.close();
        return;
      }
      const s = await corpusStats({
        ...INPUT_DEFAULTS,
        paths,
        format: o['format'] as 'auto',
        text_field: o['textField'] as string,
        text_mode: o['textMode'] as 'paragraph',
      });
      console.log(
        `documents ${s.documents}, bytes ${s.reader.bytes}, chars ${s.chars}, words ${s.words}, lines ${s.lines}`,
      );
      console.log(
        `length (chars) p10 ${s.lengthPercentiles.p10}, median ${s.lengthPercentiles.p50}, p90 ${s.lengthPercentiles.p90}, max ${s.lengthPercentiles.max}`,
      );
      console.log(
        `scripts: ${Object.entries(s.scripts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      const mal = Object.entries(s.reader.malformed);
      console.log(
        `malformed: ${mal.length === 0 ? 'none' : mal.map(([k, v]) => `${k} ${v}`).join(', ')}; empty files ${s.reader.emptyFiles}`,
      );
    });
}
