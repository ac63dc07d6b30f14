/**
 * Movement ops: views that share storage (reshape/view of compatible strides, permute,
 * transpose, expand, slice, select, squeeze/unsqueeze) and the ops that copy (contiguous,
 * cat, stack, cast). Backward of a view is the adjoint view (or a scatter into zeros).
 */
import type { DType } from '../../core/dtype.ts';
import { isFloatDType } from '../../core/dtype.ts';
import { Tensor } from '../tensor.ts';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { assertValidShape, contiguousStrides, normalizeAxis, numel, shapesEqual } from '../shape.ts';
import type { Shape } from '../shape.ts';
import { empty, sameBackend, strided, zerosOn } from './util.ts';
import { sumToShape } from './reduce.ts';

function view_(t: Tensor, shape: Shape, strides: Shape, offset: number): Tensor {
  return new Tensor(t.storage, [...shape], [...strides], offset);
}

/** Resolves one -1 in a requested shape. */
function inferReshape(op: string, t: Tensor, shape: readonly number[]): number[] {
  const out = [...shape];
  const minus = out.indexOf(-1);
  if (out.lastIndexOf(-1) !== minus) throw new ShapeError(op, 'only one dimension can be -1', [t.shape, shape]);
  if (minus >= 0) {
    const known = out.reduce((acc, d, i) => (i === minus ? acc : acc * d), 1);
    if (known === 0 || t.size % known !== 0)
      throw new ShapeError(op, `cannot infer the -1 dimension for ${t.size} elements`, [t.shape, shape]);
    out[minus] = t.size / known;
  }
  assertValidShape(op, out);
  if (numel(out) !== t.size)
    throw new ShapeError(op, `shape [${out.join(', ')}] is invalid for ${t.size} elements`, [t.shape, shape]);
  return out;
}

/**
 * Strides for viewing t as `shape` without copying, or null when impossible (PyTorch's
 * computeStride: each run of merged/split dims must be contiguous within itself).
 */
function viewStrides(t: Tensor, shape: readonly number[]): number[] | null {
  if (t.isContiguous() || t.size === 0) return contiguousStrides(shape); // an empty tensor views as anything
  const oldShape = t.shape.filter((d) => d !== 1);
  const oldStrides = t.strides.filter((_, i) => t.shape[i] !== 1);
  const newStrides = new Array<number>(shape.length).fill(0);
  let oi = 0;
  let ni = 0;
  while (ni < shape.length) {
    if (shape[ni] === 1) {
      newStrides[ni] = 1;
      ni++;
      continue;
    }
    if (oi >= oldShape.length) return null;
    // gather a chunk of old dims whose product equals a chunk of new dims
    let oldProd = oldShape[oi]!;
    const chunkStart = oi;
    let newProd = shape[ni]!;
    const newStart = ni;
    while (oldProd !== newProd) {
      if (oldProd < newProd) {
        oi++;
        if (oi >= oldShape.length) return null;
        oldProd *= oldShape[oi]!;
      } else {
        ni++;
        if (ni >= shape.length) return null;
        newProd *= shape[ni]!;
      }
    }
    // the old chunk must be contiguous in itself
    for (let k = chunkStart; k < oi; k++) {
      if (oldStrides[k] !== oldStrides[k + 1]! * oldShape[k + 1]!) return null;
    }
    let stride = oldStrides[oi]!;
    for (let k = ni; k >= newStart; k--) {
      if (shape[k] === 1) {
        newStrides[k] = stride;
        continue;
      }
      newStrides[k] = stride;
      stride *= shape[k]!;
    }
    oi++;
    ni++;
  }
  return newStrides;
}

/** A view with a new shape; throws if the strides do not allow it (use reshape to copy when needed). */
export function view(t: Tensor, shape: readonly number[]): Tensor {
  const target = inferReshape('view', t, shape);
  const strides = viewStrides(t, target);
  if (strides === null) {
    throw new ShapeError(
      'view',
      'the tensor is not contiguous in a way that allows this view; use reshape() (which copies)',
      [t.shape, target],
    );
  }
  const out = view_(t, target, strides, t.offset);
  if (needsGrad(t)) attach(out, 'view', [t], (g) => [reshape(g, t.shape)]);
  return out;
}

/** view() when possible, else a contiguous copy with the new shape. */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  const target = inferReshape('reshape', t, shape);
  if (viewStrides(t, target) !== null) return view(t, target);
  return view(contiguous(t), target);
}

export function flatten(t: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (t.ndim === 0) return reshape(t, [1]);
  const s = normalizeAxis('flatten', startAxis, t.ndim);
  const e = normalizeAxis('flatten', endAxis, t.ndim);
  if (s > e) throw new ArgumentError('flatten', `startAxis (${startAxis}) comes after endAxis (${endAxis})`);
  const shape = [...t.shape.slice(0, s), numel(t.shape.slice(s, e + 1)), ...t.shape.slice(e + 1)];
  return reshape(t, shape);
}

export function permute(t: Tensor, axes: readonly number[]): Tensor {
  if (axes.length !== t.ndim) throw new ShapeError('permute', `needs ${t.ndim} axes, got ${axes.length}`, [t.shape]);
  const norm = axes.map((a) => normalizeAxis('permute', a, t.ndim));
  if (new Set(norm).size !== norm.length) throw new ArgumentError('permute', `repeated axis in [${axes.join(', ')}]`);
  const out = view_(
    t,
    norm.map((a) => t.shape[a]!),
    norm.map((a) => t.strides[a]!),
    t.offset,
  );
  if (needsGrad(t)) {
    const inverse = new Array<number>(norm.length);
    norm.forEach((a, i) => (inverse[a] = i));
    attach(out, 'permute', [t], (g) => [permute(g, inverse)]);
  }
  return out;
}

export function transpose(t: Tensor, a = -2, b = -1): Tensor {
  if (t.ndim < 2) return t;
  const axes = Array.from({ length: t.ndim }, (_, i) => i);
  const x = normalizeAxis('transpose', a, t.ndim);
  const y = normalizeAxis('transpose', b, t.ndim);
  axes[x] = y;
  axes[y] = x;
  return permute(t, axes);
}

/** Broadcasts size-1 dims to `shape` (new leading dims allowed; -1 keeps a dim) with stride 0. */
export function expand(t: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < t.ndim)
    throw new ShapeError('expand', 'the target has fewer dimensions than the tensor', [t.shape, shape]);
  const lead = shape.length - t.ndim;
  const outShape: number[] = [];
  const outStrides: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const want = shape[i]!;
    if (i < lead) {
      if (want < 0) throw new ShapeError('expand', '-1 is not allowed for a new leading dimension', [t.shape, shape]);
      outShape.push(want);
      outStrides.push(0);
      continue;
    }
    const have = t.shape[i - lead]!;
    const target = want === -1 ? have : want;
    if (have !== target && have !== 1)
      throw new ShapeError('expand', `dimension ${i} of size ${have} cannot expand to ${target}`, [t.shape, shape]);
    outShape.push(target);
    outStrides.push(have === target ? t.strides[i - lead]! : 0);
  }
  const out = view_(t, outShape, outStrides, t.offset);
  if (needsGrad(t)) attach(out, 'expand', [t], (g) => [sumToShape(g, t.shape)]);
  return out;
}

/** Elements start, start+step, ... < end along axis (negative start/end count from the end, clamped like Python). */
export function slice(t: Tensor, axis: number, start: number, end?: number, step = 1): Tensor {
  const a = normalizeAxis('slice', axis, t.ndim);
  const n = t.shape[a]!;
  if (!Number.isInteger(step) || step <= 0)
    throw new ArgumentError('slice', `step must be a positive integer, got ${step}`);
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = clamp(start);
  const e = Math.max(s, clamp(end ?? n));
  const len = Math.ceil((e - s) / step);
  const shape = [...t.shape];
  shape[a] = len;
  const strides = [...t.strides];
  strides[a] = t.strides[a]! * step;
  const out = view_(t, shape, strides, t.offset + s * t.strides[a]!);
  if (needsGrad(t)) {
    attach(out, 'slice', [t], (g) => {
      const full = zerosOn(t.shape, g.dtype, g.backend);
      const region = slice(full, a, s, e, step);
      g.backend.assign(strided(region), strided(g), region.shape);
      return [full];
    });
  }
  return out;
}

export function narrow(t: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normalizeAxis('narrow', axis, t.ndim);
  if (start < 0 || length < 0 || start + length > t.shape[a]!) {
    throw new ArgumentError(
      'narrow',
      `range [${start}, ${start + length}) is outside dimension ${a} of size ${t.shape[a]}`,
    );
  }
  return slice(t, a, start, start + length);
}

/** Index `index` along axis, removing the axis. */
export function select(t: Tensor, axis: number, index: number): Tensor {
  const a = normalizeAxis('select', axis, t.ndim);
  const n = t.shape[a]!;
  const i = index < 0 ? index + n : index;
  if (i < 0 || i >= n)
    throw new ArgumentError('select', `index ${index} is out of range for dimension ${a} of size ${n}`);
  return squeeze(slice(t, a, i, i + 1), a);
}

export function squeeze(t: Tensor, axis?: number): Tensor {
  let keep: number[];
  if (axis === undefined) keep = t.shape.map((_, i) => i).filter((i) => t.shape[i] !== 1);
  else {
    const a = normalizeAxis('squeeze', axis, t.ndim);
    keep = t.shape.map((_, i) => i).filter((i) => i !== a || t.shape[i] !== 1);
  }
  const out = view_(
    t,
    keep.map((i) => t.shape[i]!),
    keep.map((i) => t.strides[i]!),
    t.offset,
  );
  if (needsGrad(t)) attach(out, 'squeeze', [t], (g) => [reshape(g, t.shape)]);
  return out;
}

export function unsqueeze(t: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, t.ndim + 1);
  const shape = [...t.shape];
  const strides = [...t.strides];
  const stride = a < t.ndim ? t.strides[a]! * t.shape[a]! : 1;
  shape.splice(a, 0, 1);
  strides.splice(a, 0, stride);
  const out = view_(t, shape, strides, t.offset);
  if (needsGrad(t)) attach(out, 'unsqueeze', [t], (g) => [reshape(g, t.shape)]);
  return out;
}

/** A contiguous copy (or the tensor itself when it already is contiguous). */
export function contiguous(t: Tensor): Tensor {
  if (t.isContiguous()) return t;
  return copyOf(t, t.dtype, 'contiguous');
}

/** Always a fresh contiguous copy without autograd (for reading values out). */
export function contiguousCopy(t: Tensor): Tensor {
  const out = empty(t.shape, t.dtype, t.backend);
  t.backend.copyStrided(strided(t), t.shape, out.data);
  return out;
}

function copyOf(t: Tensor, dtype: DType, name: string): Tensor {
  const out = empty(t.shape, dtype, t.backend);
  t.backend.copyStrided(strided(t), t.shape, out.data);
  if (needsGrad(t) && isFloatDType(dtype)) {
    attach(out, name, [t], (g) => [g.dtype === t.dtype ? g : cast(g, t.dtype)]);
  }
  return out;
}

/** A copy that does not share storage, with autograd. */
export function clone(t: Tensor): Tensor {
  return copyOf(t, t.dtype, 'clone');
}

/** Converts to another dtype (a copy; the same tensor if the dtype already matches). */
export function cast(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  return copyOf(t, dtype, 'cast');
}

export function split(t: Tensor, sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis('split', axis, t.ndim);
  const n = t.shape[a]!;
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0)
      throw new ArgumentError('split', `split size must be a positive integer, got ${sizeOrSections}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
  } else {
    sizes = [...sizeOrSections];
    if (sizes.reduce((x, y) => x + y, 0) !== n) {
      throw new ShapeError('split', `sections [${sizes.join(', ')}] do not add up to dimension ${a} of size ${n}`, [
        t.shape,
      ]);
    }
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const size of sizes) {
    out.push(slice(t, a, start, start + size));
    start += size;
  }
  return out;
}

export function chunk(t: Tensor, chunks: number, axis = 0): Tensor[] {
  const a = normalizeAxis('chunk', axis, t.ndim);
  return split(t, Math.ceil(t.shape[a]! / chunks), a);
}

/** Concatenates along an existing axis. */
export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ArgumentError('cat', 'needs at least one tensor');
  const first = tensors[0]!;
  if (tensors.some((t) => t.ndim === 0))
    throw new ShapeError(
      'cat',
      '0-d tensors cannot be concatenated (use stack)',
      tensors.map((x) => x.shape),
    );
  const a = normalizeAxis('cat', axis, first.ndim);
  const backend = sameBackend('cat', ...tensors);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(
        'cat',
        `all tensors must match except along axis ${a}`,
        tensors.map((x) => x.shape),
      );
    }
    if (t.dtype !== first.dtype)
      throw new DTypeError(
        'cat',
        'all tensors must have one dtype (cast first)',
        tensors.map((x) => x.dtype),
      );
  }
  const shape = [...first.shape];
  shape[a] = tensors.reduce((acc, t) => acc + t.shape[a]!, 0);
  const out = empty(shape, first.dtype, backend);
  const outStrides = contiguousStrides(shape);
  let start = 0;
  for (const t of tensors) {
    const len = t.shape[a]!;
    if (len > 0) {
      backend.assign({ data: out.data, offset: start * outStrides[a]!, strides: outStrides }, strided(t), t.shape);
    }
    start += len;
  }
  if (needsGrad(...tensors)) {
    attach(out, 'cat', tensors, (g) => {
      let s = 0;
      return tensors.map((t) => {
        const part = slice(g, a, s, s + t.shape[a]!);
        s += t.shape[a]!;
        return t.requiresGrad ? part : null;
      });
    });
  }
  return out;
}

/** Stacks tensors of one shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ArgumentError('stack', 'needs at least one tensor');
  const first = tensors[0]!;
  for (const t of tensors) {
    if (!shapesEqual(t.shape, first.shape))
      throw new ShapeError(
        'stack',
        'all tensors must have the same shape',
        tensors.map((x) => x.shape),
      );
  }
  const a = normalizeAxis('stack', axis, first.ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}

/** The single value of a one-element tensor. */
export function item(t: Tensor): number {
  if (t.size !== 1) throw new ShapeError('item', `needs a tensor with exactly one element, got ${t.size}`, [t.shape]);
  return t.data[t.offset]!;
}
