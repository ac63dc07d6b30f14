/** POST /v1/completions: OpenAI's legacy text completions (text or token prompts, one or many). */
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { ServeContext } from '../context.ts';
import type { SequenceEvent } from '../scheduler.ts';
import { deliver, type CollectedChoice, type Usage } from './delivery.ts';
import { invalidRequest, modelNotFound } from './errors.ts';
import { completionLogprobs } from './logprobs.ts';
import { maxTokensFor, samplingFrom, stopsFrom, type CommonBody } from './params.ts';

export interface CompletionBody extends CommonBody {
  prompt: string | string[] | number[] | number[][];
  logprobs?: number | null;
  echo?: boolean | null;
  suffix?: string | null;
  best_of?: number | null;
}

/** OpenAI's default max_tokens for completions. */
const DEFAULT_MAX_TOKENS = 16;

function promptList(ctx: ServeContext, p: CompletionBody['prompt']): { ids: number[]; text: string }[] {
  const m = ctx.model;
  const list: (string | number[])[] =
    typeof p === 'string'
      ? [p]
      : p.length > 0 && typeof p[0] === 'number'
        ? [p as number[]]
        : (p as (string | number[])[]);
  return list.map((item, i) => {
    const ids = typeof item === 'string' ? m.encode(item) : item;
    const where = list.length > 1 ? `prompt[${i}]` : 'prompt';
    if (ids.length === 0)
      throw invalidRequest(`${where} is empty (it encodes to no tokens)`, 'prompt', 'invalid_value');
    for (const id of ids)
      if (id >= m.vocabSize)
        throw invalidRequest(
          `${where} has token id ${id}, outside the model's vocabulary [0, ${m.vocabSize})`,
          'prompt',
          'invalid_value',
        );
    return { ids, text: typeof item === 'string' ? item : m.decode(item) };
  });
}

export async function handleCompletion(
  ctx: ServeContext,
  body: CompletionBody,
  reply: FastifyReply,
): Promise<object | undefined> {
  const m = ctx.model;
  if (body.model !== m.id) throw modelNotFound(body.model);
  if (body.echo === true) throw invalidRequest('echo is not supported by llmts serve', 'echo', 'unsupported_parameter');
  if (body.suffix !== undefined && body.suffix !== null && body.suffix !== '')
    throw invalidRequest('suffix is not supported by llmts serve', 'suffix', 'unsupported_parameter');
  const n = body.n ?? 1;
  if (body.best_of !== undefined && body.best_of !== null && body.best_of !== n)
    throw invalidRequest('best_of is not supported (it must equal n)', 'best_of', 'unsupported_parameter');
  const prompts = promptList(ctx, body.prompt);
  const limit = ctx.scheduler.maxSequenceLength;
  const maxTokens = Math.min(
    ...prompts.map((p) => maxTokensFor(body.max_tokens, DEFAULT_MAX_TOKENS, p.ids.length, limit, 'max_tokens')),
  );
  const logprobs = body.logprobs ?? null;
  const sampling = samplingFrom(body, m.vocabSize, logprobs);
  const id = `cmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: 'text_completion', created, model: m.id };
  const stream = body.stream === true;
  const includeUsage = stream && body.stream_options?.include_usage === true;
  const logprobsOf = (c: { tokens: CollectedChoice['tokens']; offsets: number[] }, index: number): object | null =>
    logprobs === null ? null : completionLogprobs(m, c.tokens, c.offsets, prompts[Math.floor(index / n)]!.text.length);
  return deliver(ctx, reply, {
    prompts: prompts.map((p) => p.ids),
    spec: {
      n,
      maxTokens,
      sampling,
      seed: body.seed ?? null,
      stop: stopsFrom(body),
      stopTokenIds: m.eosIds,
    },
    stream,
    includeUsage,
    opening: () => [],
    chunks: (index: number, e: SequenceEvent) => [
      {
        ...head,
        choices: [{ index, text: e.text, logprobs: logprobsOf(e, index), finish_reason: e.finishReason }],
        ...(includeUsage ? { usage: null } : {}),
      },
    ],
    usageChunk: (usage: Usage) => ({ ...head, choices: [], usage }),
    body: (choices, usage) => ({
      ...head,
      choices: choices.map((c) => ({
        index: c.index,
        text: c.text,
        logprobs: logprobsOf(c, c.index),
        finish_reason: c.finishReason,
      })),
      usage,
    }),
  });
}
