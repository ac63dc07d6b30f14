/** Shared by the distributed-pipeline tests: the mixed sample in a temp dir, and output snapshots. */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../../src/data/pipeline/config.ts';

export const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'data', 'mixed');

/** A copy of the mixed sample and a config file for it writing to `out` (absolute paths). */
export function sampleRun(prefix: string): { dir: string; configFor(out: string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(FIXTURE, join(dir, 'in'), { recursive: true });
  const raw = loadConfigFile(join(FIXTURE, 'pipeline.yaml'));
  return {
    dir,
    configFor(out: string): string {
      const file = join(dir, `${out}.yaml`);
      writeFileSync(
        file,
        stringify({
          input: { ...raw.input, paths: raw.input.paths.map((p) => join(dir, 'in', p.split('/').pop() as string)) },
          output: { ...raw.output, dir: join(dir, out) },
          stages: raw.stages.map((s) => ({ [s.type]: s.params })),
        }),
      );
      return file;
    },
  };
}

/**
 * Every output file of a run, byte for byte: kept/, rejected/, tokens/, megatron/ and the
 * dedup removal lists; not the report (timings), metrics.jsonl, or other resumable state.
 */
export function snapshot(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(d, e.name);
      if (e.name.startsWith('report.') || e.name === 'metrics.jsonl') continue;
      if (e.isDirectory()) {
        if (e.name === '_work') {
          for (const dd of readdirSync(full).filter((n) => n.startsWith('dedup')))
            for (const f of readdirSync(join(full, dd)).filter((n) => /^\d+\.json$/.test(n)))
              out.set(relative(root, join(full, dd, f)), readFileSync(join(full, dd, f)));
          continue;
        }
        walk(full);
      } else out.set(relative(root, full), readFileSync(full));
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}
