/**
 * `llmts serve --model DIR`: an OpenAI-compatible inference server with continuous batching
 * (src/serve, docs/serve.md). SIGTERM or SIGINT shuts it down gracefully.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../src/core/package-root.ts';
import { ArgumentError } from '../../src/core/errors.ts';
import { LlmServer, SERVE_DEFAULTS } from '../../src/serve/server.ts';
import { loadServedModel } from '../../src/serve/served-model.ts';
import { defined, floatOption, intOption } from '../options.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('an OpenAI-compatible HTTP server for a model, with continuous batching')
    .requiredOption('--model <path>', 'run directory, checkpoint file or HF model directory (GPT-2 / LLaMA)')
    .option('--tokenizer <file>', 'tokenizer file (default: tokenizer.json beside the model)')
    .option('--chat-template <t>', "chatml | plain | tokenizer_config.json | .jinja file (default: the model's)")
    .option('--name <id>', "the model's name in the API (default: the directory name)")
    .option('--host <host>', 'interface to bind (0.0.0.0 exposes the server to the network)', SERVE_DEFAULTS.host)
    .option('--port <n>', 'port (0: any free port)', String(SERVE_DEFAULTS.port))
    .option('--api-key <key>', 'require "Authorization: Bearer KEY" (default: $LLMTS_API_KEY, else none)')
    .option('--max-batch <n>', 'sequences decoded together at most (1: no batching)', String(SERVE_DEFAULTS.maxBatch))
    .option('--kv-memory <MB>', 'KV-cache memory budget in MiB, allocated once', '512')
    .option('--page-size <n>', 'positions per KV-cache page', '16')
    .option('--max-queue <n>', 'sequences waiting for a batch slot at most (then 429)', String(SERVE_DEFAULTS.maxQueue))
    .option(
      '--max-step-tokens <n>',
      'tokens per forward pass at most (prefill chunk budget)',
      String(SERVE_DEFAULTS.maxStepTokens),
    )
    .option(
      '--request-timeout <s>',
      'a request running longer is stopped (504)',
      String(SERVE_DEFAULTS.requestTimeoutMs / 1000),
    )
    .option('--body-limit <bytes>', 'largest request body', String(SERVE_DEFAULTS.bodyLimitBytes))
    .option('--shutdown-grace <s>', 'on SIGTERM, time running requests get to finish', '30')
    .option('--static <dir>', 'serve this folder at / (default: the playground, when it is built)')
    .option('--no-playground', 'serve no web page at /')
    .action(async (o: Record<string, string | undefined>) => {
      const maxBatch = intOption('--max-batch', o['maxBatch'], 1)!;
      const maxStepTokens = intOption('--max-step-tokens', o['maxStepTokens'], 1)!;
      if (maxStepTokens < maxBatch)
        throw new ArgumentError(
          '--max-step-tokens',
          `must be at least --max-batch (${maxBatch}), got ${maxStepTokens}`,
        );
      const kvMB = floatOption('--kv-memory', o['kvMemory'], 1)!;
      const model = loadServedModel(o['model']!, {
        kvMemoryBytes: kvMB * 2 ** 20,
        pageSize: intOption('--page-size', o['pageSize'], 1)!,
        ...defined({ tokenizer: o['tokenizer'], chatTemplate: o['chatTemplate'], name: o['name'] }),
      });
      const apiKey = o['apiKey'] ?? process.env['LLMTS_API_KEY'];
      const staticDir = o['static'] ?? ((o['playground'] as unknown) !== false ? builtPlayground() : undefined);
      const server = new LlmServer({
        model,
        host: o['host']!,
        port: intOption('--port', o['port'], 0)!,
        maxBatch,
        maxStepTokens,
        maxQueue: intOption('--max-queue', o['maxQueue'], 0)!,
        requestTimeoutMs: floatOption('--request-timeout', o['requestTimeout'], 0.001)! * 1000,
        bodyLimitBytes: intOption('--body-limit', o['bodyLimit'], 1)!,
        ...defined({ apiKey: apiKey === '' ? undefined : apiKey, staticDir }),
      });
      const url = await server.listen();
      const step = model.step;
      console.log(
        `llmts serve: ${model.id} on ${url} (OpenAI API at ${url}/v1; context ${model.contextLength}; ` +
          `KV cache ${(step.kvBytes / 2 ** 20).toFixed(0)} MiB = ${step.numPages} pages of ${step.pageSize}; ` +
          `max batch ${maxBatch}${apiKey ? '; API key required' : ''})` +
          (staticDir !== undefined
            ? `\nllmts serve: ${o['static'] !== undefined ? staticDir : 'the playground'} at ${url}/`
            : ''),
      );
      const grace = floatOption('--shutdown-grace', o['shutdownGrace'], 0)! * 1000;
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string): void => {
          if (stopping) return;
          stopping = true;
          console.log(`llmts serve: ${signal}, finishing running requests (up to ${grace / 1000} s)`);
          void server.shutdown(grace).then(resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      console.log('llmts serve: stopped');
    });
}

/** The playground built by npm install (scripts/build-playground.mjs), if it is there. */
function builtPlayground(): string | undefined {
  const dir = join(packageRoot(), 'dist-playground');
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}
