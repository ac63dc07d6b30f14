/** POST /v1/chat/completions: the conversation rendered with the model's chat template, then continued. */
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { ChatMessage } from '../../data/chat/template.ts';
import type { ServeContext } from '../context.ts';
import type { SequenceEvent } from '../scheduler.ts';
import { deliver, type Usage } from './delivery.ts';
import { ApiError, invalidRequest, modelNotFound } from './errors.ts';
import { chatLogprobs } from './logprobs.ts';
import { maxTokensFor, samplingFrom, stopsFrom, type CommonBody } from './params.ts';

export interface ChatBody extends CommonBody {
  messages: { role: string; content?: string | { type: 'text'; text: string }[] | null; name?: string }[];
  max_completion_tokens?: number | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  tools?: unknown[] | null;
  tool_choice?: unknown;
  functions?: unknown[] | null;
  response_format?: { type?: string } | null;
}

function messagesOf(body: ChatBody): ChatMessage[] {
  return body.messages.map((msg, i) => {
    if (msg.role === 'tool')
      throw invalidRequest(
        `messages[${i}]: tool messages are not supported (llmts serve has no tool calling)`,
        `messages[${i}].role`,
        'unsupported_parameter',
      );
    const content =
      msg.content === undefined || msg.content === null
        ? ''
        : typeof msg.content === 'string'
          ? msg.content
          : msg.content.map((p) => p.text).join('');
    // the developer role is OpenAI's new name for system instructions
    return { role: msg.role === 'developer' ? 'system' : msg.role, content };
  });
}

export async function handleChat(ctx: ServeContext, body: ChatBody, reply: FastifyReply): Promise<object | undefined> {
  const m = ctx.model;
  if (body.model !== m.id) throw modelNotFound(body.model);
  if (m.chat === null)
    throw new ApiError(
      400,
      'This model has no chat template (tokenizer_config.json chat_template); use /v1/completions, or start the server with --chat-template',
      'invalid_request_error',
      'messages',
      'no_chat_template',
    );
  if ((body.tools?.length ?? 0) > 0 || (body.functions?.length ?? 0) > 0)
    throw invalidRequest('tools and functions are not supported by llmts serve', 'tools', 'unsupported_parameter');
  const format = body.response_format?.type;
  if (format !== undefined && format !== 'text')
    throw invalidRequest(
      `response_format ${JSON.stringify(format)} is not supported (only "text")`,
      'response_format',
      'unsupported_parameter',
    );
  if (body.top_logprobs !== undefined && body.top_logprobs !== null && body.logprobs !== true)
    throw invalidRequest('top_logprobs needs logprobs: true', 'top_logprobs', 'invalid_value');
  const prompt = m.encode(m.chat.template.prompt(messagesOf(body)));
  const limit = ctx.scheduler.maxSequenceLength;
  const maxTokens = maxTokensFor(
    body.max_completion_tokens ?? body.max_tokens,
    limit,
    prompt.length,
    limit,
    body.max_completion_tokens !== undefined && body.max_completion_tokens !== null
      ? 'max_completion_tokens'
      : 'max_tokens',
  );
  const logprobs = body.logprobs === true ? (body.top_logprobs ?? 0) : null;
  const n = body.n ?? 1;
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: 'chat.completion.chunk', created, model: m.id };
  const stream = body.stream === true;
  const includeUsage = stream && body.stream_options?.include_usage === true;
  const usageNull = includeUsage ? { usage: null } : {};
  const lp = (tokens: Parameters<typeof chatLogprobs>[1]): object | null =>
    logprobs === null ? null : { content: chatLogprobs(m, tokens), refusal: null };
  return deliver(ctx, reply, {
    prompts: [prompt],
    spec: {
      n,
      maxTokens,
      sampling: samplingFrom(body, m.vocabSize, logprobs),
      seed: body.seed ?? null,
      stop: stopsFrom(body),
      stopTokenIds: m.chat.eosIds,
    },
    stream,
    includeUsage,
    opening: () =>
      Array.from({ length: n }, (_, index) => ({
        ...head,
        choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
        ...usageNull,
      })),
    chunks(index: number, e: SequenceEvent) {
      const out: object[] = [];
      if (e.text !== '' || e.tokens.length > 0)
        out.push({
          ...head,
          choices: [{ index, delta: { content: e.text }, logprobs: lp(e.tokens), finish_reason: null }],
          ...usageNull,
        });
      if (e.finishReason !== null)
        out.push({
          ...head,
          choices: [{ index, delta: {}, logprobs: null, finish_reason: e.finishReason }],
          ...usageNull,
        });
      return out;
    },
    usageChunk: (usage: Usage) => ({ ...head, choices: [], usage }),
    body: (choices, usage) => ({
      id,
      object: 'chat.completion',
      created,
      model: m.id,
      choices: choices.map((c) => ({
        index: c.index,
        message: { role: 'assistant', content: c.text, refusal: null },
        logprobs: lp(c.tokens),
        finish_reason: c.finishReason,
      })),
      usage,
    }),
  });
}
