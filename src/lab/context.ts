/**
 * One lab run: where results go, quick or full size, the seed, a logger, and the memo of
 * things several experiments share (trained models are also cached on disk under
 * `<out>/cache/`, so a second run reuses them).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError } from '../core/errors.ts';
import type { LabContextLike } from './types.ts';

export interface LabOptions {
  outDir: string;
  quick: boolean;
  seed: number;
  /** How many seeds comparisons of trained models run over (default 3 with quick, 5 at full size; at least 2). */
  seeds?: number;
  log?: (line: string) => void;
}

/** The default number of seeds: 3 at --quick size, 5 at full size. */
export function defaultSeedCount(quick: boolean): number {
  return quick ? 3 : 5;
}

export class LabContext implements LabContextLike {
  readonly outDir: string;
  readonly quick: boolean;
  readonly seed: number;
  readonly seeds: readonly number[];
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly logger: (line: string) => void;

  constructor(o: LabOptions) {
    if (!Number.isInteger(o.seed) || o.seed < 0)
      throw new ArgumentError('lab', `seed must be a non-negative integer, got ${o.seed}`);
    this.outDir = o.outDir;
    this.quick = o.quick;
    this.seed = o.seed;
    const n = o.seeds ?? defaultSeedCount(o.quick);
    if (!Number.isInteger(n) || n < 2 || n > 64)
      throw new ArgumentError('lab', `the number of seeds must be an integer from 2 to 64, got ${n}`);
    this.seeds = Array.from({ length: n }, (_, i) => o.seed + i);
    this.logger = o.log ?? ((line) => console.log(line));
    mkdirSync(o.outDir, { recursive: true });
  }

  log(line: string): void {
    this.logger(line);
  }

  shared<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (p === undefined) {
      p = make();
      this.memo.set(key, p);
    }
    return p;
  }

  cacheDir(name: string): string {
    const dir = join(this.outDir, 'cache', name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }
}
