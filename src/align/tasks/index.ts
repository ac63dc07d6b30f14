/** The synthetic tasks by name (`--task NAME` on the CLI). */
import { ConfigError } from '../../core/errors.ts';
import type { GoldTask } from '../shared/gold-task.ts';
import { reviewsTask } from './reviews.ts';
import { arithmeticTask } from './arithmetic.ts';

export type { GoldTask } from '../shared/gold-task.ts';
export { annotateRanking, lastUserText } from '../shared/gold-task.ts';
export { reviewsTask } from './reviews.ts';
export { arithmeticTask, arithmeticReward } from './arithmetic.ts';

export const TASKS: Readonly<Record<string, GoldTask>> = { reviews: reviewsTask, arithmetic: arithmeticTask };

export function getTask(name: string): GoldTask {
  const t = TASKS[name];
  if (t === undefined)
    throw new ConfigError('task', `unknown task "${name}" (available: ${Object.keys(TASKS).join(', ')})`);
  return t;
}
export { collectPreferences, goldPairs, rankedPairs } from './annotate.ts';
export type { AnnotatedGroup } from './annotate.ts';
export {
  taskSftConversations,
  taskPreferences,
  TASK_PREFERENCE_DEFAULTS,
  writePreferenceJsonl,
  writeSftJsonl,
} from './datasets.ts';
export { taskTokenizer } from './tokenizer.ts';
