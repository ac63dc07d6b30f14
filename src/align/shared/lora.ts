/**
 * LoRA in the alignment stages (TRL's peft_config): every stage takes the same four options;
 * with loraR > 0 the trained model gets adapters on the target modules (PEFT's names and
 * defaults: c_attn for GPT-2, q_proj and v_proj for LLaMA) and everything else is frozen;
 * the run writes PEFT's adapter_model.safetensors + adapter_config.json beside its
 * checkpoints (which hold the merged weights, so every loader sees the tuned model).
 *
 * The frozen reference of PPO, DPO, GRPO, RLOO and online DPO is then the policy itself with
 * its adapters switched off (TRL: `with model.disable_adapter()`), not a second copy.
 */
import { join } from 'node:path';
import { ArgumentError } from '../../core/errors.ts';
import type { GPT } from '../../models/gpt.ts';
import type { Module } from '../../nn/module.ts';
import { applyLora, hasLora, withAdaptersDisabled } from '../../nn/lora.ts';
import type { LoraSettings } from '../../nn/lora.ts';
import { loraTargets, peftConfig, savePeftAdapter } from '../../io/peft.ts';
import type { PeftAdapterConfig, PeftLayout } from '../../io/peft.ts';
import { cloneGpt, freeze } from './setup.ts';

export interface LoraHyper {
  /** LoRA rank (0: full fine-tuning). */
  loraR: number;
  loraAlpha: number;
  loraDropout: number;
  /** Comma-separated module names (q_proj,v_proj), a regular expression, or all-linear; null: PEFT's default. */
  loraTargetModules: string | null;
}

export const LORA_DEFAULTS: LoraHyper = { loraR: 0, loraAlpha: 16, loraDropout: 0.05, loraTargetModules: null };

export const LORA_KINDS = { loraR: 'integer', loraTargetModules: 'string' } as const;

export const LORA_TEXT: Record<keyof LoraHyper, string> = {
  loraR: 'LoRA rank (0: train every weight)',
  loraAlpha: 'LoRA alpha (the update is scaled by alpha / r)',
  loraDropout: 'dropout on the LoRA input',
  loraTargetModules: "modules to adapt: names (q_proj,v_proj), a regex, or all-linear (default: PEFT's for the model)",
};

/** PEFT's target_modules from the option: a list of names, or one regular expression / all-linear. */
export function parseTargetModules(s: string | null): string[] | string | null {
  if (s === null || s.trim() === '') return null;
  if (s === 'all-linear' || /[\^$*+?()[\]|\\]/.test(s)) return s;
  return s
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

export function loraSettings(h: LoraHyper): LoraSettings | null {
  if (h.loraR === 0) return null;
  if (!(Number.isInteger(h.loraR) && h.loraR > 0))
    throw new ArgumentError('--lora-r', `must be an integer >= 0, got ${h.loraR}`);
  if (!(h.loraAlpha > 0)) throw new ArgumentError('--lora-alpha', `must be > 0, got ${h.loraAlpha}`);
  if (!(h.loraDropout >= 0 && h.loraDropout < 1))
    throw new ArgumentError('--lora-dropout', `must be in [0, 1), got ${h.loraDropout}`);
  return { r: h.loraR, alpha: h.loraAlpha, dropout: h.loraDropout };
}

/** What an adapted model records for its adapter files. */
export interface LoraInfo {
  settings: LoraSettings;
  layout: PeftLayout;
  targetModules: string[] | string;
}

/**
 * Adds adapters to `gpt` (reached at `pathPrefix` inside `root`, e.g. the backbone of a
 * reward model) when h.loraR > 0 and freezes the rest of `root`; null (and nothing changed)
 * otherwise.
 */
export function addLora(root: Module, gpt: GPT, h: LoraHyper, seed: number, pathPrefix = ''): LoraInfo | null {
  const settings = loraSettings(h);
  if (settings === null) return null;
  const t = loraTargets(gpt.config, parseTargetModules(h.loraTargetModules), pathPrefix);
  applyLora(root, t.targets, settings, seed);
  return { settings, layout: t.layout, targetModules: t.targetModules };
}

/** PEFT's adapter files in the run directory (adapter_model.safetensors, adapter_config.json). */
export function writeAdapterFiles(
  runDir: string,
  root: Module,
  info: LoraInfo,
  baseModel: string | null,
  taskType: PeftAdapterConfig['task_type'] = 'CAUSAL_LM',
): string[] {
  return savePeftAdapter(
    root,
    join(runDir),
    peftConfig({
      settings: info.settings,
      targetModules: info.targetModules,
      layout: info.layout,
      baseModel,
      taskType,
    }),
  );
}

/**
 * The frozen reference policy: a frozen copy of the starting model, or (LoRA) the trained
 * policy itself run with its adapters switched off. `run` evaluates a forward on it.
 */
export class ReferenceModel {
  private constructor(
    /** The GPT the forwards run on (the policy itself when adaptersOff). */
    readonly model: GPT,
    readonly adaptersOff: boolean,
  ) {}

  /** A frozen copy of `model` (full fine-tuning). */
  static copyOf(model: GPT, seed = 0): ReferenceModel {
    return new ReferenceModel(freeze(cloneGpt(model, seed)), false);
  }

  /** `model` as it is, never trained (an evaluation's SFT baseline). */
  static fixed(model: GPT): ReferenceModel {
    return new ReferenceModel(model, false);
  }

  /** The policy with its adapters switched off (no second copy in memory). */
  static adaptersOf(policy: GPT): ReferenceModel {
    if (!hasLora(policy)) throw new ArgumentError('reference', 'the policy has no LoRA adapters to switch off');
    return new ReferenceModel(policy, true);
  }

  /** The reference for a policy: its adapters switched off under LoRA, else a frozen copy of `start`. */
  static forPolicy(policy: GPT, start: GPT, seed = 0): ReferenceModel {
    return hasLora(policy) ? ReferenceModel.adaptersOf(policy) : ReferenceModel.copyOf(start, seed);
  }

  run<T>(fn: (m: GPT) => T): T {
    return this.adaptersOff ? withAdaptersDisabled(this.model, () => fn(this.model)) : fn(this.model);
  }
}
