/** Built-in post-processors, registered by their tokenizer.json `type`. */
import type { ConfigReader } from '../config-reader.ts';
import { postProcessors, registerPostProcessor } from '../registry.ts';
import { PostProcessorBase } from './base.ts';
import { BertProcessing } from './bert.ts';
import { ByteLevelProcessor } from './byte-level.ts';
import { RobertaProcessing } from './roberta.ts';
import { PostProcessorSequence } from './sequence.ts';
import { TemplateProcessing } from './template.ts';

export {
  BertProcessing,
  ByteLevelProcessor,
  PostProcessorBase,
  RobertaProcessing,
  PostProcessorSequence,
  TemplateProcessing,
};

function tokenPair(c: ConfigReader, key: string): [string, number] {
  const v = c.array(key);
  if (v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'number' || !Number.isInteger(v[1]) || v[1] < 0)
    c.fail(key, 'expected ["token", id]');
  return [v[0] as string, v[1] as number];
}

registerPostProcessor('TemplateProcessing', (c) => TemplateProcessing.fromJson(c));
registerPostProcessor('BertProcessing', (c) => new BertProcessing(tokenPair(c, 'sep'), tokenPair(c, 'cls')));
registerPostProcessor(
  'RobertaProcessing',
  (c) =>
    new RobertaProcessing(
      tokenPair(c, 'sep'),
      tokenPair(c, 'cls'),
      c.bool('trim_offsets', true),
      c.bool('add_prefix_space', true),
    ),
);
registerPostProcessor(
  'ByteLevel',
  (c) =>
    new ByteLevelProcessor(c.bool('trim_offsets', true), c.bool('add_prefix_space', true), c.bool('use_regex', true)),
);
registerPostProcessor('Sequence', (c) => {
  const children = c.objectArray('processors').map((p): PostProcessorBase => {
    const made = postProcessors.create(p);
    if (made instanceof PostProcessorBase) return made;
    return p.fail('type', 'this post-processor cannot be used inside a Sequence');
  });
  return new PostProcessorSequence(children);
});
