/**
 * Parameter-name maps between llmts models and Hugging Face checkpoints. Each rule names
 * one llmts parameter and the HF tensor(s) it corresponds to:
 * - `transpose`: GPT-2's Conv1D stores [in, out] where llmts' Linear stores [out, in];
 * - several HF tensors: concatenated on dim 0 into one llmts tensor (the fused q|k|v
 *   projection of LLaMA's q_proj/k_proj/v_proj and BERT's query/key/value);
 * - `hfOnly`: HF has it but llmts does not (GPT-2 biases of a bias-free llmts model are
 *   written as zeros on export and must be zero on import);
 * - `optional`: files of the architecture may lack it (BertForMaskedLM has no pooler and
 *   no NSP head; BertForPreTraining files have both): the model keeps its initial values.
 */
import type { GPTConfig } from '../../models/gpt.ts';
import type { BertConfig } from '../../models/bert.ts';

export interface MappingRule {
  ours: string;
  hf: string[];
  transpose?: boolean;
  /** HF has this tensor but llmts does not (bias-free model): export zeros, import only if all zero. */
  hfOnly?: { shape: number[] };
  /** The file may lack it (then the llmts parameter keeps its initialization). */
  optional?: boolean;
}

export type HfArchitecture = 'GPT2LMHeadModel' | 'LlamaForCausalLM' | 'BertForMaskedLM';

export function gpt2Rules(c: GPTConfig): MappingRule[] {
  const C = c.nEmbd;
  const rules: MappingRule[] = [
    { ours: 'transformer.wte.weight', hf: ['transformer.wte.weight'] },
    { ours: 'transformer.wpe.weight', hf: ['transformer.wpe.weight'] },
  ];
  const biasRule = (name: string, size: number): MappingRule =>
    c.bias ? { ours: name, hf: [name] } : { ours: '', hf: [name], hfOnly: { shape: [size] } };
  for (let i = 0; i < c.nLayer; i++) {
    const p = `transformer.h.${i}`;
    rules.push(
      { ours: `${p}.ln_1.weight`, hf: [`${p}.ln_1.weight`] },
      biasRule(`${p}.ln_1.bias`, C),
      { ours: `${p}.attn.c_attn.weight`, hf: [`${p}.attn.c_attn.weight`], transpose: true },
      biasRule(`${p}.attn.c_attn.bias`, 3 * C),
      { ours: `${p}.attn.c_proj.weight`, hf: [`${p}.attn.c_proj.weight`], transpose: true },
      biasRule(`${p}.attn.c_proj.bias`, C),
      { ours: `${p}.ln_2.weight`, hf: [`${p}.ln_2.weight`] },
      biasRule(`${p}.ln_2.bias`, C),
      { ours: `${p}.mlp.c_fc.weight`, hf: [`${p}.mlp.c_fc.weight`], transpose: true },
      biasRule(`${p}.mlp.c_fc.bias`, c.intermediateSize),
      { ours: `${p}.mlp.c_proj.weight`, hf: [`${p}.mlp.c_proj.weight`], transpose: true },
      biasRule(`${p}.mlp.c_proj.bias`, C),
    );
  }
  rules.push(
    { ours: 'transformer.ln_f.weight', hf: ['transformer.ln_f.weight'] },
    biasRule('transformer.ln_f.bias', C),
  );
  if (!c.tieEmbeddings) rules.push({ ours: 'lm_head.weight', hf: ['lm_head.weight'] });
  return rules;
}

export function llamaRules(c: GPTConfig): MappingRule[] {
  const rules: MappingRule[] = [{ ours: 'transformer.wte.weight', hf: ['model.embed_tokens.weight'] }];
  for (let i = 0; i < c.nLayer; i++) {
    const o = `transformer.h.${i}`;
    const h = `model.layers.${i}`;
    rules.push(
      { ours: `${o}.ln_1.weight`, hf: [`${h}.input_layernorm.weight`] },
      {
        ours: `${o}.attn.c_attn.weight`,
        hf: [`${h}.self_attn.q_proj.weight`, `${h}.self_attn.k_proj.weight`, `${h}.self_attn.v_proj.weight`],
      },
      { ours: `${o}.attn.c_proj.weight`, hf: [`${h}.self_attn.o_proj.weight`] },
      { ours: `${o}.ln_2.weight`, hf: [`${h}.post_attention_layernorm.weight`] },
      { ours: `${o}.mlp.gate_proj.weight`, hf: [`${h}.mlp.gate_proj.weight`] },
      { ours: `${o}.mlp.up_proj.weight`, hf: [`${h}.mlp.up_proj.weight`] },
      { ours: `${o}.mlp.down_proj.weight`, hf: [`${h}.mlp.down_proj.weight`] },
    );
    if (c.bias) {
      rules.push(
        {
          ours: `${o}.attn.c_attn.bias`,
          hf: [`${h}.self_attn.q_proj.bias`, `${h}.self_attn.k_proj.bias`, `${h}.self_attn.v_proj.bias`],
        },
        { ours: `${o}.attn.c_proj.bias`, hf: [`${h}.self_attn.o_proj.bias`] },
        { ours: `${o}.mlp.gate_proj.bias`, hf: [`${h}.mlp.gate_proj.bias`] },
        { ours: `${o}.mlp.up_proj.bias`, hf: [`${h}.mlp.up_proj.bias`] },
        { ours: `${o}.mlp.down_proj.bias`, hf: [`${h}.mlp.down_proj.bias`] },
      );
    }
  }
  rules.push({ ours: 'transformer.ln_f.weight', hf: ['model.norm.weight'] });
  if (!c.tieEmbeddings) rules.push({ ours: 'lm_head.weight', hf: ['lm_head.weight'] });
  return rules;
}

export function bertRules(c: BertConfig): MappingRule[] {
  const rules: MappingRule[] = [
    { ours: 'embeddings.word_embeddings.weight', hf: ['bert.embeddings.word_embeddings.weight'] },
    { ours: 'embeddings.position_embeddings.weight', hf: ['bert.embeddings.position_embeddings.weight'] },
    { ours: 'embeddings.token_type_embeddings.weight', hf: ['bert.embeddings.token_type_embeddings.weight'] },
    { ours: 'embeddings.LayerNorm.weight', hf: ['bert.embeddings.LayerNorm.weight'] },
    { ours: 'embeddings.LayerNorm.bias', hf: ['bert.embeddings.LayerNorm.bias'] },
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const o = `layer.${i}`;
    const h = `bert.encoder.layer.${i}`;
    rules.push(
      {
        ours: `${o}.attn.c_attn.weight`,
        hf: [`${h}.attention.self.query.weight`, `${h}.attention.self.key.weight`, `${h}.attention.self.value.weight`],
      },
      {
        ours: `${o}.attn.c_attn.bias`,
        hf: [`${h}.attention.self.query.bias`, `${h}.attention.self.key.bias`, `${h}.attention.self.value.bias`],
      },
      { ours: `${o}.attn.c_proj.weight`, hf: [`${h}.attention.output.dense.weight`] },
      { ours: `${o}.attn.c_proj.bias`, hf: [`${h}.attention.output.dense.bias`] },
      { ours: `${o}.ln_1.weight`, hf: [`${h}.attention.output.LayerNorm.weight`] },
      { ours: `${o}.ln_1.bias`, hf: [`${h}.attention.output.LayerNorm.bias`] },
      { ours: `${o}.mlp.c_fc.weight`, hf: [`${h}.intermediate.dense.weight`] },
      { ours: `${o}.mlp.c_fc.bias`, hf: [`${h}.intermediate.dense.bias`] },
      { ours: `${o}.mlp.c_proj.weight`, hf: [`${h}.output.dense.weight`] },
      { ours: `${o}.mlp.c_proj.bias`, hf: [`${h}.output.dense.bias`] },
      { ours: `${o}.ln_2.weight`, hf: [`${h}.output.LayerNorm.weight`] },
      { ours: `${o}.ln_2.bias`, hf: [`${h}.output.LayerNorm.bias`] },
    );
  }
  rules.push(
    // BertForMaskedLM builds BertModel(add_pooling_layer=False): pooler and NSP head only in BertForPreTraining files
    { ours: 'pooler.weight', hf: ['bert.pooler.dense.weight'], optional: true },
    { ours: 'pooler.bias', hf: ['bert.pooler.dense.bias'], optional: true },
    { ours: 'mlm.transform_dense.weight', hf: ['cls.predictions.transform.dense.weight'] },
    { ours: 'mlm.transform_dense.bias', hf: ['cls.predictions.transform.dense.bias'] },
    { ours: 'mlm.transform_LayerNorm.weight', hf: ['cls.predictions.transform.LayerNorm.weight'] },
    { ours: 'mlm.transform_LayerNorm.bias', hf: ['cls.predictions.transform.LayerNorm.bias'] },
    { ours: 'mlm.bias', hf: ['cls.predictions.bias'] },
    { ours: 'seq_relationship.weight', hf: ['cls.seq_relationship.weight'], optional: true },
    { ours: 'seq_relationship.bias', hf: ['cls.seq_relationship.bias'], optional: true },
  );
  return rules;
}

/** HF key aliases accepted on import: GPT-2 hub files lack the `transformer.` prefix; old BERT files say gamma/beta. */
export function hfAliases(name: string): string[] {
  // the quirks combine: an old BertModel file can lack the prefix and say gamma
  const names = [name];
  if (name.endsWith('LayerNorm.weight')) names.push(name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma'));
  if (name.endsWith('LayerNorm.bias')) names.push(name.replace(/LayerNorm\.bias$/, 'LayerNorm.beta'));
  const out = [...names];
  for (const n of names) {
    if (n.startsWith('transformer.')) out.push(n.slice('transformer.'.length));
    if (n.startsWith('bert.')) out.push(n.slice('bert.'.length));
  }
  return out;
}
