/**
 * Row helpers over batch-major score matrices ([B, V] Float32Array): softmax,
 * log-softmax, argmax, k-th largest, sorted orders. Arithmetic is done in float64
 * and stored back as float32 (Hugging Face casts logits to fp32 before processing).
 */

/** A view of row b of a [B, V] matrix. */
export function row(scores: Float32Array, b: number, vocabSize: number): Float32Array {
  return scores.subarray(b * vocabSize, (b + 1) * vocabSize);
}

/** max over a row; -Infinity for an all -inf row, NaN if any entry is NaN. */
export function rowMax(r: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < r.length; i++) {
    const x = r[i]!;
    if (Number.isNaN(x)) return NaN;
    if (x > m) m = x;
  }
  return m;
}

/**
 * softmax of a row into a Float64Array. An all -inf row gives all zeros (no
 * candidate), and +Infinity entries share the mass equally (the limit of
 * temperature -> 0 when several logits overflow).
 */
export function softmax(r: ArrayLike<number>): Float64Array {
  const n = r.length;
  const out = new Float64Array(n);
  const m = rowMax(r);
  if (m === -Infinity || Number.isNaN(m)) return out;
  if (m === Infinity) {
    let count = 0;
    for (let i = 0; i < n; i++) if (r[i] === Infinity) count++;
    for (let i = 0; i < n; i++) out[i] = r[i] === Infinity ? 1 / count : 0;
    return out;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(r[i]! - m);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i] = out[i]! / sum;
  return out;
}

/** log-softmax of a row into a Float64Array (-Infinity stays -Infinity; an all -inf row stays all -inf). */
export function logSoftmax(r: ArrayLike<number>): Float64Array {
  const n = r.length;
  const out = new Float64Array(n);
  const m = rowMax(r);
  if (m === -Infinity || Number.isNaN(m) || m === Infinity) {
    const p = softmax(r);
    for (let i = 0; i < n; i++) out[i] = Math.log(p[i]!);
    return out;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(r[i]! - m);
  const lse = m + Math.log(sum);
  for (let i = 0; i < n; i++) out[i] = r[i]! - lse;
  return out;
}

/** Index of the largest entry; ties go to the lowest index (torch.argmax). An all -inf row gives 0. */
export function argmax(r: ArrayLike<number>): number {
  let best = 0;
  let bestValue = r[0]!;
  for (let i = 1; i < r.length; i++) {
    const x = r[i]!;
    if (x > bestValue || (Number.isNaN(x) && !Number.isNaN(bestValue))) {
      best = i;
      bestValue = x;
    }
  }
  return best;
}

/**
 * The k-th largest value of a row (k >= 1, clamped to the row length):
 * torch.topk(r, k).values[-1]. Quickselect on a copy, O(V) on average; NaN counts as
 * larger than everything, as in torch.topk.
 */
export function kthLargest(r: ArrayLike<number>, k: number): number {
  const n = r.length;
  const kk = Math.min(Math.max(k, 1), n);
  if (kk <= 64) return r[topkIndices(r, kk)[kk - 1]!]!;
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Number.isNaN(r[i]!) ? Infinity : r[i]!;
  // select the element of ascending rank n - kk
  const target = n - kk;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target]!;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value -> uint32 whose unsigned order is the numeric order (NaN sorts above +inf). */
function orderedBits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  return b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

/**
 * Indices of a row ordered by value (as float32). Ties are ordered by index, so
 * `ascending` puts the lower id first among equals (a stable sort) and descending
 * puts the lower id first as well. Implemented as one native Float64Array sort of
 * keys that pack the value's ordered bits above the index (exact below 2^53).
 */
export function argsort(values: ArrayLike<number>, descending: boolean): Int32Array {
  const n = values.length;
  const shift = 2 ** Math.max(1, Math.ceil(Math.log2(n + 1)));
  if (shift > 2 ** 21) return argsortSlow(values, descending);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = orderedBits(values[i]!);
    keys[i] = (descending ? 0xffffffff - k : k) * shift + i;
  }
  keys.sort();
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = keys[i]! % shift;
  return out;
}

function argsortSlow(values: ArrayLike<number>, descending: boolean): Int32Array {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => {
    const va = Math.fround(values[a]!);
    const vb = Math.fround(values[b]!);
    if (va === vb) return a - b;
    return descending ? (va < vb ? 1 : -1) : va < vb ? -1 : 1;
  });
  return Int32Array.from(idx);
}

/** log softmax(r)[t], without materializing the whole row. */
export function logProbAt(r: ArrayLike<number>, t: number): number {
  const m = rowMax(r);
  if (m === -Infinity || Number.isNaN(m) || m === Infinity) return logSoftmax(r)[t]!;
  let sum = 0;
  for (let i = 0; i < r.length; i++) sum += Math.exp(r[i]! - m);
  return r[t]! - m - Math.log(sum);
}

/**
 * Indices of the k largest values, best first; ties go to the lower index (a
 * deterministic stand-in for torch.topk). O(n) for typical inputs: a value only
 * enters the sorted buffer when it beats the current k-th.
 */
export function topkIndices(values: ArrayLike<number>, k: number): Int32Array {
  const n = values.length;
  const kk = Math.max(0, Math.min(k, n));
  const idx = new Int32Array(kk);
  const val = new Float64Array(kk);
  let filled = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    // strictly better than the current last (ties keep the earlier, lower index)
    if (filled === kk && !(x > val[kk - 1]!)) continue;
    let j = filled < kk ? filled++ : kk - 1;
    while (j > 0 && x > val[j - 1]!) {
      val[j] = val[j - 1]!;
      idx[j] = idx[j - 1]!;
      j--;
    }
    val[j] = x;
    idx[j] = i;
  }
  return idx;
}
