/**
 * "reviews": the user asks about a thing; the assistant should answer politely, stay on the
 * thing asked about, and say nice things about it, in a short sentence.
 *
 *   user:       Describe the garden.
 *   assistant:  Sure! The garden is lovely, bright and charming.
 *
 * Answers follow `[opener] The <topic> is <adjective list>.` where the list is "a", "a and b",
 * "a, b and c", ... Gold reward of a well-formed, finished answer:
 *   +1 on topic (the thing asked about), -1 off topic
 *   + the sum of the adjectives' sentiments (+1 positive, 0 neutral, -1 negative)
 *   + opener: "Sure!" +0.5, "Ugh." -0.5, "Well," or none 0
 *   - 1 per repeated adjective
 *   - 1.5 per adjective beyond three (nobody wants a list)
 * A malformed or unfinished answer (no EOS) gets -2. The best is 4.5: "Sure! The garden is
 * lovely, bright and charming."
 *
 * Demonstrations use random openers and one to three distinct random adjectives, and one in
 * four is about another topic than the one asked (careless writers), so the SFT policy is
 * fluent but neutral on average (gold about 0.4): politeness, staying on topic and
 * positivity are left to learn from preferences. Demonstrations never repeat an adjective
 * and never list more than three, so a reward model trained on rankings of SFT answers has
 * seen neither: on the answers it knows, more positive words are better, and it extrapolates
 * that to repeated and longer lists, which the gold reward punishes. Without the KL penalty
 * (beta = 0) PPO finds exactly those answers.
 */
import type { Generator } from '../../core/random.ts';
import type { ChatMessage } from '../../data/chat/template.ts';
import type { GoldTask } from '../shared/gold-task.ts';
import { lastUserText } from '../shared/gold-task.ts';

export const TOPICS = [
  'cat',
  'dog',
  'garden',
  'river',
  'movie',
  'song',
  'book',
  'city',
  'coffee',
  'tea',
  'train',
  'beach',
  'forest',
  'market',
  'school',
  'museum',
];
export const POSITIVE = ['lovely', 'great', 'wonderful', 'bright', 'charming', 'friendly'];
export const NEGATIVE = ['awful', 'boring', 'dirty', 'noisy', 'ugly', 'gloomy'];
export const NEUTRAL = ['large', 'small', 'old', 'modern', 'busy', 'simple'];
const ADJECTIVES = [...POSITIVE, ...NEGATIVE, ...NEUTRAL];
const SENTIMENT = new Map<string, number>([
  ...POSITIVE.map((a) => [a, 1] as const),
  ...NEGATIVE.map((a) => [a, -1] as const),
  ...NEUTRAL.map((a) => [a, 0] as const),
]);
const OPENERS: [string, number][] = [
  ['', 0],
  ['Sure! ', 0.5],
  ['Well, ', 0],
  ['Ugh. ', -0.5],
];
/** Fraction of demonstrations about another topic than the one asked (careless writers). */
export const OFF_TOPIC = 0.25;
const QUESTIONS = ['Describe the {}.', 'Tell me about the {}.', 'What do you think of the {}?'];

function pick<T>(xs: readonly T[], g: Generator): T {
  return xs[g.randint(xs.length)]!;
}

export function adjectiveList(adjs: readonly string[]): string {
  if (adjs.length === 1) return adjs[0]!;
  return `${adjs.slice(0, -1).join(', ')} and ${adjs[adjs.length - 1]}`;
}

/** The topic a prompt asks about, or null. */
export function promptTopic(prompt: readonly ChatMessage[]): string | null {
  const m = /the ([a-z]+)[.?]\s*$/.exec(lastUserText(prompt));
  return m !== null && TOPICS.includes(m[1]!) ? m[1]! : null;
}

export interface ParsedReview {
  opener: number;
  topic: string;
  adjectives: string[];
}

const ANSWER = /^(Sure! |Well, |Ugh\. )?The ([a-z]+) is ([a-z, ]+)\.$/;

export function parseReview(text: string): ParsedReview | null {
  const m = ANSWER.exec(text.trim());
  if (m === null) return null;
  const opener = OPENERS.find(([o]) => o === (m[1] ?? ''))![1];
  const words = m[3]!.split(/,\s*|\s+and\s+/).map((w) => w.trim());
  // the list must be written "a", "a and b" or "a, b, ... and z"
  if (words.length === 0 || words.some((w) => !SENTIMENT.has(w)) || adjectiveList(words) !== m[3]) return null;
  return { opener, topic: m[2]!, adjectives: words };
}

export function reviewGold(prompt: readonly ChatMessage[], response: string, finished: boolean): number {
  if (!finished) return -2;
  const r = parseReview(response);
  if (r === null || !TOPICS.includes(r.topic)) return -2;
  const asked = promptTopic(prompt);
  let g = r.topic === asked ? 1 : -1;
  g += r.adjectives.reduce((s, a) => s + SENTIMENT.get(a)!, 0);
  g += r.opener;
  g -= r.adjectives.length - new Set(r.adjectives).size;
  g -= 1.5 * Math.max(0, r.adjectives.length - 3);
  return g;
}

export const reviewsTask: GoldTask = {
  name: 'reviews',
  description: 'answer "Describe the X." politely, on topic and positively, in one short sentence',
  maxGold: 4.5,
  prompts(split) {
    // a fixed split of (question, topic) pairs: every topic is seen in training
    const out: ChatMessage[][] = [];
    TOPICS.forEach((t, ti) =>
      QUESTIONS.forEach((q, qi) => {
        const heldOut = (ti + qi) % 6 === 0;
        if ((split === 'eval') === heldOut) out.push([{ role: 'user', content: q.replace('{}', t) }]);
      }),
    );
    return out;
  },
  demonstration(prompt, g) {
    const asked = promptTopic(prompt) ?? pick(TOPICS, g);
    const topic = g.random() < OFF_TOPIC ? pick(TOPICS, g) : asked;
    const n = 1 + g.randint(3);
    const pool = [...ADJECTIVES];
    const adjs: string[] = [];
    for (let i = 0; i < n; i++) adjs.push(pool.splice(g.randint(pool.length), 1)[0]!);
    return `${pick(OPENERS, g)[0]}The ${topic} is ${adjectiveList(adjs)}.`;
  },
  gold: reviewGold,
  corpus(g, n) {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = pick(TOPICS, g);
      out.push(
        `${pick(QUESTIONS, g).replace('{}', t)} ${this.demonstration([{ role: 'user', content: `Describe the ${t}.` }], g)}`,
      );
    }
    return out;
  },
};
