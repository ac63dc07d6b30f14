/** The built-in trainers, by the names `llmts tokenizer train --model NAME` uses. */
import { registerTrainer } from '../registry.ts';
import { trainBpe } from './bpe.ts';
import { trainChar } from './char.ts';
import { trainWordPiece } from './wordpiece.ts';

registerTrainer({
  name: 'bpe',
  description: 'byte-level BPE (GPT-2 style regex split, 256 byte tokens + merges)',
  train: (files, o) =>
    trainBpe(files, {
      vocabSize: o.vocabSize,
      ...(o.specialTokens === undefined ? {} : { specialTokens: o.specialTokens }),
      ...(o.minFrequency === undefined ? {} : { minFrequency: o.minFrequency }),
      ...(o.showProgress === undefined ? {} : { showProgress: o.showProgress }),
      ...(typeof o.extra?.['pattern'] === 'string' ? { pattern: o.extra['pattern'] } : {}),
    }),
});
registerTrainer({
  name: 'wordpiece',
  description: 'BERT WordPiece with the likelihood merge score',
  train: (files, o) =>
    trainWordPiece(files, {
      vocabSize: o.vocabSize,
      ...(o.specialTokens === undefined ? {} : { specialTokens: o.specialTokens }),
      ...(o.minFrequency === undefined ? {} : { minFrequency: o.minFrequency }),
      ...(o.showProgress === undefined ? {} : { showProgress: o.showProgress }),
      ...(typeof o.extra?.['lowercase'] === 'boolean' ? { lowercase: o.extra['lowercase'] } : {}),
    }),
});
registerTrainer({
  name: 'char',
  description: 'character level (vocab = sorted unique characters, as nanoGPT shakespeare_char)',
  train: (files, o) =>
    trainChar(files, {
      ...(o.specialTokens === undefined ? {} : { specialTokens: o.specialTokens }),
      ...(o.showProgress === undefined ? {} : { showProgress: o.showProgress }),
    }),
});
