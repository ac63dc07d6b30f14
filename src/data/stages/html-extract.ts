/**
 * The html_extract stage: documents that look like HTML are replaced by their main text
 * (html/extract.ts: pruning, content-container scoring with text and link density and
 * class/id hints, boilerplate-line cleanup, headings and tables kept, optional
 * markdown-ish output); the page title goes to metadata.title. Documents that do not look
 * like HTML pass through untouched.
 */
import type { Stage } from './stage.ts';
import { extractMainText } from '../html/extract.ts';

export interface HtmlExtractOptions {
  /** Only extract documents that look like HTML (others pass unchanged). */
  only_if_html: boolean;
  /** Keep only <main>/<article> content when present. */
  prefer_main: boolean;
  /** Put the <title> on the first line. */
  include_title: boolean;
  /** Drop elements whose class/id/role looks like boilerplate. */
  drop_boilerplate_classes: boolean;
  /** markdown-ish output: # headings, - list items, > quotes, ``` code blocks */
  markdown: boolean;
}

const LOOKS_HTML_RE = /^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i;
// a tag name after "<" or "</", anchored (sticky) at one position: bounded work per "<"
const TAG_NAME_RE = /\/?(?:p|div|span|a|br|li|ul|h[1-6]|table|td|tr|article|section|body|html|img|script|style)\b/iy;

/**
 * True for a document with an HTML prologue or at least three common tags. "A tag" is what
 * /<\/?(?:p|div|...)\b[^>]*>/gi finds; a global scan of that regex is quadratic when a
 * tag never closes ("<a " repeated: 16 s on 180 KB), so each "<" is checked once with an
 * anchored name match, and [^>]*> holds exactly when a ">" follows somewhere later.
 */
export function looksLikeHtml(text: string): boolean {
  if (LOOKS_HTML_RE.test(text)) return true;
  const lastGt = text.lastIndexOf('>');
  let n = 0;
  for (let lt = text.indexOf('<'); lt !== -1 && lt < lastGt;) {
    TAG_NAME_RE.lastIndex = lt + 1;
    if (TAG_NAME_RE.test(text) && TAG_NAME_RE.lastIndex <= lastGt) {
      if (++n >= 3) return true;
      // the regex's match runs to the next ">"; its scan resumes after it
      lt = text.indexOf('<', text.indexOf('>', TAG_NAME_RE.lastIndex) + 1);
    } else lt = text.indexOf('<', lt + 1);
  }
  return false;
}

export interface Extracted {
  text: string;
  title: string;
}

/** Extracts readable text from an HTML string: the main content (html/extract.ts) and the title. */
export function extractHtml(html: string, opts: Partial<HtmlExtractOptions> = {}): Extracted {
  const preferMain = opts.prefer_main ?? true;
  const dropClasses = opts.drop_boilerplate_classes ?? true;
  return extractMainText(html, { markdown: opts.markdown === true, whole_page: !preferMain || !dropClasses });
}

export function htmlExtract(opts: Partial<HtmlExtractOptions> = {}): Stage {
  const onlyIfHtml = opts.only_if_html ?? true;
  return {
    name: 'html_extract',
    apply(doc, count) {
      if (onlyIfHtml && !looksLikeHtml(doc.text)) {
        count('not_html');
        return undefined;
      }
      count('html');
      const { text, title } = extractHtml(doc.text, opts);
      if (title) doc.metadata['title'] = title;
      doc.text = opts.include_title && title ? `${title}\n\n${text}` : text;
      if (doc.text.length === 0) return 'html_no_text';
      return undefined;
    },
  };
}
