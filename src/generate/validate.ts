/**
 * Option checks shared by processors and the config reader. Errors name the option
 * as Hugging Face spells it (snake_case), since that is what generation_config.json
 * and the CLI use.
 */
import { ConfigError } from '../core/errors.ts';

export function requireFinite(field: string, x: number): number {
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw new ConfigError(field, `must be a finite number, got ${String(x)}`);
  return x;
}

export function requirePositive(field: string, x: number): number {
  requireFinite(field, x);
  if (!(x > 0)) throw new ConfigError(field, `must be > 0, got ${x}`);
  return x;
}

export function requireInRange(
  field: string,
  x: number,
  lo: number,
  hi: number,
  open: 'both' | 'none' | 'lo' | 'hi',
): number {
  requireFinite(field, x);
  const loOk = open === 'both' || open === 'lo' ? x > lo : x >= lo;
  const hiOk = open === 'both' || open === 'hi' ? x < hi : x <= hi;
  if (!loOk || !hiOk) {
    const l = open === 'both' || open === 'lo' ? '(' : '[';
    const h = open === 'both' || open === 'hi' ? ')' : ']';
    throw new ConfigError(field, `must be in ${l}${lo}, ${hi}${h}, got ${x}`);
  }
  return x;
}

export function requireInt(field: string, x: number, min: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) {
    throw new ConfigError(field, `must be an integer >= ${min}, got ${String(x)}`);
  }
  return x;
}

export function requireTokenIds(field: string, ids: readonly number[], allowEmpty = false): readonly number[] {
  if (!Array.isArray(ids) || (!allowEmpty && ids.length === 0)) {
    throw new ConfigError(field, `must be a ${allowEmpty ? '' : 'non-empty '}list of token ids`);
  }
  for (const id of ids) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new ConfigError(field, `token ids must be integers >= 0, got ${String(id)}`);
    }
  }
  return ids;
}
