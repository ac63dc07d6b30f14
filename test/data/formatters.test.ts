import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pii, isGlobalIPv4, parseIPv6 } from '../../src/data/stages/pii.ts';
import { extractHtml, htmlExtract, looksLikeHtml } from '../../src/data/stages/html-extract.ts';
import { identifyScript, scriptFilter } from '../../src/data/stages/script-id.ts';
import { normalizeUnicode } from '../../src/data/stages/normalize.ts';
import { cleanWhitespace } from '../../src/data/stages/clean-whitespace.ts';
import { run } from './helpers.ts';

test('pii: emails replaced round-robin with datatrove placeholders (any case)', () => {
  const [, t, c] = run(pii(), 'Mail jane.doe@corp.io or John.Smith@Example.COM, or a@b.co today.');
  assert.equal(t, 'Mail email@example.com or firstname.lastname@example.org, or email@example.com today.');
  assert.equal(c['emails'], 3);
});

test('pii: only public IPv4 replaced by default (Python ipaddress.is_global ranges)', () => {
  const [, t, c] = run(
    pii(),
    'Server 8.8.8.8 and 10.0.0.1, 192.168.1.20, 127.0.0.1, 172.16.5.4, 100.64.0.1 and 93.184.216.34.',
  );
  assert.equal(
    t,
    'Server 22.214.171.124 and 10.0.0.1, 192.168.1.20, 127.0.0.1, 172.16.5.4, 100.64.0.1 and 126.96.36.199.',
  );
  assert.equal(c['ipv4'], 2);
  assert.equal(isGlobalIPv4('203.0.113.9'), false);
  assert.equal(isGlobalIPv4('1.1.1.1'), true);
  const [, all] = run(pii({ only_remove_public_ips: false }), 'at 10.0.0.1');
  assert.equal(all, 'at 22.214.171.124');
});

test('pii: IPv6 (global only) and phone numbers redacted; tag mode', () => {
  assert.deepEqual(parseIPv6('2607:f8b0:4005:80a::200e'), [0x2607, 0xf8b0, 0x4005, 0x80a, 0, 0, 0, 0x200e]);
  assert.deepEqual(parseIPv6('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
  assert.equal(parseIPv6('12:30'), null);
  const [, t, c] = run(pii(), 'Host 2607:f8b0:4005:80a::200e, local fe80::1, doc 2001:db8::5. Time 12:30:45.');
  assert.equal(t, 'Host 2001:db8::1, local fe80::1, doc 2001:db8::5. Time 12:30:45.');
  assert.equal(c['ipv6'], 1);
  const [, p, pc] = run(pii(), 'Call (415) 555-2671 or 212.555.0147 or +1 646-555-0199, not order 12345678901234.');
  assert.equal(p, 'Call (555) 555-0100 or (555) 555-0199 or (555) 555-0100, not order 12345678901234.');
  assert.equal(pc['phones'], 3);
  const [, tagged] = run(pii({ mode: 'tag' }), 'x@y.org 8.8.4.4');
  assert.equal(tagged, '|||EMAIL_ADDRESS||| |||IP_ADDRESS|||');
});

const PAGE = `<!DOCTYPE html><html><head><title>Rivers of Europe</title><style>p{color:red}</style>
<script>var tracking = "do not keep";</script></head><body>
<header><a href="/">Home</a> <a href="/about">About</a></header>
<nav><ul><li>Menu one</li><li>Menu two</li></ul></nav>
<div class="cookie-banner">We use cookies. Accept?</div>
<main><article><h1>The Danube</h1>
<p>The Danube is the second-longest river in Europe &amp; flows   through ten countries.</p>
<p>It rises in the Black Forest<br>and empties into the Black Sea.</p>
<pre>  code   stays</pre>
<div class="share-buttons">Share on social</div>
</article></main>
<aside>Related posts</aside><footer>Copyright 2024</footer></body></html>`;

test('html: main content kept, boilerplate dropped, entities decoded, blocks become lines', () => {
  const { text, title } = extractHtml(PAGE);
  assert.equal(title, 'Rivers of Europe');
  assert.equal(
    text,
    'The Danube\n\nThe Danube is the second-longest river in Europe & flows through ten countries.\n\nIt rises in the Black Forest\nand empties into the Black Sea.\n\ncode   stays',
  );
  for (const junk of ['Menu', 'cookies', 'tracking', 'Copyright', 'Related', 'Share', 'Home', 'color'])
    assert.ok(!text.includes(junk), junk);
  assert.ok(looksLikeHtml(PAGE));
  assert.ok(!looksLikeHtml('Plain text with a < b and c > d.'));
  const [r, t] = run(htmlExtract(), 'Plain text, untouched.');
  assert.equal(r, undefined);
  assert.equal(t, 'Plain text, untouched.');
  assert.equal(run(htmlExtract(), '<html><body><script>x()</script></body></html>')[0], 'html_no_text');
});

test('script identification: Latin, Cyrillic, CJK, mixed; filter keeps listed scripts', () => {
  assert.equal(identifyScript('Hello wonderful world').script, 'Latin');
  assert.equal(identifyScript('Привет, как дела?').script, 'Cyrillic');
  assert.equal(identifyScript('東京は日本の首都です。ひらがな').script, 'CJK');
  assert.equal(identifyScript('12345 !!!').script, 'none');
  const mixed = identifyScript('abc где');
  assert.equal(mixed.script, 'Latin');
  assert.equal(mixed.score, 0.5);
  const f = scriptFilter({ keep: ['Latin'], min_score: 0.6 });
  assert.equal(run(f, 'Bonjour à tous')[0], undefined);
  assert.equal(run(f, 'Привет мир')[0], 'script_Cyrillic');
  assert.equal(run(f, 'abc где')[0], 'script_score_below_threshold');
});

test('normalize NFC/NFKC and whitespace/control cleanup', () => {
  assert.equal(run(normalizeUnicode(), 'cafe\u0301')[1], 'caf\u00e9');
  assert.equal(run(normalizeUnicode({ form: 'NFKC' }), 'ﬁne ①')[1], 'fine 1');
  const [r, t, c] = run(
    cleanWhitespace(),
    '\ufeff  Hello\u00a0\u00a0world\u200b!\r\nNext\x07 line   \r\n\r\n\r\n\r\nEnd\t\t ',
  );
  assert.equal(r, undefined);
  assert.equal(t, 'Hello world!\nNext line\n\nEnd');
  assert.equal(c['changed'], 1);
  assert.equal(run(cleanWhitespace(), ' \u200b\n\t ')[0], 'empty_document');
});

test('language filter (franc-min trigram model): English kept, French and Russian rejected, short text undetermined', async () => {
  const { languageFilter, identifyLanguage } = await import('../../src/data/stages/language-filter.ts');
  const f = languageFilter({ languages: ['eng'] });
  assert.equal(
    run(
      f,
      'The Danube is the second longest river in Europe, and it flows through ten countries before it reaches the Black Sea.',
    )[0],
    undefined,
  );
  assert.equal(
    run(
      f,
      'Le Danube est le deuxième plus long fleuve d’Europe et il traverse dix pays avant d’atteindre la mer Noire.',
    )[0],
    'language_fra',
  );
  assert.equal(
    run(f, 'Дунай является второй по длине рекой Европы. Он протекает через десять стран.')[0],
    'language_rus',
  );
  assert.equal(run(f, 'Hi')[0], 'language_undetermined');
  assert.ok(
    identifyLanguage('Дунай является второй по длине рекой Европы. Он протекает через десять стран.').margin > 0.1,
  );
});
