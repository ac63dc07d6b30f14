/** Plot captions that say when lines lie on top of each other (so a hidden line is not mistaken for a missing one). */
import { overlappingSeries } from '../core/plot.ts';
import type { Series } from '../core/plot.ts';
import { fmt } from './verdict.ts';

/** `caption` plus one sentence per pair of coinciding series (within 0.5% of the y range). */
export function withOverlaps(caption: string, series: readonly Series[], tolerance = 0.005): string {
  const pairs = overlappingSeries(series, tolerance);
  if (pairs.length === 0) return caption;
  const notes = pairs.map(
    (p) => `"${p.b}" lies on top of "${p.a}" (largest difference ${fmt(p.maxDiff)}; drawn dashed so both show)`,
  );
  return `${caption} ${notes.join('; ')}.`;
}
