/**
 * What the data pipeline needs from a tokenizer, and how it gets one: a file or
 * directory through src/tokenizers' loadTokenizer (encoded like tiktoken's
 * encode_ordinary: no post-processor specials, literal "<|endoftext|>" in the text stays
 * text; the pipeline appends EOS itself), or "bytes", a built-in UTF-8 byte tokenizer
 * (ids 0..255, EOS 256) for bring-up and tests without a trained vocabulary.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from '../../core/errors.ts';
import { loadTokenizer } from '../../tokenizers/index.ts';
import type { Tokenizer } from '../../tokenizers/index.ts';

export interface TokenizerLike {
  encodeIds(text: string): ArrayLike<number>;
  vocabSize: number;
  eosId?: number | null;
  bosId?: number | null;
  /** the tokenizer.json text to keep beside the tokens (absent for built-ins) */
  json?: () => string;
}

export function bytesTokenizer(): TokenizerLike {
  const enc = new TextEncoder();
  return { encodeIds: (t) => enc.encode(t), vocabSize: 257, eosId: 256, bosId: null };
}

/** Adapts a src/tokenizers Tokenizer: ordinary encoding, its EOS/BOS roles. */
export function fromTokenizer(tok: Tokenizer): TokenizerLike {
  return {
    encodeIds: (t) => tok.encodeIds(t, { addSpecialTokens: false, allowedSpecial: 'none' }),
    vocabSize: tok.vocabSize,
    eosId: tok.eosId ?? null,
    bosId: tok.bosId ?? null,
    json: () => JSON.stringify(tok.toJSON(), null, 2) + '\n',
  };
}

/** Loads "bytes" or a tokenizer file/directory (tokenizer.json, vocab.json + merges.txt, ...). */
export async function loadTokenizerLike(spec: string, field = 'tokenizer'): Promise<TokenizerLike> {
  if (spec === 'bytes') return bytesTokenizer();
  if (!existsSync(spec))
    throw new ConfigError(field, `tokenizer ${spec} does not exist (a tokenizer file or directory, or "bytes")`);
  return fromTokenizer(await Promise.resolve(loadTokenizer(spec)));
}
