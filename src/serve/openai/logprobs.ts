/** Log-probabilities in the two shapes OpenAI uses: legacy completions and chat. */
import type { TokenInfo } from '../scheduler.ts';
import type { ServedModel } from '../served-model.ts';

export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[];
  text_offset: number[];
}

export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
}

/** Legacy completions: parallel arrays; text_offset counts from the start of the prompt text. */
export function completionLogprobs(
  model: ServedModel,
  tokens: readonly TokenInfo[],
  offsets: readonly number[],
  base: number,
): CompletionLogprobs {
  return {
    tokens: tokens.map((t) => model.tokenText(t.id)),
    token_logprobs: tokens.map((t) => t.logprob ?? 0),
    top_logprobs: tokens.map((t) => {
      const top: Record<string, number> = {};
      for (const alt of t.top ?? []) {
        const key = model.tokenText(alt.id);
        if (!(key in top)) top[key] = alt.logprob;
      }
      return top;
    }),
    text_offset: offsets.map((o) => base + o),
  };
}

export function chatLogprobs(model: ServedModel, tokens: readonly TokenInfo[]): ChatTokenLogprob[] {
  return tokens.map((t) => ({
    token: model.tokenText(t.id),
    logprob: t.logprob ?? 0,
    bytes: model.tokenBytes(t.id),
    top_logprobs: (t.top ?? []).map((alt) => ({
      token: model.tokenText(alt.id),
      logprob: alt.logprob,
      bytes: model.tokenBytes(alt.id),
    })),
  }));
}
