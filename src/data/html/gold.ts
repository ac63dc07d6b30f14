/**
 * Scoring an extractor against a labelled page: main-text segments (elements marked
 * data-gold="main") and boilerplate segments (data-gold="bp"). The labels are stripped
 * before the page reaches an extractor. Main-text recall is the share of main-text
 * characters whose segment appears in the output; boilerplate removal is the share of
 * boilerplate segments that do not appear. Text is compared with whitespace collapsed.
 * Used by the extraction test and by `bench -- data` (which scores a peer the same way).
 */
import { parseDocument } from 'htmlparser2';

interface Node {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: Node[];
  data?: string;
}

export interface GoldPage {
  /** the page with the labels removed */
  html: string;
  main: string[];
  boilerplate: string[];
}

export const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

const BLOCKS = /^(?:p|div|li|td|th|tr|br|h[1-6]|dt|dd|pre|blockquote|table|ul|ol|section|article)$/;

function text(n: Node): string {
  if (n.type === 'text') return n.data ?? '';
  const inner = (n.children ?? []).map(text).join('');
  return n.name !== undefined && BLOCKS.test(n.name) ? ` ${inner} ` : inner;
}

export function goldPage(labelled: string): GoldPage {
  const main: string[] = [];
  const boilerplate: string[] = [];
  const walk = (n: Node): void => {
    const label = n.attribs?.['data-gold'];
    if (label === 'main') main.push(norm(text(n)));
    else if (label === 'bp') boilerplate.push(norm(text(n)));
    for (const c of n.children ?? []) walk(c);
  };
  walk(parseDocument(labelled, { decodeEntities: true, lowerCaseAttributeNames: true }) as unknown as Node);
  return {
    html: labelled.replace(/\s+data-gold="[^"]*"/g, ''),
    main: main.filter((s) => s.length > 0),
    boilerplate: boilerplate.filter((s) => s.length > 0),
  };
}

export interface GoldScore {
  mainChars: number;
  mainFound: number;
  bpSegments: number;
  bpRemoved: number;
  missed: string[];
  leaked: string[];
}

/** Scores an extractor's output for a page; table cells may come joined by " | ". */
export function scoreExtraction(page: GoldPage, output: string): GoldScore {
  const out = norm(output).replace(/ \| /g, ' ');
  const s: GoldScore = { mainChars: 0, mainFound: 0, bpSegments: 0, bpRemoved: 0, missed: [], leaked: [] };
  for (const m of page.main) {
    s.mainChars += m.length;
    if (out.includes(m)) s.mainFound += m.length;
    else s.missed.push(m);
  }
  for (const b of page.boilerplate) {
    s.bpSegments++;
    // a boilerplate segment counts as leaked when it appears whole, or (long ones) its first 40 characters do
    const leaked = out.includes(b) || (b.length > 60 && out.includes(b.slice(0, 40)));
    if (leaked) s.leaked.push(b);
    else s.bpRemoved++;
  }
  return s;
}
