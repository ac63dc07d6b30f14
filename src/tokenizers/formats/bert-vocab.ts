/** BERT's vocab.txt (one token per line, id = line index) -> the BERT WordPiece pipeline. */
import { FormatError } from '../../core/errors.ts';
import type { AddedToken } from '../added-vocabulary.ts';
import { WordPieceDecoder } from '../decoders/wordpiece.ts';
import { WordPiece } from '../models/wordpiece.ts';
import { BertNormalizer } from '../normalizers/bert.ts';
import { TemplateProcessing, parseTemplate } from '../post-processors/template.ts';
import { BertPreTokenizer } from '../pre-tokenizers/bert.ts';
import { Tokenizer } from '../tokenizer.ts';
import { writeFileAtomic } from '../../core/atomic.ts';
import { readTextFile } from './read.ts';

export interface BertOptions {
  /** Lowercase (and strip accents): uncased models. Default: true unless the vocab looks cased. */
  lowercase?: boolean;
  /** Strip accents; default follows lowercase (HF). */
  stripAccents?: boolean | null;
  handleChineseChars?: boolean;
}

const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

export function bertTokenizerFromVocab(
  tokens: readonly string[],
  options: BertOptions = {},
  file = '<vocab>',
): Tokenizer {
  const vocab = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (!vocab.has(t)) vocab.set(t, i);
  });
  for (const need of ['[UNK]', '[CLS]', '[SEP]'])
    if (!vocab.has(need)) throw new FormatError(file, `a BERT vocabulary needs ${need}`, need);
  // cased vocabularies contain capitalised whole words such as "The"
  const lowercase = options.lowercase ?? !(vocab.has('The') && vocab.has('In'));
  const cls = vocab.get('[CLS]')!;
  const sep = vocab.get('[SEP]')!;
  const specials = new Map([
    ['[CLS]', { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] }],
    ['[SEP]', { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] }],
  ]);
  const added: AddedToken[] = BERT_SPECIALS.filter((t) => vocab.has(t)).map((t) => ({
    id: vocab.get(t)!,
    content: t,
    singleWord: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return new Tokenizer(
    new WordPiece(vocab, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }),
    {
      normalizer: new BertNormalizer({
        lowercase,
        stripAccents: options.stripAccents ?? null,
        handleChineseChars: options.handleChineseChars ?? true,
      }),
      preTokenizer: new BertPreTokenizer(),
      postProcessor: new TemplateProcessing(
        parseTemplate('[CLS]:0 $A:0 [SEP]:0'),
        parseTemplate('[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1'),
        specials,
      ),
      decoder: new WordPieceDecoder('##', true),
      addedTokens: added,
      roles: { pad: vocab.has('[PAD]') ? '[PAD]' : null, unk: '[UNK]', bos: '[CLS]', eos: '[SEP]' },
    },
  );
}

export function parseVocabTxt(text: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function loadBertVocab(path: string, options: BertOptions = {}): Tokenizer {
  return bertTokenizerFromVocab(parseVocabTxt(readTextFile(path)), options, path);
}

/** Writes a WordPiece tokenizer's vocabulary as BERT's vocab.txt (one token per line, in id order). */
export function saveBertVocab(tok: Tokenizer, path: string): void {
  const model = tok.model;
  if (!(model instanceof WordPiece))
    throw new FormatError(path, `vocab.txt holds a WordPiece vocabulary; this tokenizer's model is ${model.type}`);
  const lines: string[] = [];
  for (let id = 0; id < model.vocabR.length; id++) {
    const t = model.vocabR[id];
    if (t === undefined || t.includes('\n'))
      throw new FormatError(path, `id ${id} has no token or a token with a newline; vocab.txt cannot represent it`);
    lines.push(t);
  }
  writeFileAtomic(path, lines.join('\n') + '\n');
}
