/**
 * What `llmts sft`, `llmts rm` and `llmts dpo` read from files, shared so the three find
 * their model, chat format and held-out data alike: the starting run (model, tokenizer,
 * chat format), the chat format (chatTemplate, else the run's, else ChatML), the training
 * records and the held-out ones (valData, else a seeded fraction of data).
 */
import { Generator } from '../../core/random.ts';
import { resolveChatFormat } from '../../data/chat/format-file.ts';
import type { ChatFormat } from '../../data/chat/template.ts';
import { withoutKeys } from './config.ts';
import { loadPolicyRun } from './setup.ts';
import type { PolicyBundle } from './setup.ts';

/** The file inputs of an offline stage (SftFileConfig, RewardFileConfig, DpoFileConfig add the hyperparameters). */
export interface StageFileInputs {
  /** The starting model: a run directory (pretrained, or SFT for rm and dpo), checkpoint or HF folder. */
  model: string;
  /** A tokenizer.json for a model folder without one (null: the folder's). */
  tokenizer?: string | null;
  data: string;
  valData: string | null;
  /** Fraction of `data` held out when valData is not given. */
  valFraction: number;
  /** 'chatml', 'plain', a tokenizer_config.json or .jinja file; default: the model run's, else chatml. */
  chatTemplate: string | null;
  runDir: string;
}

const FILE_KEYS = ['model', 'tokenizer', 'data', 'valData', 'valFraction', 'chatTemplate', 'runDir'] as const;

/** A seeded random `fraction` of the records held out (at least one; none when there is only one record or fraction is 0). */
export function holdOut<T>(all: T[], fraction: number, seed: number): { train: T[]; val: T[] } {
  if (!(fraction > 0 && all.length > 1)) return { train: all, val: [] };
  const perm = new Generator(seed).permutation(all.length);
  const nVal = Math.max(1, Math.floor(all.length * fraction));
  return {
    val: Array.from(perm.subarray(0, nVal), (i) => all[i]!),
    train: Array.from(perm.subarray(nVal), (i) => all[i]!),
  };
}

export interface StageFiles<C, T> {
  policy: PolicyBundle;
  format: ChatFormat;
  train: T[];
  val: T[];
  /** The config without its file inputs: the stage's hyperparameters. */
  hyper: Omit<C, keyof StageFileInputs>;
}

/** Reads a stage's inputs; `read` parses one JSONL file of records (conversations or preference groups). */
export function readStageFiles<C extends StageFileInputs & { seed: number }, T>(
  c: C,
  read: (path: string) => T[],
): StageFiles<C, T> {
  const policy = loadPolicyRun(c.model, { tokenizer: c.tokenizer ?? null });
  const format =
    c.chatTemplate !== null ? resolveChatFormat(c.chatTemplate) : (policy.format ?? resolveChatFormat('chatml'));
  const all = read(c.data);
  const { train, val } =
    c.valData !== null ? { train: all, val: read(c.valData) } : holdOut(all, c.valFraction, c.seed);
  return { policy, format, train, val, hyper: withoutKeys(c, FILE_KEYS) };
}
