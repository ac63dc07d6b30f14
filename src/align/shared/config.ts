/**
 * Stage configuration from three layers: the stage's defaults, a config file (JSON or YAML,
 * keys in camelCase, snake_case or kebab-case), and command-line flags (kebab-case). Every
 * key is checked against the defaults (unknown keys and wrong types are ConfigErrors naming
 * the key and the file), so a typo never passes silently.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, FormatError, IOError } from '../../core/errors.ts';

export type FieldKind = 'number' | 'integer' | 'boolean' | 'string';

/** How to read each field: from the default's type (numbers as 'number'), or given (integers, fields whose default is null). */
export type FieldKinds<T> = { [K in keyof T]?: FieldKind };

export function camelCase(key: string): string {
  return key.replace(/[-_]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IOError(path, `cannot read the config file: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new FormatError(path, `not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new FormatError(path, 'the config must be a mapping of keys to values');
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [camelCase(k), v]));
}

function kindOf<T extends object>(defaults: T, kinds: FieldKinds<T>, key: keyof T): FieldKind {
  const given = kinds[key];
  if (given !== undefined) return given;
  const v = defaults[key];
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'number';
  return 'string';
}

function coerce(value: unknown, kind: FieldKind, key: string, where: string, fromText: boolean): unknown {
  if (value === null) return null;
  if (kind === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (fromText && (value === 'true' || value === 'false')) return value === 'true';
    throw new ConfigError(key, `${where}: expects true or false, got ${JSON.stringify(value)}`);
  }
  if (kind === 'number' || kind === 'integer') {
    const n =
      typeof value === 'number'
        ? value
        : fromText && typeof value === 'string' && value.trim() !== ''
          ? Number(value)
          : NaN;
    if (fromText && value === 'null') return null;
    if (!Number.isFinite(n)) throw new ConfigError(key, `${where}: expects a number, got ${JSON.stringify(value)}`);
    if (kind === 'integer' && !Number.isInteger(n))
      throw new ConfigError(key, `${where}: expects an integer, got ${n}`);
    return n;
  }
  if (typeof value !== 'string') throw new ConfigError(key, `${where}: expects a string, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * defaults <- file <- flags. `flags` holds commander's parsed values (strings, or true for
 * switches) under camelCase keys; keys not in `defaults` are ignored there (they are the
 * command's own options), but are errors in a file.
 */
export function mergeConfig<T extends object>(
  defaults: T,
  kinds: FieldKinds<T>,
  file: { path: string; values: Record<string, unknown> } | null,
  flags: Record<string, unknown>,
): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  const known = new Set(Object.keys(defaults));
  if (file !== null) {
    for (const [k, v] of Object.entries(file.values)) {
      if (!known.has(k))
        throw new ConfigError(k, `${file.path}: unknown key (known: ${[...known].map(kebabCase).join(', ')})`);
      out[k] = coerce(v, kindOf(defaults, kinds, k as keyof T), k, file.path, false);
    }
  }
  for (const [k, v] of Object.entries(flags)) {
    if (!known.has(k) || v === undefined) continue;
    out[k] = coerce(v, kindOf(defaults, kinds, k as keyof T), k, `--${kebabCase(k)}`, true);
  }
  return out as T;
}

/** A command's hyperparameters: defaults <- the file named by --config (if any) <- flags. */
export function stageConfig<T extends object>(defaults: T, kinds: FieldKinds<T>, flags: Record<string, unknown>): T {
  const path = flags['config'] as string | undefined;
  return mergeConfig(defaults, kinds, path ? { path, values: readConfigFile(path) } : null, flags);
}

/** `o` without `keys`, the others in their order (a stage's hyperparameters: its options minus its inputs). */
export function withoutKeys<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Omit<T, K> {
  const drop = new Set<PropertyKey>(keys);
  return Object.fromEntries(Object.entries(o).filter(([k]) => !drop.has(k))) as Omit<T, K>;
}

export interface OptionSpec {
  flag: string;
  description: string;
}

/** Command-line options for every field of `defaults` (`--kebab-name <value>`, switches for booleans). */
export function optionSpecs<T extends object>(
  defaults: T,
  kinds: FieldKinds<T>,
  descriptions: Partial<Record<keyof T, string>>,
): OptionSpec[] {
  return (Object.keys(defaults) as (keyof T & string)[]).map((key) => {
    const kind = kindOf(defaults, kinds, key);
    const d = defaults[key];
    const shown = d === null ? 'none' : String(d);
    const flag =
      kind === 'boolean' ? `--${kebabCase(key)} [bool]` : `--${kebabCase(key)} <${kind === 'string' ? 'value' : 'n'}>`;
    return { flag, description: `${descriptions[key] ?? key} (default: ${shown})` };
  });
}
