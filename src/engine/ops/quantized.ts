/**
 * quantizedLinear(x, w, b): y = x · dequant(w)ᵀ + b with weight-only quantized weights
 * (q8_0 / q4_0, src/backends/quant.ts), for inference: it has no gradient.
 * x [..., in] float32, w [out, in] quantized, b [out] or null -> y [..., out].
 */
import type { QuantizedMatrix } from '../../backends/quant.ts';
import { AutogradError, DTypeError, ShapeError } from '../../core/errors.ts';
import { isGradEnabled } from '../grad-mode.ts';
import type { Tensor } from '../tensor.ts';
import { contiguous, reshape } from './movement.ts';
import { empty } from './util.ts';

export function quantizedLinear(x: Tensor, w: QuantizedMatrix, b: Tensor | null = null): Tensor {
  if (x.dtype !== 'float32') throw new DTypeError('quantizedLinear', `input must be float32, got ${x.dtype}`);
  const inF = w.cols;
  const outF = w.rows;
  if (x.shape[x.ndim - 1] !== inF)
    throw new ShapeError('quantizedLinear', `input's last dimension must be ${inF}`, [x.shape, [outF, inF]]);
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== outF || b.dtype !== 'float32'))
    throw new ShapeError('quantizedLinear', `bias must be float32 [${outF}]`, [b.shape]);
  if (isGradEnabled() && (x.requiresGrad || b?.requiresGrad === true))
    throw new AutogradError('quantizedLinear: quantized weights have no gradient (run inference under noGrad)');
  const x2 = contiguous(reshape(x, [-1, inF]));
  const rows = x2.shape[0]!;
  const backend = x.backend;
  const out = empty([...x.shape.slice(0, -1), outF], 'float32', backend);
  const c = out.data as Float32Array;
  if (b !== null)
    backend.assign(
      { data: c, offset: 0, strides: [outF, 1] },
      { data: b.data, offset: b.offset, strides: [0, b.strides[0]!] },
      [rows, outF],
    );
  if (rows > 0) {
    const data = x2.data as Float32Array;
    backend.quantizedMatmul({
      a: x2.offset === 0 ? data : data.subarray(x2.offset),
      lda: inF,
      m: rows,
      w,
      c,
      ldc: outF,
      accumulate: b !== null,
    });
  }
  return out;
}
