/**
 * Rewards the online stages optimize: a learned reward model, reward functions, or both, as
 * TRL's reward_funcs and reward_weights. A reward function takes the prompt (its last user
 * message), the completion (the answer's text up to EOS) and the prompt's record (the prompts
 * JSONL line, other fields kept: an `answer` column for a verifier), and returns a number
 * (or a promise of one):
 *
 *   export default function (prompt, completion, example) { return completion.includes('42') ? 1 : 0; }
 *
 * The score of an answer is the weighted sum of its components (the reward model's
 * normalized score is one, weight 1); each component is logged as rewards/<name>.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ArgumentError, ConfigError, IOError } from '../../core/errors.ts';
import type { JsonValue } from '../../core/json.ts';
import type { ChatMessage } from '../../data/chat/template.ts';
import type { SequenceBatch } from './batch.ts';
import type { RewardScorer } from './reward-scorer.ts';
import { lastUserText } from './gold-task.ts';

export type RewardFunction = (
  prompt: string,
  completion: string,
  example: Readonly<Record<string, JsonValue>>,
) => number | Promise<number>;

export interface NamedReward {
  name: string;
  weight: number;
  fn: RewardFunction;
}

/** What an online stage scores its rollouts with: a reward model, reward functions, or both. */
export interface RewardSpec {
  /** The frozen reward model (its normalized score, weight 1), or null. */
  model: RewardScorer | null;
  functions: readonly NamedReward[];
}

export interface ScoredRollout {
  /** The weighted sum of the components, per answer. */
  total: Float32Array;
  /** Each component, per answer ("model" for the reward model's normalized score). */
  components: Record<string, Float32Array>;
  /** The reward model's raw scores, when there is one. */
  raw: Float32Array | null;
}

export function checkRewardSpec(r: RewardSpec, where: string): void {
  if (r.model === null && r.functions.length === 0)
    throw new ArgumentError(where, 'needs a reward: a reward model, reward functions, or both');
  const names = new Set<string>();
  for (const f of r.functions) {
    if (!Number.isFinite(f.weight))
      throw new ArgumentError(where, `reward ${f.name}: weight ${f.weight} is not finite`);
    if (names.has(f.name) || f.name === 'model') throw new ArgumentError(where, `two rewards are named ${f.name}`);
    names.add(f.name);
  }
}

/** Scores a rollout: rows' prompts (messages), texts and prompt records. */
export async function scoreRollout(
  r: RewardSpec,
  batch: SequenceBatch,
  prompts: readonly (readonly ChatMessage[])[],
  texts: readonly string[],
  examples: readonly Readonly<Record<string, JsonValue>>[] | null,
): Promise<ScoredRollout> {
  const B = batch.B;
  const total = new Float32Array(B);
  const components: Record<string, Float32Array> = {};
  let raw: Float32Array | null = null;
  if (r.model !== null) {
    const s = r.model.score(batch);
    raw = s.raw;
    components['model'] = s.normalized;
    for (let b = 0; b < B; b++) total[b]! += s.normalized[b]!;
  }
  for (const f of r.functions) {
    const values = await Promise.all(
      texts.map(async (t, b) => {
        const v = await f.fn(
          lastUserText(prompts[b]!),
          t,
          examples?.[b] ?? { prompt: prompts[b] as unknown as JsonValue },
        );
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new ConfigError('reward', `reward function ${f.name} returned ${String(v)} (a finite number expected)`);
        return v;
      }),
    );
    const arr = Float32Array.from(values);
    components[f.name] = arr;
    for (let b = 0; b < B; b++) total[b]! += f.weight * arr[b]!;
  }
  return { total, components, raw };
}

/** Means of each component, as rewards/<name> metrics. */
export function componentMetrics(s: ScoredRollout): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.components))
    out[`rewards/${k}`] = v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : 0;
  return out;
}

/**
 * Reward functions from a module file, by a spec `path[#export][=weight]`: the default export
 * (a function, or an array of functions), or the named export; a `rewards` array export is
 * taken whole. Works on .js/.mjs files from the compiled CLI and from the sources alike.
 */
export async function loadRewardModule(spec: string): Promise<NamedReward[]> {
  const m = /^(.*?)(?:#([A-Za-z_$][\w$]*))?(?:=([-+0-9.eE]+))?$/.exec(spec);
  const path = m?.[1] ?? spec;
  const exportName = m?.[2];
  const weight = m?.[3] !== undefined ? Number(m[3]) : 1;
  if (!Number.isFinite(weight)) throw new ArgumentError('--reward', `bad weight in ${spec}`);
  const file = resolve(path);
  if (!existsSync(file)) throw new IOError(file, 'reward module not found');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('reward', `${file}: cannot load the module: ${(err as Error).message}`);
  }
  const base = basename(file).replace(/\.[cm]?[jt]s$/, '');
  const pick = exportName !== undefined ? mod[exportName] : (mod['default'] ?? mod['rewards'] ?? mod['reward']);
  const fns = Array.isArray(pick) ? pick : [pick];
  if (fns.length === 0 || !fns.every((f) => typeof f === 'function'))
    throw new ConfigError(
      'reward',
      `${file}: ${exportName ?? 'the default export'} is not a function (prompt, completion, example) => number (or an array of them)`,
    );
  return (fns as RewardFunction[]).map((fn, i) => ({
    name: fns.length > 1 ? `${exportName ?? base}.${(fn as { name?: string }).name || i}` : (exportName ?? base),
    weight,
    fn,
  }));
}
