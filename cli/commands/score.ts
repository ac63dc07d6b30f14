/** `llmts score`: every token's log-probability under a causal LM, with the sequence's total, mean and perplexity. */
import type { Command } from 'commander';
import { loadModel } from '../../src/io/load-model.ts';
import { scoreTokens } from '../../src/models/score.ts';
import { GPT } from '../../src/models/gpt.ts';
import { ArgumentError, NumericError } from '../../src/core/errors.ts';
import { readTextInput } from '../options.ts';

export function register(program: Command): void {
  program
    .command('score')
    .description(
      "print each token's log-probability given the tokens before it (causal LMs), and the total, mean and perplexity",
    )
    .requiredOption('--model <path>', 'run directory, checkpoint or HF model directory')
    .option('--text <text>', 'text to score')
    .option('--ids <ids>', 'comma-separated token ids')
    .option('--input <file>', 'score every line of a file')
    .option('--json', 'one JSON object per input: {"ids","logprobs","mean_logprob"}')
    .action((o: { model: string; text?: string; ids?: string; input?: string; json?: boolean }) => {
      const { model, codec } = loadModel(o.model);
      if (!(model instanceof GPT)) throw new ArgumentError('--model', 'scoring needs a causal LM (GPT family)');
      const inputs: number[][] = [];
      const given = [o.text, o.ids, o.input].filter((x) => x !== undefined).length;
      if (given !== 1) throw new ArgumentError('score', 'give exactly one of --text, --ids or --input');
      if (o.ids !== undefined) {
        const ids = o.ids.split(',').map((s) => (s.trim() === '' ? NaN : Number(s.trim())));
        if (ids.some((x) => !Number.isInteger(x)))
          throw new ArgumentError('--ids', `expects comma-separated integers, got ${o.ids.slice(0, 80)}`);
        inputs.push(ids);
      } else {
        if (codec === null) throw new ArgumentError('--model', 'no tokenizer beside the model; use --ids');
        const texts =
          o.text !== undefined
            ? [o.text]
            : readTextInput('--input', o.input!)
                .split('\n')
                .filter((l) => l.length > 0);
        for (const t of texts) inputs.push(codec.encode(t));
      }
      const bos = codec?.eosId;
      const V = model.config.vocabSize;
      for (const ids of inputs) {
        const bad = ids.find((id) => id < 0 || id >= V);
        if (bad !== undefined)
          throw new ArgumentError('--ids', `token id ${bad} is outside the model's vocabulary [0, ${V})`);
      }
      let nonFinite = 0;
      for (const ids of inputs) {
        const r = scoreTokens(model, ids, bos);
        if (!Number.isFinite(r.totalLogprob)) nonFinite++;
        if (o.json) {
          console.log(JSON.stringify({ ids, logprobs: r.logprobs, mean_logprob: r.meanLogprob }));
          continue;
        }
        ids.forEach((id, i) => {
          const piece = codec ? JSON.stringify(codec.decode([id])) : String(id);
          const lp = r.logprobs[i];
          console.log(
            `${String(id).padStart(7)} ${piece.padEnd(16)} ${lp === null || lp === undefined ? '   (no context)' : lp.toFixed(4).padStart(10)}`,
          );
        });
        console.log(
          `total ${r.totalLogprob.toFixed(4)}  mean ${r.meanLogprob.toFixed(4)}  perplexity ${Math.exp(-r.meanLogprob).toFixed(3)}  (${r.scored} tokens scored)`,
        );
      }
      // a model with NaN or infinite weights scores NaN: that is a failure, not a result
      if (nonFinite > 0)
        throw new NumericError(
          `${nonFinite} of ${inputs.length} score${inputs.length === 1 ? ' is' : 's are'} not finite: the model's weights are NaN or infinite (a diverged run?)`,
        );
    });
}
