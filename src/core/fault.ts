/**
 * Named fault points for crash tests. With LLMTS_FAULT=<point> (or <point>@<n> for its n-th
 * time, counting from 1), the process kills itself with SIGKILL when it reaches that
 * point, exactly as a power cut or `kill -9` would: no finally blocks, no exit handlers.
 * Tests use it to stop a child process at a chosen step of a write deterministically.
 * Unset (always, outside tests) it costs one comparison.
 *
 * Points: atomic:before-rename (a temp file written and fsynced, not yet renamed) and
 * atomic:before-rename:<file name> (that file only), atomic:after-rename[:<file name>],
 * train:after-step (an optimizer step done and logged, before its checkpoint),
 * prepare:staged (shards written to the staging folder, not yet published).
 */
const spec = process.env['LLMTS_FAULT'];
const [point, nth] = spec === undefined ? [undefined, 1] : [spec.split('@')[0], Number(spec.split('@')[1] ?? 1)];
let seen = 0;

export function faultPoint(name: string): void {
  if (point === undefined || name !== point) return;
  if (++seen < nth) return;
  process.kill(process.pid, 'SIGKILL');
}
