/**
 * Small dense linear algebra in float64 for measurements (the engine has no SVD): singular
 * values by one-sided Jacobi (accurate to ~1e-15 relative, fine for the n <= 256 matrices the
 * lab looks at), numerical and effective rank. Matrices are row-major Float64Array [m, n].
 */
import { ArgumentError } from '../core/errors.ts';

/** Singular values of a row-major [m, n] matrix, descending. */
export function singularValues(a: ArrayLike<number>, m: number, n: number): Float64Array {
  if (a.length !== m * n)
    throw new ArgumentError('singularValues', `expected ${m * n} entries for [${m}, ${n}], got ${a.length}`);
  // one-sided Jacobi on the columns of A (transpose first when m < n so columns are the long side)
  const tall = m >= n;
  const rows = tall ? m : n;
  const cols = tall ? n : m;
  // column-major copy: col j is u[j * rows .. (j + 1) * rows)
  const u = new Float64Array(rows * cols);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = a[i * n + j]!;
      if (tall) u[j * rows + i] = v;
      else u[i * rows + j] = v;
    }
  }
  const eps = 1e-15;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const op = p * rows;
        const oq = q * rows;
        for (let i = 0; i < rows; i++) {
          const x = u[op + i]!;
          const y = u[oq + i]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < rows; i++) {
          const x = u[op + i]!;
          const y = u[oq + i]!;
          u[op + i] = c * x - s * y;
          u[oq + i] = s * x + c * y;
        }
      }
    }
    if (off < eps) break;
  }
  const sv = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += u[j * rows + i]! ** 2;
    sv[j] = Math.sqrt(s);
  }
  return sv.sort().reverse();
}

/** Singular values above max(m, n) * sigma_max * eps (numpy's matrix_rank rule); eps of the data's precision. */
export function numericalRank(sv: ArrayLike<number>, m: number, n: number, eps = 2 ** -23): number {
  const max = sv[0] ?? 0;
  const tol = Math.max(m, n) * max * eps;
  let r = 0;
  for (let i = 0; i < sv.length; i++) if (sv[i]! > tol) r++;
  return r;
}

/** Roy & Vetterli's effective rank: exp of the entropy of the normalized singular values. */
export function effectiveRank(sv: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < sv.length; i++) total += sv[i]!;
  if (total === 0) return 0;
  let h = 0;
  for (let i = 0; i < sv.length; i++) {
    const p = sv[i]! / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** How many singular values it takes to hold `fraction` of the squared Frobenius norm (energy). */
export function energyRank(sv: ArrayLike<number>, fraction = 0.99): number {
  let total = 0;
  for (let i = 0; i < sv.length; i++) total += sv[i]! ** 2;
  let acc = 0;
  for (let i = 0; i < sv.length; i++) {
    acc += sv[i]! ** 2;
    if (acc >= fraction * total) return i + 1;
  }
  return sv.length;
}

/** C = A [m, k] x B [k, n], row-major float64. */
export function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p]!;
      if (x === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j]! += x * b[p * n + j]!;
    }
  }
  return c;
}

/**
 * Solves (A + ridge·I) X = B for a symmetric positive (semi)definite A [n, n] and B [n, k] by
 * Cholesky, float64 row-major. Used for least-squares probes: A = XᵀX, B = XᵀY.
 */
export function solveSpd(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, ridge = 0): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]! + (i === j ? ridge : 0);
      for (let p = 0; p < j; p++) s -= l[i * n + p]! * l[j * n + p]!;
      if (i === j) {
        if (!(s > 0))
          throw new ArgumentError(
            'solveSpd',
            `matrix is not positive definite at row ${i} (pivot ${s}); raise the ridge`,
          );
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * k + c]!;
      for (let p = 0; p < i; p++) s -= l[i * n + p]! * x[p * k + c]!;
      x[i * k + c] = s / l[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * k + c]!;
      for (let p = i + 1; p < n; p++) s -= l[p * n + i]! * x[p * k + c]!;
      x[i * k + c] = s / l[i * n + i]!;
    }
  }
  return x;
}
