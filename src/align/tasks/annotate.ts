/**
 * Collecting preference data the InstructGPT way, with simulated annotators: sample K
 * answers per prompt from a policy (the SFT model), have an annotator rank them by the
 * task's gold reward with Plackett-Luce noise, and keep the ranking only. The gold values
 * are returned beside (never given to the reward model) to measure it against the truth.
 */
import { Generator } from '../../core/random.ts';
import type { GPT } from '../../models/gpt.ts';
import type { Tokenizer } from '../../tokenizers/index.ts';
import { encodePrompt } from '../../data/chat/encode.ts';
import type { ChatIds } from '../../data/chat/encode.ts';
import type { ChatMessage, ChatTemplate } from '../../data/chat/template.ts';
import type { PreferenceGroup } from '../../data/chat/dataset.ts';
import { rollout } from '../shared/rollout.ts';
import type { GoldTask } from '../shared/gold-task.ts';
import { annotateRanking } from '../shared/gold-task.ts';

export interface CollectOptions {
  prompts: readonly (readonly ChatMessage[])[];
  /** Groups collected per prompt. */
  groupsPerPrompt: number;
  /** Answers per group (K). */
  k: number;
  temperature: number;
  maxNewTokens: number;
  /** Annotator noise: 0 = ranks exactly by gold. */
  annotatorTemperature: number;
  seed: number;
}

export interface AnnotatedGroup extends PreferenceGroup {
  /** Gold reward of each answer, in the ranked order (for evaluation only). */
  gold: number[];
}

export function collectPreferences(
  policy: GPT,
  tokenizer: Tokenizer,
  template: ChatTemplate,
  ids: ChatIds,
  task: GoldTask,
  o: CollectOptions,
): AnnotatedGroup[] {
  const sampling = new Generator(o.seed);
  const annotator = new Generator(o.seed + 7919);
  const promptIds = o.prompts.map((p) => encodePrompt(tokenizer, template, p));
  const jobs: number[] = [];
  for (let r = 0; r < o.groupsPerPrompt; r++) for (let i = 0; i < o.prompts.length; i++) jobs.push(i);
  const out: AnnotatedGroup[] = [];
  const perCall = Math.max(1, Math.floor(256 / o.k));
  for (let s = 0; s < jobs.length; s += perCall) {
    const part = jobs.slice(s, s + perCall);
    const r = rollout(
      policy,
      tokenizer,
      ids,
      part.map((i) => promptIds[i]!),
      { temperature: o.temperature, maxNewTokens: o.maxNewTokens, samplesPerPrompt: o.k, generator: sampling },
    );
    part.forEach((pi, j) => {
      const prompt = o.prompts[pi]!.map((m) => ({ ...m }));
      const texts: string[] = [];
      const golds: number[] = [];
      for (let k = 0; k < o.k; k++) {
        const row = j * o.k + k;
        texts.push(r.texts[row]!);
        golds.push(task.gold(prompt, r.texts[row]!, r.batch.hasEos[row]!));
      }
      const ranking = annotateRanking(golds, annotator, o.annotatorTemperature);
      out.push({ prompt, responses: ranking.map((i) => texts[i]!), gold: ranking.map((i) => golds[i]!) });
    });
  }
  return out;
}

/** Every pair of answers with different gold reward, ordered by gold (the noise-free truth). */
export function goldPairs(groups: readonly AnnotatedGroup[]): PreferenceGroup[] {
  const out: PreferenceGroup[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.responses.length; i++) {
      for (let j = i + 1; j < g.responses.length; j++) {
        const gi = g.gold[i]!;
        const gj = g.gold[j]!;
        if (Math.abs(gi - gj) < 1e-9) continue;
        const [w, l] = gi > gj ? [i, j] : [j, i];
        out.push({ prompt: g.prompt, responses: [g.responses[w]!, g.responses[l]!] });
      }
    }
  }
  return out;
}

/** Pairs ordered by the annotators (their ranking), for a DPO dataset from ranked groups. */
export function rankedPairs(groups: readonly PreferenceGroup[]): PreferenceGroup[] {
  const out: PreferenceGroup[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.responses.length; i++) {
      for (let j = i + 1; j < g.responses.length; j++) {
        if (g.responses[i] !== g.responses[j])
          out.push({ prompt: g.prompt, responses: [g.responses[i]!, g.responses[j]!] });
      }
    }
  }
  return out;
}
