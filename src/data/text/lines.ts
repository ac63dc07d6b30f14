/**
 * Line and paragraph helpers with Python's semantics, so the Gopher/C4/FineWeb rules
 * count exactly what datatrove counts.
 */

// python str.splitlines() boundaries: \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029
const PY_LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python's `str.splitlines()`: no trailing empty element, `""` -> `[]`. */
export function pySplitlines(text: string): string[] {
  if (text.length === 0) return [];
  const parts = text.split(PY_LINE_BREAK);
  // a trailing break does not open a new (empty) line
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * Counts repeats in a list: every occurrence after the first is a duplicate.
 * Returns [duplicate elements, total chars of the duplicate elements].
 * Example: ["a", "bb", "a", "a"] -> [2, 2]
 */
export function findDuplicates(items: readonly string[]): [number, number] {
  const seen = new Set<string>();
  let elements = 0;
  let chars = 0;
  for (const item of items) {
    if (seen.has(item)) {
      elements++;
      chars += item.length;
    } else seen.add(item);
  }
  return [elements, chars];
}

/** Counts occurrences of a substring (non-overlapping, like Python's str.count). */
export function countSubstring(text: string, needle: string): number {
  if (needle.length === 0) return text.length + 1;
  let n = 0;
  let i = text.indexOf(needle);
  while (i !== -1) {
    n++;
    i = text.indexOf(needle, i + needle.length);
  }
  return n;
}

/** Python's `str.strip()` whitespace set is Unicode whitespace; JS trim() is the same set plus BOM. */
export function pyStrip(s: string): string {
  return s.trim();
}
