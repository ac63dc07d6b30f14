/**
 * Charts as standalone SVG strings, rendered headless by Vega-Lite (no browser, no canvas):
 * line charts for loss curves and metrics, bar charts for reports. Training writes them into
 * run directories; the lab and data reports embed them in HTML/Markdown.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logY?: boolean;
  width?: number;
  height?: number;
  /** Draw points as well as lines (few points). */
  points?: boolean;
}

export interface BarChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  bars: readonly { label: string; value: number; group?: string }[];
  width?: number;
  height?: number;
  /** Horizontal bars (long labels). */
  horizontal?: boolean;
}

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

export async function lineChartSvg(o: LineChartOptions): Promise<string> {
  const values = o.series.flatMap((s) =>
    s.points
      .filter(([x, y]) => finite(x) && finite(y) && (!o.logY || y > 0))
      .map(([x, y]) => ({ x, y, series: s.name })),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 560,
    height: o.height ?? 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: o.points ?? false, interpolate: 'linear' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xLabel },
      y: { field: 'y', type: 'quantitative', title: o.yLabel, scale: o.logY ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
  return render(spec);
}

export async function barChartSvg(o: BarChartOptions): Promise<string> {
  const values = o.bars.map((b) => ({ label: b.label, value: b.value, group: b.group ?? '' }));
  const grouped = o.bars.some((b) => b.group !== undefined);
  const labelAxis = { field: 'label', type: 'nominal' as const, title: o.xLabel, sort: null };
  const valueAxis = { field: 'value', type: 'quantitative' as const, title: o.yLabel };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 560,
    height: o.height ?? 320,
    background: 'white',
    data: { values },
    mark: 'bar',
    encoding: {
      ...(o.horizontal ? { y: labelAxis, x: valueAxis } : { x: labelAxis, y: valueAxis }),
      ...(grouped
        ? {
            color: { field: 'group', type: 'nominal', title: null },
            [o.horizontal ? 'yOffset' : 'xOffset']: { field: 'group' },
          }
        : {}),
    },
  };
  return render(spec);
}
