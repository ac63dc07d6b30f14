/**
 * Bounded descriptions of untrusted values for error messages. An error about a hostile
 * file must not serialise the file: JSON.stringify of a value nested 100,000 levels deep
 * overflows the stack, and of a 100 MB string builds a 100 MB message. These helpers look
 * at one level only and cut strings, so a message stays one short line whatever the input.
 */

/** Characters of a string shown before it is cut. */
const STRING_CHARS = 60;

/** A string as a quoted literal, cut to `max` characters (the full length is named when cut). */
export function quote(s: string, max = STRING_CHARS): string {
  if (s.length <= max) return JSON.stringify(s);
  // cut on a code point boundary so a surrogate pair is not split into two lone halves
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${JSON.stringify(s.slice(0, end))}... (${s.length} characters)`;
}

/**
 * A short description of any value: primitives by value (strings quoted and cut), arrays
 * and objects by kind and size. Never recurses and never serialises nested data.
 *   describe(undefined) -> 'nothing'; describe('abc') -> '"abc"'; describe([1, [2]]) -> 'an array of 2 items'
 */
export function describe(v: unknown, max = STRING_CHARS): string {
  switch (typeof v) {
    case 'undefined':
      return 'nothing';
    case 'string':
      return quote(v, max);
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint': {
      const s = v.toString();
      return s.length <= max ? s : `an integer of ${s.length} digits`;
    }
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      break;
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (v instanceof Map) return `an object of ${v.size} key${v.size === 1 ? '' : 's'}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${v.byteLength} bytes`;
  let keys = 0;
  for (const k in v as object) if (Object.hasOwn(v as object, k) && ++keys > 999) break;
  return keys > 999 ? 'an object of 1000+ keys' : `an object of ${keys} key${keys === 1 ? '' : 's'}`;
}
