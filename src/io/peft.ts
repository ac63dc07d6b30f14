/**
 * LoRA adapters in PEFT's layout (huggingface/peft, docs/source/developer_guides/checkpoint.md):
 *
 *   adapter_config.json        LoraConfig as PEFT writes it (peft_type "LORA", r, lora_alpha,
 *                              lora_dropout, target_modules, fan_in_fan_out, task_type, ...)
 *   adapter_model.safetensors  base_model.model.<HF module name>.lora_A.weight  [r, in]
 *                              base_model.model.<HF module name>.lora_B.weight  [out, r]
 *
 * Module names are Hugging Face's, so a file written here loads with PEFT on the HF model and a
 * PEFT file loads here: GPT-2 `transformer.h.0.attn.c_attn` (a Conv1D; PEFT takes in/out from
 * its [in, out] weight, so A and B have the same shapes as for a Linear, and fan_in_fan_out is
 * true), LLaMA `model.layers.0.self_attn.q_proj`. llmts fuses LLaMA's q/k/v into one c_attn,
 * so q_proj, k_proj and v_proj become three adapters on row ranges of that layer. Target
 * modules are matched as PEFT does: a list matches a module whose name equals an entry or ends
 * with "." + entry; a string is a regular expression the whole name must match; "all-linear"
 * is every projection of the blocks (not the LM head).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FormatError, IOError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/atomic.ts';
import { noGrad } from '../engine/grad-mode.ts';
import type { Module } from '../nn/module.ts';
import { applyLora, loraLayers, mergeAndUnload } from '../nn/lora.ts';
import type { LoraSettings, LoraTarget } from '../nn/lora.ts';
import type { GPTConfig } from '../models/gpt.ts';
import { SafetensorsFile, saveSafetensors } from './safetensors.ts';
import type { TensorInput } from './safetensors.ts';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

export type PeftLayout = 'gpt2' | 'llama';

/** Which HF layout a GPT config has (the names its modules take); GPT-2's unless it is LLaMA-shaped. */
export function peftLayoutOf(c: GPTConfig): PeftLayout {
  return c.mlp === 'gated' || c.position === 'rope' || c.nKvHead !== c.nHead ? 'llama' : 'gpt2';
}

/** PEFT's default target modules per architecture (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
export function defaultTargetModules(layout: PeftLayout): string[] {
  return layout === 'gpt2' ? ['c_attn'] : ['q_proj', 'v_proj'];
}

/** PEFT's check_target_module_exists: a list matches by equality or "." suffix, a string as a full regex. */
export function matchesTarget(name: string, targets: readonly string[] | string): boolean {
  if (typeof targets === 'string') {
    if (targets === 'all-linear') return true;
    return new RegExp(`^(?:${targets})$`).test(name);
  }
  return targets.some((t) => name === t || name.endsWith(`.${t}`));
}

/** Every adaptable projection of a GPT: its HF module name, llmts path and rows. */
export function loraUnits(
  c: GPTConfig,
  layout: PeftLayout,
): { hfName: string; path: string; rows: [number, number] }[] {
  const out: { hfName: string; path: string; rows: [number, number] }[] = [];
  const D = c.nEmbd / c.nHead;
  const q = c.nHead * D;
  const kv = c.nKvHead * D;
  for (let i = 0; i < c.nLayer; i++) {
    const o = `transformer.h.${i}`;
    if (layout === 'gpt2') {
      out.push(
        { hfName: `${o}.attn.c_attn`, path: `${o}.attn.c_attn`, rows: [0, q + 2 * kv] },
        { hfName: `${o}.attn.c_proj`, path: `${o}.attn.c_proj`, rows: [0, c.nEmbd] },
      );
      if (c.mlp === 'standard')
        out.push(
          { hfName: `${o}.mlp.c_fc`, path: `${o}.mlp.c_fc`, rows: [0, c.intermediateSize] },
          { hfName: `${o}.mlp.c_proj`, path: `${o}.mlp.c_proj`, rows: [0, c.nEmbd] },
        );
      continue;
    }
    const h = `model.layers.${i}`;
    out.push(
      { hfName: `${h}.self_attn.q_proj`, path: `${o}.attn.c_attn`, rows: [0, q] },
      { hfName: `${h}.self_attn.k_proj`, path: `${o}.attn.c_attn`, rows: [q, q + kv] },
      { hfName: `${h}.self_attn.v_proj`, path: `${o}.attn.c_attn`, rows: [q + kv, q + 2 * kv] },
      { hfName: `${h}.self_attn.o_proj`, path: `${o}.attn.c_proj`, rows: [0, c.nEmbd] },
    );
    if (c.mlp === 'gated')
      for (const p of ['gate_proj', 'up_proj', 'down_proj'])
        out.push({
          hfName: `${h}.mlp.${p}`,
          path: `${o}.mlp.${p}`,
          rows: [0, p === 'down_proj' ? c.nEmbd : c.intermediateSize],
        });
    else
      out.push(
        { hfName: `${h}.mlp.c_fc`, path: `${o}.mlp.c_fc`, rows: [0, c.intermediateSize] },
        { hfName: `${h}.mlp.c_proj`, path: `${o}.mlp.c_proj`, rows: [0, c.nEmbd] },
      );
  }
  return out;
}

/**
 * The LoRA targets of a GPT (under `pathPrefix`, e.g. "backbone." for a reward model): the
 * units whose HF names match, grouped by llmts layer. Default targets: PEFT's for the layout.
 */
export function loraTargets(
  c: GPTConfig,
  targetModules: readonly string[] | string | null,
  pathPrefix = '',
): { targets: LoraTarget[]; layout: PeftLayout; targetModules: string[] | string } {
  const layout = peftLayoutOf(c);
  const wanted = targetModules ?? defaultTargetModules(layout);
  const byPath = new Map<string, LoraTarget>();
  for (const u of loraUnits(c, layout)) {
    if (!matchesTarget(u.hfName, wanted)) continue;
    const path = pathPrefix + u.path;
    const t = byPath.get(path) ?? { path, adapters: [] };
    t.adapters.push({ hfName: u.hfName, rows: u.rows });
    byPath.set(path, t);
  }
  if (byPath.size === 0)
    throw new ConfigError(
      'lora_target_modules',
      `${JSON.stringify(wanted)} matches no module of this ${layout === 'gpt2' ? 'GPT-2' : 'LLaMA'}-layout model (its modules: ${[...new Set(loraUnits(c, layout).map((u) => u.hfName.split('.').pop()))].join(', ')})`,
    );
  return { targets: [...byPath.values()], layout, targetModules: typeof wanted === 'string' ? wanted : [...wanted] };
}

/** adapter_config.json as PEFT's LoraConfig writes it. */
export interface PeftAdapterConfig {
  peft_type: 'LORA';
  task_type: 'CAUSAL_LM' | 'SEQ_CLS' | null;
  base_model_name_or_path: string | null;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[] | string;
  fan_in_fan_out: boolean;
  bias: 'none';
  use_rslora: boolean;
  use_dora: false;
  modules_to_save: string[] | null;
  inference_mode: boolean;
  init_lora_weights: true;
  layers_to_transform: null;
  layers_pattern: null;
  rank_pattern: Record<string, never>;
  alpha_pattern: Record<string, never>;
  revision: null;
}

export function peftConfig(o: {
  settings: LoraSettings;
  targetModules: string[] | string;
  layout: PeftLayout;
  baseModel: string | null;
  taskType?: PeftAdapterConfig['task_type'];
}): PeftAdapterConfig {
  return {
    alpha_pattern: {},
    base_model_name_or_path: o.baseModel,
    bias: 'none',
    fan_in_fan_out: o.layout === 'gpt2', // GPT-2's Conv1D stores [in, out]
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: o.settings.alpha,
    lora_dropout: o.settings.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: o.settings.r,
    rank_pattern: {},
    revision: null,
    target_modules: o.targetModules,
    task_type: o.taskType ?? 'CAUSAL_LM',
    use_dora: false,
    use_rslora: o.settings.rsLora ?? false,
  };
}

/** The settings and target modules of an adapter_config.json (PEFT's or ours); FormatError naming the field. */
export function readPeftConfig(dir: string): { config: PeftAdapterConfig; settings: LoraSettings } {
  const file = join(dir, ADAPTER_CONFIG);
  if (!existsSync(file)) throw new IOError(dir, `no ${ADAPTER_CONFIG} (not a PEFT adapter folder)`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new FormatError(file, `not valid JSON: ${(err as Error).message}`);
  }
  if (raw['peft_type'] !== 'LORA')
    throw new FormatError(file, `peft_type ${JSON.stringify(raw['peft_type'])} is not LORA`, 'peft_type');
  const num = (k: string, fallback?: number): number => {
    const v = raw[k] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new FormatError(file, `expected a number, got ${JSON.stringify(v)}`, k);
    return v;
  };
  const r = num('r', 8);
  if (!Number.isInteger(r) || r < 1 || r > 65536)
    throw new FormatError(file, `r must be a positive integer, got ${r}`, 'r');
  const tm = raw['target_modules'];
  if (!(typeof tm === 'string' || (Array.isArray(tm) && tm.every((t) => typeof t === 'string'))))
    throw new FormatError(file, 'target_modules must be a string or a list of strings', 'target_modules');
  for (const k of ['use_dora', 'layers_to_transform', 'layer_replication'])
    if (raw[k] !== undefined && raw[k] !== null && raw[k] !== false)
      throw new FormatError(file, `${k} is not supported`, k);
  if (raw['bias'] !== undefined && raw['bias'] !== 'none')
    throw new FormatError(file, 'only bias "none" is supported', 'bias');
  const pattern = (k: string): void => {
    const v = raw[k];
    if (v !== undefined && v !== null && Object.keys(v as object).length > 0)
      throw new FormatError(file, `${k} (per-module ranks or alphas) is not supported`, k);
  };
  pattern('rank_pattern');
  pattern('alpha_pattern');
  const settings: LoraSettings = {
    r,
    alpha: num('lora_alpha', 8),
    dropout: num('lora_dropout', 0),
    rsLora: raw['use_rslora'] === true,
  };
  return { config: raw as unknown as PeftAdapterConfig, settings };
}

/** Adapter tensors of a LoRA model under PEFT's keys (`pathPrefix` is stripped from llmts paths). */
export function peftTensors(root: Module): Map<string, TensorInput> {
  const out = new Map<string, TensorInput>();
  for (const [, layer] of loraLayers(root))
    for (const a of layer.adapters) {
      for (const [part, lin] of [
        ['lora_A', a.lora_A],
        ['lora_B', a.lora_B],
      ] as const) {
        const data = Float32Array.from(lin.weight.toTypedArray() as ArrayLike<number>);
        out.set(`${PREFIX}${a.hfName}.${part}.weight`, { dtype: 'F32', shape: [...lin.weight.shape], data });
      }
    }
  return out;
}

/** Writes adapter_model.safetensors and adapter_config.json into `dir`. */
export function savePeftAdapter(root: Module, dir: string, config: PeftAdapterConfig): string[] {
  mkdirSync(dir, { recursive: true });
  saveSafetensors(join(dir, ADAPTER_WEIGHTS), peftTensors(root), { format: 'pt' });
  writeFileAtomic(join(dir, ADAPTER_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
  return [ADAPTER_WEIGHTS, ADAPTER_CONFIG];
}

/**
 * Copies a PEFT adapter file's tensors into a LoRA model whose layers were built from the
 * same config: every adapter must find its lora_A/lora_B with the right shape, and every
 * lora tensor of the file must find its adapter.
 */
export function loadPeftWeights(root: Module, dir: string): void {
  const path = join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(path)) throw new IOError(dir, `no ${ADAPTER_WEIGHTS}`);
  const file = SafetensorsFile.open(path);
  try {
    const keys = new Set(file.header.tensors.keys());
    const used = new Set<string>();
    noGrad(() => {
      for (const [, layer] of loraLayers(root))
        for (const a of layer.adapters)
          for (const [part, lin] of [
            ['lora_A', a.lora_A],
            ['lora_B', a.lora_B],
          ] as const) {
            // PEFT keys drop the adapter name; some writers keep ".default"
            const key = [`${PREFIX}${a.hfName}.${part}.weight`, `${PREFIX}${a.hfName}.${part}.default.weight`].find(
              (k) => keys.has(k),
            );
            if (key === undefined) throw new FormatError(path, `missing tensor ${PREFIX}${a.hfName}.${part}.weight`);
            const rec = file.read(key, { float32: true });
            const want = lin.weight.shape;
            if (rec.shape.length !== 2 || rec.shape[0] !== want[0] || rec.shape[1] !== want[1])
              throw new FormatError(
                path,
                `shape [${rec.shape.join(', ')}] does not match the adapter's [${want.join(', ')}]`,
                key,
              );
            (lin.weight.data as Float32Array).set(rec.data as Float32Array, lin.weight.offset);
            lin.weight.storage.version++;
            used.add(key);
          }
    });
    const left = [...keys].filter((k) => !used.has(k) && /\.lora_[AB]\./.test(k));
    if (left.length > 0)
      throw new FormatError(
        path,
        `adapter tensors for modules this model does not have: ${left.slice(0, 4).join(', ')}`,
      );
  } finally {
    file.close();
  }
}

/**
 * PEFT's merge_and_unload on a loaded base model: adapters from `dir` (built from its
 * adapter_config.json, weights from adapter_model.safetensors) merged into the weights.
 */
export function mergePeftAdapter(model: Module & { config: GPTConfig }, dir: string): { config: PeftAdapterConfig } {
  const { config, settings } = readPeftConfig(dir);
  const t = loraTargets(model.config, config.target_modules);
  applyLora(model, t.targets, settings);
  loadPeftWeights(model, dir);
  mergeAndUnload(model);
  return { config };
}
