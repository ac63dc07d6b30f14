/** Built-in pre-tokenizers, registered by their tokenizer.json `type`. */
import { describe } from '../../core/describe.ts';
import type { ConfigReader } from '../config-reader.ts';
import { preTokenizers, registerPreTokenizer } from '../registry.ts';
import { patternFromJson } from '../pattern.ts';
import { SPLIT_BEHAVIORS } from '../pre-tokenized-string.ts';
import { BertPreTokenizer } from './bert.ts';
import { ByteLevel } from './byte-level.ts';
import { CharDelimiterSplit } from './char-delimiter.ts';
import { Digits } from './digits.ts';
import { Metaspace, type PrependScheme } from './metaspace.ts';
import { Punctuation } from './punctuation.ts';
import { PreTokenizerSequence } from './sequence.ts';
import { Split } from './split.ts';
import { Whitespace, WhitespaceSplit } from './whitespace.ts';

export {
  BertPreTokenizer,
  ByteLevel,
  CharDelimiterSplit,
  Digits,
  Metaspace,
  Punctuation,
  PreTokenizerSequence,
  Split,
  Whitespace,
  WhitespaceSplit,
};

const behavior = (c: ConfigReader, fallback?: (typeof SPLIT_BEHAVIORS)[number]) =>
  c.oneOf('behavior', SPLIT_BEHAVIORS, fallback);

registerPreTokenizer(
  'ByteLevel',
  (c) =>
    new ByteLevel({
      addPrefixSpace: c.bool('add_prefix_space', true),
      trimOffsets: c.bool('trim_offsets', true),
      useRegex: c.bool('use_regex', true),
    }),
);
registerPreTokenizer('Split', (c) => new Split(patternFromJson(c, 'pattern'), behavior(c), c.bool('invert', false)));
registerPreTokenizer('Whitespace', () => new Whitespace());
registerPreTokenizer('WhitespaceSplit', () => new WhitespaceSplit());
registerPreTokenizer('BertPreTokenizer', () => new BertPreTokenizer());
registerPreTokenizer('Punctuation', (c) => new Punctuation(behavior(c, 'Isolated')));
registerPreTokenizer('Digits', (c) => new Digits(c.bool('individual_digits', false)));
registerPreTokenizer('CharDelimiterSplit', (c) => {
  const d = c.string('delimiter');
  if ([...d].length !== 1) c.fail('delimiter', `expected one character, got ${describe(d)}`);
  return new CharDelimiterSplit(d);
});
registerPreTokenizer('Metaspace', (c) => {
  const replacement = c.string('replacement');
  if ([...replacement].length !== 1) c.fail('replacement', `expected one character, got ${describe(replacement)}`);
  // older files have add_prefix_space instead of prepend_scheme
  const scheme: PrependScheme = c.has('prepend_scheme')
    ? c.oneOf('prepend_scheme', ['always', 'first', 'never'] as const)
    : c.bool('add_prefix_space', true)
      ? 'always'
      : 'never';
  return new Metaspace(replacement, scheme, c.bool('split', true));
});
registerPreTokenizer(
  'Sequence',
  (c) => new PreTokenizerSequence(c.objectArray('pretokenizers').map((p) => preTokenizers.create(p))),
);
