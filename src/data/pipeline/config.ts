/**
 * The declarative pipeline config (JSON or YAML): inputs, output, workers, and the
 * ordered stage list with parameters. Validated once here; errors name the field as
 * the user wrote it (e.g. stages[3].max_doc_words).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../core/errors.ts';
import { INPUT_DEFAULTS } from '../readers/input-spec.ts';
import { INPUT_FORMATS } from '../readers/formats.ts';
import type { InputSpec } from '../readers/input-spec.ts';
import { STAGE_TYPES, validateStageParams } from './registry.ts';
import type { StageType } from './registry.ts';

export interface StageConfig {
  type: StageType;
  params: Record<string, unknown>;
}

export interface PipelineConfig {
  input: InputSpec;
  output: { dir: string; write_rejected: boolean; keep_work: boolean };
  /** worker threads; 0 runs in the calling thread */
  workers: number;
  stages: StageConfig[];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkKeys(obj: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k))
      throw new ConfigError(`${where}${where ? '.' : ''}${k}`, `unknown field (known: ${known.join(', ')})`);
  }
}

function parseStage(raw: unknown, i: number): StageConfig {
  const where = `stages[${i}]`;
  let type: unknown;
  let params: Record<string, unknown> = {};
  if (typeof raw === 'string') type = raw;
  else if (isObject(raw) && typeof raw['type'] === 'string') {
    type = raw['type'];
    params = { ...raw };
    delete params['type'];
  } else if (isObject(raw) && Object.keys(raw).length === 1) {
    const [k, v] = Object.entries(raw)[0] as [string, unknown];
    type = k;
    if (v !== null && v !== undefined) {
      if (!isObject(v)) throw new ConfigError(`${where}.${k}`, 'parameters must be a mapping');
      params = { ...v };
    }
  } else throw new ConfigError(where, 'expected a stage name, {type: name, ...params} or {name: {...params}}');
  if (typeof type !== 'string' || !(STAGE_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError(`${where}.type`, `unknown stage ${JSON.stringify(type)} (known: ${STAGE_TYPES.join(', ')})`);
  }
  validateStageParams(type as StageType, params, where);
  return { type: type as StageType, params };
}

/** Validates a parsed config object. `base` resolves relative paths (the config file's directory). */
export function validateConfig(raw: unknown): PipelineConfig {
  if (!isObject(raw)) throw new ConfigError('(root)', 'the config must be a mapping');
  checkKeys(raw, ['input', 'output', 'workers', 'stages'], '');
  let input: InputSpec;
  const ri = raw['input'];
  if (typeof ri === 'string' || Array.isArray(ri))
    input = { ...INPUT_DEFAULTS, paths: (Array.isArray(ri) ? ri : [ri]).map(String) };
  else if (isObject(ri)) {
    checkKeys(ri, ['paths', ...Object.keys(INPUT_DEFAULTS)], 'input');
    const paths = ri['paths'];
    if (!(typeof paths === 'string' || (Array.isArray(paths) && paths.every((p) => typeof p === 'string')))) {
      throw new ConfigError('input.paths', 'expected a path or a list of paths');
    }
    input = {
      ...INPUT_DEFAULTS,
      ...(ri as Partial<InputSpec>),
      paths: typeof paths === 'string' ? [paths] : (paths as string[]),
    };
  } else throw new ConfigError('input', 'expected {paths: [...], ...} or a list of paths');
  const enums: [keyof InputSpec, readonly string[]][] = [
    ['format', ['auto', ...INPUT_FORMATS]],
    ['text_mode', ['file', 'paragraph', 'line']],
    ['invalid_utf8', ['replace', 'reject']],
  ];
  for (const [k, allowed] of enums) {
    if (!allowed.includes(input[k] as string))
      throw new ConfigError(`input.${k}`, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(input[k])}`);
  }
  for (const k of ['shard_size_mb', 'max_record_mb'] as const) {
    if (typeof input[k] !== 'number' || !(input[k] > 0))
      throw new ConfigError(`input.${k}`, `expected a positive number, got ${JSON.stringify(input[k])}`);
  }
  for (const k of ['text_field', 'id_field'] as const) {
    if (typeof input[k] !== 'string') throw new ConfigError(`input.${k}`, 'expected a string');
  }

  const ro = raw['output'];
  let output: PipelineConfig['output'];
  if (typeof ro === 'string') output = { dir: ro, write_rejected: true, keep_work: false };
  else if (isObject(ro) && typeof ro['dir'] === 'string') {
    checkKeys(ro, ['dir', 'write_rejected', 'keep_work'], 'output');
    output = { dir: ro['dir'], write_rejected: ro['write_rejected'] !== false, keep_work: ro['keep_work'] === true };
  } else throw new ConfigError('output', 'expected a directory or {dir, write_rejected, keep_work}');

  const w = raw['workers'] ?? 'auto';
  let workers: number;
  if (w === 'auto') workers = -1;
  else if (typeof w === 'number' && Number.isInteger(w) && w >= 0) workers = w;
  else throw new ConfigError('workers', `expected a non-negative integer or "auto", got ${JSON.stringify(w)}`);

  const rs = raw['stages'];
  if (!Array.isArray(rs)) throw new ConfigError('stages', 'expected a list of stages');
  const stages = rs.map(parseStage);
  const sinkAt = stages.findIndex((s) => s.type === 'tokenize');
  if (sinkAt !== -1 && sinkAt !== stages.length - 1)
    throw new ConfigError(`stages[${sinkAt}]`, 'tokenize must be the last stage');
  return { input, output, workers, stages };
}

export function loadConfigFile(path: string): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `cannot read ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      'config',
      `${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  const config = validateConfig(raw);
  // relative paths in a config file are relative to the file's directory
  const base = dirname(resolve(path));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  config.input.paths = config.input.paths.map(abs);
  config.output.dir = abs(config.output.dir);
  for (const st of config.stages) {
    const b = st.params['benchmarks'];
    if (st.type === 'decontaminate' && typeof b === 'object' && b !== null)
      st.params['benchmarks'] = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, abs(String(v))]));
  }
  return config;
}
