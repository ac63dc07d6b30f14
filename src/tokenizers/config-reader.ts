/**
 * Typed access to untrusted JSON (tokenizer.json sections, vocab.json ...). Every read
 * checks the type and, on failure, throws a FormatError naming the file and the field
 * path as written in the file (e.g. `pre_tokenizer.pretokenizers[1].pattern`).
 */
import { describe } from '../core/describe.ts';
import { FormatError } from '../core/errors.ts';

import { isJsonObject } from '../core/json.ts';
import type { JsonObject, JsonValue } from '../core/json.ts';

export { isJsonObject };
export type { JsonObject, JsonValue };

/** Parses JSON text; a syntax error becomes a FormatError naming the file. */
export function parseJson(text: string, file: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new FormatError(file, `invalid JSON: ${(err as Error).message}`, undefined, { cause: err });
  }
}

export class ConfigReader {
  constructor(
    readonly value: JsonObject,
    readonly file: string,
    /** Field path of `value` inside the file ('' for the root). */
    readonly path: string,
  ) {}

  static root(value: JsonValue, file: string, what = 'root'): ConfigReader {
    if (!isJsonObject(value)) throw new FormatError(file, `expected ${what} to be an object, got ${describe(value)}`);
    return new ConfigReader(value, file, '');
  }

  fieldPath(key: string | number): string {
    if (typeof key === 'number') return `${this.path}[${key}]`;
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  fail(key: string | number, message: string): never {
    throw new FormatError(this.file, message, this.fieldPath(key));
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  raw(key: string): JsonValue | undefined {
    return this.value[key];
  }

  string(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string') this.fail(key, `expected a string, got ${v === undefined ? 'nothing' : describe(v)}`);
    return v;
  }

  optString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.value[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, `expected a boolean, got ${describe(v)}`);
    return v;
  }

  number(key: string, fallback?: number): number {
    const v = this.value[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `expected a finite number, got ${describe(v)}`);
    return v;
  }

  optNumber(key: string): number | undefined {
    return this.has(key) ? this.number(key) : undefined;
  }

  /** A non-negative integer no larger than `max` (guards against absurd sizes). */
  int(key: string, fallback?: number, max = 2 ** 31 - 1): number {
    const v = this.number(key, fallback);
    if (!Number.isInteger(v) || v < 0 || v > max) this.fail(key, `expected an integer in [0, ${max}], got ${v}`);
    return v;
  }

  optInt(key: string, max = 2 ** 31 - 1): number | undefined {
    return this.has(key) ? this.int(key, undefined, max) : undefined;
  }

  object(key: string): ConfigReader {
    const v = this.value[key];
    if (!isJsonObject(v)) this.fail(key, `expected an object, got ${v === undefined ? 'nothing' : describe(v)}`);
    return new ConfigReader(v, this.file, this.fieldPath(key));
  }

  optObject(key: string): ConfigReader | undefined {
    return this.has(key) ? this.object(key) : undefined;
  }

  array(key: string): JsonValue[] {
    const v = this.value[key];
    if (!Array.isArray(v)) this.fail(key, `expected an array, got ${v === undefined ? 'nothing' : describe(v)}`);
    return v;
  }

  optArray(key: string): JsonValue[] | undefined {
    return this.has(key) ? this.array(key) : undefined;
  }

  /** An array whose elements are all objects, each wrapped in a reader. */
  objectArray(key: string): ConfigReader[] {
    const arr = this.array(key);
    const base = this.fieldPath(key);
    return arr.map((v, i) => {
      if (!isJsonObject(v)) throw new FormatError(this.file, `expected an object, got ${describe(v)}`, `${base}[${i}]`);
      return new ConfigReader(v, this.file, `${base}[${i}]`);
    });
  }

  stringArray(key: string): string[] {
    const arr = this.array(key);
    const base = this.fieldPath(key);
    return arr.map((v, i) => {
      if (typeof v !== 'string')
        throw new FormatError(this.file, `expected a string, got ${describe(v)}`, `${base}[${i}]`);
      return v;
    });
  }

  /** One of a fixed set of string values. */
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    if (!this.has(key) && fallback !== undefined) return fallback;
    const v = this.string(key);
    if (!(allowed as readonly string[]).includes(v))
      this.fail(key, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
    return v as T;
  }
}
