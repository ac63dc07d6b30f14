/**
 * Nesting limits for recursive readers of untrusted files. A tokenizer.json whose Sequence
 * holds a Sequence 100,000 levels deep would otherwise overflow the stack (a RangeError,
 * not a typed error) when its components are built, printed or applied. Readers that
 * recurse on file structure count their depth with a DepthGuard and fail cleanly past it.
 */

/** Deepest nesting a reader follows. serde_json stops at 128; real files nest a few levels. */
export const MAX_NESTING = 64;

export class DepthGuard {
  private depth = 0;
  constructor(readonly limit = MAX_NESTING) {}

  /**
   * Runs fn one level deeper; past the limit calls `fail` (which throws a typed error
   * naming the file and field) instead.
   */
  nest<T>(fail: (limit: number) => never, fn: () => T): T {
    if (this.depth >= this.limit) fail(this.limit);
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }
}

/**
 * The nesting depth of a parsed JSON value, counted without recursion; stops counting
 * (and returns limit + 1) once past `limit`, so a hostile value costs O(limit) stack and
 * O(size) time. Use before handing parsed data to recursive code (JSON.stringify, validators).
 */
export function jsonDepth(value: unknown, limit = MAX_NESTING): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const depth = d + 1;
    if (depth > max) {
      max = depth;
      if (max > limit) return limit + 1;
    }
    if (Array.isArray(v)) for (const x of v) stack.push([x, depth]);
    else for (const k in v) if (Object.hasOwn(v, k)) stack.push([(v as Record<string, unknown>)[k], depth]);
  }
  return max;
}
