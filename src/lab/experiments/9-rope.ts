/**
 * Section 9, RoPE: (1) q_m·k_n after the library's applyRope depends on m - n only; (2) in a
 * whole GPT with position = 'rope', shifting every position leaves the logits unchanged (only
 * q and k are rotated, never v), unlike learned absolute positions; (3) the rotation speed of
 * each dimension pair, measured by rotating basis vectors, against θ_i = base^(-2i/d) and the
 * notes' statement that the first pairs turn slowly.
 */
import { Generator, noGrad, randn, tensor } from '../../engine/index.ts';
import type { Tensor } from '../../engine/index.ts';
import { GPT, gptPreset } from '../../models/gpt.ts';
import { applyRope, ropeTables } from '../../nn/positional.ts';
import type { RopeStyle } from '../../nn/positional.ts';
import { lineChartSvg } from '../../core/plot.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { fmt, verdictOf } from '../verdict.ts';

function positions(ps: readonly number[]): Tensor {
  return tensor(Int32Array.from(ps), { shape: [1, ps.length], dtype: 'int32' });
}

/** RoPE-rotated rows of x [1, 1, T, D] at the given positions. */
function rotate(x: Tensor, ps: readonly number[], style: RopeStyle): Float64Array {
  const D = x.shape[3]!;
  const tables = ropeTables(positions(ps), { headDim: D, style }, x.dtype as 'float32' | 'float64');
  return Float64Array.from(applyRope(x, tables, style).toTypedArray());
}

/** Max over (m, n, s) of |score(m+s, n+s) - score(m, n)| / (|q||k|): scores of random q, k rotated by the library. */
function invariance(
  D: number,
  style: RopeStyle,
  g: Generator,
  dtype: 'float32' | 'float64',
  maxPos: number,
  shifts: readonly number[],
): number {
  return noGrad(() => {
    const pairs = 64;
    const q = randn([1, 1, pairs, D], { generator: g, dtype });
    const k = randn([1, 1, pairs, D], { generator: g, dtype });
    const m = Array.from({ length: pairs }, () => g.randint(maxPos));
    const n = Array.from({ length: pairs }, () => g.randint(maxPos));
    const qd = q.toTypedArray();
    const kd = k.toTypedArray();
    const base = score(rotate(q, m, style), rotate(k, n, style), D);
    let worst = 0;
    for (const s of shifts) {
      const shifted = score(
        rotate(
          q,
          m.map((x) => x + s),
          style,
        ),
        rotate(
          k,
          n.map((x) => x + s),
          style,
        ),
        D,
      );
      for (let i = 0; i < pairs; i++) {
        let nq = 0;
        let nk = 0;
        for (let j = 0; j < D; j++) {
          nq += qd[i * D + j]! ** 2;
          nk += kd[i * D + j]! ** 2;
        }
        worst = Math.max(worst, Math.abs(shifted[i]! - base[i]!) / Math.sqrt(nq * nk));
      }
    }
    return worst;
  });
}

function score(q: Float64Array, k: Float64Array, D: number): Float64Array {
  const out = new Float64Array(q.length / D);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += q[i * D + j]! * k[i * D + j]!;
    out[i] = s;
  }
  return out;
}

/**
 * Angle per position of each pair, measured: rotate the unit vector of the pair's first dim to
 * positions 0..P and fit the slope of its unwrapped angle. Half style pairs dim i with i + D/2.
 */
export function measuredSpeeds(D: number, P: number, style: RopeStyle = 'half'): Float64Array {
  return noGrad(() => {
    const half = D / 2;
    const x = new Float64Array(half * D);
    for (let i = 0; i < half; i++) x[i * D + (style === 'half' ? i : 2 * i)] = 1;
    const speeds = new Float64Array(half);
    const angles: number[][] = Array.from({ length: half }, () => []);
    for (let p = 0; p <= P; p++) {
      const r = rotate(tensor(x, { shape: [1, 1, half, D], dtype: 'float64' }), Array(half).fill(p) as number[], style);
      for (let i = 0; i < half; i++) {
        const a = r[i * D + (style === 'half' ? i : 2 * i)]!; // cos component stays in place
        const b = r[i * D + (style === 'half' ? i + half : 2 * i + 1)]!; // sin component moves to the partner
        angles[i]!.push(Math.atan2(b, a));
      }
    }
    for (let i = 0; i < half; i++) {
      // unwrap, then least-squares slope through the origin
      const a = angles[i]!;
      let prev = a[0]!;
      let offset = 0;
      let num = 0;
      let den = 0;
      for (let p = 0; p < a.length; p++) {
        let v = a[p]! + offset;
        while (v - prev > Math.PI) {
          v -= 2 * Math.PI;
          offset -= 2 * Math.PI;
        }
        while (v - prev < -Math.PI) {
          v += 2 * Math.PI;
          offset += 2 * Math.PI;
        }
        prev = v;
        num += p * v;
        den += p * p;
      }
      speeds[i] = num / den;
    }
    return speeds;
  });
}

/** max |logits(positions + s) - logits(positions)| of a random-init GPT with the given positional scheme. */
function shiftedLogitsDiff(position: 'rope' | 'learned', T: number, shift: number, seed: number): number {
  return noGrad(() => {
    const model = new GPT(
      gptPreset('shakespeare-char', { vocabSize: 50, blockSize: 256, nLayer: 2, nHead: 4, nEmbd: 64, position }),
      { seed },
    );
    model.eval();
    const g = new Generator(seed + 7);
    const ids = tensor(
      Int32Array.from({ length: T }, () => g.randint(50)),
      { shape: [1, T], dtype: 'int32' },
    );
    const p0 = Array.from({ length: T }, (_, i) => i);
    const a = model.forward(ids, { positionIds: positions(p0) }).logits!.toTypedArray();
    const b = model.forward(ids, { positionIds: positions(p0.map((p) => p + shift)) }).logits!.toTypedArray();
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    return max;
  });
}

export const rope: Experiment = {
  name: '9-rope',
  section: 9,
  title: 'RoPE: scores depend on m−n only; V is not rotated; which pairs turn fast',
  claims: [
    {
      section: 9,
      quote: '现在做点积（在复数里相当于共轭相乘）：Score = (q·e^{imθ})·(k·e^{inθ})* = q·k*·e^{i(m−n)θ}',
      english: 'After rotating q by mθ and k by nθ, their score depends on the positions only through m − n.',
    },
    {
      section: 9,
      quote: 'RoPE 通常只作用于 Q 和 K，而不作用于 V。（最重要的一点）',
      english: 'RoPE acts on Q and K only, never on V (the most important point).',
    },
    {
      section: 9,
      quote:
        '假设 embedding 有 128 维，RoPE 是把它们两两分组进行旋转的。这 64 组旋转的“速度”（频率）是完全不同的！，前面的转的慢后面的转的快。',
      english:
        'With 128 dims RoPE rotates 64 pairs, each at a different speed; the first pairs turn slowly, the later ones fast.',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const g = new Generator(ctx.seed);
    const D = 128;
    const shifts = ctx.quick ? [1, 13, 100] : [1, 7, 13, 50, 100, 333];
    const maxPos = 64;
    const inv: Record<string, number> = {};
    for (const style of ['half', 'interleaved'] as const) {
      inv[`${style}_f64`] = invariance(D, style, g, 'float64', maxPos, shifts);
      inv[`${style}_f32`] = invariance(D, style, g, 'float32', maxPos, shifts);
    }
    const worstInv = Math.max(...Object.values(inv));

    const T = ctx.quick ? 16 : 48;
    const shift = 37;
    const ropeDiff = shiftedLogitsDiff('rope', T, shift, ctx.seed);
    const learnedDiff = shiftedLogitsDiff('learned', T, shift, ctx.seed);

    const P = ctx.quick ? 32 : 128;
    const speeds = measuredSpeeds(D, P, 'half');
    const speedsInterleaved = measuredSpeeds(D, P, 'interleaved');
    const formula = Array.from(speeds, (_, i) => Math.pow(10000, (-2 * i) / D));
    let speedErr = 0;
    for (let i = 0; i < speeds.length; i++) {
      speedErr = Math.max(
        speedErr,
        Math.abs(speeds[i]! - formula[i]!) / formula[i]!,
        Math.abs(speedsInterleaved[i]! - formula[i]!) / formula[i]!,
      );
    }
    let decreasing = 0;
    for (let i = 1; i < speeds.length; i++) if (speeds[i]! < speeds[i - 1]!) decreasing++;
    const distinct = new Set(Array.from(speeds, (s) => s.toPrecision(6))).size;
    const first = speeds[0]!;
    const last = speeds[speeds.length - 1]!;
    const firstSlower = first < last;

    const findings: Finding[] = [
      {
        statement: 'q_m·k_n depends on the positions only through m − n (to 1e-5)',
        verdict: verdictOf(worstInv < 1e-5),
        evidence: `max |score(m+s, n+s) − score(m, n)| / (|q||k|) over 64 random (q, k, m, n), shifts {${shifts.join(', ')}}, head dim ${D}: ${Object.entries(
          inv,
        )
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}`,
      },
      {
        statement:
          'only Q and K are rotated: a whole RoPE GPT is unchanged when every position shifts by the same amount',
        verdict: verdictOf(ropeDiff < 1e-4 && learnedDiff > 1e-2),
        evidence: `max |Δlogits| after shifting all ${T} positions by ${shift}: ${fmt(ropeDiff)} with position = rope, ${fmt(learnedDiff)} with learned absolute positions (control)`,
      },
      {
        statement: `${D} dims rotate as ${D / 2} pairs, each at its own frequency θ_i = 10000^(−2i/d)`,
        verdict: verdictOf(distinct === D / 2 && speedErr < 1e-5),
        evidence: `${distinct} distinct measured speeds; max relative gap to the formula ${fmt(speedErr)} (rotate-half and interleaved pairing)`,
      },
      {
        statement: 'the first pairs turn slowly and the later ones fast',
        verdict: verdictOf(firstSlower && decreasing === 0),
        evidence: `measured: pair 0 turns ${fmt(first, 4)} rad/position (wavelength ${fmt((2 * Math.PI) / first, 2)} positions), pair ${speeds.length - 1} ${fmt(last)} rad/position (wavelength ${fmt((2 * Math.PI) / last, 0)}); speed falls at ${decreasing} of ${speeds.length - 1} steps${decreasing === speeds.length - 1 ? ': the first pairs are the FAST ones' : ''}`,
      },
    ];
    const plots = [
      {
        name: 'rotation-speed',
        caption:
          'Radians per position of each of the 64 pairs (log scale), measured by rotating basis vectors with applyRope, and θ_i = 10000^(−2i/128).',
        svg: await lineChartSvg({
          title: 'RoPE rotation speed per dimension pair (d = 128)',
          xLabel: 'pair index i',
          yLabel: 'radians per position (log)',
          logY: true,
          series: [
            { name: 'measured (rotate-half)', points: Array.from(speeds, (v, i) => [i, v] as [number, number]) },
            { name: 'θ_i = 10000^(−2i/d)', points: formula.map((v, i) => [i, v] as [number, number]) },
          ],
        }),
      },
    ];
    return {
      findings,
      measured: [
        `ropeTables + applyRope (src/nn/positional.ts) on random q, k with head dim ${D}, positions < ${maxPos}, both pairings, float64 and float32 (angles are float32 as in HF)`,
        `random-init 2-layer GPTs (width 64, 4 heads) with position = rope and = learned, logits at positions 0..${T - 1} and ${shift}..${shift + T - 1}`,
        `rotation speed: unit vectors rotated to positions 0..${P}, slope of the unwrapped angle of each pair`,
      ],
      numbers: {
        invariance: inv,
        worstInvariance: worstInv,
        ropeShiftDiff: ropeDiff,
        learnedShiftDiff: learnedDiff,
        speeds: Array.from(speeds),
        formula,
        speedRelErr: speedErr,
        decreasingSteps: decreasing,
        firstPairSpeed: first,
        lastPairSpeed: last,
      },
      plots,
    };
  },
};
