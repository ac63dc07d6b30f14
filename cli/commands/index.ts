/** Every CLI command, in the order `llmts --help` lists them. */
import type { Command } from 'commander';
import { register as data } from './data.ts';
import { register as prepare } from './prepare.ts';
import { register as tokenizer } from './tokenizer.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [data, prepare, tokenizer];
