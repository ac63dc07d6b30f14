/**
 * `llmts chat --model RUN`: an interactive terminal chat with a tuned model, using the run's
 * chat template and streaming the answer. Lines starting with / are commands (/reset,
 * /system TEXT, /exit). Without a terminal (piped input) every line is one user message.
 */
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { loadModel } from '../../src/io/load-model.ts';
import { GPT } from '../../src/models/gpt.ts';
import { loadTokenizer } from '../../src/tokenizers/index.ts';
import { ChatSession } from '../../src/chat/session.ts';
import { resolveChatFormat, runChatFormat } from '../../src/data/chat/format-file.ts';
import { ArgumentError, IOError } from '../../src/core/errors.ts';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defined, floatOption, intOption } from '../options.ts';

export function register(program: Command): void {
  program
    .command('chat')
    .description('chat with a tuned model in the terminal (its chat template, streamed answers)')
    .requiredOption(
      '--model <run>',
      'run directory (sft, ppo, dpo, grpo) or an HF model directory with a chat template',
    )
    .option('--system <text>', 'system message')
    .option('--chat-template <t>', "chatml | plain | file (default: the run's tokenizer_config.json)")
    .option('--temperature <t>', 'sampling temperature (0: greedy)', '0.7')
    .option('--top-p <p>', 'nucleus sampling', '0.95')
    .option('--top-k <k>', 'top-k sampling (0: off)', '0')
    .option('--max-new-tokens <n>', "longest answer (default: 128, at most half the model's context)")
    .option('--seed <n>', 'sampling seed')
    .action(async (o: Record<string, string | undefined>) => {
      const path = o['model']!;
      const { model } = loadModel(path);
      if (!(model instanceof GPT)) throw new ArgumentError('--model', 'chat needs a decoder-only (GPT/LLaMA) model');
      const dir = existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
      const tokPath = join(dir, 'tokenizer.json');
      if (!existsSync(tokPath)) throw new IOError(dir, 'no tokenizer.json beside the model');
      const format =
        o['chatTemplate'] !== undefined
          ? resolveChatFormat(o['chatTemplate'])
          : runChatFormat(dir, { requirePad: false });
      if (format === null)
        throw new ArgumentError(
          '--model',
          `${dir} has no chat template (tokenizer_config.json): fine-tune it with llmts sft, or pass --chat-template`,
        );
      const temperature = floatOption('--temperature', o['temperature'], 0)!;
      const session = new ChatSession(model, loadTokenizer(tokPath), format, {
        maxNewTokens:
          intOption('--max-new-tokens', o['maxNewTokens'], 1) ?? Math.min(128, Math.floor(model.config.blockSize / 2)),
        ...(o['system'] !== undefined ? { system: o['system'] } : {}),
        generation:
          temperature === 0
            ? { doSample: false }
            : {
                doSample: true,
                ...defined({
                  temperature,
                  topP: floatOption('--top-p', o['topP'], 0, 1),
                  topK: intOption('--top-k', o['topK'], 0),
                  seed: intOption('--seed', o['seed']),
                }),
              },
      });
      const tty = process.stdin.isTTY === true;
      if (tty)
        console.log(
          `chatting with ${path} (/reset clears the conversation, /system TEXT sets the system message, /exit or Ctrl-D quits)`,
        );
      const rl = createInterface({
        input: process.stdin,
        output: process.stdout,
        terminal: tty,
        ...(tty ? { prompt: 'you> ' } : {}),
      });
      if (tty) rl.prompt();
      for await (const raw of rl) {
        const line = raw.trim();
        if (line === '') {
          if (tty) rl.prompt();
          continue;
        }
        if (line === '/exit' || line === '/quit') break;
        if (line === '/reset') {
          session.reset();
          console.log('(conversation cleared)');
        } else if (line.startsWith('/system ')) {
          session.options.system = line.slice(8);
          session.reset();
          console.log('(system message set; conversation cleared)');
        } else {
          process.stdout.write(tty ? 'assistant> ' : '');
          for await (const delta of session.send(line)) process.stdout.write(delta);
          process.stdout.write('\n');
        }
        if (tty) rl.prompt();
      }
      rl.close();
    });
}
