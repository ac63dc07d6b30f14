/**
 * `llmts sample`: generate text from a model with any decoding strategy (greedy, sampling,
 * beam search, diverse beam search, contrastive search, speculative decoding with --draft-model).
 *
 * Defaults are Hugging Face generate()'s: the options in the model's generation_config.json
 * (or the token ids of its config.json), then HF's defaults - greedy decoding unless
 * do_sample is set. Flags override the file. Two departures, both documented in --help:
 * --max-new-tokens defaults to 100, or what fits in a fixed context after the prompt (HF: max_length
 * 20), and --seed to 1337. Past a learned-position model's context, generation crops it (a
 * sliding window, as nanoGPT does) and says so once.
 * A flag that would be ignored (a warper without sampling, --stream with beam search) is
 * refused with a message instead.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generate, readGenerationConfig, streamGenerate, continuationText } from '../../src/generate/index.ts';
import type { GenerateOptions, GenerationConfig } from '../../src/generate/index.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { forGeneration } from '../../src/models/generative.ts';
import { ArgumentError, FormatError } from '../../src/core/errors.ts';
import { floatOption, intOption } from '../options.ts';

/** A value option whose flag starts with --no- (commander would read it as a negated boolean). */
function valueOption(flags: string, description: string): Option {
  const opt = new Option(flags, description);
  opt.negate = false;
  return opt;
}

/** Warpers: they change only sampled decoding (HF applies them when do_sample is true). */
const WARPER_FLAGS: readonly [string, string][] = [
  ['temperature', '--temperature'],
  ['topK', '--top-k'],
  ['topP', '--top-p'],
  ['minP', '--min-p'],
  ['typicalP', '--typical-p'],
  ['epsilonCutoff', '--epsilon-cutoff'],
  ['etaCutoff', '--eta-cutoff'],
];

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new FormatError(file, 'not valid JSON', undefined, { cause: err });
  }
}

const TOKEN_KEYS = ['eos_token_id', 'bos_token_id', 'pad_token_id', 'decoder_start_token_id'];

/**
 * The model's own generation options, as HF's GenerationConfig.from_pretrained reads them:
 * generation_config.json beside the model, else the special-token ids of config.json.
 */
export function modelGenerationConfig(modelPath: string): GenerationConfig {
  const dir = existsSync(modelPath) && statSync(modelPath).isDirectory() ? modelPath : dirname(modelPath);
  const genFile = join(dir, 'generation_config.json');
  if (existsSync(genFile)) return readGenerationConfig(readJsonFile(genFile)).config;
  const cfgFile = join(dir, 'config.json');
  if (existsSync(cfgFile)) {
    const raw = readJsonFile(cfgFile);
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const picked = Object.fromEntries(
        Object.entries(raw as Record<string, unknown>).filter(([k]) => TOKEN_KEYS.includes(k)),
      );
      return readGenerationConfig(picked).config;
    }
  }
  return {};
}

function jsonFlag(flag: string, v: unknown): unknown {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(String(v)) as unknown;
  } catch {
    throw new ArgumentError(flag, `expects JSON, got ${String(v)}`);
  }
}

function idList(flag: string, v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  const ids = String(v)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (ids.length === 0 || ids.some((x) => !Number.isInteger(x) || x < 0))
    throw new ArgumentError(flag, `expects comma-separated token ids, got ${String(v)}`);
  return ids;
}

/** Flags -> snake_case generation options (validated by readGenerationConfig, which names the field). */
function flagConfig(o: Record<string, unknown>): GenerationConfig {
  const early = o['earlyStopping'] as string | undefined;
  if (early !== undefined && !['true', 'false', 'never'].includes(early))
    throw new ArgumentError('--early-stopping', `expects true, false or never, got ${early}`);
  const eos = idList('--eos-token-id', o['eosTokenId']);
  const forcedEos = idList('--forced-eos-token-id', o['forcedEosTokenId']);
  const raw: Record<string, unknown> = {
    max_new_tokens: intOption('--max-new-tokens', o['maxNewTokens'], 1),
    min_new_tokens: intOption('--min-new-tokens', o['minNewTokens'], 0),
    min_length: intOption('--min-length', o['minLength'], 0),
    num_beams: intOption('--num-beams', o['numBeams'], 1),
    num_beam_groups: intOption('--num-beam-groups', o['numBeamGroups'], 1),
    diversity_penalty: floatOption('--diversity-penalty', o['diversityPenalty'], 0),
    length_penalty: floatOption('--length-penalty', o['lengthPenalty']),
    early_stopping: early === undefined ? undefined : early === 'never' ? 'never' : early === 'true',
    num_return_sequences: intOption('--num-return-sequences', o['numReturnSequences'], 1),
    penalty_alpha: floatOption('--penalty-alpha', o['penaltyAlpha'], 0, 1),
    temperature: floatOption('--temperature', o['temperature'], 0),
    top_k: intOption('--top-k', o['topK'], 0),
    top_p: floatOption('--top-p', o['topP'], 0, 1),
    min_p: floatOption('--min-p', o['minP'], 0, 1),
    typical_p: floatOption('--typical-p', o['typicalP'], 0, 1),
    epsilon_cutoff: floatOption('--epsilon-cutoff', o['epsilonCutoff'], 0, 1),
    eta_cutoff: floatOption('--eta-cutoff', o['etaCutoff'], 0, 1),
    repetition_penalty: floatOption('--repetition-penalty', o['repetitionPenalty'], 0),
    frequency_penalty: floatOption('--frequency-penalty', o['frequencyPenalty']),
    presence_penalty: floatOption('--presence-penalty', o['presencePenalty']),
    penalty_last_n: intOption('--penalty-last-n', o['penaltyLastN'], -1),
    no_repeat_ngram_size: intOption('--no-repeat-ngram-size', o['noRepeatNgramSize'], 0),
    bad_words_ids: jsonFlag('--bad-words-ids', o['badWordsIds']),
    sequence_bias: jsonFlag('--sequence-bias', o['sequenceBias']),
    logit_bias: jsonFlag('--logit-bias', o['logitBias']),
    suppress_tokens: idList('--suppress-tokens', o['suppressTokens']),
    begin_suppress_tokens: idList('--begin-suppress-tokens', o['beginSuppressTokens']),
    forced_bos_token_id: intOption('--forced-bos-token-id', o['forcedBosTokenId'], 0),
    forced_eos_token_id: forcedEos === undefined ? undefined : forcedEos.length === 1 ? forcedEos[0] : forcedEos,
    renormalize_logits: o['renormalizeLogits'] === true ? true : undefined,
    eos_token_id: eos === undefined ? undefined : eos.length === 1 ? eos[0] : eos,
    pad_token_id: intOption('--pad-token-id', o['padTokenId'], 0),
    stop_strings: o['stop'] as string[] | undefined,
    output_scores: o['outputScores'] === true ? true : undefined,
  };
  for (const [flag, key] of [
    ['--do-sample', 'doSample'],
    ['--greedy', 'greedy'],
  ] as const)
    if (o[key] !== undefined && o[key] !== true) throw new ArgumentError(flag, 'takes no value');
  return readGenerationConfig(raw).config;
}

/** -Infinity (a removed token) and NaN have no JSON number: null. */
function scoreRow(row: Float32Array): (number | null)[] {
  return Array.from(row, (x) => (Number.isFinite(x) ? x : null));
}

export function register(program: Command): void {
  program
    .command('sample')
    .description('generate text from a model (run directory, checkpoint, quantized or HF model directory)')
    .requiredOption('--model <path>', 'run directory, checkpoint file, quantized or HF model directory')
    .option('--prompt <text...>', 'prompt(s); several give a left-padded batch', ['\n'])
    .option('--generation-config <file>', "generation options as JSON (default: the model's generation_config.json)")
    .option(
      '--max-new-tokens <n>',
      'tokens to generate (default: the generation config, else 100 or what fits in the context after the prompt)',
    )
    .option('--min-new-tokens <n>', 'no EOS before this many new tokens')
    .option('--min-length <n>', 'no EOS before the row (prompt included) is this long')
    .option('--do-sample', 'sample from the distribution (default: greedy, as HF generate(), unless the config says)')
    .option('--greedy', 'greedy (or beam) search even if the generation config samples')
    .option('--temperature <t>', 'sampling temperature (0 = greedy); needs --do-sample')
    .option('--top-k <k>', 'keep the k most likely tokens (HF default 50 when sampling); needs --do-sample')
    .option('--top-p <p>', 'nucleus sampling; needs --do-sample')
    .option('--min-p <p>', 'drop tokens below p x the top probability; needs --do-sample')
    .option('--typical-p <p>', 'locally typical sampling; needs --do-sample')
    .option('--epsilon-cutoff <e>', 'drop tokens below probability e; needs --do-sample')
    .option('--eta-cutoff <e>', 'drop tokens below min(e, sqrt(e) exp(-entropy)); needs --do-sample')
    .option('--repetition-penalty <x>', 'CTRL repetition penalty over the prompt and the generated tokens')
    .option('--frequency-penalty <x>', 'OpenAI-style frequency penalty')
    .option('--presence-penalty <x>', 'OpenAI-style presence penalty')
    .option('--penalty-last-n <n>', 'window of the frequency/presence penalties (-1 = everything)')
    .addOption(valueOption('--no-repeat-ngram-size <n>', 'never repeat an n-gram of this size'))
    .option('--bad-words-ids <json>', 'token sequences never to generate, e.g. [[5], [7, 8]]')
    .option('--sequence-bias <json>', 'additive biases of token sequences, e.g. [[[5], -2.0], [[7, 8], 1.5]]')
    .option('--logit-bias <json>', 'additive per-token biases, e.g. {"5": -100}')
    .option('--suppress-tokens <ids>', 'comma-separated ids never generated')
    .option('--begin-suppress-tokens <ids>', 'comma-separated ids not generated as the first new token')
    .option('--forced-bos-token-id <id>', 'the token forced as the first one of an empty row')
    .option('--forced-eos-token-id <ids>', 'the EOS id(s) forced when the budget runs out')
    .option('--renormalize-logits', 'log-softmax the processed scores (HF renormalize_logits)')
    .option('--num-beams <n>', 'beam search width (beam sampling with --do-sample)')
    .option('--num-beam-groups <n>', 'diverse beam search: groups of beams')
    .option('--diversity-penalty <x>', 'diverse beam search: penalty on tokens chosen by earlier groups')
    .option('--length-penalty <x>', 'beam scores divided by length ** x')
    .option('--early-stopping <v>', 'true | false | never')
    .option('--num-return-sequences <n>', 'sequences per prompt (sampling or beam search)')
    .option('--penalty-alpha <a>', 'contrastive search degeneration penalty (with --top-k > 1, greedy)')
    .option('--eos-token-id <ids>', 'comma-separated EOS ids (default: the generation config, else the tokenizer)')
    .option('--pad-token-id <id>', 'padding id for left-padded batches')
    .option('--stop <s...>', 'stop strings')
    .option('--seed <n>', 'sampling seed', '1337')
    .option('--draft-model <path>', 'speculative decoding: a small model with the same vocabulary proposes tokens')
    .option(
      '--num-assistant-tokens <n>',
      'speculative decoding: tokens the draft proposes per verification (default 4)',
    )
    .option('--no-kv-cache', 'recompute the whole prefix each step')
    .option('--stream', 'print text as it is generated (with --json: one JSON chunk per line)')
    .option('--output-scores', "with --json: each step's processed score row (null = removed token)")
    .option('--json', 'one JSON object per generated sequence')
    .action(async (o: Record<string, unknown>) => {
      const modelPath = o['model'] as string;
      const base: GenerationConfig =
        o['generationConfig'] !== undefined
          ? readGenerationConfig(readJsonFile(o['generationConfig'] as string)).config
          : modelGenerationConfig(modelPath);
      const flags = flagConfig(o);
      if (o['doSample'] === true && o['greedy'] === true)
        throw new ArgumentError('--greedy', 'contradicts --do-sample: give one of them');
      const doSample = o['doSample'] === true ? true : o['greedy'] === true ? false : (base.doSample ?? false);
      // a warper flag without sampling would change nothing (HF only warns): refuse it
      for (const [key, flag] of WARPER_FLAGS) {
        const v = (flags as Record<string, unknown>)[key];
        if (v === undefined || doSample || (key === 'temperature' && v === 0)) continue;
        if (key === 'topK' && (flags.penaltyAlpha ?? base.penaltyAlpha ?? 0) > 0) continue; // contrastive search's k
        throw new ArgumentError(
          flag,
          o['greedy'] === true
            ? 'is a sampling option and --greedy decodes greedily: drop one of them'
            : 'is a sampling option: add --do-sample (llmts sample decodes greedily by default, as HF generate())',
        );
      }
      const { model, codec } = loadModel(modelPath);
      if (codec === null)
        throw new ArgumentError(
          '--model',
          'no tokenizer.json or chars.json beside the model: cannot turn text into ids',
        );
      const gm = forGeneration(model);
      const cfg: GenerationConfig = { ...base, ...flags, doSample };
      const prompts = (o['prompt'] as string[]).map((p) => p.replace(/\\n/g, '\n'));
      if (cfg.maxNewTokens === undefined && cfg.maxLength === undefined) {
        // 100, or what fits in a fixed context after the longest prompt (past it, generation crops the context)
        const ctx = gm.maxPositions;
        const room = ctx === undefined ? 100 : ctx - Math.max(...prompts.map((p) => codec.encode(p).length));
        cfg.maxNewTokens = room >= 1 ? Math.min(100, room) : Math.min(100, ctx ?? 100);
      }
      if (flags.maxNewTokens !== undefined) delete cfg.maxLength;
      if (cfg.eosTokenId === undefined && codec.eosId !== undefined) cfg.eosTokenId = codec.eosId;
      const opts: GenerateOptions = {
        ...cfg,
        seed: intOption('--seed', o['seed'])!,
        useCache: o['kvCache'] !== false,
      };
      if (o['draftModel'] !== undefined) {
        const d = loadModel(o['draftModel'] as string);
        opts.assistantModel = forGeneration(d.model);
        const k = intOption('--num-assistant-tokens', o['numAssistantTokens'], 1);
        if (k !== undefined) opts.numAssistantTokens = k;
      } else if (o['numAssistantTokens'] !== undefined)
        throw new ArgumentError('--num-assistant-tokens', 'needs --draft-model');
      const json = o['json'] === true;
      if (o['outputScores'] === true && !json)
        throw new ArgumentError('--output-scores', 'needs --json (score rows are printed as JSON)');
      if (opts.assistantModel !== undefined && o['stream'] === true)
        throw new ArgumentError('--stream', 'speculative decoding (--draft-model) does not stream yet');
      if (o['stream'] === true) {
        if ((cfg.numBeams ?? 1) > 1)
          throw new ArgumentError('--stream', 'beam search cannot stream (the best beam is known only at the end)');
        const rows = prompts.length * (cfg.numReturnSequences ?? 1);
        if (rows > 1 && !json)
          throw new ArgumentError('--stream', 'several prompts or sequences interleave: add --json for tagged chunks');
        if (!json) process.stdout.write(prompts[0]!);
        for await (const chunk of streamGenerate(gm, codec, prompts, { ...opts, decodeWithPrompt: true })) {
          if (!json) process.stdout.write(chunk.text);
          else
            console.log(
              JSON.stringify({
                index: chunk.index,
                prompt_index: chunk.promptIndex,
                text: chunk.text,
                tokens: chunk.tokens,
                ...(chunk.finishReason === undefined ? {} : { finish_reason: chunk.finishReason }),
              }),
            );
        }
        if (!json) process.stdout.write('\n');
        return;
      }
      const result = await generate(gm, codec, prompts, opts);
      for (const s of result.sequences) {
        const prompt = prompts[s.promptIndex]!;
        // the continuation as decode(prompt + generated) shows it: a SentencePiece decoder strips
        // the leading space of a text's first token, so decoding the new ids alone loses a word boundary
        const text = continuationText(
          codec,
          gm.isEncoderDecoder === true ? [] : result.promptIds[s.promptIndex]!,
          s.ids,
        );
        if (json)
          console.log(
            JSON.stringify({
              prompt,
              text,
              ids: s.ids,
              finish_reason: s.finishReason,
              score: s.score,
              ...(result.speculative === undefined ? {} : { speculative: result.speculative }),
              ...(s.scores === undefined ? {} : { scores: s.scores.map(scoreRow) }),
            }),
          );
        else console.log(`${prompt}${text}\n${'-'.repeat(40)}`);
      }
    });
}
