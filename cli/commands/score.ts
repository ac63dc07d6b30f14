/** `llmts score`: every token's log-probability under a causal LM, with the sequence's total, mean and perplexity. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../src/io/load-model.ts';
import { scoreTokens } from '../../src/models/score.ts';
import { GPT } from '../../src/models/gpt.ts';
import { ArgumentError } from '../../src/core/errors.ts';

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
        const ids = o.ids.split(',').map((s) => Number(s.trim()));
        if (ids.some((x) => !Number.isInteger(x)))
          throw new ArgumentError('--ids', `expects comma-separated integers, got ${o.ids}`);
        inputs.push(ids);
      } else {
        if (codec === null) throw new ArgumentError('--model', 'no tokenizer beside the model; use --ids');
        const texts =
          o.text !== undefined
            ? [o.text]
            : readFileSync(o.input!, 'utf8')
                .split('\n')
                .filter((l) => l.length > 0);
        for (const t of texts) inputs.push(codec.encode(t));
      }
      const bos = codec?.eosId;
      for (const ids of inputs) {
        const r = scoreTokens(model, ids, bos);
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
    });
}
