/**
 * What the data pipeline needs from a tokenizer. src/tokenizers' Tokenizer satisfies
 * it; "bytes" is a built-in UTF-8 byte tokenizer (ids 0..255, EOS 256) for bring-up
 * and tests without a trained vocabulary.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from '../../errors.ts';

export interface TokenizerLike {
  encodeIds(text: string): ArrayLike<number>;
  vocabSize: number;
  eosId?: number | null;
  bosId?: number | null;
}

export function bytesTokenizer(): TokenizerLike {
  const enc = new TextEncoder();
  return { encodeIds: (t) => enc.encode(t), vocabSize: 257, eosId: 256, bosId: null };
}

interface TokenizersModule {
  loadTokenizer?: (path: string) => unknown;
}

/** Loads "bytes" or a tokenizer.json through src/tokenizers (once it exports loadTokenizer). */
export async function loadTokenizerLike(spec: string, field = 'tokenizer'): Promise<TokenizerLike> {
  if (spec === 'bytes') return bytesTokenizer();
  if (!existsSync(spec)) throw new ConfigError(field, `tokenizer file ${spec} does not exist (or use "bytes")`);
  let mod: TokenizersModule;
  try {
    // a computed specifier: the tokenizer library is optional at type-check time
    const lib = new URL('../../tokenizers/index.ts', import.meta.url).href;
    mod = (await import(lib)) as TokenizersModule;
  } catch (err) {
    throw new ConfigError(field, `the tokenizer library is not available: ${(err as Error).message}`);
  }
  if (typeof mod.loadTokenizer !== 'function') throw new ConfigError(field, 'src/tokenizers does not export loadTokenizer yet');
  const t = (await mod.loadTokenizer(spec)) as Partial<TokenizerLike> & Record<string, unknown>;
  if (typeof t.encodeIds !== 'function' || typeof t.vocabSize !== 'number') {
    throw new ConfigError(field, `${spec}: loaded object has no encodeIds/vocabSize`);
  }
  return t as TokenizerLike;
}
