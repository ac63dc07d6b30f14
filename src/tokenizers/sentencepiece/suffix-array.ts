/**
 * Suffix array (SA-IS, linear time) and the internal nodes of the suffix tree enumerated from it
 * with the LCP array (the "enhanced suffix array" of esaxx, which SentencePiece's Unigram trainer
 * uses to find frequent substrings).
 *
 * An internal node is a substring that occurs at least twice and is followed by at least two
 * different characters (or ends the text): occurrences = right - left, length = depth.
 */

/**
 * Suffix array of `text[0, n)` over the alphabet [0, k) (any values; ordered as numbers). Shorter
 * suffixes sort before longer ones they prefix.
 */
export function suffixArray(text: Int32Array, k: number): Int32Array {
  const n = text.length;
  // shift by one and append a unique smallest sentinel 0, as SA-IS needs
  const s = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) s[i] = text[i]! + 1;
  s[n] = 0;
  const sa = new Int32Array(n + 1);
  sais(s, sa, n + 1, k + 1);
  return sa.subarray(1); // drop the sentinel's suffix
}

/** bkt[c] = start (end = false) or end (end = true) of character c's bucket, from the counts. */
function buckets(counts: Int32Array, k: number, bkt: Int32Array, end: boolean): void {
  let sum = 0;
  for (let c = 0; c < k; c++) {
    sum += counts[c]!;
    bkt[c] = end ? sum : sum - counts[c]!;
  }
}

function sais(s: Int32Array, sa: Int32Array, n: number, k: number): void {
  // t[i] = 1: suffix i is S-type (smaller than suffix i+1)
  const t = new Uint8Array(n);
  t[n - 1] = 1;
  for (let i = n - 2; i >= 0; i--) {
    const a = s[i]!;
    const b = s[i + 1]!;
    t[i] = a < b || (a === b && t[i + 1] === 1) ? 1 : 0;
  }
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) counts[s[i]!]!++;
  const bkt = new Int32Array(k);

  const induce = (): void => {
    buckets(counts, k, bkt, false);
    for (let i = 0; i < n; i++) {
      const j = sa[i]! - 1;
      if (j >= 0 && t[j] === 0) sa[bkt[s[j]!]!++] = j;
    }
    buckets(counts, k, bkt, true);
    for (let i = n - 1; i >= 0; i--) {
      const j = sa[i]! - 1;
      if (j >= 0 && t[j] === 1) sa[--bkt[s[j]!]!] = j;
    }
  };

  // 1. sort LMS substrings (i is LMS: S-type after an L-type)
  buckets(counts, k, bkt, true);
  sa.fill(-1, 0, n);
  for (let i = 1; i < n; i++) if (t[i] === 1 && t[i - 1] === 0) sa[--bkt[s[i]!]!] = i;
  induce();

  // 2. compact sorted LMS positions into sa[0, n1) and name them
  let n1 = 0;
  for (let i = 0; i < n; i++) {
    const p = sa[i]!;
    if (p > 0 && t[p] === 1 && t[p - 1] === 0) sa[n1++] = p;
  }
  sa.fill(-1, n1, n);
  let name = 0;
  let prev = -1;
  for (let i = 0; i < n1; i++) {
    const pos = sa[i]!;
    let diff = false;
    for (let d = 0; d < n; d++) {
      const a = pos + d;
      const b = prev + d;
      if (prev === -1 || s[a] !== s[b] || t[a] !== t[b]) {
        diff = true;
        break;
      } else if (d > 0 && ((t[a] === 1 && t[a - 1] === 0) || (t[b] === 1 && t[b - 1] === 0))) break;
    }
    if (diff) {
      name++;
      prev = pos;
    }
    sa[n1 + (pos >> 1)] = name - 1;
  }
  for (let i = n - 1, j = n - 1; i >= n1; i--) if (sa[i]! >= 0) sa[j--] = sa[i]!;

  // 3. sort the reduced problem (recursively if names repeat)
  const s1 = sa.subarray(n - n1, n);
  const sa1 = sa.subarray(0, n1);
  if (name < n1) sais(s1, sa1, n1, name);
  else for (let i = 0; i < n1; i++) sa1[s1[i]!] = i;

  // 4. induce the full order from the sorted LMS suffixes
  for (let i = 1, j = 0; i < n; i++) if (t[i] === 1 && t[i - 1] === 0) s1[j++] = i;
  for (let i = 0; i < n1; i++) sa1[i] = s1[sa1[i]!]!;
  sa.fill(-1, n1, n);
  buckets(counts, k, bkt, true);
  for (let i = n1 - 1; i >= 0; i--) {
    const j = sa[i]!;
    sa[i] = -1;
    sa[--bkt[s[j]!]!] = j;
  }
  induce();
}

export interface SuffixTreeNodes {
  /** number of internal nodes */
  count: number;
  /** node i covers sa[left[i], right[i]): its occurrences */
  left: Int32Array;
  right: Int32Array;
  /** length of the node's substring */
  depth: Int32Array;
}

/**
 * Internal nodes of the suffix tree of `text` given its suffix array (esaxx's suffixtree()).
 * Characters are compared as numbers, sentence boundaries included.
 */
export function suffixTreeNodes(text: Int32Array, sa: Int32Array): SuffixTreeNodes {
  const n = text.length;
  const left = new Int32Array(Math.max(1, n));
  const right = new Int32Array(Math.max(1, n));
  const depth = new Int32Array(Math.max(1, n));
  if (n === 0) return { count: 0, left, right, depth };
  // lcp[i] = LCP(suffix sa[i-1], suffix sa[i]) (Kasai), lcp[0] = -1
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[sa[i]!] = i;
  const lcp = new Int32Array(n);
  let h = 0;
  for (let i = 0; i < n; i++) {
    const r = rank[i]!;
    if (r === 0) {
      h = 0;
      continue;
    }
    const j = sa[r - 1]!;
    while (i + h < n && j + h < n && text[i + h] === text[j + h]) h++;
    lcp[r] = h;
    if (h > 0) h--;
  }
  lcp[0] = -1;
  // stack of (left boundary, depth)
  const stLeft = new Int32Array(2 * n + 2);
  const stDepth = new Int32Array(2 * n + 2);
  let top = 0;
  stLeft[0] = -1;
  stDepth[0] = -1;
  let count = 0;
  for (let i = 0; ; i++) {
    let curLeft = i;
    const curDepth = i === n ? -1 : lcp[i]!;
    while (stDepth[top]! > curDepth) {
      const candLeft = stLeft[top]!;
      if (i - candLeft > 1) {
        left[count] = candLeft;
        right[count] = i;
        depth[count] = stDepth[top]!;
        count++;
      }
      curLeft = candLeft;
      top--;
    }
    if (stDepth[top]! < curDepth) {
      top++;
      stLeft[top] = curLeft;
      stDepth[top] = curDepth;
    }
    if (i === n) break;
    top++;
    stLeft[top] = i;
    stDepth[top] = n - sa[i]! + 1;
  }
  return { count, left, right, depth };
}
