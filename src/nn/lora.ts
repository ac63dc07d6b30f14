/**
 * LoRA (Hu et al., arXiv:2106.09685): a frozen Linear W [out, in] plus a trainable low-rank
 * update on some of its output rows,
 *
 *   y = x Wᵀ + b + (alpha / r) · dropout(x) Aᵀ Bᵀ        A [r, in], B [rows, r]
 *
 * B starts at zero, so the adapted model starts exactly equal to the base; A starts as
 * PyTorch's Linear (U(±1/√in), PEFT's kaiming_uniform(a=√5)). A LoraLinear may carry several
 * adapters on disjoint ranges of output rows: llmts fuses LLaMA's q/k/v projections into one
 * c_attn, while PEFT adapts q_proj, k_proj and v_proj separately, each with its own A and B.
 *
 * The LoraLinear takes the place of the Linear in its parent module and owns the very same
 * weight and bias Parameters (so state-dict paths of the base stay `...c_attn.weight`); the
 * adapters appear as `...c_attn.adapters.<i>.lora_A.weight`. Switching adapters off (the
 * reference model of PPO/DPO/GRPO, as PEFT's disable_adapter) leaves x Wᵀ + b; merging adds
 * the update into W; unloading puts the original Linear back.
 */
import { Generator } from '../core/random.ts';
import type { Tensor } from '../engine/tensor.ts';
import { linear } from '../engine/ops/matmul.ts';
import { add, mul } from '../engine/ops/elementwise.ts';
import { dropout } from '../engine/ops/dropout.ts';
import { cat } from '../engine/ops/movement.ts';
import { zeros } from '../engine/ops/creation.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { ArgumentError, ConfigError } from '../core/errors.ts';
import { Module } from './module.ts';
import type { Parameter } from './parameter.ts';
import { Linear } from './layers.ts';
import { constant_ } from './init.ts';

export interface LoraSettings {
  /** Rank r of the update. */
  r: number;
  /** The update is scaled by alpha / r (alpha / √r with rsLora). */
  alpha: number;
  /** Dropout on the adapter's input (training mode only). */
  dropout: number;
  rsLora?: boolean;
}

/** One adapter: A [r, in], B [rows, r] on output rows [rowStart, rowEnd) of its layer. */
export class LoraAdapter extends Module {
  readonly lora_A: Linear;
  readonly lora_B: Linear;
  constructor(
    /** The name of the adapted module in Hugging Face's layout (q_proj of layer 0, c_attn, ...). */
    readonly hfName: string,
    readonly rowStart: number,
    readonly rowEnd: number,
    inFeatures: number,
    r: number,
    ctx: { generator: Generator; dtype: 'float32' | 'float64'; backend: Parameter['backend'] },
  ) {
    super();
    this.lora_A = new Linear(inFeatures, r, ctx, { bias: false });
    this.lora_B = new Linear(r, rowEnd - rowStart, ctx, { bias: false });
    constant_(this.lora_B.weight, 0);
  }

  get rows(): number {
    return this.rowEnd - this.rowStart;
  }
}

/** Where one adapter goes: its Hugging Face module name and the output rows it covers. */
export interface AdapterPlacement {
  hfName: string;
  rows: [number, number];
}

/** The Linear each LoraLinear replaced, to put back when unloading (not a child: its weights are shared). */
const originals = new WeakMap<LoraLinear, Linear>();

export class LoraLinear extends Module {
  weight: Parameter;
  readonly bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly adapters: LoraAdapter[];
  readonly scaling: number;
  readonly dropoutP: number;
  /** Off: the base layer alone (the reference model). */
  enabled = true;
  /** The update has been added into `weight`. */
  merged = false;
  private readonly dropoutGen: Generator;

  constructor(base: Linear, placements: readonly AdapterPlacement[], s: LoraSettings, seed: number) {
    super();
    if (!(Number.isInteger(s.r) && s.r >= 1)) throw new ArgumentError('lora.r', `must be an integer >= 1, got ${s.r}`);
    if (!(s.dropout >= 0 && s.dropout < 1))
      throw new ArgumentError('lora.dropout', `must be in [0, 1), got ${s.dropout}`);
    this.weight = base.weight;
    this.bias = base.bias;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.scaling = s.rsLora ? s.alpha / Math.sqrt(s.r) : s.alpha / s.r;
    this.dropoutP = s.dropout;
    const g = new Generator(seed);
    this.dropoutGen = new Generator(seed + 1);
    const ctx = { generator: g, dtype: base.weight.dtype as 'float32' | 'float64', backend: base.weight.backend };
    const sorted = [...placements].sort((a, b) => a.rows[0] - b.rows[0]);
    let end = 0;
    for (const p of sorted) {
      const [a, b] = p.rows;
      if (!(a >= end && b > a && b <= this.outFeatures))
        throw new ConfigError(
          'lora',
          `adapter ${p.hfName} rows [${a}, ${b}) overlap or leave [0, ${this.outFeatures})`,
        );
      end = b;
    }
    this.adapters = sorted.map((p) => new LoraAdapter(p.hfName, p.rows[0], p.rows[1], this.inFeatures, s.r, ctx));
    base.weight.requiresGrad = false;
    if (base.bias) base.bias.requiresGrad = false;
    originals.set(this, base);
  }

  /** The update scale · B A as [out, in] values (zero on rows no adapter covers). */
  delta(): Float32Array | Float64Array {
    const out =
      this.weight.dtype === 'float64' ? new Float64Array(this.weight.size) : new Float32Array(this.weight.size);
    noGrad(() => {
      for (const a of this.adapters) {
        const A = a.lora_A.weight.toTypedArray(); // [r, in]
        const B = a.lora_B.weight.toTypedArray(); // [rows, r]
        const r = a.lora_A.weight.shape[0]!;
        const n = this.inFeatures;
        for (let i = 0; i < a.rows; i++)
          for (let k = 0; k < r; k++) {
            const bik = B[i * r + k]! * this.scaling;
            if (bik === 0) continue;
            const row = (a.rowStart + i) * n;
            for (let j = 0; j < n; j++) out[row + j]! += bik * A[k * n + j]!;
          }
      }
    });
    return out;
  }

  forward(x: Tensor): Tensor {
    const y = linear(x, this.weight, this.bias);
    if (this.merged) {
      if (!this.enabled)
        throw new ConfigError(
          'lora',
          'the adapters are merged into the weights: unmerge them before switching them off',
        );
      return y;
    }
    if (!this.enabled || this.adapters.length === 0) return y;
    const h = this.dropoutP > 0 ? dropout(x, this.dropoutP, this.dropoutGen, this.training) : x;
    const parts: Tensor[] = [];
    let at = 0;
    const lead = x.shape.slice(0, -1);
    for (const a of this.adapters) {
      if (a.rowStart > at) parts.push(zeros([...lead, a.rowStart - at], { dtype: x.dtype, backend: x.backend }));
      parts.push(a.lora_B.forward(a.lora_A.forward(h))); // [..., rows]
      at = a.rowEnd;
    }
    if (at < this.outFeatures)
      parts.push(zeros([...lead, this.outFeatures - at], { dtype: x.dtype, backend: x.backend }));
    const update = parts.length === 1 ? parts[0]! : cat(parts, -1);
    return add(y, mul(update, this.scaling));
  }

  /** W += scale · B A (PEFT's merge). */
  merge(): void {
    if (this.merged) return;
    this.addToWeight(this.delta(), 1);
    this.merged = true;
  }

  /** W -= scale · B A. */
  unmerge(): void {
    if (!this.merged) return;
    this.addToWeight(this.delta(), -1);
    this.merged = false;
  }

  private addToWeight(d: ArrayLike<number>, sign: 1 | -1): void {
    const w = this.weight.data as Float32Array;
    const o = this.weight.offset;
    for (let i = 0; i < this.weight.size; i++) w[o + i]! += sign * d[i]!;
    this.weight.storage.version++;
  }

  /** The Linear this layer replaced (sharing its weight and bias). */
  original(): Linear {
    return originals.get(this)!;
  }
}

/** Where LoRA goes: the llmts path of a Linear (`transformer.h.0.attn.c_attn`) and its adapters. */
export interface LoraTarget {
  path: string;
  adapters: AdapterPlacement[];
}

function parentOf(root: Module, path: string): { parent: Module; key: string } {
  const dot = path.lastIndexOf('.');
  const parentPath = dot < 0 ? '' : path.slice(0, dot);
  const key = path.slice(dot + 1);
  const parent = root.namedModules().find(([n]) => n === parentPath)?.[1];
  if (parent === undefined) throw new ConfigError('lora', `no module ${parentPath || '(root)'} for ${path}`);
  return { parent, key };
}

/**
 * Puts LoRA adapters on the target Linears and freezes every other parameter of `root`
 * (PEFT's bias "none"). Returns the adapted layers by path.
 */
export function applyLora(
  root: Module,
  targets: readonly LoraTarget[],
  s: LoraSettings,
  seed = 0,
): [string, LoraLinear][] {
  if (targets.length === 0) throw new ConfigError('lora', 'no module matches the LoRA target modules');
  root.requiresGrad_(false);
  const out: [string, LoraLinear][] = [];
  targets.forEach((t, i) => {
    const { parent, key } = parentOf(root, t.path);
    const base = (parent as unknown as Record<string, unknown>)[key];
    if (!(base instanceof Linear)) throw new ConfigError('lora', `${t.path} is not a Linear layer`);
    const layer = new LoraLinear(base, t.adapters, s, seed + 7919 * (i + 1));
    layer.training = base.training;
    (parent as unknown as Record<string, unknown>)[key] = layer;
    out.push([t.path, layer]);
  });
  return out;
}

/** The LoRA layers of a model, by path. */
export function loraLayers(root: Module): [string, LoraLinear][] {
  return root.namedModules().filter((e): e is [string, LoraLinear] => e[1] instanceof LoraLinear);
}

export function hasLora(root: Module): boolean {
  return loraLayers(root).length > 0;
}

/** Every adapter parameter (the trainable ones of a LoRA model). */
export function adapterParameters(root: Module): Parameter[] {
  return loraLayers(root).flatMap(([, l]) => l.adapters.flatMap((a) => a.parameters()));
}

/** Runs fn with every adapter switched off: the base model (PEFT's disable_adapter context). */
export function withAdaptersDisabled<T>(root: Module, fn: () => T): T {
  const layers = loraLayers(root).map(([, l]) => l);
  const was = layers.map((l) => l.enabled);
  for (const l of layers) l.enabled = false;
  try {
    return fn();
  } finally {
    layers.forEach((l, i) => (l.enabled = was[i]!));
  }
}

/** Merges every adapter into its weight and puts the original Linears back (PEFT's merge_and_unload). */
export function mergeAndUnload(root: Module): void {
  for (const [path, layer] of loraLayers(root)) {
    layer.merge();
    const { parent, key } = parentOf(root, path);
    const original = layer.original();
    original.training = layer.training;
    (parent as unknown as Record<string, unknown>)[key] = original;
  }
}

/** The frozen base weights and biases of the LoRA layers (checkpoints store them merged and never restore them). */
export function loraBaseTensors(root: Module): Map<Tensor, LoraLinear> {
  const out = new Map<Tensor, LoraLinear>();
  for (const [, l] of loraLayers(root)) {
    out.set(l.weight, l);
    if (l.bias) out.set(l.bias, l);
  }
  return out;
}

/** W + scale · B A without touching the layer (what a plain loader should see). */
export function mergedWeight(layer: LoraLinear): Float32Array | Float64Array {
  const w = layer.weight.toTypedArray() as Float32Array | Float64Array;
  if (layer.merged) return w;
  const d = layer.delta();
  const out = w.slice();
  for (let i = 0; i < out.length; i++) out[i]! += d[i]!;
  return out;
}
