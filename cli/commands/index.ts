/**
 * Every CLI command, in the order `llmts --help` lists them. A command's module is imported
 * only when that command runs (or its own --help is asked for): `llmts --help` and
 * `llmts tokenize` then load a few modules instead of the whole library.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export interface CommandEntry {
  /** Top-level command names the module registers. */
  names: readonly string[];
  /** One line per name for `llmts --help`, before the module is loaded. */
  summary: Readonly<Record<string, string>>;
  load: () => Promise<{ register: RegisterCommand }>;
}

export const commandEntries: readonly CommandEntry[] = [
  {
    names: ['demo'],
    summary: {
      demo: 'the main job: train a tokenizer and a small GPT on English text, then sample (--rlhf: alignment)',
    },
    load: () => import('./demo.ts'),
  },
  {
    names: ['tokenizer', 'tokenize', 'detokenize'],
    summary: {
      tokenizer: 'train and inspect tokenizers (BPE, WordPiece, char, SentencePiece)',
      tokenize: 'text -> token ids or tokens, one output line per input line',
      detokenize: 'token ids -> text, one output line per input line',
    },
    load: () => import('./tokenizer.ts'),
  },
  {
    names: ['data'],
    summary: { data: 'data preprocessing: extract, normalize, filter, dedup, redact PII, tokenize' },
    load: () => import('./data.ts'),
  },
  {
    names: ['prepare'],
    summary: { prepare: 'tokenize text files into a token-shard dataset with a train/val split' },
    load: () => import('./prepare.ts'),
  },
  {
    names: ['model'],
    summary: { model: 'inspect or create models' },
    load: () => import('./model.ts'),
  },
  {
    names: ['pretrain'],
    summary: { pretrain: 'pretrain a model on a token-shard dataset (causal LM, masked LM or denoising)' },
    load: () => import('./pretrain.ts'),
  },
  {
    names: ['eval'],
    summary: { eval: 'loss, perplexity and bits per byte of a causal LM on a dataset split' },
    load: () => import('./eval.ts'),
  },
  {
    names: ['sample'],
    summary: { sample: 'generate text from a model (greedy, sampling, beam search)' },
    load: () => import('./sample.ts'),
  },
  {
    names: ['quantize'],
    summary: { quantize: 'write an int8 (q8_0) or 4-bit (q4_0) weight-quantized copy of a model for faster decoding' },
    load: () => import('./quantize.ts'),
  },
  {
    names: ['score'],
    summary: { score: "each token's log-probability given the tokens before it, and the perplexity" },
    load: () => import('./score.ts'),
  },
  {
    names: ['sft'],
    summary: { sft: 'supervised fine-tuning on chat data (loss on assistant tokens only)' },
    load: () => import('./sft.ts'),
  },
  {
    names: ['rm'],
    summary: { rm: 'train a reward model from ranked answers' },
    load: () => import('./rm.ts'),
  },
  {
    names: ['ppo'],
    summary: { ppo: 'PPO-RLHF: actor, critic, frozen reference and reward model' },
    load: () => import('./ppo.ts'),
  },
  {
    names: ['dpo'],
    summary: { dpo: 'DPO: learn from preference pairs against the frozen SFT model' },
    load: () => import('./dpo.ts'),
  },
  {
    names: ['kto', 'orpo', 'simpo', 'cpo'],
    summary: {
      kto: 'KTO: desirable / undesirable answers against the frozen SFT model',
      orpo: 'ORPO: SFT loss plus an odds-ratio preference term, no reference model',
      simpo: 'SimPO: length-normalized preference margin, no reference model',
      cpo: 'CPO: preference loss plus NLL of the chosen answers, no reference model',
    },
    load: () => import('./preference.ts'),
  },
  {
    names: ['grpo'],
    summary: { grpo: 'GRPO: group-relative policy optimization, no critic' },
    load: () => import('./grpo.ts'),
  },
  {
    names: ['rloo'],
    summary: { rloo: 'RLOO: REINFORCE with a leave-one-out baseline, no critic' },
    load: () => import('./rloo.ts'),
  },
  {
    names: ['lora'],
    summary: { lora: 'LoRA adapters: merge a PEFT adapter into its base model' },
    load: () => import('./lora.ts'),
  },
  {
    names: ['chat'],
    summary: { chat: 'chat with a tuned model in the terminal' },
    load: () => import('./chat.ts'),
  },
  {
    names: ['serve'],
    summary: { serve: 'an OpenAI-compatible HTTP server for a model, with continuous batching' },
    load: () => import('./serve.ts'),
  },
  {
    names: ['lab'],
    summary: { lab: "run the notes' claims as experiments and report whether each holds" },
    load: () => import('./lab.ts'),
  },
  {
    names: ['doctor'],
    summary: { doctor: 'the backend, ISA path, threads, Node version and whether the native addon built' },
    load: () => import('./doctor.ts'),
  },
];
