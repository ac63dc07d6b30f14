/**
 * The charts of an online RL run (PPO, GRPO), from its metrics.jsonl: reward (learned) and
 * gold reward, KL to the reference and the coefficient, PPO health (approx-KL, clip
 * fraction, value loss, explained variance), and length / EOS rate.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.ts';
import { lineChartSvg } from '../../core/plot.ts';
import type { MetricRecord } from '../../train/metrics.ts';
import { seriesOf } from '../../train/metrics.ts';

interface Chart {
  file: string;
  title: string;
  yLabel: string;
  series: [name: string, key: string, kind: string][];
}

const CHARTS: Chart[] = [
  {
    file: 'reward.svg',
    title: 'Reward: learned (RM) and gold',
    yLabel: 'reward',
    series: [
      ['RM score (train)', 'reward', 'train'],
      ['gold (train)', 'gold', 'train'],
      ['RM score (eval)', 'reward', 'eval'],
      ['gold (eval)', 'gold', 'eval'],
    ],
  },
  {
    file: 'kl.svg',
    title: 'KL to the reference (sum over tokens)',
    yLabel: 'nats',
    series: [
      ['KL (train)', 'kl', 'train'],
      ['KL (eval)', 'kl', 'eval'],
      ['beta x 100', 'kl_coef_x100', 'train'],
    ],
  },
  {
    file: 'ppo.svg',
    title: 'Policy update',
    yLabel: 'value',
    series: [
      ['approx KL x 100', 'approx_kl_x100', 'train'],
      ['clip fraction', 'clip_frac', 'train'],
      ['entropy', 'entropy', 'train'],
      ['explained variance', 'explained_variance', 'train'],
    ],
  },
  { file: 'value.svg', title: 'Value loss', yLabel: 'loss', series: [['value loss', 'value_loss', 'train']] },
  {
    file: 'length.svg',
    title: 'Responses',
    yLabel: 'tokens / rate',
    series: [
      ['length (tokens)', 'response_length', 'train'],
      ['EOS rate x 10', 'eos_rate_x10', 'train'],
    ],
  },
];

function scaled(records: readonly MetricRecord[]): MetricRecord[] {
  return records.map((r) => {
    const out: MetricRecord = { ...r };
    for (const [key, factor] of [
      ['kl_coef', 100],
      ['approx_kl', 100],
      ['eos_rate', 10],
    ] as const) {
      const v = r[key];
      if (typeof v === 'number') out[`${key}_x${factor}`] = v * factor;
    }
    return out;
  });
}

export async function writeRlPlots(runDir: string, records: readonly MetricRecord[]): Promise<string[]> {
  const rs = scaled(records);
  const written: string[] = [];
  for (const c of CHARTS) {
    const series = c.series
      .map(([name, key, kind]) => ({ name, points: seriesOf(rs, key, kind) }))
      .filter((s) => s.points.length > 0);
    if (series.length === 0) continue;
    writeFileAtomic(
      join(runDir, c.file),
      await lineChartSvg({
        title: c.title,
        xLabel: 'step',
        yLabel: c.yLabel,
        series,
        points: series.some((s) => s.points.length < 30),
      }),
    );
    written.push(c.file);
  }
  return written;
}
