"""Peer for bench/data-web.ts: readability-lxml (Debian python3-readability) extracts the main
text of each page given on stdin as a JSON list of HTML strings, `reps` times; prints JSON
{texts, seconds, version}. Run with /usr/bin/python3."""
import json
import sys
import time

import lxml.html
from readability import Document

cfg = json.load(sys.stdin)
pages, reps = cfg['pages'], cfg['reps']
texts = []
t0 = time.perf_counter()
for r in range(reps):
    out = []
    for html in pages:
        summary = Document(html).summary(html_partial=True)
        out.append(lxml.html.fromstring(summary).text_content() if summary.strip() else '')
    texts = out
seconds = time.perf_counter() - t0
try:
    from importlib.metadata import version
    v = version('readability-lxml')
except Exception:
    v = 'unknown'
print(json.dumps({'texts': texts, 'seconds': seconds, 'version': v}))
