/**
 * `loadTokenizer(path)`: detects the format.
 * - a file: *.json (tokenizer.json), *.tiktoken, vocab.txt / *.txt (BERT), or a plugin's format (.model)
 * - a directory containing tokenizer.json, vocab.json + merges.txt (or GPT-2's encoder.json +
 *   vocab.bpe, as OpenAI ships them), vocab.txt, or a plugin's file
 * A tokenizer_config.json beside the files supplies the bos/eos/pad/unk roles (and BERT's do_lower_case).
 */
import { describe } from '../../core/describe.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { FormatError, IOError } from '../../core/errors.ts';
import { isJsonObject } from '../config-reader.ts';
import { getFormatLoaders } from '../registry.ts';
import type { SpecialTokenRoles, Tokenizer } from '../tokenizer.ts';
import { loadBertVocab } from './bert-vocab.ts';
import { loadGpt2 } from './gpt2.ts';
import { loadTiktoken } from './tiktoken.ts';
import { loadTokenizerJson, type LoadTokenizerOptions } from './tokenizer-json.ts';

interface TokenizerConfig {
  roles: Partial<SpecialTokenRoles>;
  doLowerCase?: boolean;
}

/** Reads tokenizer_config.json's role tokens if present (string or {content}). Best effort. */
function readTokenizerConfig(dir: string): TokenizerConfig {
  const path = join(dir, 'tokenizer_config.json');
  if (!existsSync(path)) return { roles: {} };
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FormatError(path, `invalid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(v)) throw new FormatError(path, 'expected an object');
  const roles: Partial<SpecialTokenRoles> = {};
  for (const role of ['bos', 'eos', 'pad', 'unk'] as const) {
    const t = v[`${role}_token`];
    if (typeof t === 'string') roles[role] = t;
    else if (isJsonObject(t) && typeof t['content'] === 'string') roles[role] = t['content'];
  }
  const lc = v['do_lower_case'];
  return typeof lc === 'boolean' ? { roles, doLowerCase: lc } : { roles };
}

function applyRoles(tok: Tokenizer, roles: Partial<SpecialTokenRoles>): Tokenizer {
  const known: Partial<SpecialTokenRoles> = {};
  for (const [k, v] of Object.entries(roles) as [keyof SpecialTokenRoles, string | null][]) {
    if (v !== null && tok.tokenToId(v) !== undefined) known[k] = v;
  }
  tok.setRoles(known);
  return tok;
}

/**
 * Loads a tokenizer from a file or directory (see above). `options.cacheDir` turns on the
 * binary cache for BPE tokenizer.json files (formats/tokenizer-cache.ts).
 */
export function loadTokenizer(path: string, options: LoadTokenizerOptions = {}): Tokenizer {
  if (!existsSync(path)) throw new IOError(path, 'no such file or directory');
  const isDir = statSync(path).isDirectory();
  const dir = isDir ? path : dirname(path);
  const cfg = readTokenizerConfig(dir);
  if (isDir) {
    const tj = join(path, 'tokenizer.json');
    if (existsSync(tj)) return applyRoles(loadTokenizerJson(tj, undefined, options), cfg.roles);
    const vj = join(path, 'vocab.json');
    const mt = join(path, 'merges.txt');
    if (existsSync(vj) && existsSync(mt)) return applyRoles(loadGpt2(vj, mt), cfg.roles);
    const ej = join(path, 'encoder.json');
    const vb = join(path, 'vocab.bpe');
    if (existsSync(ej) && existsSync(vb)) return applyRoles(loadGpt2(ej, vb), cfg.roles);
    for (const loader of getFormatLoaders())
      if (loader.detect(path, true)) return applyRoles(loader.load(path), cfg.roles);
    const vt = join(path, 'vocab.txt');
    if (existsSync(vt))
      return applyRoles(
        loadBertVocab(vt, cfg.doLowerCase === undefined ? {} : { lowercase: cfg.doLowerCase }),
        cfg.roles,
      );
    throw new FormatError(
      path,
      'no tokenizer found: expected tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe, vocab.txt or tokenizer.model in this directory',
    );
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.json' && basename(path) !== 'vocab.json' && basename(path) !== 'encoder.json')
    return applyRoles(loadTokenizerJson(path, undefined, options), cfg.roles);
  if (ext === '.tiktoken') return loadTiktoken(path);
  if (basename(path) === 'vocab.json') {
    const mt = join(dir, 'merges.txt');
    if (existsSync(mt)) return applyRoles(loadGpt2(path, mt), cfg.roles);
  }
  if (basename(path) === 'encoder.json') {
    const vb = join(dir, 'vocab.bpe');
    if (existsSync(vb)) return applyRoles(loadGpt2(path, vb), cfg.roles);
  }
  for (const loader of getFormatLoaders())
    if (loader.detect(path, false)) return applyRoles(loader.load(path), cfg.roles);
  if (ext === '.txt')
    return applyRoles(
      loadBertVocab(path, cfg.doLowerCase === undefined ? {} : { lowercase: cfg.doLowerCase }),
      cfg.roles,
    );
  if (ext === '.model')
    throw new FormatError(path, 'SentencePiece .model files need the SentencePiece loader, which is not registered');
  throw new FormatError(
    path,
    `unrecognised tokenizer file type ${describe(ext)}: expected tokenizer.json, .tiktoken, vocab.txt, vocab.json (+ merges.txt) or .model`,
  );
}
