/** Built-in decoders, registered by their tokenizer.json `type`. */
import { decoders, registerDecoder } from '../registry.ts';
import { patternFromJson } from '../pattern.ts';
import type { PrependScheme } from '../pre-tokenizers/metaspace.ts';
import { ByteFallbackDecoder } from './byte-fallback.ts';
import { ByteLevelDecoder } from './byte-level.ts';
import { MetaspaceDecoder } from './metaspace.ts';
import { BPEDecoder, DecoderSequence, FuseDecoder, ReplaceDecoder, StripDecoder } from './simple.ts';
import { WordPieceDecoder, cleanupTokenizationSpaces } from './wordpiece.ts';

export {
  BPEDecoder,
  ByteFallbackDecoder,
  ByteLevelDecoder,
  DecoderSequence,
  FuseDecoder,
  MetaspaceDecoder,
  ReplaceDecoder,
  StripDecoder,
  WordPieceDecoder,
  cleanupTokenizationSpaces,
};

registerDecoder('ByteLevel', () => new ByteLevelDecoder());
registerDecoder('WordPiece', (c) => new WordPieceDecoder(c.optString('prefix') ?? '##', c.bool('cleanup', true)));
registerDecoder('Metaspace', (c) => {
  const scheme: PrependScheme = c.has('prepend_scheme')
    ? c.oneOf('prepend_scheme', ['always', 'first', 'never'] as const)
    : c.bool('add_prefix_space', true)
      ? 'always'
      : 'never';
  return new MetaspaceDecoder(c.optString('replacement') ?? '\u2581', scheme, c.bool('split', true));
});
registerDecoder('ByteFallback', () => new ByteFallbackDecoder());
registerDecoder('Fuse', () => new FuseDecoder());
registerDecoder('Strip', (c) => new StripDecoder(c.string('content'), c.int('start', 0), c.int('stop', 0)));
registerDecoder('Replace', (c) => new ReplaceDecoder(patternFromJson(c, 'pattern'), c.string('content')));
registerDecoder('BPEDecoder', (c) => new BPEDecoder(c.optString('suffix') ?? '</w>'));
registerDecoder('Sequence', (c) => new DecoderSequence(c.objectArray('decoders').map((d) => decoders.create(d))));
