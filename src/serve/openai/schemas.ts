/**
 * JSON schemas of the request bodies (validated by fastify's Ajv, with type coercion off so a
 * wrong type is a 400, not a silent conversion). Fields OpenAI defines that llmts does not
 * implement (tools, response_format other than text, echo, suffix, best_of > 1) are accepted
 * by the schema and refused with a clear message by the handlers; unknown fields are ignored,
 * as vLLM does, so clients that send newer fields keep working.
 */

const nullable = (schema: Record<string, unknown>): Record<string, unknown> => ({
  anyOf: [schema, { type: 'null' }],
});

const int = (minimum: number, maximum?: number): Record<string, unknown> =>
  nullable({ type: 'integer', minimum, ...(maximum !== undefined ? { maximum } : {}) });
const num = (minimum: number, maximum: number): Record<string, unknown> =>
  nullable({ type: 'number', minimum, maximum });

const samplingProperties = {
  model: { type: 'string' },
  max_tokens: int(1),
  temperature: num(0, 2),
  top_p: num(0, 1),
  n: int(1, 16),
  stream: nullable({ type: 'boolean' }),
  stream_options: nullable({
    type: 'object',
    properties: { include_usage: nullable({ type: 'boolean' }) },
  }),
  stop: nullable({
    anyOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', maxItems: 4, items: { type: 'string', minLength: 1 } },
    ],
  }),
  seed: nullable({ type: 'integer', minimum: -(2 ** 53), maximum: 2 ** 53 }),
  presence_penalty: num(-2, 2),
  frequency_penalty: num(-2, 2),
  logit_bias: nullable({
    type: 'object',
    propertyNames: { pattern: '^[0-9]{1,9}$' },
    additionalProperties: { type: 'number', minimum: -100, maximum: 100 },
  }),
  user: nullable({ type: 'string' }),
  // llama.cpp / vLLM extras
  top_k: int(-1),
  min_p: num(0, 1),
  repetition_penalty: nullable({ type: 'number', exclusiveMinimum: 0, maximum: 100 }),
} as const;

const tokenIds = { type: 'array', items: { type: 'integer', minimum: 0 } } as const;

export const completionSchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    ...samplingProperties,
    prompt: {
      anyOf: [
        { type: 'string' },
        { type: 'array', minItems: 1, items: { type: 'string' } },
        { ...tokenIds, minItems: 1 },
        { type: 'array', minItems: 1, items: { ...tokenIds, minItems: 1 } },
      ],
    },
    logprobs: int(0, 5),
    echo: nullable({ type: 'boolean' }),
    suffix: nullable({ type: 'string' }),
    best_of: int(1, 16),
  },
} as const;

const textPart = {
  type: 'object',
  required: ['type', 'text'],
  properties: { type: { const: 'text' }, text: { type: 'string' } },
} as const;

export const chatSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    ...samplingProperties,
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role'],
        properties: {
          role: { enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
          content: nullable({ anyOf: [{ type: 'string' }, { type: 'array', items: textPart }] }),
          name: { type: 'string' },
        },
      },
    },
    max_completion_tokens: int(1),
    logprobs: nullable({ type: 'boolean' }),
    top_logprobs: int(0, 20),
    tools: nullable({ type: 'array' }),
    tool_choice: {},
    functions: nullable({ type: 'array' }),
    response_format: nullable({ type: 'object', properties: { type: { type: 'string' } } }),
  },
} as const;

export const tokenizeSchema = {
  type: 'object',
  required: ['content'],
  properties: { content: { type: 'string' }, with_pieces: { type: 'boolean' } },
} as const;

export const detokenizeSchema = {
  type: 'object',
  required: ['tokens'],
  properties: { tokens: tokenIds },
} as const;
