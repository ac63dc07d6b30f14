/** The mapping rules of an HF architecture for a model spec. */
import type { ModelSpec } from '../../models/registry.ts';
import { ConfigError } from '../../core/errors.ts';
import { bertRules, gpt2Rules, llamaRules } from './mapping.ts';
import type { HfArchitecture, MappingRule } from './mapping.ts';

export function rulesFor(arch: HfArchitecture, spec: ModelSpec): MappingRule[] {
  if (arch === 'BertForMaskedLM') {
    if (spec.family !== 'bert') throw new ConfigError('model', 'BertForMaskedLM needs a BERT model');
    return bertRules(spec.config);
  }
  if (spec.family !== 'gpt') throw new ConfigError('model', `${arch} needs a GPT-family model`);
  return arch === 'GPT2LMHeadModel' ? gpt2Rules(spec.config) : llamaRules(spec.config);
}
