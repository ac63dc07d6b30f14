/**
 * Small attention heatmaps as a standalone SVG (a grid of panels, white = 0, dark = max of each
 * panel), for what plot.ts's line and bar charts cannot show: which position each head reads.
 */
import { escapeHtml } from './report.ts';

export interface HeatmapPanel {
  title: string;
  /** Row-major [n, n] values >= 0. */
  data: ArrayLike<number>;
  n: number;
}

export function heatmapGridSvg(title: string, panels: readonly HeatmapPanel[], columns = 4, cell = 180): string {
  const pad = 24;
  const head = 36;
  const rows = Math.ceil(panels.length / columns);
  const width = columns * (cell + pad) + pad;
  const height = head + rows * (cell + pad + 16) + pad;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(title)}</text>`,
  );
  panels.forEach((p, i) => {
    const x0 = pad + (i % columns) * (cell + pad);
    const y0 = head + Math.floor(i / columns) * (cell + pad + 16);
    let max = 0;
    for (let k = 0; k < p.n * p.n; k++) max = Math.max(max, p.data[k]!);
    const c = cell / p.n;
    parts.push(
      `<text x="${x0 + cell / 2}" y="${y0 + 11}" text-anchor="middle" font-size="11">${escapeHtml(p.title)}</text>`,
    );
    parts.push(
      `<g transform="translate(${x0},${y0 + 16})"><rect width="${cell}" height="${cell}" fill="white" stroke="#999"/>`,
    );
    for (let r = 0; r < p.n; r++) {
      for (let s = 0; s < p.n; s++) {
        const v = max > 0 ? p.data[r * p.n + s]! / max : 0;
        if (v < 0.02) continue;
        const shade = Math.round(255 * (1 - v));
        parts.push(
          `<rect x="${(s * c).toFixed(2)}" y="${(r * c).toFixed(2)}" width="${c.toFixed(2)}" height="${c.toFixed(2)}" fill="rgb(${shade},${shade},255)"/>`,
        );
      }
    }
    parts.push('</g>');
  });
  parts.push(
    `<text x="${pad}" y="${height - 6}" font-size="10" fill="#555">rows: query position (top = first), columns: key position; darker = more attention</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}
