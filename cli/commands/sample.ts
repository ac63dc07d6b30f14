/** `llmts sample`: generate text from a trained model with any decoding strategy (greedy, sampling, beam search). */
import type { Command } from 'commander';
import { generate, streamText } from '../../src/generate/index.ts';
import type { GenerateOptions } from '../../src/generate/index.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { forGeneration } from '../../src/models/generative.ts';
import { ArgumentError } from '../../src/core/errors.ts';
import { defined, floatOption, intOption } from '../options.ts';

export function register(program: Command): void {
  program
    .command('sample')
    .description('generate text from a model (run directory, checkpoint or HF model directory)')
    .requiredOption('--model <path>', 'run directory, checkpoint file or HF model directory')
    .option('--prompt <text...>', 'prompt(s); several give a left-padded batch', ['\n'])
    .option('--max-new-tokens <n>', 'tokens to generate', '100')
    .option('--temperature <t>', 'sampling temperature (0 = greedy)')
    .option('--top-k <k>')
    .option('--top-p <p>')
    .option('--min-p <p>')
    .option('--typical-p <p>')
    .option('--repetition-penalty <x>')
    .option('--frequency-penalty <x>')
    .option('--presence-penalty <x>')
    .option('--no-repeat-ngram-size <n>')
    .option('--num-beams <n>', 'beam search width')
    .option('--length-penalty <x>')
    .option('--early-stopping <v>', 'true | false | never')
    .option('--num-return-sequences <n>')
    .option('--greedy', 'greedy decoding (no sampling)')
    .option('--stop <s...>', 'stop strings')
    .option('--seed <n>', 'sampling seed', '1337')
    .option('--no-kv-cache', 'recompute the whole prefix each step')
    .option('--stream', 'print text as it is generated')
    .option('--json', 'one JSON object per generated sequence')
    .action(async (o: Record<string, unknown>) => {
      const { model, codec } = loadModel(o['model'] as string);
      if (codec === null)
        throw new ArgumentError(
          '--model',
          'no tokenizer.json or chars.json beside the model: cannot turn text into ids',
        );
      const gm = forGeneration(model);
      const temperature = floatOption('--temperature', o['temperature'], 0);
      const beams = intOption('--num-beams', o['numBeams'], 1);
      const greedy = o['greedy'] === true || temperature === 0;
      const early = o['earlyStopping'] as string | undefined;
      if (early !== undefined && !['true', 'false', 'never'].includes(early))
        throw new ArgumentError('--early-stopping', `expects true, false or never, got ${early}`);
      const opts: GenerateOptions = {
        ...defined({
          maxNewTokens: intOption('--max-new-tokens', o['maxNewTokens'], 1),
          temperature: greedy ? undefined : temperature,
          topK: intOption('--top-k', o['topK'], 0),
          topP: floatOption('--top-p', o['topP'], 0, 1),
          minP: floatOption('--min-p', o['minP'], 0, 1),
          typicalP: floatOption('--typical-p', o['typicalP'], 0, 1),
          repetitionPenalty: floatOption('--repetition-penalty', o['repetitionPenalty'], 0),
          frequencyPenalty: floatOption('--frequency-penalty', o['frequencyPenalty']),
          presencePenalty: floatOption('--presence-penalty', o['presencePenalty']),
          noRepeatNgramSize: intOption('--no-repeat-ngram-size', o['noRepeatNgramSize'], 0),
          numBeams: beams,
          lengthPenalty: floatOption('--length-penalty', o['lengthPenalty']),
          earlyStopping: early === undefined ? undefined : early === 'never' ? ('never' as const) : early === 'true',
          numReturnSequences: intOption('--num-return-sequences', o['numReturnSequences'], 1),
          stopStrings: o['stop'] as string[] | undefined,
          seed: intOption('--seed', o['seed']),
          eosTokenId: codec.eosId,
        }),
        doSample: !greedy && (beams ?? 1) === 1 ? true : !greedy && (beams ?? 1) > 1,
        useCache: o['kvCache'] !== false,
      };
      const prompts = (o['prompt'] as string[]).map((p) => p.replace(/\\n/g, '\n'));
      if (o['stream'] === true && prompts.length === 1 && (beams ?? 1) === 1) {
        process.stdout.write(prompts[0]!);
        for await (const delta of streamText(gm, codec, prompts[0]!, opts)) process.stdout.write(delta);
        process.stdout.write('\n');
        return;
      }
      const result = await generate(gm, codec, prompts, opts);
      for (const s of result.sequences) {
        const prompt = prompts[s.promptIndex]!;
        if (o['json'] === true)
          console.log(
            JSON.stringify({ prompt, text: s.text, ids: s.ids, finish_reason: s.finishReason, score: s.score }),
          );
        else console.log(`${prompt}${s.text ?? ''}\n${'-'.repeat(40)}`);
      }
    });
}
