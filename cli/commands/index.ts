/** Every CLI command, in the order `llmts --help` lists them. */
import type { Command } from 'commander';
import { register as data } from './data.ts';
import { register as prepare } from './prepare.ts';
import { register as tokenizer } from './tokenizer.ts';
import { register as demo } from './demo.ts';
import { register as model } from './model.ts';
import { register as pretrain } from './pretrain.ts';
import { register as sample } from './sample.ts';
import { register as evaluate } from './eval.ts';
import { register as score } from './score.ts';
import { register as sft } from './sft.ts';
import { register as rm } from './rm.ts';
import { register as ppo } from './ppo.ts';
import { register as dpo } from './dpo.ts';
import { register as grpo } from './grpo.ts';
import { register as chat } from './chat.ts';
import { register as lab } from './lab.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  demo,
  tokenizer,
  data,
  prepare,
  model,
  pretrain,
  evaluate,
  sample,
  score,
  sft,
  rm,
  ppo,
  dpo,
  grpo,
  chat,
  lab,
];
