/**
 * The result of encoding one text (or a pair), as Hugging Face's Encoding: parallel arrays of
 * length n plus the overflowing windows produced by truncation with a stride.
 * Offsets are [start, end) UTF-16 indices into the original input ([0, 0] for added specials).
 */

import { ArgumentError } from '../core/errors.ts';

export type TruncationDirection = 'left' | 'right';
export type PaddingDirection = 'left' | 'right';

/** A tokenized text as HF tokenizers gives it: ids, tokens, offsets, masks, word and sequence ids, overflowing pieces. */
export class Encoding {
  constructor(
    public ids: number[] = [],
    public tokens: string[] = [],
    public offsets: [number, number][] = [],
    public typeIds: number[] = [],
    public attentionMask: number[] = [],
    public specialTokensMask: number[] = [],
    /** Index of the pre-token (word) each token came from; null for added specials. */
    public wordIds: (number | null)[] = [],
    /** Which input (0 = first, 1 = pair) each token came from; null for added specials. */
    public sequenceIds: (number | null)[] = [],
    public overflowing: Encoding[] = [],
  ) {}

  get length(): number {
    return this.ids.length;
  }

  /** Appends one token. */
  push(
    id: number,
    token: string,
    offsets: [number, number],
    typeId: number,
    special: boolean,
    wordId: number | null,
    sequenceId: number | null,
  ): void {
    this.ids.push(id);
    this.tokens.push(token);
    this.offsets.push(offsets);
    this.typeIds.push(typeId);
    this.attentionMask.push(1);
    this.specialTokensMask.push(special ? 1 : 0);
    this.wordIds.push(wordId);
    this.sequenceIds.push(sequenceId);
  }

  /** A deep copy. */
  clone(): Encoding {
    return new Encoding(
      this.ids.slice(),
      this.tokens.slice(),
      this.offsets.map((o) => [o[0], o[1]] as [number, number]),
      this.typeIds.slice(),
      this.attentionMask.slice(),
      this.specialTokensMask.slice(),
      this.wordIds.slice(),
      this.sequenceIds.slice(),
      this.overflowing.map((o) => o.clone()),
    );
  }

  /** Tokens [start, end) as a new Encoding (no overflowing). */
  slice(start: number, end: number): Encoding {
    return new Encoding(
      this.ids.slice(start, end),
      this.tokens.slice(start, end),
      this.offsets.slice(start, end),
      this.typeIds.slice(start, end),
      this.attentionMask.slice(start, end),
      this.specialTokensMask.slice(start, end),
      this.wordIds.slice(start, end),
      this.sequenceIds.slice(start, end),
    );
  }

  /** Sets every type id (HF `set_type_ids`) and the sequence id of non-special tokens. */
  setSequence(sequenceId: number, typeId = sequenceId): this {
    this.typeIds.fill(typeId);
    for (let i = 0; i < this.sequenceIds.length; i++)
      if (this.sequenceIds[i] !== null) this.sequenceIds[i] = sequenceId;
    for (const o of this.overflowing) o.setSequence(sequenceId, typeId);
    return this;
  }

  /**
   * Keeps at most `maxLength` tokens; the rest goes to `overflowing` as windows of `maxLength`
   * that overlap by `stride` tokens (HF `Encoding::truncate`).
   */
  truncate(maxLength: number, stride: number, direction: TruncationDirection): void {
    const n = this.ids.length;
    if (maxLength >= n) return;
    if (maxLength === 0) {
      const all = this.slice(0, n);
      all.overflowing = this.overflowing;
      this.assign(new Encoding());
      this.overflowing = [all];
      return;
    }
    if (stride >= maxLength)
      throw new ArgumentError(
        'Encoding.truncate',
        `truncation stride (${stride}) must be smaller than the max length (${maxLength}) left after special tokens`,
      );
    const step = maxLength - stride;
    const parts: [number, number][] = [];
    if (direction === 'right') {
      for (let start = 0; start < n; start += step) {
        const stop = Math.min(start + maxLength, n);
        parts.push([start, stop]);
        if (stop === n) break;
      }
    } else {
      for (let last = n - 1; last >= 0; last -= step) {
        const stop = last + 1;
        const start = Math.max(0, stop - maxLength);
        parts.push([start, stop]);
        if (start === 0) break;
      }
    }
    const [s0, e0] = parts[0]!;
    const head = this.slice(s0, e0);
    head.overflowing = parts.slice(1).map(([s, e]) => this.slice(s, e));
    this.assign(head);
  }

  /** Appends `pair` (and combines overflowing windows as HF `merge_with` does). */
  mergeWith(pair: Encoding): void {
    const overflowing: Encoding[] = [];
    for (const o of this.overflowing) {
      const a = o.clone();
      a.mergeWith(pair.withoutOverflowing());
      overflowing.push(a);
      for (const po of pair.overflowing) {
        const b = o.clone();
        b.mergeWith(po);
        overflowing.push(b);
      }
    }
    for (const po of pair.overflowing) {
      const c = this.withoutOverflowing();
      c.mergeWith(po);
      overflowing.push(c);
    }
    this.appendArrays(pair);
    this.overflowing = overflowing;
  }

  /** Appends every per-token array of `other` to this encoding's. */
  private appendArrays(other: Encoding): void {
    append(this.ids, other.ids);
    append(this.tokens, other.tokens);
    append(this.offsets, other.offsets);
    append(this.typeIds, other.typeIds);
    append(this.attentionMask, other.attentionMask);
    append(this.specialTokensMask, other.specialTokensMask);
    append(this.wordIds, other.wordIds);
    append(this.sequenceIds, other.sequenceIds);
  }

  /** A copy without the overflowing pieces truncation produced. */
  withoutOverflowing(): Encoding {
    const e = this.clone();
    e.overflowing = [];
    return e;
  }

  /** Pads to `targetLength` (never truncates); overflowing windows are padded too. */
  pad(targetLength: number, padId: number, padTypeId: number, padToken: string, direction: PaddingDirection): void {
    for (const o of this.overflowing) o.pad(targetLength, padId, padTypeId, padToken, direction);
    const n = targetLength - this.ids.length;
    if (n <= 0) return;
    const fill = <T>(arr: T[], v: T): void => {
      const extra = new Array<T>(n).fill(v);
      if (direction === 'left') arr.splice(0, 0, ...extra);
      else append(arr, extra);
    };
    fill(this.ids, padId);
    fill(this.tokens, padToken);
    fill(this.typeIds, padTypeId);
    fill(this.attentionMask, 0);
    fill(this.specialTokensMask, 1);
    fill(this.wordIds, null);
    fill(this.sequenceIds, null);
    const offs: [number, number][] = Array.from({ length: n }, () => [0, 0] as [number, number]);
    if (direction === 'left') this.offsets = offs.concat(this.offsets);
    else append(this.offsets, offs);
  }

  private assign(o: Encoding): void {
    this.ids = o.ids;
    this.tokens = o.tokens;
    this.offsets = o.offsets;
    this.typeIds = o.typeIds;
    this.attentionMask = o.attentionMask;
    this.specialTokensMask = o.specialTokensMask;
    this.wordIds = o.wordIds;
    this.sequenceIds = o.sequenceIds;
    this.overflowing = o.overflowing;
  }

  /** Concatenates encodings (no pair semantics, overflowing dropped), as HF `Encoding::merge`. */
  static merge(parts: readonly Encoding[]): Encoding {
    if (parts.length === 1) {
      const p = parts[0]!;
      return new Encoding(
        p.ids,
        p.tokens,
        p.offsets,
        p.typeIds,
        p.attentionMask,
        p.specialTokensMask,
        p.wordIds,
        p.sequenceIds,
      );
    }
    const out = new Encoding();
    for (const p of parts) out.appendArrays(p);
    return out;
  }

  /** This encoding's arrays without its overflowing windows (shared, not copied). */
  shallowWithoutOverflowing(): Encoding {
    return new Encoding(
      this.ids,
      this.tokens,
      this.offsets,
      this.typeIds,
      this.attentionMask,
      this.specialTokensMask,
      this.wordIds,
      this.sequenceIds,
    );
  }
}

/** arr.push(...more) without the argument-count limit of spreading. */
function append<T>(arr: T[], more: readonly T[]): void {
  for (let i = 0; i < more.length; i++) arr.push(more[i]!);
}
