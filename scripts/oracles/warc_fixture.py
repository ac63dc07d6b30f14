"""Writes test/fixtures/data/web/crawl.warc.gz with GNU wget's WARC writer (an independent,
widely used producer: ArchiveTeam crawls with it), crawling a local server that serves pages
in UTF-8, windows-1252 (charset in the HTTP header), Shift_JIS (charset only in <meta>),
gzip content-encoding, chunked transfer-encoding, a PNG and a 404.

Run: /usr/bin/python3 scripts/oracles/warc_fixture.py   (needs wget; only the standard library)
"""
import gzip
import http.server
import os
import shutil
import subprocess
import tempfile
import threading

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'data', 'web', 'crawl.warc.gz')

PAGES = {
    '/index.html': (
        'text/html; charset=utf-8',
        '<!doctype html><html><head><title>Index page</title></head><body>'
        '<p>Café au lait, naïve résumé: the index page links to every other page.</p>'
        '<a href="latin1.html">latin1</a> <a href="sjis.html">sjis</a> <a href="gz.html">gz</a> '
        '<a href="chunked.html">chunked</a> <a href="logo.png">logo</a> <a href="missing.html">missing</a>'
        '</body></html>'.encode('utf-8'),
        {},
    ),
    '/latin1.html': (
        'text/html; charset=ISO-8859-1',
        '<html><head><title>Latin page</title></head><body><p>Cr\u00e8me br\u00fbl\u00e9e \u2013 a dessert, '
        'priced at \u20ac5.</p></body></html>'.encode('windows-1252'),
        {},
    ),
    '/sjis.html': (
        'text/html',
        '<html><head><meta charset="shift_jis"><title>日本語</title></head><body>'
        '<p>吾輩は猫である。名前はまだ無い。</p></body></html>'.encode('shift_jis'),
        {},
    ),
    '/gz.html': (
        'text/html; charset=utf-8',
        gzip.compress('<html><body><p>This page was sent gzip-compressed over HTTP.</p></body></html>'.encode()),
        {'Content-Encoding': 'gzip'},
    ),
    '/logo.png': ('image/png', b'\x89PNG\r\n\x1a\n' + bytes(64), {}),
}
CHUNKED = [b'<html><body><p>This page arrived ', b'in three chunks ', b'of chunked transfer encoding.</p></body></html>']


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == '/chunked.html':
            self.send_response(200)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            for c in CHUNKED:
                self.wfile.write(b'%x\r\n%s\r\n' % (len(c), c))
            self.wfile.write(b'0\r\n\r\n')
            return
        if self.path not in PAGES:
            body = b'<html><body>not found</body></html>'
            self.send_response(404)
            self.send_header('Content-Type', 'text/html')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        ctype, body, extra = PAGES[self.path]
        self.send_response(200)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def main():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    tmp = tempfile.mkdtemp()
    try:
        subprocess.run(
            ['wget', '--no-verbose', '-e', 'robots=off', '-r', '-l', '1', '-P', tmp, '--warc-file', os.path.join(tmp, 'crawl'),
             f'http://127.0.0.1:{port}/index.html'],
            check=False,
        )
        shutil.copy(os.path.join(tmp, 'crawl.warc.gz'), OUT)
    finally:
        server.shutdown()
        shutil.rmtree(tmp)
    print('wrote', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
