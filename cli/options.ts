/** Parsing command-line values into typed numbers, with errors that name the flag. */
import { readFileSync, statSync } from 'node:fs';
import { ArgumentError, IOError } from '../src/core/errors.ts';

/** The flag's value as given, cut for an error message. */
function shown(v: unknown): string {
  const s = String(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** A number from a flag; an empty or blank value is not 0. */
function toNumber(v: unknown): number {
  return typeof v === 'string' && v.trim() === '' ? NaN : Number(v);
}

export function intOption(
  flag: string,
  v: unknown,
  min = -Infinity,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (v === undefined) return undefined;
  const n = toNumber(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > -Infinity ? ` >= ${min}` : '';
    throw new ArgumentError(flag, `expects an integer${range}, got ${shown(v)}`);
  }
  return n;
}

export function floatOption(flag: string, v: unknown, min = -Infinity, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = toNumber(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new ArgumentError(flag, `expects a number in [${min}, ${max}], got ${shown(v)}`);
  return n;
}

/** A finite number > 0 (a learning rate, a time limit). */
export function positiveOption(flag: string, v: unknown, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = toNumber(v);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new ArgumentError(flag, `expects a number > 0${max < Infinity ? ` and <= ${max}` : ''}, got ${shown(v)}`);
  return n;
}

/** Drops undefined values so exactOptionalPropertyTypes is satisfied when spreading options. */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** A text file named by a flag, read whole; a missing path or a directory is a one-line IOError. */
export function readTextInput(flag: string, path: string): string {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new IOError(path, `${flag}: no such file`);
  }
  if (!isFile) throw new IOError(path, `${flag}: not a file (a directory?)`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new IOError(path, `${flag}: cannot read: ${(err as Error).message}`, { cause: err });
  }
}
