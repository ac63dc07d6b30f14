/** `llmts sft`: supervised fine-tuning on chat data (loss on assistant tokens only). */
import type { Command } from 'commander';
import { join } from 'node:path';
import { sftFromFiles, SFT_DEFAULTS } from '../../src/align/sft.ts';
import { SFT_KINDS, SFT_TEXT } from '../../src/align/stage-options.ts';
import { getTask, taskSftConversations, writeSftJsonl } from '../../src/align/tasks/index.ts';
import { intOption } from '../options.ts';
import { addHyperOptions, fileInputs, hyperFromOptions, TOKENIZER_OPTION } from '../stage.ts';

const SPEC = { defaults: SFT_DEFAULTS, kinds: SFT_KINDS, text: SFT_TEXT };

export function register(program: Command): void {
  const cmd = program
    .command('sft')
    .description(
      'supervised fine-tuning: chat JSONL (messages or prompt/response), a Jinja chat template, loss on assistant tokens only',
    )
    .requiredOption(
      '--model <run>',
      'pretrained (or earlier fine-tuned) run directory, checkpoint or HF GPT-2/LLaMA folder',
    )
    .option(...TOKENIZER_OPTION)
    .requiredOption('--out <dir>', 'run directory (checkpoints, metrics.jsonl, loss.svg, tokenizer files)')
    .option('--data <file>', 'training conversations (JSONL)')
    .option('--task <name>', 'instead of --data: demonstrations of a synthetic task (reviews)')
    .option('--task-examples <n>', 'demonstrations to generate with --task', '4000')
    .option('--val-data <file>', 'validation conversations (JSONL)')
    .option('--val-fraction <x>', 'hold out this fraction of --data when --val-data is absent', '0.05')
    .option(
      '--chat-template <t>',
      "chatml | plain | tokenizer_config.json | .jinja file (default: the model run's, else chatml)",
    );
  addHyperOptions(cmd, SPEC);
  cmd.action(async (o: Record<string, unknown>) => {
    const hyper = hyperFromOptions(o, SPEC);
    const out = o['out'] as string;
    let data = o['data'] as string | undefined;
    if (o['task'] !== undefined) {
      const task = getTask(o['task'] as string);
      data = join(out, 'data', 'sft.jsonl');
      writeSftJsonl(data, taskSftConversations(task, intOption('--task-examples', o['taskExamples'], 1)!, hyper.seed));
      console.log(`task ${task.name}: ${task.description}; demonstrations in ${data}`);
    }
    const r = await sftFromFiles({
      ...hyper,
      ...fileInputs(
        o,
        data,
        (o['valData'] as string | undefined) ?? null,
        'give a JSONL file of conversations, or --task NAME',
      ),
    });
    const e = r.result.lastEval;
    console.log(
      `${r.stats.trainExamples} training / ${r.stats.valExamples} validation conversations${r.stats.truncated > 0 ? `, ${r.stats.truncated} truncated` : ''}${r.stats.dropped > 0 ? `, ${r.stats.dropped} dropped (no assistant token within max_length)` : ''}${r.stats.addedTokens > 0 ? `; added ${r.stats.addedTokens} special tokens` : ''}`,
    );
    console.log(
      `steps ${r.result.steps}, ${r.result.msPerStep.toFixed(1)} ms/step${e ? `, validation loss on assistant tokens ${e['loss']?.toFixed(4)}` : ''}`,
    );
    console.log(`run directory: ${out}   (try: llmts chat --model ${out})`);
  });
}
