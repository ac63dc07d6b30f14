/** One-line warnings on stderr ("llmts: warning: ..."): something was wrong but the run goes on. */
export function warn(message: string): void {
  process.stderr.write(`llmts: warning: ${message}\n`);
}
