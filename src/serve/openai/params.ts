/** From a validated request body to sampling options, stop strings and token budgets. */
import type { SamplingParams } from '../sampling.ts';
import { invalidRequest } from './errors.ts';

/** The fields both endpoints share (already checked by the JSON schemas). */
export interface CommonBody {
  model: string;
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  stop?: string | string[] | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  user?: string | null;
  top_k?: number | null;
  min_p?: number | null;
  repetition_penalty?: number | null;
}

export function samplingFrom(body: CommonBody, vocabSize: number, logprobs: number | null): SamplingParams {
  const logitBias = new Map<number, number>();
  for (const [key, bias] of Object.entries(body.logit_bias ?? {})) {
    const id = Number(key);
    if (id >= vocabSize)
      throw invalidRequest(
        `logit_bias names token ${id}, outside the model's vocabulary [0, ${vocabSize})`,
        'logit_bias',
        'invalid_value',
      );
    logitBias.set(id, bias);
  }
  const topK = body.top_k ?? 0;
  return {
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    topK: topK < 0 ? 0 : topK,
    minP: body.min_p ?? 0,
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
    repetitionPenalty: body.repetition_penalty ?? 1,
    logitBias,
    logprobs,
  };
}

export function stopsFrom(body: CommonBody): string[] {
  const s = body.stop;
  return s === undefined || s === null ? [] : typeof s === 'string' ? [s] : [...new Set(s)];
}

/**
 * The output budget: the request's (checked against the context, as OpenAI's
 * context_length_exceeded) or, without one, `fallback` capped to what the context leaves.
 */
export function maxTokensFor(
  requested: number | null | undefined,
  fallback: number,
  promptLength: number,
  maxLength: number,
  param: string,
): number {
  if (promptLength >= maxLength)
    throw invalidRequest(
      `This model's maximum context length is ${maxLength} tokens. However, your prompt is ${promptLength} tokens, which leaves no room for a completion. Please reduce the length of the prompt.`,
      param === 'max_tokens' ? 'prompt' : 'messages',
      'context_length_exceeded',
    );
  if (requested === undefined || requested === null) return Math.min(fallback, maxLength - promptLength);
  if (promptLength + requested > maxLength)
    throw invalidRequest(
      `This model's maximum context length is ${maxLength} tokens. However, you requested ${promptLength + requested} tokens (${promptLength} in the prompt, ${requested} for the completion). Please reduce the length of the prompt or ${param}.`,
      param,
      'context_length_exceeded',
    );
  return requested;
}
