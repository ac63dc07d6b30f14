/**
 * Module: a tree of layers with named parameters and buffers, found by walking the
 * instance's own properties in definition order (a Parameter, a Buffer, a Module, or an
 * array of Modules named by index as torch's ModuleList). Names are state-dict paths:
 * `transformer.h.0.attn.c_attn.weight`.
 */
import type { Backend } from '../backends/backend.ts';
import { Tensor } from '../engine/tensor.ts';
import { Storage, untracked } from '../engine/memory.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { copy_ } from '../engine/ops/inplace.ts';
import { cast, contiguousCopy } from '../engine/ops/movement.ts';
import { ConfigError, ShapeError } from '../core/errors.ts';
import { shapesEqual } from '../engine/shape.ts';
import { Buffer, Parameter } from './parameter.ts';

/** The base of every layer and model: named parameters, buffers and submodules, train/eval mode, state dicts. */
export abstract class Module {
  /** Training mode: dropout active, BatchNorm uses batch statistics. */
  training = true;

  /** Direct children: [name, module]. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Module)) {
        value.forEach((m: Module, i) => out.push([`${key}.${i}`, m]));
      }
    }
    return out;
  }

  /** Every module in the tree, depth first, this one first (name ''). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren())
      out.push(...child.namedModules(prefix === '' ? name : `${prefix}.${name}`));
    return out;
  }

  /** Parameters directly owned by this module. */
  private ownParameters(): [string, Parameter][] {
    return Object.entries(this).filter((e): e is [string, Parameter] => e[1] instanceof Parameter);
  }

  private ownBuffers(): [string, Buffer][] {
    return Object.entries(this).filter((e): e is [string, Buffer] => e[1] instanceof Buffer);
  }

  /**
   * Every parameter with its path. A parameter shared by several modules (tied weights) is
   * listed once, under its first path, so optimizers update it once.
   */
  namedParameters(): [string, Parameter][] {
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix === '' ? name : `${prefix}.${name}`, p]);
      }
    }
    return out;
  }

  /** Every parameter of this module and its submodules (each once). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every non-trained tensor (masks, rotary tables...) with its dotted name. */
  namedBuffers(): [string, Buffer][] {
    const out: [string, Buffer][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m.ownBuffers()) out.push([prefix === '' ? name : `${prefix}.${name}`, b]);
    }
    return out;
  }

  /** Total number of parameter elements (tied weights counted once). */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /**
   * Parameters and persistent buffers by path. Tied parameters appear under every path
   * (as torch's state_dict does); savers that write files decide whether to keep duplicates.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      const join = (n: string): string => (prefix === '' ? n : `${prefix}.${n}`);
      for (const [name, p] of m.ownParameters()) out.set(join(name), p);
      for (const [name, b] of m.ownBuffers()) if (b.persistent) out.set(join(name), b);
    }
    return out;
  }

  /**
   * Copies values into this module's parameters and buffers. With strict (the default),
   * missing or unexpected keys are an error listing them; shapes must match exactly.
   */
  loadStateDict(
    state: ReadonlyMap<string, Tensor>,
    options: { strict?: boolean } = {},
  ): { missing: string[]; unexpected: string[] } {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    if ((options.strict ?? true) && (missing.length > 0 || unexpected.length > 0)) {
      throw new ConfigError(
        'state_dict',
        `keys do not match the model: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`,
      );
    }
    noGrad(() => {
      for (const [key, target] of own) {
        const src = state.get(key);
        if (src === undefined) continue;
        if (!shapesEqual(src.shape, target.shape)) {
          throw new ShapeError('loadStateDict', `${key}: checkpoint shape does not match the model's`, [
            src.shape,
            target.shape,
          ]);
        }
        const value = src.backend === target.backend ? src : moveTo(src, target.backend);
        copy_(target, value.dtype === target.dtype ? value : cast(value, target.dtype));
      }
    });
    return { missing, unexpected };
  }

  /** Sets training mode (dropout on) on this module and every submodule. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode (dropout off); the same as train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (zero-fills existing buffers, as a flat gradient arena needs). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Freezes or unfreezes every parameter. */
  requiresGrad_(flag: boolean): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }
}

/** A copy of t on another backend (outside memory scopes). */
export function moveTo(t: Tensor, backend: Backend): Tensor {
  return untracked(() => {
    const src = contiguousCopy(t);
    const array = backend.alloc(t.dtype, t.size);
    array.set(src.data as never);
    return new Tensor(new Storage(backend, t.dtype, array), t.shape);
  });
}

/** Whether an optimizer should decay this parameter: matrices yes; norms, biases and embeddings no (nanoGPT). */
export function decays(p: Parameter): boolean {
  return p.weightDecay && p.ndim >= 2;
}

/**
 * Moves every trainable parameter into one flat buffer and points every parameter's .grad at
 * a view of a second one (llm.c's layout), ordered with the decayed parameters first, so:
 * backward accumulates into the gradient buffer in place; zeroing, the global gradient norm
 * and each AdamW parameter group are single passes over contiguous memory; a checkpoint can
 * write the parameters in one piece. Call it after building the model and before creating
 * the optimizer. Tied parameters stay shared (each is moved once).
 */
export function flattenParameters(module: Module): { params: Tensor; grads: Tensor } {
  const all = module.parameters().filter((p) => p.requiresGrad);
  const params = [...all.filter(decays), ...all.filter((p) => !decays(p))];
  const total = params.reduce((n, p) => n + p.size, 0);
  const first = params[0];
  if (first === undefined) throw new ConfigError('parameters', 'the module has no trainable parameters');
  const dtype = first.dtype;
  const backend = first.backend;
  return untracked(() => {
    const values = new Storage(backend, dtype, backend.alloc(dtype, total));
    const grads = new Storage(backend, dtype, backend.alloc(dtype, total));
    let offset = 0;
    for (const p of params) {
      if (p.dtype !== dtype || p.backend !== backend)
        throw new ConfigError('parameters', 'all parameters must share one dtype and backend to be flattened');
      const src = p.toTypedArray();
      (values.data as Float32Array).set(src as Float32Array, offset);
      p.storage = values;
      p.offset = offset;
      p.grad = new Tensor(grads, p.shape, undefined, offset);
      offset += p.size;
    }
    return { params: new Tensor(values, [total]), grads: new Tensor(grads, [total]) };
  });
}
