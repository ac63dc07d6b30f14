/** Built-in normalizers, registered by their tokenizer.json `type`. */
import { normalizers, registerNormalizer } from '../registry.ts';
import { patternFromJson } from '../pattern.ts';
import { BertNormalizer } from './bert.ts';
import { Lowercase } from './lowercase.ts';
import { Prepend } from './prepend.ts';
import { Replace } from './replace.ts';
import { NormalizerSequence } from './sequence.ts';
import { Strip } from './strip.ts';
import { StripAccents } from './strip-accents.ts';
import { UnicodeNormalizer } from './unicode.ts';

export { BertNormalizer, Lowercase, Prepend, Replace, NormalizerSequence, Strip, StripAccents, UnicodeNormalizer };

for (const form of ['NFC', 'NFD', 'NFKC', 'NFKD'] as const) registerNormalizer(form, () => new UnicodeNormalizer(form));
registerNormalizer('Lowercase', () => new Lowercase());
registerNormalizer('StripAccents', () => new StripAccents());
registerNormalizer('Strip', (c) => new Strip(c.bool('strip_left', true), c.bool('strip_right', true)));
registerNormalizer('Prepend', (c) => new Prepend(c.string('prepend')));
registerNormalizer('Replace', (c) => new Replace(patternFromJson(c, 'pattern'), c.string('content')));
registerNormalizer(
  'BertNormalizer',
  (c) =>
    new BertNormalizer({
      cleanText: c.bool('clean_text', true),
      handleChineseChars: c.bool('handle_chinese_chars', true),
      stripAccents: c.has('strip_accents') ? c.bool('strip_accents', false) : null,
      lowercase: c.bool('lowercase', true),
    }),
);
registerNormalizer(
  'Sequence',
  (c) => new NormalizerSequence(c.objectArray('normalizers').map((n) => normalizers.create(n))),
);
