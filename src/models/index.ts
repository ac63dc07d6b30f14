export * from './gpt.ts';
export * from './bert.ts';
export * from './encoder-decoder.ts';
export * from './registry.ts';
export * from './generative.ts';
export { scoreTokens } from './score.ts';
export type { TokenScores } from './score.ts';
