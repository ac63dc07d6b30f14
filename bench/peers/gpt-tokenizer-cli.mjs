// The peer of `llmts tokenize --format ids` / `llmts detokenize` in bench/startup.ts: a whole
// process that reads a file, encodes (or decodes) each line with gpt-tokenizer's r50k_base
// (GPT-2's encoding) and writes one line of space-separated ids (or text) per input line in
// one write, as a user of that library would write the command.
//   node bench/peers/gpt-tokenizer-cli.mjs encode|decode FILE > OUT
import { readFileSync, writeSync } from 'node:fs';
import { decode, encode } from 'gpt-tokenizer/encoding/r50k_base';

const [mode, file] = process.argv.slice(2);
if ((mode !== 'encode' && mode !== 'decode') || file === undefined) {
  console.error('usage: gpt-tokenizer-cli.mjs encode|decode FILE');
  process.exit(2);
}
const lines = readFileSync(file, 'utf8').split(/\r\n|\r|\n/);
if (lines[lines.length - 1] === '') lines.pop();
const out = [];
if (mode === 'encode') for (const line of lines) out.push(encode(line).join(' '));
else
  for (const line of lines)
    out.push(
      decode(
        line
          .split(/[\s,]+/)
          .filter((s) => s !== '')
          .map(Number),
      ),
    );
const bytes = Buffer.from(out.join('\n') + '\n', 'utf8');
for (let at = 0; at < bytes.length;) at += writeSync(1, bytes, at);
