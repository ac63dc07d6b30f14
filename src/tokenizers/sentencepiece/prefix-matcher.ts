/**
 * Longest-match lookup of a small set of literal strings (SentencePiece's user-defined symbols)
 * at a position of a string, as SentencePiece's PrefixMatcher: such symbols are never normalized
 * or split.
 */
export class PrefixMatcher {
  /** first UTF-16 unit -> candidates, longest first */
  private readonly byFirst = new Map<number, string[]>();

  constructor(symbols: Iterable<string>) {
    for (const s of symbols) {
      if (s.length === 0) continue;
      const k = s.charCodeAt(0);
      const list = this.byFirst.get(k);
      if (list === undefined) this.byFirst.set(k, [s]);
      else if (!list.includes(s)) list.push(s);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    let n = 0;
    for (const l of this.byFirst.values()) n += l.length;
    return n;
  }

  /** Length (UTF-16 units) of the longest symbol starting at `text[pos]`, or 0. */
  match(text: string, pos: number): number {
    const list = this.byFirst.get(text.charCodeAt(pos));
    if (list === undefined) return 0;
    for (const s of list) if (text.startsWith(s, pos)) return s.length;
    return 0;
  }
}
