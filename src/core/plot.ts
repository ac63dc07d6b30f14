/**
 * Charts as standalone SVG strings, rendered headless by Vega-Lite (no browser, no canvas):
 * line charts for loss curves and metrics, bar charts for reports. Training writes them into
 * run directories; the lab and data reports embed them in HTML/Markdown.
 *
 * Made to be read as figures: legend and axis labels are never truncated (long ones wrap onto
 * several lines), several series are told apart by dash pattern as well as colour (so a line
 * drawn on top of another stays visible at its ends and the legend says which is which), and
 * the text uses FONT_STACK, which names CJK-capable fonts so Chinese labels render where one of
 * them is installed (Debian: fonts-noto-cjk); without any, viewers fall back to their own
 * sans-serif, and Chinese shows as boxes only if that font has no CJK glyphs either.
 * Optional spread: error bars on line points (`errors`) and on bars (`error`), and the
 * individual values behind a bar (`values`, e.g. one per seed) as dots.
 */
import type { TopLevelSpec } from 'vega-lite';

/** The SVG font stack: Latin first, then CJK-capable families, then the generic fallback. */
export const FONT_STACK =
  '"DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei", sans-serif';

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** ± half-width of an error bar at each point (same order as `points`; 0 or NaN: none). */
  errors?: readonly number[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logY?: boolean;
  logX?: boolean;
  width?: number;
  height?: number;
  /** Draw points as well as lines (few points). */
  points?: boolean;
}

export interface Bar {
  label: string;
  value: number;
  group?: string;
  /** ± half-width of an error bar (e.g. one standard error). */
  error?: number;
  /** The individual values the bar summarizes (e.g. one per seed), drawn as dots. */
  values?: readonly number[];
}

export interface BarChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  bars: readonly Bar[];
  width?: number;
  height?: number;
  /** Horizontal bars (long labels). */
  horizontal?: boolean;
}

/** Breaks a label into lines of at most `width` characters at spaces (never cuts a word). */
export function wrapLabel(label: string, width = 34): string {
  const lines: string[] = [];
  for (const paragraph of label.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line.length > 0 && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line.length > 0 ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** Multi-line labels: the data carries '\n', the label expression splits it into tspans. */
const MULTILINE = "split(datum.label, '\\n')";

const CONFIG = {
  font: FONT_STACK,
  legend: { labelLimit: 0, symbolStrokeWidth: 2 },
  axis: { labelLimit: 0 },
  title: { limit: 0 },
};

async function render(spec: TopLevelSpec): Promise<string> {
  // loaded on first use: vega and vega-lite take ~250 ms to import, and most commands draw nothing
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

function finite(v: number): boolean {
  return Number.isFinite(v);
}

/**
 * Pairs of series that lie on top of each other: same x values, and |y_a − y_b| at most
 * `tolerance` × the chart's y range at every shared x. Use it to say so in a caption.
 */
export function overlappingSeries(
  series: readonly Series[],
  tolerance = 0.005,
): { a: string; b: string; maxDiff: number }[] {
  const ys = series.flatMap((s) => s.points.map((p) => p[1]).filter(finite));
  const range = ys.length > 0 ? Math.max(...ys) - Math.min(...ys) : 0;
  const out: { a: string; b: string; maxDiff: number }[] = [];
  for (let i = 0; i < series.length; i++) {
    for (let j = i + 1; j < series.length; j++) {
      const bx = new Map(series[j]!.points.map((p) => [p[0], p[1]]));
      let shared = 0;
      let maxDiff = 0;
      for (const [x, y] of series[i]!.points) {
        const other = bx.get(x);
        if (other === undefined || !finite(y) || !finite(other)) continue;
        shared++;
        maxDiff = Math.max(maxDiff, Math.abs(y - other));
      }
      if (shared >= 2 && shared >= 0.8 * Math.min(series[i]!.points.length, series[j]!.points.length)) {
        if (maxDiff <= tolerance * Math.max(range, 1e-300))
          out.push({ a: series[i]!.name, b: series[j]!.name, maxDiff });
      }
    }
  }
  return out;
}

export async function lineChartSvg(o: LineChartOptions): Promise<string> {
  const ok = (x: number, y: number): boolean => finite(x) && finite(y) && (!o.logY || y > 0) && (!o.logX || x > 0);
  const names = o.series.map((s) => wrapLabel(s.name));
  const values = o.series.flatMap((s, i) =>
    s.points.filter(([x, y]) => ok(x, y)).map(([x, y]) => ({ x, y, series: names[i]! })),
  );
  const bars = o.series.flatMap((s, i) =>
    s.points.flatMap(([x, y], k) => {
      const e = s.errors?.[k];
      if (e === undefined || !finite(e) || e <= 0 || !ok(x, y)) return [];
      const lo = o.logY ? Math.max(y - e, y / 1e3) : y - e;
      return [{ x, lo, hi: y + e, series: names[i]! }];
    }),
  );
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: o.xLabel,
    ...(o.logX ? { scale: { type: 'log' as const } } : {}),
  };
  const yScale = o.logY ? { type: 'log' as const } : { zero: false };
  const legend = { labelExpr: MULTILINE };
  const color = { field: 'series', type: 'nominal' as const, title: null, sort: names, legend };
  const distinguish = o.series.length > 1;
  const line = {
    data: { values },
    mark: { type: 'line' as const, point: o.points ?? false, interpolate: 'linear' as const, strokeWidth: 2 },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative' as const, title: o.yLabel, scale: yScale },
      color,
      ...(distinguish
        ? { strokeDash: { field: 'series', type: 'nominal' as const, title: null, sort: names, legend } }
        : {}),
    },
  };
  const errorLayer = {
    data: { values: bars },
    mark: { type: 'rule' as const, strokeWidth: 1.5 },
    encoding: {
      x,
      y: { field: 'lo', type: 'quantitative' as const, scale: yScale, title: o.yLabel },
      y2: { field: 'hi' },
      color,
    },
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 560,
    height: o.height ?? 320,
    background: 'white',
    config: CONFIG,
    layer: bars.length > 0 ? [line, errorLayer] : [line],
  } as unknown as TopLevelSpec;
  return render(spec);
}

export async function barChartSvg(o: BarChartOptions): Promise<string> {
  const grouped = o.bars.some((b) => b.group !== undefined);
  const values = o.bars.map((b) => ({
    label: wrapLabel(b.label, 28),
    value: b.value,
    group: wrapLabel(b.group ?? ''),
    lo: b.error !== undefined && finite(b.error) ? b.value - b.error : null,
    hi: b.error !== undefined && finite(b.error) ? b.value + b.error : null,
  }));
  const dots = o.bars.flatMap((b) =>
    (b.values ?? []).filter(finite).map((v) => ({ label: wrapLabel(b.label, 28), group: wrapLabel(b.group ?? ''), v })),
  );
  const labelOrder = [...new Set(values.map((v) => v.label))];
  const labelAxis = {
    field: 'label',
    type: 'nominal' as const,
    title: o.xLabel,
    sort: labelOrder,
    axis: { labelExpr: MULTILINE, ...(o.horizontal ? {} : { labelAngle: 0 }) },
  };
  const valueAxis = { field: 'value', type: 'quantitative' as const, title: o.yLabel };
  const offset = grouped ? { [o.horizontal ? 'yOffset' : 'xOffset']: { field: 'group' } } : {};
  const groupColor = grouped
    ? { color: { field: 'group', type: 'nominal' as const, title: null, legend: { labelExpr: MULTILINE } } }
    : {};
  const place = (valueField: object): object =>
    o.horizontal ? { y: labelAxis, x: valueField } : { x: labelAxis, y: valueField };
  const layers: object[] = [
    { data: { values }, mark: 'bar', encoding: { ...place(valueAxis), ...groupColor, ...offset } },
  ];
  const withError = values.filter((v) => v.lo !== null);
  if (withError.length > 0) {
    const lo = { field: 'lo', type: 'quantitative' as const, title: o.yLabel };
    layers.push({
      data: { values: withError },
      mark: { type: 'rule', color: 'black', strokeWidth: 1.5 },
      encoding: { ...place(lo), [o.horizontal ? 'x2' : 'y2']: { field: 'hi' }, ...offset },
    });
  }
  if (dots.length > 0) {
    const v = { field: 'v', type: 'quantitative' as const, title: o.yLabel };
    layers.push({
      data: { values: dots },
      mark: { type: 'point', color: 'black', filled: true, size: 18, opacity: 0.7 },
      encoding: { ...place(v), ...offset },
    });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 560,
    height: o.height ?? 320,
    background: 'white',
    config: CONFIG,
    layer: layers,
  } as unknown as TopLevelSpec;
  return render(spec);
}
