/**
 * Encodes a strided walk (the output shape and each operand's offset and strides) into the
 * addon's argument buffer, after collapsing it: size-1 dimensions are dropped and adjacent
 * dimensions merge when every operand steps through them as one (stride[d] =
 * stride[d+1] * shape[d+1]). A same-shape contiguous op becomes one dimension, a bias add
 * [rows, cols] + [cols] stays two with strides (0, 1) for the bias.
 *
 * Layout at args[at]: ndim, offset x3, shape x8, strides of operand 0 x8, of 1 x8, of 2 x8.
 * Returns false when more than 8 dimensions remain (the caller falls back to the reference).
 */
import type { StridedArray } from '../backend.ts';

export const MAX_DIMS = 8;

const shapeTmp = new Float64Array(64);
const strideTmp = new Float64Array(3 * 64);

export function writeWalk(
  args: Float64Array,
  at: number,
  shape: readonly number[],
  ops: readonly StridedArray[],
): boolean {
  const nops = ops.length;
  // collapse from the innermost dimension outward into shapeTmp / strideTmp (reversed)
  let nd = 0;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    if (size === 1) continue;
    if (nd > 0) {
      const cur = nd - 1;
      let mergeable = true;
      for (let o = 0; o < nops; o++) {
        if (ops[o]!.strides[d]! !== strideTmp[o * 64 + cur]! * shapeTmp[cur]!) {
          mergeable = false;
          break;
        }
      }
      if (mergeable) {
        shapeTmp[cur] = shapeTmp[cur]! * size;
        continue;
      }
    }
    if (nd === 64) return false;
    shapeTmp[nd] = size;
    for (let o = 0; o < nops; o++) strideTmp[o * 64 + nd] = ops[o]!.strides[d]!;
    nd++;
  }
  if (nd > MAX_DIMS) return false;
  if (nd === 0) {
    // every dimension is 1 (or a 0-d tensor): one element
    shapeTmp[0] = 1;
    for (let o = 0; o < nops; o++) strideTmp[o * 64] = 0;
    nd = 1;
  }
  args[at] = nd;
  for (let o = 0; o < 3; o++) args[at + 1 + o] = o < nops ? ops[o]!.offset : 0;
  for (let i = 0; i < nd; i++) {
    const src = nd - 1 - i;
    args[at + 4 + i] = shapeTmp[src]!;
    for (let o = 0; o < nops; o++) args[at + 12 + 8 * o + i] = strideTmp[o * 64 + src]!;
  }
  return true;
}
