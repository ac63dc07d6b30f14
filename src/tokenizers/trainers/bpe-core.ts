/**
 * The BPE training loop of Hugging Face's BpeTrainer, on counted words:
 * - vocabulary = special tokens, then the alphabet sorted by code point (or byte order), then merges;
 * - pair counts are computed once; each merge rewrites only the words that contain the pair
 *   (an index pair -> words) and applies the +/- count changes it causes;
 * - a max-heap of (count, pair) with lazy invalidation picks the next merge: most frequent first,
 *   ties to the smaller (id a, id b). No rescan per merge.
 */
import { createProgress } from '../../core/progress.ts';
import { Heap } from './heap.ts';
import { tokenTable } from './token-table.ts';

export interface BpeCoreOptions {
  vocabSize: number;
  minFrequency: number;
  specialTokens: readonly string[];
  /** Keep only the most frequent characters (initial alphabet included). */
  limitAlphabet: number | null;
  /** Characters always in the alphabet (e.g. the 256 byte-level characters). */
  initialAlphabet: readonly string[];
  /** 'codepoint' (HF) or an explicit order of alphabet characters (e.g. byte order). */
  alphabetOrder: 'codepoint' | readonly string[];
  continuingSubwordPrefix: string | null;
  endOfWordSuffix: string | null;
  /** Merged tokens longer than this many characters are not formed. */
  maxTokenLength: number | null;
  showProgress: boolean;
}

export interface BpeCoreResult {
  vocab: Map<string, number>;
  merges: [string, string][];
}

const SHIFT = 2097152; // 2^21: pair key = a * SHIFT + b

interface QueueEntry {
  key: number;
  count: number;
  pos: number[];
}

export function trainBpeCore(wordCounts: ReadonlyMap<string, number>, o: BpeCoreOptions): BpeCoreResult {
  const { id2w, w2id, add: addToken } = tokenTable();
  for (const s of o.specialTokens) addToken(s);

  // alphabet (HF compute_alphabet)
  const alphabet = new Map<string, number>();
  for (const [word, c] of wordCounts) for (const ch of word) alphabet.set(ch, (alphabet.get(ch) ?? 0) + c);
  for (const ch of o.initialAlphabet) alphabet.set(ch, Number.MAX_SAFE_INTEGER);
  let kept = [...alphabet.entries()];
  if (o.limitAlphabet !== null && kept.length > o.limitAlphabet) {
    kept.sort((x, y) => x[1] - y[1]);
    kept = kept.slice(kept.length - o.limitAlphabet);
  }
  if (o.alphabetOrder === 'codepoint') kept.sort((x, y) => x[0].codePointAt(0)! - y[0].codePointAt(0)!);
  else {
    const order = new Map(o.alphabetOrder.map((c, i) => [c, i]));
    kept.sort(
      (x, y) => (order.get(x[0]) ?? 1e9 + x[0].codePointAt(0)!) - (order.get(y[0]) ?? 1e9 + y[0].codePointAt(0)!),
    );
  }
  for (const [ch] of kept) addToken(ch);

  // words as id sequences (characters outside the alphabet are dropped, as HF)
  const prefix = o.continuingSubwordPrefix;
  const suffix = o.endOfWordSuffix;
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, c] of wordCounts) {
    const chars = [...word];
    const ids: number[] = [];
    chars.forEach((ch, i) => {
      if (!w2id.has(ch)) return;
      let s = ch;
      if (i > 0 && prefix !== null) s = prefix + s;
      if (i === chars.length - 1 && suffix !== null) s = s + suffix;
      ids.push(addToken(s));
    });
    words.push(ids);
    counts.push(c);
  }
  const charLen = (id: number): number => {
    let t = id2w[id]!;
    if (prefix !== null && t.startsWith(prefix)) t = t.slice(prefix.length);
    if (suffix !== null && t.endsWith(suffix)) t = t.slice(0, t.length - suffix.length);
    return [...t].length;
  };
  const lens: number[] = id2w.map((_, id) => charLen(id));
  const maxLen = o.maxTokenLength ?? Number.MAX_SAFE_INTEGER;

  // initial pair counts and positions
  const pairCounts = new Map<number, number>();
  // pair -> words where it (newly) occurs; words are visited in order, so a word index is a
  // duplicate only if it is the last one pushed
  const where = new Map<number, number[]>();
  const addWhere = (key: number, wi: number): void => {
    const s = where.get(key);
    if (s === undefined) where.set(key, [wi]);
    else if (s[s.length - 1] !== wi) s.push(wi);
  };
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.length; i++) {
      const key = w[i]! * SHIFT + w[i + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[wi]!);
      addWhere(key, wi);
    }
  });
  const queue = new Heap<QueueEntry>((a, b) => a.count > b.count || (a.count === b.count && a.key < b.key));
  const flush = (): void => {
    for (const [key, pos] of where) {
      const c = pairCounts.get(key) ?? 0;
      if (c > 0) queue.push({ key, count: c, pos });
    }
    where.clear();
  };
  flush();

  const merges: [string, string][] = [];
  const target = o.vocabSize;
  const bar = createProgress(Math.max(1, target - id2w.length), {
    unit: 'merge',
    label: 'bpe merges',
    force: o.showProgress,
  });
  const start = id2w.length;
  while (id2w.length < target) {
    const top = queue.pop();
    if (top === undefined) break;
    const current = pairCounts.get(top.key) ?? 0;
    if (top.count !== current) {
      top.count = current;
      queue.push(top);
      continue;
    }
    if (top.count < 1 || o.minFrequency > top.count) break;
    const a = Math.floor(top.key / SHIFT);
    const b = top.key - a * SHIFT;
    let partB = id2w[b]!;
    if (prefix !== null && partB.startsWith(prefix)) partB = partB.slice(prefix.length);
    const newToken = id2w[a]! + partB;
    const isNew = !w2id.has(newToken);
    const rep = addToken(newToken);
    if (isNew) lens[rep] = lens[a]! + lens[b]!;
    merges.push([id2w[a]!, id2w[b]!]);
    for (const wi of top.pos) mergeWord(words[wi]!, a, b, rep, wi, counts[wi]!);
    flush();
    bar.update(id2w.length - start);
  }
  bar.stop();
  return { vocab: w2id, merges };

  /** Records a pair-count change of word wi (count c). */
  function change(x: number, y: number, delta: number, c: number, wi: number): void {
    const key = x * SHIFT + y;
    pairCounts.set(key, (pairCounts.get(key) ?? 0) + delta * c);
    if (delta > 0) addWhere(key, wi);
  }

  /** HF `Word::merge`: rewrites one word and records the pair-count changes. */
  function mergeWord(w: number[], a: number, b: number, rep: number, wi: number, c: number): void {
    const repLen = lens[rep]!;
    for (let i = 0; i < w.length; i++) {
      if (w[i] !== a || i + 1 >= w.length || w[i + 1] !== b) continue;
      if (i > 0) {
        change(w[i - 1]!, a, -1, c, wi);
        if (lens[w[i - 1]!]! + repLen < maxLen) change(w[i - 1]!, rep, 1, c, wi);
      }
      w.splice(i, 2, rep);
      if (i < w.length - 1) {
        change(b, w[i + 1]!, -1, c, wi);
        if (lens[w[i + 1]!]! + repLen < maxLen) change(rep, w[i + 1]!, 1, c, wi);
      }
    }
  }
}
