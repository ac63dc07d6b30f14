/** Strips whitespace (Unicode White_Space) at the left and/or right. */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import { isWhiteSpace, type NormalizedString } from '../normalized-string.ts';

export class Strip implements Normalizer {
  readonly type = 'Strip';
  constructor(
    readonly stripLeft = true,
    readonly stripRight = true,
  ) {}
  normalize(ns: NormalizedString): void {
    ns.strip(this.stripLeft, this.stripRight);
  }
  normalizeString(text: string): string {
    let a = 0;
    let b = text.length;
    if (this.stripLeft) while (a < b && isWhiteSpace(text.charCodeAt(a))) a++;
    if (this.stripRight) while (b > a && isWhiteSpace(text.charCodeAt(b - 1))) b--;
    return text.slice(a, b);
  }
  toJSON(): JsonObject {
    return { type: this.type, strip_left: this.stripLeft, strip_right: this.stripRight };
  }
}
