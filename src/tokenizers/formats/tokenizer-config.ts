/**
 * tokenizer_config.json beside a tokenizer.json, as Hugging Face writes it for a "fast"
 * tokenizer: the class (PreTrainedTokenizerFast), the special tokens by role and
 * clean_up_tokenization_spaces. transformers' and transformers.js's AutoTokenizer need the file
 * to open a folder; without it transformers.js fails on the folder.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.ts';
import type { Tokenizer } from '../tokenizer.ts';

export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

export interface TokenizerConfigJson {
  tokenizer_class: 'PreTrainedTokenizerFast';
  bos_token: string | null;
  eos_token: string | null;
  pad_token: string | null;
  unk_token: string | null;
  clean_up_tokenization_spaces: boolean;
  model_max_length?: number;
}

export function tokenizerConfigFor(tok: Tokenizer, o: { modelMaxLength?: number } = {}): TokenizerConfigJson {
  const r = tok.getRoles();
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: r.bos,
    eos_token: r.eos,
    pad_token: r.pad,
    unk_token: r.unk,
    clean_up_tokenization_spaces: false,
    ...(o.modelMaxLength !== undefined ? { model_max_length: o.modelMaxLength } : {}),
  };
}

/** Writes DIR/tokenizer_config.json; returns its path. */
export function writeTokenizerConfig(dir: string, tok: Tokenizer, o: { modelMaxLength?: number } = {}): string {
  const path = join(dir, TOKENIZER_CONFIG_FILE);
  writeFileAtomic(path, JSON.stringify(tokenizerConfigFor(tok, o), null, 2) + '\n');
  return path;
}
