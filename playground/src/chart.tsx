/** A small SVG line chart (loss curves): lines over a shared x range, y axis from the data. */
import type { JSX } from 'preact';

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const W = 640;
const H = 260;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

export function LineChart({
  series,
  xLabel,
  yLabel,
}: {
  series: Series[];
  xLabel: string;
  yLabel: string;
}): JSX.Element {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const x1 = Math.max(1, ...all.map(([x]) => x));
  const ys = all.map(([, y]) => y);
  const y0 = ys.length > 0 ? Math.min(...ys) : 0;
  const y1 = ys.length > 0 ? Math.max(...ys) : 1;
  const span = y1 - y0 || 1;
  const sx = (x: number): number => PAD.left + (x / x1) * (W - PAD.left - PAD.right);
  const sy = (y: number): number => PAD.top + (1 - (y - y0) / span) * (H - PAD.top - PAD.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => y0 + f * span);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${yLabel} against ${xLabel}`}>
      {ticks.map((t) => (
        <g>
          <line x1={PAD.left} x2={W - PAD.right} y1={sy(t)} y2={sy(t)} class="grid" />
          <text x={PAD.left - 4} y={sy(t) + 4} text-anchor="end">
            {t.toFixed(2)}
          </text>
        </g>
      ))}
      <text x={W / 2} y={H - 4} text-anchor="middle">
        {xLabel} (0–{x1})
      </text>
      {series.map((s) => (
        <polyline
          fill="none"
          stroke={s.color}
          stroke-width="2"
          points={s.points
            .filter(([, y]) => Number.isFinite(y))
            .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
            .join(' ')}
        />
      ))}
      {series.map((s, i) => (
        <text x={W - PAD.right - 4} y={PAD.top + 14 + i * 16} text-anchor="end" fill={s.color}>
          {s.name}
        </text>
      ))}
    </svg>
  );
}
