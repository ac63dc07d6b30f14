/**
 * tokenizer_config.json beside a tokenizer.json, as Hugging Face writes it for a "fast"
 * tokenizer: the class (PreTrainedTokenizerFast), the special tokens by role and
 * clean_up_tokenization_spaces. transformers' and transformers.js's AutoTokenizer need the file
 * to open a folder; without it transformers.js fails on the folder.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.ts';
import type { Tokenizer } from '../tokenizer.ts';

/** The file name Hugging Face gives it. */
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/** The fields written (a subset of what transformers writes). */
export interface TokenizerConfigJson {
  /** The transformers class that reads tokenizer.json. */
  tokenizer_class: 'PreTrainedTokenizerFast';
  /** Beginning-of-sequence token, or null. */
  bos_token: string | null;
  /** End-of-sequence token, or null. */
  eos_token: string | null;
  /** Padding token, or null. */
  pad_token: string | null;
  /** Unknown token, or null. */
  unk_token: string | null;
  /** Whether decode removes spaces before punctuation (false: llmts's decoders are exact). */
  clean_up_tokenization_spaces: boolean;
  /** The model's context length, when known. */
  model_max_length?: number;
}

/** tokenizer_config.json's fields for a tokenizer (its special tokens by role). */
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
