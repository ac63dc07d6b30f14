/**
 * "arithmetic": a task with a verifiable reward (the recipe of DeepSeek-R1's and TRL's reward
 * functions): add two two-digit numbers; the answer is right or wrong.
 *
 *   user:       What is 3 7 + 4 8 ?
 *   assistant:  3 7 + 4 8 = 8 5
 *
 * Digits are written apart so any tokenizer sees one token per digit (a byte-level BPE would
 * otherwise learn "37" and "85" as whole tokens and turn addition into a lookup table).
 * Gold reward = exact match: 1 when the number after the last "=" of a finished answer is the
 * sum, else 0 (so the gold reward is the accuracy). Demonstrations are right three times in
 * four; the careless ones drop a carry or slip a digit by one, so SFT imitates an 75%-accurate
 * writer and only the verifier can push past that. Held-out problems: the pairs with
 * (100 a + b) mod 37 = 0, never trained on.
 */
import type { Generator } from '../../core/random.ts';
import type { ChatMessage } from '../../data/chat/template.ts';
import type { GoldTask } from '../shared/gold-task.ts';
import { lastUserText } from '../shared/gold-task.ts';

const spaced = (n: number): string => String(n).split('').join(' ');

function pairs(split: 'train' | 'eval'): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 10; a <= 99; a++)
    for (let b = 10; b <= 99; b++) if (((100 * a + b) % 37 === 0) === (split === 'eval')) out.push([a, b]);
  return out;
}

const PROMPTS = {
  train: pairs('train').map(([a, b]) => [{ role: 'user', content: `What is ${spaced(a)} + ${spaced(b)} ?` }]),
  eval: pairs('eval').map(([a, b]) => [{ role: 'user', content: `What is ${spaced(a)} + ${spaced(b)} ?` }]),
} as const satisfies Record<string, ChatMessage[][]>;

/** The two operands of a prompt ("What is 3 7 + 4 8 ?"), or null. */
export function operands(prompt: string): [number, number] | null {
  const m = /([\d ]+)\+([\d ]+)\?/.exec(prompt);
  if (m === null) return null;
  const a = Number(m[1]!.replace(/ /g, ''));
  const b = Number(m[2]!.replace(/ /g, ''));
  return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null;
}

/** The number after the last "=" of an answer (digits may be spaced), or null. */
export function answerOf(completion: string): number | null {
  const eq = completion.lastIndexOf('=');
  if (eq < 0) return null;
  const digits = completion.slice(eq + 1).trim();
  if (!/^\d( ?\d)*$/.test(digits)) return null;
  return Number(digits.replace(/ /g, ''));
}

/** The verifiable reward: 1 if the answer is the sum of the prompt's operands, else 0. */
export function arithmeticReward(prompt: string, completion: string): number {
  const ops = operands(prompt);
  return ops !== null && answerOf(completion) === ops[0] + ops[1] ? 1 : 0;
}

function careless(a: number, b: number, g: Generator): number {
  const s = a + b;
  const carry = (a % 10) + (b % 10) >= 10;
  if (carry && g.random() < 0.5) return s - 10; // forgot the carry
  return s + (g.random() < 0.5 ? -1 : 1) * (g.random() < 0.5 ? 1 : 10); // slipped a digit
}

export const arithmeticTask: GoldTask = {
  name: 'arithmetic',
  description: 'add two two-digit numbers; the reward is exact match (verifiable)',
  maxGold: 1,
  prompts: (split) => PROMPTS[split].map((p) => p.map((m) => ({ ...m }))),
  demonstration(prompt, g) {
    const [a, b] = operands(lastUserText(prompt)) ?? [0, 0];
    const s = g.random() < 0.25 ? careless(a, b, g) : a + b;
    return `${spaced(a)} + ${spaced(b)} = ${spaced(s)}`;
  },
  gold(prompt, response, finished) {
    return finished ? arithmeticReward(lastUserText(prompt), response) : 0;
  },
  corpus(g, n) {
    // arithmetic as it appears in text: correct sums of small numbers, among words
    return Array.from({ length: n }, () => {
      const a = 10 + g.randint(90);
      const b = 10 + g.randint(90);
      return g.random() < 0.5
        ? `${spaced(a)} + ${spaced(b)} = ${spaced(a + b)}`
        : `The sum of ${spaced(a)} and ${spaced(b)} is ${spaced(a + b)} .`;
    });
  },
};
