/** Unicode normalization (NFC by default; NFKC also folds compatibility forms like ﬁ -> fi). */
import type { Stage } from './stage.ts';

export interface NormalizeOptions {
  form: 'NFC' | 'NFKC' | 'NFD' | 'NFKD';
}

const ASCII = /^[\x00-\x7f]*$/;

export function normalizeUnicode(opts: Partial<NormalizeOptions> = {}): Stage {
  const form = opts.form ?? 'NFC';
  return {
    name: 'normalize',
    apply(doc, count) {
      if (ASCII.test(doc.text)) return undefined; // ASCII is invariant under every form
      const t = doc.text.normalize(form);
      if (t !== doc.text) {
        count('changed');
        doc.text = t;
      }
      return undefined;
    },
  };
}
