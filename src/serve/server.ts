/**
 * `llmts serve`: an OpenAI-compatible HTTP server (fastify) over the continuous-batching
 * scheduler. Endpoints: GET /v1/models, POST /v1/completions, POST /v1/chat/completions
 * (streamed as server-sent events with stream: true), POST /tokenize, POST /detokenize
 * (llama.cpp's), GET /health, GET /metrics (Prometheus). Binds 127.0.0.1 unless told
 * otherwise; with an API key every /v1 and tokenizer route needs `Authorization: Bearer KEY`.
 * Errors are OpenAI error objects. A graceful shutdown stops accepting connections, lets running
 * requests finish within a grace period, then ends the rest with an error event.
 *
 * A static folder can be served at / (ServerOptions.staticDir): the hook for the playground.
 */
import { timingSafeEqual } from 'node:crypto';
import { resolve } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { LlmtsError } from '../core/errors.ts';
import type { ServeContext } from './context.ts';
import { ServeMetrics } from './metrics.ts';
import { handleChat, type ChatBody } from './openai/chat.ts';
import { handleCompletion, type CompletionBody } from './openai/completions.ts';
import { ApiError } from './openai/errors.ts';
import { chatSchema, completionSchema, detokenizeSchema, tokenizeSchema } from './openai/schemas.ts';
import { Scheduler } from './scheduler.ts';
import type { ServedModel } from './served-model.ts';

export interface ServerOptions {
  model: ServedModel;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Require `Authorization: Bearer <apiKey>` on /v1/* and the tokenizer routes. */
  apiKey?: string;
  /** Sequences decoded together at most (1 = no batching: one sequence at a time). */
  maxBatch?: number;
  /** Sequences waiting for a slot at most (then 429). */
  maxQueue?: number;
  /** Tokens per forward pass at most (decode tokens + prefill chunks). */
  maxStepTokens?: number;
  requestTimeoutMs?: number;
  bodyLimitBytes?: number;
  /** A folder served at / (static files), e.g. the playground. */
  staticDir?: string;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBatch: 32,
  maxQueue: 256,
  maxStepTokens: 256,
  requestTimeoutMs: 600_000,
  bodyLimitBytes: 1 << 20,
} as const;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Ajv's instance path ('/messages/0/role') as OpenAI names params ('messages[0].role'). */
function paramName(err: FastifyError): string | null {
  const v = err.validation?.[0];
  if (v === undefined) return null;
  let path = v.instancePath.replace(/^\//, '');
  const missing = (v.params as { missingProperty?: unknown }).missingProperty;
  if (typeof missing === 'string') path = path === '' ? missing : `${path}/${missing}`;
  if (path === '') return null;
  // logit_bias keys are token ids, not array indices: name the field
  if (path.startsWith('logit_bias')) return 'logit_bias';
  return path
    .split('/')
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`), '');
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyError;
  if (e.validation !== undefined) {
    const param = paramName(e);
    const v = e.validation[0]!;
    const message =
      v.keyword === 'required'
        ? `Missing required parameter: '${param}'.`
        : `Invalid value for '${param ?? 'body'}': ${v.message ?? 'invalid'}.`;
    return new ApiError(
      400,
      message,
      'invalid_request_error',
      param,
      v.keyword === 'required' ? 'missing_required_parameter' : 'invalid_value',
    );
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError(
        400,
        `We could not parse the JSON body of your request: ${e.message}`,
        'invalid_request_error',
        null,
        'invalid_json',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(
        400,
        'The request body is empty; send a JSON object.',
        'invalid_request_error',
        null,
        'invalid_json',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, e.message, 'invalid_request_error', null, 'request_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(
        415,
        `${e.message}; send Content-Type: application/json`,
        'invalid_request_error',
        null,
        'unsupported_media_type',
      );
  }
  if (err instanceof LlmtsError)
    return new ApiError(400, err.message, 'invalid_request_error', null, err.code.toLowerCase());
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  return new ApiError(status, e.message ?? String(err), status === 500 ? 'server_error' : 'invalid_request_error');
}

export class LlmServer {
  readonly app: FastifyInstance;
  readonly scheduler: Scheduler;
  readonly metrics: ServeMetrics;
  readonly context: ServeContext;
  private readonly options: ServerOptions & typeof SERVE_DEFAULTS;

  constructor(options: ServerOptions) {
    this.options = { ...SERVE_DEFAULTS, ...options } as ServerOptions & typeof SERVE_DEFAULTS;
    const o = this.options;
    const model = o.model;
    let scheduler: Scheduler | null = null;
    this.metrics = new ServeMetrics(() => scheduler);
    scheduler = new Scheduler(
      model.step,
      {
        maxBatch: o.maxBatch,
        maxQueue: o.maxQueue,
        maxStepTokens: o.maxStepTokens,
        decode: (ids) => model.decode(ids),
      },
      this.metrics,
    );
    this.scheduler = scheduler;
    this.context = {
      model,
      scheduler,
      metrics: this.metrics,
      options: { requestTimeoutMs: o.requestTimeoutMs },
      draining: false,
      inflight: new Set(),
    };
    this.app = Fastify({
      bodyLimit: o.bodyLimitBytes,
      logger: false,
      forceCloseConnections: 'idle',
      ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    });
    // JSON only: a text/plain body is refused (415) rather than validated as a string
    this.app.removeContentTypeParser('text/plain');
    this.routes();
  }

  private routes(): void {
    const app = this.app;
    const ctx = this.context;
    const m = ctx.model;
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      reply.raw.once('close', () => {
        ctx.metrics.requests.inc({
          endpoint: request.routeOptions.url ?? 'unmatched',
          status: String(reply.raw.statusCode),
        });
      });
      const key = this.options.apiKey;
      const path = request.url.split('?')[0]!;
      if (key !== undefined && (path.startsWith('/v1/') || path === '/tokenize' || path === '/detokenize')) {
        const auth = request.headers.authorization ?? '';
        if (!auth.startsWith('Bearer ') || !sameSecret(auth.slice(7), key))
          throw new ApiError(401, 'Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key');
      }
    });
    app.setErrorHandler((err, _request, reply) => {
      const e = toApiError(err);
      if (reply.sent || reply.raw.headersSent) return;
      void reply.status(e.status).send(e.body());
    });
    app.setNotFoundHandler((request, reply) => {
      const e = new ApiError(
        404,
        `Unknown request URL: ${request.method} ${request.url.split('?')[0]}`,
        'invalid_request_error',
        null,
        'unknown_url',
      );
      void reply.status(404).send(e.body());
    });

    app.get('/health', async (_request, reply) => {
      if (ctx.draining) return reply.status(503).send({ status: 'shutting_down' });
      return { status: 'ok', model: m.id, running: ctx.scheduler.active, queued: ctx.scheduler.queued };
    });
    app.get('/metrics', async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    });
    const modelCard = { id: m.id, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'llmts' };
    app.get('/v1/models', async () => ({ object: 'list', data: [modelCard] }));
    app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => {
      if (request.params.id !== m.id)
        throw new ApiError(
          404,
          `The model '${request.params.id}' does not exist`,
          'invalid_request_error',
          'model',
          'model_not_found',
        );
      return modelCard;
    });
    app.post<{ Body: CompletionBody }>('/v1/completions', { schema: { body: completionSchema } }, (request, reply) =>
      handleCompletion(ctx, request.body, reply),
    );
    app.post<{ Body: ChatBody }>('/v1/chat/completions', { schema: { body: chatSchema } }, (request, reply) =>
      handleChat(ctx, request.body, reply),
    );
    app.post<{ Body: { content: string; with_pieces?: boolean } }>(
      '/tokenize',
      { schema: { body: tokenizeSchema } },
      async (request) => {
        const ids = m.encode(request.body.content);
        if (request.body.with_pieces !== true) return { tokens: ids };
        return { tokens: ids.map((id) => ({ id, piece: m.tokenText(id) })) };
      },
    );
    app.post<{ Body: { tokens: number[] } }>('/detokenize', { schema: { body: detokenizeSchema } }, async (request) => {
      const bad = request.body.tokens.find((t) => t >= m.vocabSize);
      if (bad !== undefined)
        throw new ApiError(
          400,
          `token id ${bad} is outside the vocabulary [0, ${m.vocabSize})`,
          'invalid_request_error',
          'tokens',
          'invalid_value',
        );
      return { content: m.decode(request.body.tokens) };
    });
  }

  /** Starts listening; returns the base URL (http://host:port). */
  async listen(): Promise<string> {
    if (this.options.staticDir !== undefined) {
      const { default: fastifyStatic } = await import('@fastify/static');
      await this.app.register(fastifyStatic, { root: resolve(this.options.staticDir), prefix: '/' });
    }
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const address = this.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : this.options.port;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${port}`;
  }

  /**
   * Graceful shutdown: new requests get 503 and the listener closes; running requests have
   * `graceMs` to finish, then the rest end with an error (streams: an error event and [DONE]).
   */
  async shutdown(graceMs = 30_000): Promise<void> {
    const ctx = this.context;
    ctx.draining = true;
    const closed = this.app.close();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([Promise.all([...ctx.inflight].map((e) => e.done)), grace]);
    clearTimeout(timer);
    const err = new ApiError(
      503,
      'The server is shutting down; the request was stopped.',
      'server_error',
      null,
      'shutting_down',
    );
    for (const e of ctx.inflight) e.abort(err);
    ctx.scheduler.cancelAll('shutdown');
    await closed;
  }
}
