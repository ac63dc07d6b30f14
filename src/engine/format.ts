/** Printing tensors, PyTorch style: tensor([[1.0000, 2.0000], ...], dtype=float32). */
import type { Tensor } from './tensor.ts';

export function formatTensor(t: Tensor, maxPerDim = 6): string {
  if (t.storage.disposed) return `Tensor(<released>, shape=[${t.shape.join(', ')}], dtype=${t.dtype})`;
  const values = t.toArray();
  const isFloat = t.dtype === 'float32' || t.dtype === 'float64';
  // 4 decimals as torch prints them; scientific for very small or large magnitudes
  const fmtFloat = (v: number): string => {
    const a = Math.abs(v);
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v) && a < 1e6) return v.toFixed(1);
    return a >= 1e-4 && a < 1e6 ? v.toFixed(4) : v.toExponential(4);
  };
  const fmt = (v: number): string => (isFloat ? fmtFloat(v) : String(v));
  const build = (dim: number, start: number): string => {
    if (t.ndim === 0) return fmt(values[0]!);
    const n = t.shape[dim]!;
    const step = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const items: string[] = [];
    const show = n > maxPerDim ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
    for (const i of show) {
      if (i === -1) items.push('...');
      else items.push(dim === t.ndim - 1 ? fmt(values[start + i * step]!) : build(dim + 1, start + i * step));
    }
    return `[${items.join(dim === t.ndim - 1 ? ', ' : ',\n' + ' '.repeat(8 + dim))}]`;
  };
  const grad = t.gradFn ? `, grad_fn=${t.gradFn.name}` : t.requiresGrad ? ', requires_grad=true' : '';
  return `tensor(${build(0, 0)}, dtype=${t.dtype}${grad})`;
}
