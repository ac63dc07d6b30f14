/**
 * Rollouts (detail 5): pure sampling from the policy, top_k 0, top_p 1, no minimum length,
 * at the sampling temperature, from left-padded prompts with a KV cache (the generation
 * loop), stopping at EOS; then the padded SequenceBatch every scoring pass reads.
 */
import type { Generator } from '../../core/random.ts';
import { generate } from '../../generate/generate.ts';
import type { GPT } from '../../models/gpt.ts';
import { gptForGeneration } from '../../models/generative.ts';
import type { Tokenizer } from '../../tokenizers/index.ts';
import { decodeResponse } from '../../data/chat/encode.ts';
import type { ChatIds } from '../../data/chat/encode.ts';
import type { SequenceBatch } from './batch.ts';
import { buildSequenceBatch } from './batch.ts';

export interface RolloutOptions {
  temperature: number;
  maxNewTokens: number;
  /** Samples per prompt (GRPO's group size; 1 for PPO). */
  samplesPerPrompt?: number;
  generator: Generator;
}

export interface Rollout {
  batch: SequenceBatch;
  /** The prompt index (into the given prompts) of each row. */
  promptIndex: number[];
  /** Response text up to EOS. */
  texts: string[];
}

/** Samples responses to token-id prompts and lays them out as a SequenceBatch. */
export function rollout(
  policy: GPT,
  tokenizer: Tokenizer,
  ids: ChatIds,
  prompts: readonly (readonly number[])[],
  o: RolloutOptions,
): Rollout {
  const wasTraining = policy.training;
  policy.eval(); // dropout off while sampling (detail 7)
  try {
    const out = generate(gptForGeneration(policy), undefined, prompts, {
      doSample: true,
      topK: 0,
      topP: 1,
      temperature: o.temperature,
      maxNewTokens: o.maxNewTokens,
      numReturnSequences: o.samplesPerPrompt ?? 1,
      eosTokenId: ids.eosId,
      padTokenId: ids.padId,
      generator: o.generator,
      repetitionPenalty: 1,
      useCache: true,
    });
    const promptIndex = out.sequences.map((s) => s.promptIndex);
    const responses = out.sequences.map((s) => (s.ids.length > 0 ? s.ids : [ids.eosId]));
    const batch = buildSequenceBatch(
      promptIndex.map((i) => prompts[i]!),
      responses,
      ids.padId,
      ids.eosId,
    );
    return { batch, promptIndex, texts: batch.responses.map((r) => decodeResponse(tokenizer, r, ids.eosId)) };
  } finally {
    policy.train(wasTraining);
  }
}
