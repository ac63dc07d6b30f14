/**
 * Charts read as figures (src/core/plot.ts): long legend and axis labels wrap instead of being
 * cut, the font stack names CJK-capable fonts, coinciding series are found for the caption,
 * and spread (error bars, per-seed dots) is drawn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChartSvg, FONT_STACK, lineChartSvg, overlappingSeries, wrapLabel } from '../../src/core/plot.ts';
import { withOverlaps } from '../../src/lab/caption.ts';

test('wrapLabel breaks at spaces, never inside a word, and keeps every word', () => {
  const label = 'BatchNorm, batch 16 full rows (control) with a deliberately long legend entry';
  const wrapped = wrapLabel(label, 20);
  for (const line of wrapped.split('\n')) assert.ok(line.length <= 20 || !line.includes(' '), line);
  assert.equal(wrapped.replace(/\n/g, ' '), label);
  assert.equal(wrapLabel('short'), 'short');
});

test('overlappingSeries finds lines drawn on top of each other, and the caption says so', () => {
  const a = {
    name: 'measured',
    points: [
      [0, 1],
      [1, 2],
      [2, 3],
    ] as [number, number][],
  };
  const b = {
    name: 'formula',
    points: [
      [0, 1],
      [1, 2.0001],
      [2, 3],
    ] as [number, number][],
  };
  const c = {
    name: 'other',
    points: [
      [0, 3],
      [1, 1],
      [2, 2],
    ] as [number, number][],
  };
  const pairs = overlappingSeries([a, b, c]);
  assert.deepEqual(
    pairs.map((p) => [p.a, p.b]),
    [['measured', 'formula']],
  );
  assert.match(withOverlaps('Caption.', [a, b, c]), /"formula" lies on top of "measured"/);
  assert.equal(withOverlaps('Caption.', [a, c]), 'Caption.');
});

test('line and bar charts keep full legends, name CJK fonts and draw the spread', async () => {
  const long = 'BatchNorm at batch size 16 with full rows (the control regime)';
  const svg = await lineChartSvg({
    title: '中文标题 loss',
    xLabel: 'step',
    yLabel: 'loss',
    series: [
      {
        name: long,
        points: [
          [0, 3],
          [1, 2],
          [2, 1.5],
        ],
        errors: [0.1, 0.1, 0.1],
      },
      {
        name: 'batch 1',
        points: [
          [0, 3],
          [1, 2.5],
          [2, 2.2],
        ],
      },
    ],
  });
  assert.ok(svg.startsWith('<svg'));
  // every word of the long legend entry is in the SVG (wrapped over lines, not truncated with an ellipsis)
  for (const word of long.split(' ')) assert.ok(svg.includes(word), word);
  assert.ok(!svg.includes('…'), 'no truncated label');
  assert.ok(svg.includes('中文标题'));
  assert.ok(FONT_STACK.includes('Noto Sans CJK SC') && svg.includes('Noto Sans CJK SC'), 'CJK font in the stack');
  const bars = await barChartSvg({
    title: 'bars',
    xLabel: 'model',
    yLabel: 'loss',
    bars: [
      { label: 'four heads', value: 2, error: 0.1, values: [1.9, 2, 2.1] },
      { label: 'one head', value: 2.2, error: 0.05, values: [2.15, 2.2, 2.25] },
    ],
  });
  // three seeds per bar: six dots (vega renders points as paths with a "mark-symbol" role)
  const symbols = bars.match(/role-mark[^"]*mark-symbol|mark-symbol/g) ?? [];
  assert.ok(symbols.length >= 1, 'a symbol layer for the per-seed dots');
  assert.ok(/mark-rule/.test(bars), 'an error-bar (rule) layer');
});
