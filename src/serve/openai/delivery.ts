/**
 * Running a request's jobs and delivering their output, streamed or whole: one scheduler job
 * per prompt (n choices each), server-sent events in OpenAI's framing (`data: {json}` blocks,
 * ending with `data: [DONE]`), cancellation when the client goes away (its KV pages are freed
 * at once), a per-request timeout, and errors as OpenAI error objects (in the stream too, where
 * the official clients raise them).
 */
import type { FastifyReply } from 'fastify';
import { ArgumentError } from '../../core/errors.ts';
import {
  QueueFullError,
  type FinishReason,
  type Job,
  type JobSpec,
  type SequenceEvent,
  type TokenInfo,
} from '../scheduler.ts';
import type { ServeContext } from '../context.ts';
import { ApiError, invalidRequest } from './errors.ts';

/** One choice's whole output (non-streamed responses). */
export interface CollectedChoice {
  index: number;
  text: string;
  tokens: TokenInfo[];
  offsets: number[];
  finishReason: FinishReason;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface Delivery {
  /** Token ids of each prompt; choice index = prompt index * n + choice. */
  prompts: number[][];
  spec: Omit<JobSpec, 'prompt' | 'onEvent' | 'onDone' | 'onError'>;
  stream: boolean;
  includeUsage: boolean;
  /** Stream chunks opening the response (chat: each choice's role). */
  opening(): object[];
  /** Stream chunks for one event of choice `index`. */
  chunks(index: number, event: SequenceEvent): object[];
  /** The closing usage chunk (stream_options.include_usage). */
  usageChunk(usage: Usage): object;
  /** The whole response. */
  body(choices: CollectedChoice[], usage: Usage): object;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // nginx: do not buffer the stream
  'x-accel-buffering': 'no',
};

export async function deliver(ctx: ServeContext, reply: FastifyReply, d: Delivery): Promise<object | undefined> {
  if (ctx.draining) throw new ApiError(503, 'The server is shutting down.', 'server_error', null, 'shutting_down');
  const n = d.spec.n;
  const collected = d.prompts.flatMap((_, p) =>
    Array.from({ length: n }, (_, i) => ({
      index: p * n + i,
      text: '',
      tokens: [] as TokenInfo[],
      offsets: [] as number[],
      finishReason: 'length' as FinishReason,
    })),
  );
  const usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const jobs: Job[] = [];
  let open = d.prompts.length;
  let settled = false;
  let resolve!: () => void;
  let reject!: (e: ApiError) => void;
  const finished = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const res = reply.raw;
  const write = (obj: object): void => {
    if (!res.writableEnded && !res.destroyed) res.write(`data: ${JSON.stringify(obj)}\n\n`);
  };
  const fail = (err: ApiError): void => {
    if (settled) return;
    settled = true;
    const reason = err.status === 504 ? 'timeout' : err.status === 503 ? 'shutdown' : 'disconnect';
    for (const j of jobs) j.cancel(reason);
    reject(err);
  };

  d.prompts.forEach((prompt, p) => {
    const spec: JobSpec = {
      ...d.spec,
      prompt,
      onEvent(e) {
        const choice = collected[p * n + e.index]!;
        choice.text += e.text;
        choice.tokens.push(...e.tokens);
        choice.offsets.push(...e.offsets);
        if (e.finishReason !== null) choice.finishReason = e.finishReason;
        if (d.stream) for (const c of d.chunks(choice.index, e)) write(c);
      },
      onDone(u) {
        usage.prompt_tokens += u.promptTokens;
        usage.completion_tokens += u.completionTokens;
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
        if (--open === 0 && !settled) {
          settled = true;
          resolve();
        }
      },
      onError(err) {
        fail(new ApiError(500, `generation failed: ${err.message}`, 'server_error', null, 'internal_error'));
      },
    };
    try {
      jobs.push(ctx.scheduler.submit(spec));
      ctx.metrics.promptTokens.inc(prompt.length);
    } catch (err) {
      for (const j of jobs) j.cancel('disconnect');
      if (err instanceof QueueFullError)
        throw new ApiError(429, err.message, 'rate_limit_error', null, 'rate_limit_exceeded');
      if (err instanceof ArgumentError) throw invalidRequest(err.message, 'max_tokens', 'context_length_exceeded');
      throw err;
    }
  });

  // the client went away: cancel, which frees the KV pages now
  res.on('close', () => {
    if (!settled && !res.writableFinished) fail(new ApiError(499, 'client disconnected', 'cancelled'));
  });
  const timer = setTimeout(
    () =>
      fail(
        new ApiError(
          504,
          `The request did not finish within ${ctx.options.requestTimeoutMs / 1000} s (--request-timeout).`,
          'timeout_error',
          null,
          'timeout',
        ),
      ),
    ctx.options.requestTimeoutMs,
  );
  const entry = { done: finished.catch(() => undefined), abort: fail };
  ctx.inflight.add(entry);
  try {
    if (!d.stream) {
      await finished;
      return d.body(collected, usage);
    }
    reply.hijack();
    res.writeHead(200, SSE_HEADERS);
    for (const c of d.opening()) write(c);
    try {
      await finished;
      if (d.includeUsage) write(d.usageChunk(usage));
    } catch (err) {
      if (err instanceof ApiError) write(err.body());
    }
    endStream(res);
    return undefined;
  } finally {
    clearTimeout(timer);
    ctx.inflight.delete(entry);
  }
}

function endStream(res: FastifyReply['raw']): void {
  if (!res.writableEnded && !res.destroyed) res.end('data: [DONE]\n\n');
}
