/**
 * Main-text extraction from an HTML page, in the spirit of Trafilatura and readability
 * (read to understand, not copied): the page is parsed into a DOM (htmlparser2), then
 *  1. pruned: non-content tags (script, style, nav, aside, footer, form controls...),
 *     hidden elements, boilerplate ARIA roles, and elements whose class/id contains a
 *     boilerplate hint as a substring (menu, sidebar, widget, cookie, consent, share,
 *     comment, related, breadcrumb, skip-link, powered-by...), unless the element holds
 *     most of the page's prose (a layout wrapper named "has-sidebar" is not a sidebar);
 *  2. scored: every paragraph-like block with 25+ characters gives points (1 + commas +
 *     length/100, at most 3) to its parent, half to its grandparent, a third above that;
 *     a container's score is weighted by its tag and class/id hints (content, entry,
 *     article, post, main... up; boilerplate hints down) and multiplied by 1 - link
 *     density. The best container wins, with siblings that score close to it;
 *  3. cleaned: inside the winner, link-dense blocks (menus, tag clouds, "related" lists),
 *     short boilerplate lines ("Skip to content", "Powered by WordPress", "Share this",
 *     "Leave a reply") and empty blocks go;
 *  4. rendered: headings, paragraphs, list items, table rows (cells joined by " | "),
 *     <pre> verbatim, as plain text or markdown-ish (#, -, >, ```).
 */
import { parseDocument } from 'htmlparser2';

interface DomNode {
  type: string;
  parent: DomNode | null;
}
interface DomText extends DomNode {
  data: string;
}
interface DomElement extends DomNode {
  name: string;
  attribs: Record<string, string>;
  children: DomNode[];
}

export interface ExtractOptions {
  /** markdown-ish output: "# " headings, "- " list items, "> " quotes, ``` around <pre> */
  markdown?: boolean;
  /** keep the whole pruned body instead of the best-scoring container */
  whole_page?: boolean;
}

export interface ExtractResult {
  text: string;
  title: string;
}

const isElement = (n: DomNode): n is DomElement => n.type === 'tag' || n.type === 'script' || n.type === 'style';
const isText = (n: DomNode): n is DomText => n.type === 'text';

const DROP_TAGS = new Set([
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
  'aside',
  'footer',
  'button',
  'select',
  'textarea',
  'input',
  'label',
  'option',
  'menu',
  'dialog',
  'video',
  'audio',
  'map',
  'picture',
  'img',
  'link',
  'meta',
]);
const BOILERPLATE_ROLES = new Set([
  'navigation',
  'banner',
  'contentinfo',
  'complementary',
  'search',
  'menu',
  'menubar',
  'dialog',
  'alertdialog',
  'toolbar',
  'tablist',
]);
// substrings of a class/id token that mark boilerplate
const NEGATIVE_HINTS = [
  'nav',
  'menu',
  'footer',
  'sidebar',
  'widget',
  'cookie',
  'consent',
  'gdpr',
  'cmp-',
  'onetrust',
  'cybot',
  'banner',
  'breadcrumb',
  'share',
  'sharing',
  'social',
  'comment',
  'related',
  'recommend',
  'newsletter',
  'subscribe',
  'signup',
  'sign-up',
  'popup',
  'modal',
  'overlay',
  'advert',
  'adsense',
  'ad-slot',
  'ad-container',
  'ads-',
  'sponsor',
  'promo',
  'skip',
  'screen-reader',
  'sr-only',
  'visually-hidden',
  'pagination',
  'pager',
  'toolbar',
  'masthead',
  'site-header',
  'global-header',
  'topbar',
  'top-bar',
  'copyright',
  'powered',
  'colophon',
  'site-info',
  'entry-meta',
  'post-meta',
  'entry-footer',
  'postmetadata',
  'tags',
  'tagcloud',
  'author-bio',
  'about-author',
  'signature',
  'postprofile',
  'rating',
  'toc',
  'table-of-contents',
  'edit-link',
  'print',
  'disqus',
  'login',
  'search',
  'wy-nav',
  'md-sidebar',
  'md-header',
  'md-footer',
  'sphinxsidebar',
  'headerlink',
  'mw-jump',
  'navbox',
  'catlinks',
  'noprint',
  'hatnote',
  'add-to-cart',
  'product-form',
  'cart',
  'checkout',
  'reviews',
  'upsell',
  'cross-sell',
  'tooltip',
  'dropdown',
];
// tokens that only say something has/lacks a part ("has-sidebar") are layout flags, not the part
const FLAG_PREFIX = /^(?:has|with|no|without|is|show|hide|layout|page-template|theme|body|single|home|archive)-/;
const POSITIVE_HINTS = [
  'article',
  'content',
  'entry',
  'main',
  'post',
  'story',
  'prose',
  'markdown',
  'blog',
  'text',
  'body',
  'document',
  'rst-content',
  'section',
  'cooked',
  'message',
  'answer',
  'question',
  'description',
  'recipe',
  'page',
];
const BLOCK_SCORE_TAGS = new Set(['p', 'pre', 'td', 'blockquote', 'li', 'dd', 'div', 'section', 'article']);
const BOILERPLATE_LINE =
  /^(?:skip to (?:main )?content|skip to navigation|jump to (?:navigation|search|content|recipe)|(?:proudly )?powered by\b|copyright\b|©|all rights reserved|share (?:this|on)\b|like this:?$|related(?: posts| articles| stories)?:?$|leave a (?:reply|comment)|posted (?:in|on|by)\b|tagged\b|filed under\b|follow us\b|subscribe\b|sign up\b|read more\b|continue reading\b|(?:previous|next) (?:post|article|page)\b|back to top|we use cookies|this (?:site|website) uses cookies|accept(?: all)? cookies|cookie (?:settings|preferences|policy)|loading\.\.\.|advertisement$|sponsored$|print this page|edit this page|view page source|was this (?:page|article|answer) helpful)/i;

function classTokens(el: DomElement): string[] {
  return `${el.attribs['class'] ?? ''} ${el.attribs['id'] ?? ''}`
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

function hasHint(tokens: readonly string[], hints: readonly string[]): boolean {
  for (const t of tokens) {
    if (FLAG_PREFIX.test(t)) continue;
    for (const h of hints) if (t.includes(h)) return true;
  }
  return false;
}

function textOf(n: DomNode): string {
  if (isText(n)) return n.data;
  if (!isElement(n)) return '';
  let s = '';
  for (const c of n.children) s += textOf(c);
  return s;
}

function linkTextOf(n: DomNode): number {
  if (!isElement(n)) return 0;
  if (n.name === 'a') return textOf(n).replace(/\s+/g, ' ').trim().length;
  let s = 0;
  for (const c of n.children) s += linkTextOf(c);
  return s;
}

function normLen(s: string): number {
  return s.replace(/\s+/g, ' ').trim().length;
}

function linkDensity(el: DomElement): number {
  const len = normLen(textOf(el));
  return len === 0 ? 0 : linkTextOf(el) / len;
}

function isHidden(el: DomElement): boolean {
  if ('hidden' in el.attribs || el.attribs['aria-hidden'] === 'true') return true;
  const style = el.attribs['style'];
  return style !== undefined && /(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style);
}

function remove(n: DomNode): void {
  const p = n.parent as DomElement | null;
  if (p === null) return;
  const i = p.children.indexOf(n);
  if (i !== -1) p.children.splice(i, 1);
}

/** Step 1: drops non-content subtrees. `bodyLen` guards wrappers holding most of the prose. */
function prune(el: DomElement, bodyLen: number): void {
  for (const c of [...el.children]) {
    if (c.type === 'comment' || c.type === 'directive' || c.type === 'cdata') {
      remove(c);
      continue;
    }
    if (!isElement(c)) continue;
    if (shouldDrop(c, bodyLen)) remove(c);
    else prune(c, bodyLen);
  }
}

function shouldDrop(c: DomElement, bodyLen: number): boolean {
  const name = c.name;
  if (DROP_TAGS.has(name) || c.type === 'script' || c.type === 'style') return true;
  if (isHidden(c)) return true;
  const role = c.attribs['role']?.toLowerCase();
  if (role !== undefined && BOILERPLATE_ROLES.has(role)) return true;
  if (name === 'header' && !insideContent(c)) return true;
  if (name === 'html' || name === 'body' || name === 'main' || name === 'article') return false;
  const tokens = classTokens(c);
  if (tokens.length > 0 && hasHint(tokens, NEGATIVE_HINTS)) {
    // a wrapper holding most of the page's prose is layout, not boilerplate
    const len = normLen(textOf(c));
    if (bodyLen > 0 && len > 0.5 * bodyLen && linkDensity(c) < 0.3 && !hasHint(tokens, ['cookie', 'consent', 'gdpr']))
      return false;
    return true;
  }
  if (name === 'form') {
    const len = normLen(textOf(c));
    if (len < 500 || linkDensity(c) > 0.5) return true;
  }
  return false;
}

function insideContent(el: DomElement): boolean {
  for (let p = el.parent as DomElement | null; p !== null && isElement(p); p = p.parent as DomElement | null) {
    if (p.name === 'article' || p.name === 'main') return true;
    if (hasHint(classTokens(p), ['entry', 'post', 'article', 'content'])) return true;
  }
  return false;
}

function classWeight(el: DomElement): number {
  const tokens = classTokens(el);
  let w = 0;
  if (hasHint(tokens, POSITIVE_HINTS)) w += 25;
  if (hasHint(tokens, NEGATIVE_HINTS)) w -= 25;
  if (el.name === 'article' || el.name === 'main') w += 30;
  if (el.attribs['itemprop'] === 'articleBody' || el.attribs['role'] === 'main') w += 30;
  return w;
}

function tagWeight(name: string): number {
  if (name === 'div' || name === 'article' || name === 'main' || name === 'section') return 5;
  if (name === 'pre' || name === 'td' || name === 'blockquote') return 3;
  if (name === 'ol' || name === 'ul' || name === 'dl' || name === 'form') return -3;
  if (/^h[1-6]$/.test(name) || name === 'th') return -5;
  return 0;
}

/** Step 2: the container with the most prose. */
function bestContainer(body: DomElement): DomElement {
  const scores = new Map<DomElement, number>();
  const init = (el: DomElement): void => {
    if (!scores.has(el)) scores.set(el, tagWeight(el.name) + classWeight(el));
  };
  const visit = (el: DomElement): void => {
    for (const c of el.children) if (isElement(c)) visit(c);
    if (!BLOCK_SCORE_TAGS.has(el.name)) return;
    // a div counts as a paragraph only when it holds text directly
    if (el.name === 'div' || el.name === 'section' || el.name === 'article') {
      const direct = el.children.filter(isText).reduce((s, t) => s + t.data.trim().length, 0);
      if (direct < 25) return;
    }
    const text = textOf(el).replace(/\s+/g, ' ').trim();
    if (text.length < 25) return;
    const points = 1 + text.split(/[,，、]/).length - 1 + Math.min(Math.floor(text.length / 100), 3);
    let anc = el.parent as DomElement | null;
    for (let level = 0; level < 3 && anc !== null && isElement(anc); level++) {
      init(anc);
      scores.set(anc, (scores.get(anc) as number) + points / (level === 0 ? 1 : level === 1 ? 2 : level * 3));
      anc = anc.parent as DomElement | null;
    }
  };
  visit(body);
  let best: DomElement | null = null;
  let bestScore = -Infinity;
  for (const [el, s] of scores) {
    const final = s * (1 - linkDensity(el));
    if (final > bestScore) {
      bestScore = final;
      best = el;
    }
  }
  if (best === null) return body;
  // climb to an enclosing article/main when it adds little but its headline and lead (not a page of links)
  for (let p = best.parent as DomElement | null; p !== null && isElement(p); p = p.parent as DomElement | null) {
    const inner = normLen(textOf(best));
    const outer = normLen(textOf(p));
    const articleLike =
      p.name === 'article' ||
      p.name === 'main' ||
      p.attribs['itemprop'] === 'articleBody' ||
      hasHint(classTokens(p), ['post', 'article', 'entry', 'hentry']);
    if (!articleLike || p.name === 'body' || outer > inner * 1.5 + 400 || linkDensity(p) > 0.3) break;
    best = p;
  }
  // readability's sibling rule: siblings that score near the winner, or prose paragraphs, join it
  const parent = best.parent as DomElement | null;
  if (parent !== null && isElement(parent) && bestScore > 0) {
    const threshold = Math.max(10, bestScore * 0.2);
    const keep = new Set<DomNode>([best]);
    for (const sib of parent.children) {
      if (sib === best || !isElement(sib)) continue;
      const s = scores.get(sib);
      if (s !== undefined && s * (1 - linkDensity(sib)) >= threshold) keep.add(sib);
      else if (sib.name === 'p' || /^h[1-6]$/.test(sib.name)) {
        const len = normLen(textOf(sib));
        if ((len > 80 && linkDensity(sib) < 0.25) || (/^h[1-6]$/.test(sib.name) && len > 0)) keep.add(sib);
      }
    }
    if (keep.size > 1) {
      const wrapper: DomElement = { type: 'tag', name: 'div', attribs: {}, children: [], parent: null };
      for (const n of parent.children) if (keep.has(n)) wrapper.children.push(n);
      return wrapper;
    }
  }
  return best;
}

/** Step 3: link-dense blocks and boilerplate lines inside the chosen container. */
function clean(el: DomElement): void {
  for (const c of [...el.children]) {
    if (!isElement(c)) continue;
    const text = textOf(c).replace(/\s+/g, ' ').trim();
    const len = text.length;
    if (len === 0 && c.name !== 'br' && c.name !== 'hr') {
      remove(c);
      continue;
    }
    if (len < 120 && c.name !== 'pre' && BOILERPLATE_LINE.test(text)) {
      remove(c);
      continue;
    }
    const block = ![
      'a',
      'span',
      'em',
      'strong',
      'b',
      'i',
      'code',
      'sup',
      'sub',
      'small',
      'abbr',
      'time',
      'mark',
      'q',
      'cite',
      'kbd',
      'var',
      'u',
      's',
      'del',
      'ins',
      'br',
    ].includes(c.name);
    if (block && c.name !== 'pre' && c.name !== 'table') {
      const ld = linkDensity(c);
      const listy = c.name === 'ul' || c.name === 'ol' || c.name === 'dl';
      if ((ld > 0.5 && len < 300 && !/^h[1-6]$/.test(c.name)) || (listy && ld > 0.7)) {
        remove(c);
        continue;
      }
    }
    clean(c);
  }
}

const PARA = new Set([
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
  'header',
  'details',
]);
const LINE = new Set(['br', 'div', 'li', 'tr', 'dt', 'dd', 'figcaption', 'caption', 'summary', 'body']);

/** Step 4: text (or markdown-ish text) of the container. */
function render(root: DomElement, markdown: boolean): string {
  const out: string[] = [];
  const walk = (n: DomNode, pre: boolean): void => {
    if (isText(n)) {
      out.push(pre ? n.data : n.data.replace(/\s+/g, ' '));
      return;
    }
    if (!isElement(n)) return;
    const name = n.name;
    if (name === 'pre') {
      out.push(markdown ? '\n\n```\n' : '\n\n');
      for (const c of n.children) walk(c, true);
      out.push(markdown ? '\n```\n\n' : '\n\n');
      return;
    }
    if (name === 'tr') {
      const cells = n.children
        .filter((c): c is DomElement => isElement(c) && (c.name === 'td' || c.name === 'th'))
        .map((c) => render(c, false).replace(/\s+/g, ' ').trim())
        .filter((c) => c.length > 0);
      if (cells.length > 0) out.push(`\n${markdown ? '| ' : ''}${cells.join(' | ')}${markdown ? ' |' : ''}\n`);
      return;
    }
    const heading = /^h([1-6])$/.exec(name);
    if (PARA.has(name)) out.push('\n\n');
    else if (LINE.has(name)) out.push('\n');
    if (markdown && heading) out.push('#'.repeat(Number(heading[1])) + ' ');
    if (markdown && name === 'li') out.push('- ');
    if (markdown && name === 'blockquote') out.push('> ');
    if (name === 'td' || name === 'th') out.push(' ');
    for (const c of n.children) walk(c, pre);
    if (PARA.has(name)) out.push('\n\n');
    else if (LINE.has(name) && name !== 'br') out.push('\n');
  };
  walk(root, false);
  return out
    .join('')
    .split('\n')
    .map((l) => l.replace(/^[ \t]+|[ \t]+$/g, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function findFirst(n: DomNode, pred: (e: DomElement) => boolean): DomElement | null {
  if (!isElement(n) && n.type !== 'root') return null;
  const el = n as DomElement;
  if (isElement(el) && pred(el)) return el;
  for (const c of el.children ?? []) {
    const r = findFirst(c, pred);
    if (r !== null) return r;
  }
  return null;
}

/** Extracts the main text and the title of an HTML page. */
export function extractMainText(html: string, opts: ExtractOptions = {}): ExtractResult {
  const doc = parseDocument(html, {
    decodeEntities: true,
    lowerCaseTags: true,
    lowerCaseAttributeNames: true,
  }) as unknown as DomElement;
  const titleEl = findFirst(doc, (e) => e.name === 'title');
  let title = titleEl !== null ? textOf(titleEl).replace(/\s+/g, ' ').trim() : '';
  if (title === '') {
    const og = findFirst(doc, (e) => e.name === 'meta' && e.attribs['property'] === 'og:title');
    title = og?.attribs['content']?.trim() ?? '';
  }
  const body = findFirst(doc, (e) => e.name === 'body') ?? doc;
  const bodyLen = normLen(textOf(body));
  prune(body, bodyLen);
  const container = opts.whole_page ? body : bestContainer(body);
  clean(container);
  return { text: render(container, opts.markdown === true), title };
}
