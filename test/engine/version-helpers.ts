export { tensor, noGrad } from '../../src/engine/index.ts';
import { LlmtsError } from '../../src/core/errors.ts';

export function LlmtsErrorCheck(e: unknown, code: string, message: RegExp): boolean {
  return e instanceof LlmtsError && e.code === code && message.test(e.message);
}
