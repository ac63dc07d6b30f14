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
  log?: (line: string) => void;
}

export class LabContext implements LabContextLike {
  readonly outDir: string;
  readonly quick: boolean;
  readonly seed: number;
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly logger: (line: string) => void;

  constructor(o: LabOptions) {
    if (!Number.isInteger(o.seed) || o.seed < 0)
      throw new ArgumentError('lab', `seed must be a non-negative integer, got ${o.seed}`);
    this.outDir = o.outDir;
    this.quick = o.quick;
    this.seed = o.seed;
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
