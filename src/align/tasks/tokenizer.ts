/** A byte-level BPE tokenizer for a task's text, with the chat special tokens (tests and quick runs). */
import { Generator } from '../../core/random.ts';
import { trainBpeFromIterator } from '../../tokenizers/index.ts';
import type { Tokenizer } from '../../tokenizers/index.ts';
import type { ChatFormat } from '../../data/chat/template.ts';
import { CHATML_FORMAT, ChatTemplate, formatSpecialTokens } from '../../data/chat/template.ts';
import type { GoldTask } from '../shared/gold-task.ts';

export function taskTokenizer(
  task: GoldTask,
  o: { vocabSize?: number; seed?: number; format?: ChatFormat; extraText?: readonly string[] } = {},
): Tokenizer {
  const format = o.format ?? CHATML_FORMAT;
  const specials = ['<|endoftext|>', ...formatSpecialTokens(format).filter((t) => t !== '<|endoftext|>')];
  const g = new Generator(o.seed ?? 0);
  // rendered conversations, so the template's own words (roles) get tokens too
  const template = new ChatTemplate(format);
  const prompts = task.prompts('train');
  const chats = Array.from({ length: 2000 }, (_, i) => {
    const p = prompts[i % prompts.length]!;
    return template.render([...p, { role: 'assistant', content: task.demonstration(p, g) }]);
  });
  const texts = [...chats, ...task.corpus(g, 2000), ...(o.extraText ?? [])];
  return trainBpeFromIterator(texts, {
    vocabSize: o.vocabSize ?? 512,
    specialTokens: specials,
    byteLevel: true,
    showProgress: false,
  });
}
