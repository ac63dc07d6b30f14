/**
 * HTML-to-text extraction on htmlparser2's streaming parser. Drops non-content
 * subtrees (script, style, head, nav, header, footer, aside, form, ...) and elements
 * whose class/id/role marks them as boilerplate (menus, cookie banners, share bars,
 * comments, ads). When the page has <main> or <article>, only their text is kept (the
 * part readability tools and trafilatura would score highest). Block elements become
 * line breaks (paragraph-level ones a blank line), inline whitespace is collapsed,
 * <pre> is kept verbatim, entities are decoded. Documents that do not look like HTML
 * pass through untouched.
 */
import { Parser } from 'htmlparser2';
import type { Stage } from './stage.ts';

export interface HtmlExtractOptions {
  /** Only extract documents that look like HTML (others pass unchanged). */
  only_if_html: boolean;
  /** Keep only <main>/<article> content when present. */
  prefer_main: boolean;
  /** Put the <title> on the first line. */
  include_title: boolean;
  /** Drop elements whose class/id/role looks like boilerplate. */
  drop_boilerplate_classes: boolean;
}

const SKIP_TAGS = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'object',
  'embed',
  'canvas',
  'head',
  'nav',
  'header',
  'footer',
  'aside',
  'form',
  'button',
  'select',
  'textarea',
  'menu',
  'dialog',
  'video',
  'audio',
]);
const PARA_TAGS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'table',
  'ul',
  'ol',
  'dl',
  'section',
  'article',
  'main',
  'figure',
  'address',
  'hr',
]);
const LINE_TAGS = new Set(['br', 'div', 'li', 'tr', 'dt', 'dd', 'figcaption', 'caption', 'summary', 'details', 'body']);
const CELL_TAGS = new Set(['td', 'th']);
const BOILERPLATE_RE =
  /(?:^|[\s_-])(?:nav|navbar|navigation|menu|footer|header|sidebar|breadcrumbs?|cookies?|banner|advert\w*|ads?|share|sharing|social|related|comments?|subscribe|newsletter|popup|modal|skip-link)(?:$|[\s_-])/i;
const BOILERPLATE_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search', 'menu', 'dialog']);
const LOOKS_HTML_RE = /^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i;
const TAG_RE = /<\/?(?:p|div|span|a|br|li|ul|h[1-6]|table|td|tr|article|section|body|html|img|script|style)\b[^>]*>/gi;

export function looksLikeHtml(text: string): boolean {
  if (LOOKS_HTML_RE.test(text)) return true;
  TAG_RE.lastIndex = 0;
  let n = 0;
  while (TAG_RE.exec(text) !== null) if (++n >= 3) return true;
  return false;
}

export interface Extracted {
  text: string;
  title: string;
}

/** Extracts readable text from an HTML string. */
export function extractHtml(html: string, opts: Partial<HtmlExtractOptions> = {}): Extracted {
  const preferMain = opts.prefer_main ?? true;
  const dropClasses = opts.drop_boilerplate_classes ?? true;
  // two buffers: the whole body and main/article only; choose at the end
  const all: string[] = [];
  const main: string[] = [];
  const stack: { skip: boolean; main: boolean; pre: boolean }[] = [];
  let skipDepth = 0;
  let mainDepth = 0;
  let preDepth = 0;
  let sawMain = false;
  let inTitle = false;
  let title = '';

  const emit = (s: string): void => {
    all.push(s);
    if (mainDepth > 0) main.push(s);
  };
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'title') inTitle = true;
        let skip = SKIP_TAGS.has(name);
        if (!skip && dropClasses) {
          const role = attribs['role'];
          if (role !== undefined && BOILERPLATE_ROLES.has(role.toLowerCase())) skip = true;
          else if (attribs['aria-hidden'] === 'true' || 'hidden' in attribs) skip = true;
          else {
            const cls = `${attribs['class'] ?? ''} ${attribs['id'] ?? ''}`;
            if (cls.length > 1 && BOILERPLATE_RE.test(cls)) skip = true;
          }
        }
        const isMain = name === 'main' || name === 'article';
        const isPre = name === 'pre';
        stack.push({ skip, main: isMain, pre: isPre });
        if (skip) skipDepth++;
        if (skipDepth > 0) return;
        if (isMain) {
          mainDepth++;
          sawMain = true;
        }
        if (isPre) preDepth++;
        if (PARA_TAGS.has(name)) emit('\n\n');
        else if (LINE_TAGS.has(name)) emit('\n');
        else if (CELL_TAGS.has(name)) emit(' ');
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        const top = stack.pop();
        if (top === undefined) return;
        if (top.skip) {
          skipDepth--;
          return;
        }
        if (skipDepth > 0) return;
        if (PARA_TAGS.has(name)) emit('\n\n');
        else if (LINE_TAGS.has(name) && name !== 'br') emit('\n'); // a void <br> broke the line on open
        if (top.main) mainDepth--;
        if (top.pre) preDepth--;
      },
      ontext(data) {
        if (inTitle) {
          title += data;
          return;
        }
        if (skipDepth > 0) return;
        emit(preDepth > 0 ? data : data.replace(/\s+/g, ' '));
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();

  const raw = (preferMain && sawMain && main.join('').trim().length > 0 ? main : all).join('');
  const text = raw
    .split('\n')
    .map((l) => l.replace(/^ +| +$/g, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { text, title: title.replace(/\s+/g, ' ').trim() };
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
