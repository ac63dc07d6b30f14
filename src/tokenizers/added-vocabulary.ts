/**
 * Added tokens (specials such as `<|endoftext|>`, `[CLS]`, and user additions) that are never
 * split by the model: found in the input first, as Hugging Face's AddedVocabulary does.
 * Tokens with `normalized: false` are matched on the raw text, the others on normalized text.
 * Matching is leftmost-longest; `singleWord`, `lstrip`, `rstrip` follow HF's rules.
 */
import { describe } from '../core/describe.ts';
import { ArgumentError } from '../core/errors.ts';
import type { ConfigReader, JsonObject } from './config-reader.ts';
import { isWhiteSpace } from './normalized-string.ts';

export interface AddedToken {
  id: number;
  content: string;
  /** Only match when surrounded by non-word characters. */
  singleWord: boolean;
  /** Also swallow whitespace on the left / right of a match. */
  lstrip: boolean;
  rstrip: boolean;
  /** Match on the normalized text (true) or the raw input (false). */
  normalized: boolean;
  special: boolean;
}

export type AddedTokenInit = Partial<Omit<AddedToken, 'id' | 'content'>> & { content: string };

export function addedTokenFromJson(r: ConfigReader): AddedToken {
  const special = r.bool('special', false);
  return {
    id: r.int('id'),
    content: r.string('content'),
    singleWord: r.bool('single_word', false),
    lstrip: r.bool('lstrip', false),
    rstrip: r.bool('rstrip', false),
    normalized: r.bool('normalized', !special),
    special,
  };
}

export function addedTokenToJson(t: AddedToken): JsonObject {
  return {
    id: t.id,
    content: t.content,
    single_word: t.singleWord,
    lstrip: t.lstrip,
    rstrip: t.rstrip,
    normalized: t.normalized,
    special: t.special,
  };
}

/** A match: [start, end) in the searched text and the token (null for plain text between). */
export interface AddedMatch {
  start: number;
  end: number;
  token: AddedToken | null;
}

/** Which specials a call lets through as special ids, and which it rejects. */
export interface SpecialPolicy {
  /** Specials matched as their ids ('all' is Hugging Face's behaviour). Others are plain text. */
  allowed: 'all' | ReadonlySet<string>;
  /** Specials whose literal presence raises (tiktoken's default is every non-allowed special). */
  disallowed: 'all' | ReadonlySet<string>;
}

export const HF_POLICY: SpecialPolicy = { allowed: 'all', disallowed: new Set() };

export class AddedVocabulary {
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();
  private readonly matcherCache = new Map<string, RegExp | null>();

  constructor(tokens: readonly AddedToken[] = []) {
    for (const t of tokens) this.add(t);
  }

  add(t: AddedToken): void {
    const old = this.byContent.get(t.content);
    if (old !== undefined) this.byId.delete(old.id);
    this.byContent.set(t.content, t);
    this.byId.set(t.id, t);
    this.matcherCache.clear();
  }

  get size(): number {
    return this.byContent.size;
  }

  all(): AddedToken[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  get(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  byTokenId(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  isSpecialId(id: number): boolean {
    return this.byId.get(id)?.special === true;
  }

  specials(): AddedToken[] {
    return this.all().filter((t) => t.special);
  }

  maxId(): number {
    let m = -1;
    for (const id of this.byId.keys()) if (id > m) m = id;
    return m;
  }

  /** Throws if the text contains a special token the policy rejects (tiktoken semantics). */
  checkDisallowed(text: string, policy: SpecialPolicy): void {
    if (policy.disallowed !== 'all' && policy.disallowed.size === 0) return;
    for (const t of this.byContent.values()) {
      if (!t.special) continue;
      const rejected = policy.disallowed === 'all' ? !isAllowed(t, policy) : policy.disallowed.has(t.content);
      if (rejected && text.includes(t.content)) {
        throw new ArgumentError(
          'Tokenizer.encode',
          `the text contains the special token ${describe(t.content)}, which this call disallows; pass allowedSpecial to encode it as a special id, or allowedSpecial: 'none' with disallowedSpecial: [] to encode it as plain text`,
        );
      }
    }
  }

  /**
   * Splits `text` into plain runs and added-token matches, for the tokens whose `normalized`
   * flag equals `normalizedPass` and that the policy lets match.
   */
  split(text: string, normalizedPass: boolean, policy: SpecialPolicy): AddedMatch[] {
    const re = this.matcher(normalizedPass, policy);
    if (re === null || text.length === 0) return [{ start: 0, end: text.length, token: null }];
    const out: AddedMatch[] = [];
    let prevEnd = 0;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      let start = m.index;
      let end = start + m[0].length;
      const tok = this.byContent.get(m[0])!;
      if (tok.singleWord) {
        const okLeft = start === 0 || !isWordChar(text, start - 1, -1);
        const okRight = end === text.length || !isWordChar(text, end, 1);
        if (!okLeft || !okRight) {
          re.lastIndex = start + 1;
          continue;
        }
      }
      if (tok.lstrip) {
        let s = start;
        while (s > prevEnd && isWhiteSpace(text.charCodeAt(s - 1))) s--;
        start = s;
      }
      if (tok.rstrip) {
        while (end < text.length && isWhiteSpace(text.charCodeAt(end))) end++;
        re.lastIndex = end;
      }
      if (start > prevEnd) out.push({ start: prevEnd, end: start, token: null });
      out.push({ start, end, token: tok });
      prevEnd = end;
    }
    re.lastIndex = 0;
    if (prevEnd < text.length) out.push({ start: prevEnd, end: text.length, token: null });
    return out;
  }

  private matcher(normalizedPass: boolean, policy: SpecialPolicy): RegExp | null {
    const key = `${normalizedPass ? 1 : 0}|${policy.allowed === 'all' ? '*' : [...policy.allowed].sort().join('\u0000')}`;
    const cached = this.matcherCache.get(key);
    if (cached !== undefined) return cached;
    const contents = [...this.byContent.values()]
      .filter((t) => t.normalized === normalizedPass && t.content.length > 0 && (!t.special || isAllowed(t, policy)))
      .map((t) => t.content)
      // longest first: JS alternation is leftmost-first, this makes it leftmost-longest
      .sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    const re = contents.length === 0 ? null : new RegExp(contents.map(escapeRegex).join('|'), 'gu');
    this.matcherCache.set(key, re);
    return re;
  }
}

function isAllowed(t: AddedToken, policy: SpecialPolicy): boolean {
  return policy.allowed === 'all' || policy.allowed.has(t.content);
}

export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

const WORD_RE = /[\p{L}\p{N}\p{M}_]/u;
function isWordChar(text: string, index: number, direction: 1 | -1): boolean {
  let i = index;
  // step over a surrogate pair as one character
  if (direction === -1 && i > 0 && (text.charCodeAt(i) & 0xfc00) === 0xdc00) i--;
  const cp = text.codePointAt(i);
  return cp !== undefined && WORD_RE.test(String.fromCodePoint(cp));
}
