/** Parsing command-line values into typed numbers, with errors that name the flag. */
import { ArgumentError } from '../src/core/errors.ts';

export function intOption(flag: string, v: unknown, min = -Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new ArgumentError(flag, `expects an integer${min > -Infinity ? ` >= ${min}` : ''}, got ${String(v)}`);
  return n;
}

export function floatOption(flag: string, v: unknown, min = -Infinity, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new ArgumentError(flag, `expects a number in [${min}, ${max}], got ${String(v)}`);
  return n;
}

/** Drops undefined values so exactOptionalPropertyTypes is satisfied when spreading options. */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
