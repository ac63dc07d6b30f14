/**
 * Positions: how a transformer is told where a token is, drawn from llmts's own tables
 * (src/nn/positional.ts through the browser build): the sinusoidal table (Vaswani et al.),
 * RoPE's rotation angle per dimension pair (each pair of a query/key turns by pos · θ_i), and
 * ALiBi's additive attention bias per head (-slope_h · distance).
 */
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { llmts } from '../llmts.ts';

interface Tables {
  sinusoidal: Float32Array; // [T, D]
  ropeCos: Float32Array; // [T, D/2]: cos(pos · θ_i)
  inv: Float64Array; // θ_i
  slopes: number[];
}

const T = 64;
const D = 64;
const HEADS = 8;

export function PositionsPage(): JSX.Element {
  const [t, setT] = useState<Tables | null>(null);
  const [theta, setTheta] = useState(10000);
  const [head, setHead] = useState(0);

  useEffect(() => {
    let live = true;
    void llmts().then((L) => {
      const backend = L.getDefaultBackend();
      const sinusoidal = L.nn.sinusoidalTable(T, D, backend, 'float32', theta).toTypedArray() as Float32Array;
      const inv = L.nn.ropeInverseFrequencies(D, theta);
      const ropeCos = new Float32Array(T * (D / 2));
      for (let pos = 0; pos < T; pos++)
        for (let i = 0; i < D / 2; i++) ropeCos[pos * (D / 2) + i] = Math.cos(pos * inv[i]!);
      if (live) setT({ sinusoidal, ropeCos, inv, slopes: L.nn.alibiSlopes(HEADS) });
    });
    return () => {
      live = false;
    };
  }, [theta]);

  const slope = t?.slopes[head] ?? 0;
  return (
    <main data-page="positions" data-ready={t !== null ? 'true' : undefined}>
      <h1>Positions</h1>
      <p class="lead">
        Three ways to tell attention where tokens are, for {T} positions and a width of {D}. Blue is negative, red
        positive.
      </p>
      <label for="pos-theta">
        base (θ) <output for="pos-theta">{theta}</output>
      </label>
      <input
        id="pos-theta"
        type="range"
        min={100}
        max={100000}
        step={100}
        value={theta}
        onInput={(e) => setTheta(Number(e.currentTarget.value))}
      />
      {t !== null && (
        <div class="heads">
          <Panel
            title="Sinusoidal: PE[pos, dim]"
            note="added to the embeddings; even dims sin, odd dims cos, slower waves to the right"
            rows={T}
            cols={D}
            values={t.sinusoidal}
            range={1}
            xLabel="dimension"
          />
          <Panel
            title="RoPE: cos(pos · θ_i) per pair i"
            note={`each (q, k) pair i turns by pos · θ_i; θ_0 = ${t.inv[0]!.toPrecision(3)}, θ_${D / 2 - 1} = ${t.inv[D / 2 - 1]!.toPrecision(3)}`}
            rows={T}
            cols={D / 2}
            values={t.ropeCos}
            range={1}
            xLabel="pair"
          />
          <figure class="heat">
            <figcaption>
              ALiBi: bias of head{' '}
              <select aria-label="ALiBi head" value={head} onChange={(e) => setHead(Number(e.currentTarget.value))}>
                {t.slopes.map((s, h) => (
                  <option value={h}>
                    {h} (slope {s.toPrecision(3)})
                  </option>
                ))}
              </select>
            </figcaption>
            <Grid
              rows={T}
              cols={T}
              value={(i, j) => (j > i ? null : -slope * (i - j))}
              range={slope * (T - 1)}
              label={`ALiBi bias of head ${head}: -${slope.toPrecision(3)} x distance`}
            />
            <p class="note">added to the attention scores: −slope × (query − key); no position in the embeddings</p>
          </figure>
        </div>
      )}
    </main>
  );
}

function Panel(props: {
  title: string;
  note: string;
  rows: number;
  cols: number;
  values: ArrayLike<number>;
  range: number;
  xLabel: string;
}): JSX.Element {
  return (
    <figure class="heat">
      <figcaption>{props.title}</figcaption>
      <Grid
        rows={props.rows}
        cols={props.cols}
        value={(i, j) => props.values[i * props.cols + j] ?? 0}
        range={props.range}
        label={`${props.title}: rows are positions, columns ${props.xLabel}s`}
      />
      <p class="note">
        rows: position 0–{props.rows - 1}; columns: {props.xLabel}; {props.note}
      </p>
    </figure>
  );
}

/** A canvas heatmap: blue below zero, red above, white at zero; null cells are left blank. */
function Grid(props: {
  rows: number;
  cols: number;
  value: (i: number, j: number) => number | null;
  range: number;
  label: string;
}): JSX.Element {
  const cell = Math.max(2, Math.floor(256 / Math.max(props.rows, props.cols)));
  const draw = (canvas: HTMLCanvasElement | null): void => {
    const ctx = canvas?.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, props.cols * cell, props.rows * cell);
    for (let i = 0; i < props.rows; i++)
      for (let j = 0; j < props.cols; j++) {
        const v = props.value(i, j);
        if (v === null) continue;
        const a = Math.min(1, Math.abs(v) / (props.range || 1));
        ctx.fillStyle = v < 0 ? `rgba(40, 80, 200, ${a})` : `rgba(210, 50, 50, ${a})`;
        ctx.fillRect(j * cell, i * cell, cell, cell);
      }
  };
  return <canvas ref={draw} width={props.cols * cell} height={props.rows * cell} role="img" aria-label={props.label} />;
}
