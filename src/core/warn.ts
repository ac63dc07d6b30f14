import { warnLine } from './platform.ts';

/** One-line warnings on stderr ("llmts: warning: ..."): something was wrong but the run goes on. */
export function warn(message: string): void {
  warnLine(`llmts: warning: ${message}`);
}
