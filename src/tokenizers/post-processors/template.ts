/**
 * TemplateProcessing: `$A`/`$B` sequences and special tokens with type ids, e.g. BERT's
 * single "[CLS]:0 $A:0 [SEP]:0" and pair "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1".
 */
import { describe } from '../../core/describe.ts';
import { ArgumentError } from '../../core/errors.ts';
import type { ConfigReader, JsonObject } from '../config-reader.ts';
import type { Encoding } from '../encoding.ts';
import { PostProcessorBase, specialEncoding } from './base.ts';

export type TemplatePiece =
  { kind: 'sequence'; id: 'A' | 'B'; typeId: number } | { kind: 'special'; id: string; typeId: number };

export interface TemplateSpecialToken {
  id: string;
  ids: number[];
  tokens: string[];
}

/** Parses "[CLS]:0 $A:0 [SEP]" (HF's string template syntax). */
export function parseTemplate(s: string): TemplatePiece[] {
  return s
    .split(/\s+/)
    .filter((p) => p.length > 0)
    .map((p) => {
      const m = /^(.*?)(?::(\d+))?$/.exec(p)!;
      const name = m[1]!;
      const typeId = m[2] === undefined ? 0 : Number(m[2]);
      if (name === '$' || name === '$A') return { kind: 'sequence', id: 'A', typeId };
      if (name === '$B') return { kind: 'sequence', id: 'B', typeId };
      if (/^\$\d+$/.test(name)) return { kind: 'sequence', id: 'A', typeId: Number(name.slice(1)) };
      return { kind: 'special', id: name, typeId };
    });
}

export class TemplateProcessing extends PostProcessorBase {
  readonly type = 'TemplateProcessing';
  constructor(
    readonly single: TemplatePiece[],
    readonly pair: TemplatePiece[],
    readonly specialTokens: Map<string, TemplateSpecialToken>,
  ) {
    super();
    for (const p of [...single, ...pair]) {
      if (p.kind === 'special' && !specialTokens.has(p.id))
        throw new ArgumentError(
          'TemplateProcessing',
          `template uses special token ${describe(p.id)} missing from special_tokens`,
        );
    }
  }

  addedTokens(isPair: boolean): number {
    let n = 0;
    for (const p of isPair ? this.pair : this.single)
      if (p.kind === 'special') n += this.specialTokens.get(p.id)!.ids.length;
    return n;
  }

  processEncodings(encodings: Encoding[], add: boolean): Encoding[] {
    const template = encodings.length === 2 ? this.pair : this.single;
    const out: Encoding[] = [];
    for (const p of template) {
      if (p.kind === 'sequence') {
        const i = p.id === 'A' ? 0 : 1;
        const e = encodings[i];
        if (e === undefined) continue;
        e.setSequence(i, p.typeId);
        out.push(e);
      } else if (add) {
        const t = this.specialTokens.get(p.id)!;
        out.push(specialEncoding(t.ids, t.tokens, p.typeId));
      }
    }
    return out;
  }

  override processIds(ids: number[], pair: number[] | null): number[] {
    const out: number[] = [];
    for (const p of pair === null ? this.single : this.pair) {
      if (p.kind === 'sequence') {
        const src = p.id === 'A' ? ids : (pair ?? []);
        for (const x of src) out.push(x);
      } else for (const x of this.specialTokens.get(p.id)!.ids) out.push(x);
    }
    return out;
  }

  toJSON(): JsonObject {
    const piece = (p: TemplatePiece): JsonObject =>
      p.kind === 'sequence'
        ? { Sequence: { id: p.id, type_id: p.typeId } }
        : { SpecialToken: { id: p.id, type_id: p.typeId } };
    const special: JsonObject = {};
    for (const [k, t] of this.specialTokens) special[k] = { id: t.id, ids: t.ids, tokens: t.tokens };
    return { type: this.type, single: this.single.map(piece), pair: this.pair.map(piece), special_tokens: special };
  }

  static fromJson(c: ConfigReader): TemplateProcessing {
    const readTemplate = (key: string): TemplatePiece[] => {
      const raw = c.raw(key);
      if (typeof raw === 'string') return parseTemplate(raw);
      return c.objectArray(key).map((p) => {
        if (p.has('Sequence')) {
          const s = p.object('Sequence');
          return { kind: 'sequence', id: s.oneOf('id', ['A', 'B'] as const), typeId: s.int('type_id', 0) };
        }
        if (p.has('SpecialToken')) {
          const s = p.object('SpecialToken');
          return { kind: 'special', id: s.string('id'), typeId: s.int('type_id', 0) };
        }
        return p.fail('Sequence', 'expected a {"Sequence": ...} or {"SpecialToken": ...} piece');
      });
    };
    const specials = new Map<string, TemplateSpecialToken>();
    const st = c.optObject('special_tokens');
    if (st !== undefined) {
      for (const key of Object.keys(st.value)) {
        const t = st.object(key);
        const ids = t
          .array('ids')
          .map((x, i) =>
            typeof x === 'number' && Number.isInteger(x) && x >= 0
              ? x
              : t.fail(`ids[${i}]` as unknown as number, 'expected a token id'),
          );
        const tokens = t.stringArray('tokens');
        if (ids.length !== tokens.length) t.fail('tokens', `has ${tokens.length} entries but ids has ${ids.length}`);
        specials.set(key, { id: t.optString('id') ?? key, ids, tokens });
      }
    }
    const single = readTemplate('single');
    const pair = c.has('pair')
      ? readTemplate('pair')
      : [...single, { kind: 'sequence' as const, id: 'B' as const, typeId: 1 }];
    for (const p of [...single, ...pair])
      if (p.kind === 'special' && !specials.has(p.id))
        c.fail('special_tokens', `missing the token ${describe(p.id)} used in the template`);
    return new TemplateProcessing(single, pair, specials);
  }
}
