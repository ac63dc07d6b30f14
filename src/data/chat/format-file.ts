/**
 * Where a chat format lives: a run directory's tokenizer_config.json, written in Hugging
 * Face's layout (chat_template, eos_token, pad_token, bos_token) so HF tooling reads it and
 * HF tokenizer_config.json files load here. A format can also be named: 'chatml', 'plain', or
 * a .jinja file (ChatML's tokens then).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FormatError, IOError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/atomic.ts';
import { CHATML_FORMAT, PLAIN_FORMAT } from './template.ts';
import type { ChatFormat } from './template.ts';

export const TOKENIZER_CONFIG = 'tokenizer_config.json';

/** Stands in for a missing pad token at inference (never a real token). */
export const UNUSED_PAD = '\u0000<no pad token>\u0000';

/** HF writes special tokens as strings or as {"content": ...} objects. */
function tokenField(v: unknown, file: string, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  throw new FormatError(file, `"${field}" must be a string or {"content": string}`, field);
}

/**
 * `requirePad: false` (inference only, where nothing is padded) accepts a file without
 * pad_token, as many HF chat models ship; a placeholder that matches no token stands in.
 */
export function readChatFormat(path: string, o: { requirePad?: boolean } = {}): ChatFormat {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FormatError(path, `not readable JSON: ${(err as Error).message}`);
  }
  const r = raw as Record<string, unknown>;
  let template = r['chat_template'];
  if (Array.isArray(template)) {
    // HF's named templates: [{"name": "default", "template": ...}, ...]
    const named = template as { name?: unknown; template?: unknown }[];
    template = (named.find((t) => t.name === 'default') ?? named[0])?.template;
  }
  if (typeof template !== 'string') throw new FormatError(path, 'has no "chat_template" string', 'chat_template');
  const eosToken = tokenField(r['eos_token'], path, 'eos_token');
  const padToken = tokenField(r['pad_token'], path, 'pad_token');
  const bosToken = tokenField(r['bos_token'], path, 'bos_token');
  if (eosToken === undefined) throw new FormatError(path, 'has no "eos_token"', 'eos_token');
  if (padToken === undefined && (o.requirePad ?? true))
    throw new FormatError(path, 'has no "pad_token" (it must exist and differ from eos_token)', 'pad_token');
  return { template, eosToken, padToken: padToken ?? UNUSED_PAD, ...(bosToken !== undefined ? { bosToken } : {}) };
}

export function writeChatFormat(dir: string, f: ChatFormat): void {
  const out: Record<string, string> = { chat_template: f.template, eos_token: f.eosToken, pad_token: f.padToken };
  if (f.bosToken !== undefined) out['bos_token'] = f.bosToken;
  writeFileAtomic(join(dir, TOKENIZER_CONFIG), `${JSON.stringify(out, null, 2)}\n`);
}

/** A run directory's format, or null when it has none (a pretraining run). */
export function runChatFormat(runDir: string, o: { requirePad?: boolean } = {}): ChatFormat | null {
  const p = join(runDir, TOKENIZER_CONFIG);
  if (!existsSync(p)) return null;
  if (o.requirePad === false) {
    // a tokenizer_config.json without a chat template is not a chat model
    const raw = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
    if (raw['chat_template'] === undefined) return null;
  }
  return readChatFormat(p, o);
}

/** 'chatml', 'plain', a tokenizer_config.json, a run directory holding one, or a .jinja file. */
export function resolveChatFormat(spec: string): ChatFormat {
  if (spec === 'chatml') return CHATML_FORMAT;
  if (spec === 'plain') return PLAIN_FORMAT;
  if (!existsSync(spec))
    throw new ConfigError('chat_template', `"${spec}" is not chatml, plain, or an existing file or run directory`);
  if (statSync(spec).isDirectory()) {
    const f = runChatFormat(spec);
    if (f === null) throw new IOError(spec, `no ${TOKENIZER_CONFIG} with a chat_template in this directory`);
    return f;
  }
  if (spec.endsWith('.json')) return readChatFormat(spec);
  return { ...CHATML_FORMAT, template: readFileSync(spec, 'utf8') };
}
