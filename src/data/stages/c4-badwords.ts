/**
 * C4's bad-words rule: reject a page containing any listed word, matched the way
 * datatrove does ((?:\W|^)(w1|w2|...)(?:\W|$) on the lowercased text). The LDNOOBW
 * list itself is not bundled (it is fetched at run time by datatrove; nothing may be
 * fetched here): pass `words` or a `words_file` with one entry per line.
 */
import { readFileSync } from 'node:fs';
import type { Stage } from './stage.ts';
import { ConfigError } from '../../core/errors.ts';

export interface C4BadWordsOptions {
  words: string[];
  words_file: string | null;
  /** for languages without spaces (ja, th, zh): match anywhere */
  no_word_boundaries: boolean;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function c4BadWords(opts: Partial<C4BadWordsOptions> = {}): Stage {
  const words = [...(opts.words ?? [])];
  if (opts.words_file) {
    let text: string;
    try {
      text = readFileSync(opts.words_file, 'utf8');
    } catch (err) {
      throw new ConfigError('c4_badwords.words_file', `cannot read ${opts.words_file}: ${(err as Error).message}`);
    }
    for (const line of text.split('\n')) if (line.trim()) words.push(line.trim().toLowerCase());
  }
  if (words.length === 0)
    throw new ConfigError('c4_badwords.words', 'give a word list (words or words_file); none is bundled');
  const alt = words.map(escapeRe).join('|');
  const re = opts.no_word_boundaries
    ? new RegExp(alt, 'u')
    : new RegExp(`(?:[^\\p{L}\\p{N}_]|^)(${alt})(?:[^\\p{L}\\p{N}_]|$)`, 'u');
  return {
    name: 'c4_badwords',
    apply(doc) {
      return re.test(doc.text.toLowerCase()) ? 'document_removed_with_badwords' : undefined;
    },
  };
}
