#!/usr/bin/python3
"""Oracle fixtures for llmts' SentencePiece support (run by hand, never in CI).

    /usr/bin/python3 scripts/oracles/sentencepiece_fixtures.py

Needs Debian's python3-sentencepiece (0.1.97 was used). Trains small models with the real
SentencePiece (num_threads=1: Unigram output depends on the thread count) on text that the
tests can rebuild without Python (node_modules/nlp-corpus, TypeScript's zh-cn messages), and
writes to test/fixtures/tokenizers/sentencepiece/:

  unigram-en.model.gz   Unigram 2000, nmt_nfkc (gzipped: the charsmap alone is 237 KB)
  unigram-zh.model      Unigram 3000 on Chinese, identity rule, byte_fallback, user/control symbols
  bpe-en.model          BPE 2000, identity rule, no extra-whitespace removal, byte_fallback (LLaMA-like)
  expected.json         per model: ids, pieces, code-point offsets, decode, n-best lists for test
                        strings; held-out tokens/byte; the corpus recipe and its sha256

and src/tokenizers/sentencepiece/data/nmt-nfkc.charsmap.gz (SentencePiece's compiled nmt_nfkc
rule, which llmts' trainers embed in the .model files they write).
"""
import gzip
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

import sentencepiece as spm

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'tokenizers', 'sentencepiece')
DATA = os.path.join(ROOT, 'src', 'tokenizers', 'sentencepiece', 'data')
NLP = os.path.join(ROOT, 'node_modules', 'nlp-corpus', 'builds')
ZH = os.path.join(ROOT, 'node_modules', 'typescript', 'lib', 'zh-cn', 'diagnosticMessages.generated.json')


def nlp_docs(first, last):
    """Sentences of nlp-corpus builds/doc-{first..last}.json, one per line (the tests rebuild this)."""
    lines = []
    for i in range(first, last + 1):
        with open(os.path.join(NLP, 'doc-%d.json' % i), encoding='utf-8') as f:
            lines.extend(json.load(f))
    return '\n'.join(lines) + '\n'


def zh_messages(start, stop):
    """Values of TypeScript's zh-cn diagnostic messages [start, stop) in key order."""
    with open(ZH, encoding='utf-8') as f:
        d = json.load(f)
    keys = sorted(d.keys())[start:stop]
    return '\n'.join(d[k].replace('\n', ' ') for k in keys) + '\n'


def sha(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def tokens_per_byte(sp, text):
    tokens = 0
    nbytes = 0
    for line in text.split('\n'):
        if not line:
            continue
        tokens += len(sp.encode(line))
        nbytes += len(line.encode('utf-8'))
    return tokens / nbytes


def case(sp, text, nbest=0):
    proto = sp.encode_as_immutable_proto(text)
    out = {
        'text': text,
        'ids': [p.id for p in proto.pieces],
        'pieces': [p.piece for p in proto.pieces],
        # code-point offsets into text, as the python binding reports them
        'offsets': [[p.begin, p.end] for p in proto.pieces],
        'decoded': sp.decode([p.id for p in proto.pieces]),
    }
    if nbest > 0:
        out['nbest'] = [list(ids) for ids in sp.nbest_encode_as_ids(text, nbest)]
    return out


COMMON = [
    '', ' ', 'Hello world', 'Hello world!', '  leading and trailing  ', 'multiple     spaces inside',
    'tabs\tand\nnewlines\r\nhere', 'The quick brown fox jumps over the lazy dog.',
    "I can't believe it's not butter; it's 3.14159 times better!", 'def f(x):\n    return x ** 2  # square',
    'https://example.com/path?q=1&r=two', 'ＦＵＬＬ－ｗｉｄｔｈ ＡＢＣ １２３', 'ﬁnancial ﬂow ﬀ', '①②③ Ⅻ ½ ™ x² ℌ',
    'café naïve résumé', 'cafe\u0301 nai\u0308ve', 'zero\u200bwidth\ufeffbom', 'ctrl\u0001chars\u007f',
    'emoji 👍🏽 🇯🇵 👨\u200d👩\u200d👧', '你好，世界！', 'こんにちは世界', 'Привет мир', 'مرحبا',
    '한국어 텍스트', '▁already▁escaped', '<unk> <s> </s> literal', 'x' * 40, 'aaaaaaaaaaaaaaaaaaaaaaa',
    '\u3000ideographic\u3000space', 'NBSP\u00a0here', 'unknown ☃☃ snow ☃', 'Ǆ ǅ ǆ', 'ｶﾀｶﾅ', '㍿ ㌔',
    # runs whose segmentations tie up to float rounding ('.' + '...' vs '...' + '.')
    'MY SISTER’S GONNA HAVE MY BABY!!!!!!!', 'the ice....meaning 1/4 of the cup was filled with liquid....we flagged',
    'wait...... what?!?!?! no way------ hahahahaha ooooooh', 'so.... many.... dots.... here.....',
]
EN_NBEST = ['hello', 'understanding', 'the quick brown fox', 'unbelievable things', 'Hello world']
ZH_CASES = [
    '类型“{0}”的参数不能赋给类型“{1}”的参数。', '找不到模块“{0}”。你的意思是要将 \"moduleResolution\" 选项设置为 \"node\"，还是要将别名添加到 \"paths\" 选项中?',
    '龘靐齉 生僻字', '𠀀𪚥 astral', '编译器选项<sep>第二句', '<cls>控制符号', 'mixed 中文 and English 123', '全角，标点；符号！',
]
BPE_EXTRA = ['  two leading spaces', 'trailing spaces   ', 'a\n\nb', '<br>user<br>symbol', 'unknown ☃☃ snow ☃ 𝄞']


def train(name, text, **kwargs):
    # a fixed directory: the input path and model prefix are recorded in trainer_spec, so a
    # random one would change the .model bytes on every run
    tmp = os.path.join(tempfile.gettempdir(), 'llmts_sentencepiece_oracle')
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        path = os.path.join(tmp, 'corpus.txt')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        prefix = os.path.join(tmp, name)
        t0 = time.time()
        spm.SentencePieceTrainer.train(input=path, model_prefix=prefix, num_threads=1, minloglevel=2, **kwargs)
        print('%s: trained in %.2fs' % (name, time.time() - t0), file=sys.stderr)
        with open(prefix + '.model', 'rb') as f:
            return f.read()
    finally:
        shutil.rmtree(tmp)


def charsmap_of(model_bytes):
    """normalizer_spec.precompiled_charsmap, read straight from the wire format."""

    def varint(b, i):
        r = s = 0
        while True:
            c = b[i]
            i += 1
            r |= (c & 0x7F) << s
            s += 7
            if c < 0x80:
                return r, i

    def fields(b):
        i = 0
        while i < len(b):
            key, i = varint(b, i)
            wt = key & 7
            if wt == 0:
                v, i = varint(b, i)
            elif wt == 1:
                v, i = b[i:i + 8], i + 8
            elif wt == 5:
                v, i = b[i:i + 4], i + 4
            elif wt == 2:
                n, i = varint(b, i)
                v, i = b[i:i + n], i + n
            else:
                raise ValueError('wire type %d' % wt)
            yield key >> 3, v

    for field, value in fields(model_bytes):
        if field == 3:
            for f2, v2 in fields(value):
                if f2 == 2:
                    return v2
    return b''


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(DATA, exist_ok=True)
    en_train = nlp_docs(0, 2)
    en_heldout = nlp_docs(3, 3)
    zh_train = zh_messages(0, 1500)
    zh_heldout = zh_messages(1500, 1800)
    expected = {'generator': 'scripts/oracles/sentencepiece_fixtures.py', 'sentencepiece': spm.__version__, 'models': {}}

    specs = {
        'unigram-en': dict(text=en_train, heldout=en_heldout, corpus='nlp-corpus doc-0..doc-2', heldout_corpus='nlp-corpus doc-3',
                           args=dict(model_type='unigram', vocab_size=2000), file='unigram-en.model.gz',
                           cases=COMMON, nbest=EN_NBEST),
        'unigram-zh': dict(text=zh_train, heldout=zh_heldout, corpus='typescript zh-cn messages [0, 1500)',
                           heldout_corpus='typescript zh-cn messages [1500, 1800)',
                           args=dict(model_type='unigram', vocab_size=3000, normalization_rule_name='identity', byte_fallback=True,
                                     character_coverage=0.9995, user_defined_symbols=['<sep>'], control_symbols=['<cls>']),
                           file='unigram-zh.model', cases=ZH_CASES + COMMON[:12], nbest=['编译器选项', '参数不能赋给类型']),
        'bpe-en': dict(text=en_train, heldout=en_heldout, corpus='nlp-corpus doc-0..doc-2', heldout_corpus='nlp-corpus doc-3',
                       args=dict(model_type='bpe', vocab_size=2000, normalization_rule_name='identity', remove_extra_whitespaces=False,
                                 byte_fallback=True, user_defined_symbols=['<br>']),
                       file='bpe-en.model', cases=COMMON + BPE_EXTRA, nbest=[]),
    }
    for name, spec in specs.items():
        model = train(name, spec['text'], **spec['args'])
        sp = spm.SentencePieceProcessor(model_proto=model)
        target = os.path.join(OUT, spec['file'])
        if target.endswith('.gz'):
            with open(target, 'wb') as f:
                f.write(gzip.compress(model, 9, mtime=0))
        else:
            with open(target, 'wb') as f:
                f.write(model)
        cases = [case(sp, t, 5 if t in spec['nbest'] else 0) for t in spec['cases']]
        cases += [case(sp, t, 5) for t in spec['nbest'] if t not in spec['cases']]
        expected['models'][name] = {
            'file': spec['file'],
            'train_args': {k: v for k, v in spec['args'].items()},
            'corpus': spec['corpus'],
            'corpus_sha256': sha(spec['text']),
            'heldout_corpus': spec['heldout_corpus'],
            'heldout_sha256': sha(spec['heldout']),
            'heldout_tokens_per_byte': tokens_per_byte(sp, spec['heldout']),
            'vocab_size': sp.get_piece_size(),
            'cases': cases,
        }
        if name == 'unigram-en':
            charsmap = charsmap_of(model)
            with open(os.path.join(DATA, 'nmt-nfkc.charsmap.gz'), 'wb') as f:
                f.write(gzip.compress(charsmap, 9, mtime=0))
            expected['nmt_nfkc_charsmap_sha256'] = hashlib.sha256(charsmap).hexdigest()
    with open(os.path.join(OUT, 'expected.json'), 'w', encoding='utf-8') as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print('wrote', OUT, file=sys.stderr)


if __name__ == '__main__':
    main()
