/**
 * Section 4: BPE vs WordPiece vs SentencePiece, each trained by the library at the same
 * vocabulary size on the same English text (nlp-corpus sentences) and Chinese text (a small
 * committed sample), then scored on held-out text: tokens per character, unknown tokens and
 * the characters they swallow, lossless round trips, the word-boundary markers, and how
 * sample words split.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNlpCorpus } from '../../data/corpora/nlp-corpus.ts';
import { trainBpeFromIterator, trainWordPieceFromIterator, trainSentencePiece } from '../../tokenizers/index.ts';
import type { SentencePieceProcessor, Tokenizer } from '../../tokenizers/index.ts';
import { barChartSvg } from '../../core/plot.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { fmt, pct, verdictOf } from '../verdict.ts';
import { asJson } from '../json.ts';

const here = dirname(fileURLToPath(import.meta.url));

export function chineseSample(): { train: string[]; test: string[] } {
  const read = (f: string): string[] =>
    readFileSync(join(here, '..', 'data', f), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  return { train: read('zh-train.txt'), test: read('zh-test.txt') };
}

/** One encoded piece: its text as the tokenizer shows it, whether it is the unknown token, and the input span it covers. */
interface Piece {
  token: string;
  unk: boolean;
  start: number;
  end: number;
}

interface Candidate {
  name: string;
  family: 'BPE' | 'WordPiece' | 'SentencePiece';
  encode(text: string): Piece[];
  decode(text: string): string;
  vocabSize: number;
}

function fromTokenizer(name: string, family: Candidate['family'], tok: Tokenizer): Candidate {
  const unk = tok.unkId;
  return {
    name,
    family,
    vocabSize: tok.vocabSize,
    encode(text) {
      const e = tok.encode(text, null, { addSpecialTokens: false });
      return e.ids.map((id, i) => ({
        token: e.tokens[i]!,
        unk: unk !== undefined && id === unk,
        start: e.offsets[i]![0],
        end: e.offsets[i]![1],
      }));
    },
    decode: (text) => tok.decode(tok.encode(text, null, { addSpecialTokens: false }).ids),
  };
}

function fromSentencePiece(name: string, sp: SentencePieceProcessor): Candidate {
  return {
    name,
    family: 'SentencePiece',
    vocabSize: sp.vocabSize,
    encode: (text) =>
      sp.encode(text).map((p) => ({ token: p.piece, unk: sp.isUnknown(p.id), start: p.start, end: p.end })),
    decode: (text) => sp.decode(sp.encodeIds(text)),
  };
}

interface Score {
  tokenizer: string;
  language: string;
  vocabSize: number;
  tokensPerChar: number;
  unkRate: number;
  /** Share of the test text's non-space characters covered by unknown tokens. */
  unkCharShare: number;
  roundTrip: number;
  /** Share of tokens carrying the family's marker: ## (WordPiece), ▁ (SentencePiece), </w> (BPE). */
  markerShare: number;
}

function score(c: Candidate, language: string, test: readonly string[]): Score {
  let tokens = 0;
  let unk = 0;
  let chars = 0;
  let nonSpace = 0;
  let unkChars = 0;
  let exact = 0;
  let marked = 0;
  for (const line of test) {
    const pieces = c.encode(line);
    tokens += pieces.length;
    chars += [...line].length;
    nonSpace += [...line.replace(/\s/g, '')].length;
    for (const p of pieces) {
      if (p.unk) {
        unk++;
        unkChars += [...line.slice(p.start, p.end).replace(/\s/g, '')].length;
      }
      if (p.token.startsWith('##') || p.token.includes('▁') || p.token.endsWith('</w>')) marked++;
    }
    // information kept: decode(encode(x)) = x up to whitespace and NFKC (normalizers may fold full-width punctuation)
    const canon = (t: string): string => t.normalize('NFKC').replace(/\s/g, '');
    if (canon(c.decode(line)) === canon(line)) exact++;
  }
  return {
    tokenizer: c.name,
    language,
    vocabSize: c.vocabSize,
    tokensPerChar: tokens / chars,
    unkRate: unk / tokens,
    unkCharShare: unkChars / nonSpace,
    roundTrip: exact / test.length,
    markerShare: marked / tokens,
  };
}

async function candidates(train: readonly string[], vocabSize: number): Promise<Candidate[]> {
  const bpe = trainBpeFromIterator(train, {
    vocabSize,
    byteLevel: false,
    endOfWordSuffix: '</w>',
    unkToken: '[UNK]',
    specialTokens: ['[UNK]'],
  });
  const byteBpe = trainBpeFromIterator(train, { vocabSize, byteLevel: true });
  const wordpiece = trainWordPieceFromIterator(train, { vocabSize, lowercase: false });
  // a soft limit (spm's --hard_vocab_limit=false): a tiny corpus may support fewer pieces than asked
  const sp = { sentences: train, vocabSize, hardVocabLimit: false };
  const spUnigram = await trainSentencePiece({ ...sp, modelType: 'unigram' });
  const spUnigramBytes = await trainSentencePiece({ ...sp, modelType: 'unigram', byteFallback: true });
  const spBpeBytes = await trainSentencePiece({ ...sp, modelType: 'bpe', byteFallback: true });
  return [
    fromTokenizer('BPE (whitespace words, </w>)', 'BPE', bpe),
    fromTokenizer('byte-level BPE (GPT-2)', 'BPE', byteBpe),
    fromTokenizer('WordPiece (BERT, ##)', 'WordPiece', wordpiece),
    fromSentencePiece('SentencePiece Unigram', spUnigram),
    fromSentencePiece('SentencePiece Unigram + byte fallback', spUnigramBytes),
    fromSentencePiece('SentencePiece BPE + byte fallback', spBpeBytes),
  ];
}

const EN_WORDS = ['tokenization', 'unbelievably', 'internationalization', 'transformers'];

export const tokenizers: Experiment = {
  name: '4-tokenizers',
  section: 4,
  title: 'BPE vs WordPiece vs SentencePiece on English and Chinese at equal vocabulary',
  claims: [
    {
      section: 4,
      quote:
        'OOV 处理：BPE 通过拆分子词；WordPiece 通过拆分子词；SentencePiece 保证无 OOV (回退到字符)。预分词依赖：BPE/WordPiece 依赖 (通常基于空格)；SentencePiece 不依赖 (直接从原始字符训练)。语言适用性：BPE/WordPiece 擅长英文；SentencePiece 擅长所有语言 (尤其东亚语言)。',
      english:
        'OOV: BPE and WordPiece split into subwords, SentencePiece guarantees no OOV (falls back to characters); BPE/WordPiece need whitespace pre-tokenization, SentencePiece trains on raw characters; BPE/WordPiece are good for English, SentencePiece for all languages, East Asian ones especially. Markers: </w>, ##, ▁.',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const q = ctx.quick;
    const sentences = readNlpCorpus(q ? 6000 : 40000);
    const testEn = sentences.slice(-(q ? 500 : 2000));
    const trainEn = sentences.slice(0, sentences.length - testEn.length);
    const zh = chineseSample();
    const vocabEn = q ? 1000 : 4000;
    const vocabZh = 800;
    ctx.log(
      `  training 6 tokenizers on ${trainEn.length} English sentences (vocabulary ${vocabEn}) and ${zh.train.length} Chinese lines (vocabulary ${vocabZh})`,
    );
    const en = await candidates(trainEn, vocabEn);
    const zhc = await candidates(zh.train, vocabZh);
    const scores = [...en.map((c) => score(c, 'English', testEn)), ...zhc.map((c) => score(c, 'Chinese', zh.test))];
    const get = (lang: string, name: string): Score =>
      scores.find((s) => s.language === lang && s.tokenizer.startsWith(name))!;
    const spFallbackZh = get('Chinese', 'SentencePiece Unigram + byte');
    const spFallbackEn = get('English', 'SentencePiece Unigram + byte');
    const spBpeZh = get('Chinese', 'SentencePiece BPE');
    const spPlainZh = get('Chinese', 'SentencePiece Unigram');
    const wpZh = get('Chinese', 'WordPiece');
    const bpeZh = get('Chinese', 'BPE (whitespace');
    const wpEn = get('English', 'WordPiece');
    const bpeEn = get('English', 'BPE (whitespace');
    const byteEn = get('English', 'byte-level');
    const byteZh = get('Chinese', 'byte-level');
    const unseen = [...new Set(zh.test.join(''))].filter(
      (ch) => !zh.train.join('').includes(ch) && /\p{Script=Han}/u.test(ch),
    ).length;

    const splits: Record<string, Record<string, string[]>> = {};
    for (const c of en) splits[c.name] = Object.fromEntries(EN_WORDS.map((w) => [w, c.encode(w).map((p) => p.token)]));
    const zhExample = zh.test[4]!;
    const zhSplits = Object.fromEntries(
      zhc.map((c) => [c.name, c.encode(zhExample).map((p) => (p.unk ? '[UNK]' : p.token))]),
    );

    const compact = (x: Score): boolean => x.tokensPerChar <= 1.15 * spFallbackEn.tokensPerChar;
    const bpeCompact = compact(bpeEn);
    const wpCompact = compact(wpEn);
    const noOov = spFallbackZh.unkRate === 0 && spFallbackEn.unkRate === 0 && spBpeZh.unkRate === 0;
    const plainSpOov = spPlainZh.unkRate > 0;
    const findings: Finding[] = [
      {
        statement:
          'SentencePiece never produces an unknown token (it falls back to characters), with its default options (byte fallback off)',
        verdict: verdictOf(!plainSpOov),
        evidence: `SentencePiece Unigram with the default options: ${pct(spPlainZh.unkRate, 2)} of Chinese held-out tokens are <unk>, covering ${pct(spPlainZh.unkCharShare, 1)} of the characters (${unseen} characters never seen in training)${plainSpOov ? ': it falls back to characters it knows and emits <unk> for the rest; the guarantee needs byte_fallback (the sanity check below)' : ''}`,
        rule: 'holds if the default SentencePiece emits no <unk> on the Chinese held-out text',
      },
      {
        statement: 'with byte fallback SentencePiece produces no unknown token',
        kind: 'sanity',
        verdict: verdictOf(noOov),
        evidence: `unknown tokens on held-out text: SentencePiece Unigram with byte fallback ${pct(spFallbackEn.unkRate, 2)} (English), ${pct(spFallbackZh.unkRate, 2)} (Chinese), SentencePiece BPE with byte fallback ${pct(spBpeZh.unkRate, 2)} (Chinese); every byte has a piece, so this holds by construction`,
      },
      {
        statement: 'BPE and WordPiece handle unseen words by splitting them into subwords',
        verdict: verdictOf(wpEn.unkRate < 0.005 && bpeEn.unkRate < 0.005, wpZh.unkRate > 0 || bpeZh.unkRate > 0),
        evidence: `English held-out text: unknown tokens WordPiece ${pct(wpEn.unkRate, 2)}, BPE ${pct(bpeEn.unkRate, 2)}, byte-level BPE ${pct(byteEn.unkRate, 2)}; e.g. WordPiece "${EN_WORDS[2]}" → ${splits['WordPiece (BERT, ##)']![EN_WORDS[2]!]!.join(' ')}. Chinese: an unseen character has no subword to fall back to: WordPiece ${pct(wpZh.unkRate, 2)}, BPE ${pct(bpeZh.unkRate, 2)} unknown (byte-level BPE ${pct(byteZh.unkRate, 2)}: bytes are its alphabet)`,
      },
      {
        statement: 'on Chinese, SentencePiece does better than whitespace-based BPE / WordPiece',
        verdict: verdictOf(
          spFallbackZh.unkCharShare < Math.min(wpZh.unkCharShare, bpeZh.unkCharShare) &&
            spFallbackZh.roundTrip >= Math.max(wpZh.roundTrip, bpeZh.roundTrip),
        ),
        evidence: `Chinese held-out text, characters lost to unknown tokens: SentencePiece + byte fallback ${pct(spFallbackZh.unkCharShare, 1)}, WordPiece ${pct(wpZh.unkCharShare, 1)}, BPE ${pct(bpeZh.unkCharShare, 1)}; lines decoded back to their text (up to whitespace and NFKC) ${pct(spFallbackZh.roundTrip, 0)} vs ${pct(wpZh.roundTrip, 0)} vs ${pct(bpeZh.roundTrip, 0)}; tokens per character ${fmt(spFallbackZh.tokensPerChar)} vs ${fmt(wpZh.tokensPerChar)} vs ${fmt(bpeZh.tokensPerChar)}`,
      },
      {
        statement:
          'on Chinese, SentencePiece does better than byte-level BPE too (which, like byte fallback, has no unknown tokens): fewer tokens per character',
        verdict: verdictOf(
          spFallbackZh.tokensPerChar < byteZh.tokensPerChar && spFallbackZh.roundTrip >= byteZh.roundTrip,
        ),
        evidence: `Chinese held-out text: tokens per character SentencePiece Unigram + byte fallback ${fmt(spFallbackZh.tokensPerChar)}, SentencePiece BPE + byte fallback ${fmt(spBpeZh.tokensPerChar)}, byte-level BPE ${fmt(byteZh.tokensPerChar)} (a Chinese character is 3 UTF-8 bytes); unknown tokens ${pct(spFallbackZh.unkRate, 2)} vs ${pct(byteZh.unkRate, 2)}; lines decoded back ${pct(spFallbackZh.roundTrip, 0)} vs ${pct(byteZh.roundTrip, 0)}`,
        rule: 'holds if SentencePiece (byte fallback) needs fewer tokens per character than byte-level BPE at the same vocabulary and decodes at least as many lines back',
      },
      {
        statement: 'BPE and WordPiece are good for English: as compact as SentencePiece on English at equal vocabulary',
        verdict: bpeCompact && wpCompact ? 'holds' : bpeCompact || wpCompact ? 'holds with a caveat' : 'does not hold',
        evidence: `English tokens per character: BPE ${fmt(bpeEn.tokensPerChar)}, byte-level BPE ${fmt(byteEn.tokensPerChar)}, WordPiece ${fmt(wpEn.tokensPerChar)}, SentencePiece Unigram ${fmt(spFallbackEn.tokensPerChar)} (within 15% counts as as compact)${wpCompact ? '' : '. WordPiece here merges by the likelihood score of the notes, freq(ab) / (freq(a)·freq(b)), which favours rare pairs over frequent ones: at the same vocabulary it covers far fewer common words'}`,
      },
      {
        statement:
          'the markers: BPE ends words with </w>, WordPiece continues them with ##, SentencePiece starts them with ▁',
        verdict: verdictOf(bpeEn.markerShare > 0.1 && wpEn.markerShare > 0.02 && spFallbackEn.markerShare > 0.1),
        evidence: `share of English test tokens with the marker: BPE ${pct(bpeEn.markerShare, 0)}, WordPiece ${pct(wpEn.markerShare, 0)}, SentencePiece ${pct(spFallbackEn.markerShare, 0)}; e.g. "${EN_WORDS[0]}" → BPE ${splits['BPE (whitespace words, </w>)']![EN_WORDS[0]!]!.join(' ')} | WordPiece ${splits['WordPiece (BERT, ##)']![EN_WORDS[0]!]!.join(' ')} | SentencePiece ${splits['SentencePiece Unigram + byte fallback']![EN_WORDS[0]!]!.join(' ')}`,
      },
    ];
    const plots = [
      {
        name: 'tokens-per-char',
        caption: 'Tokens per character on held-out text (lower = better compression) at equal vocabulary.',
        svg: await barChartSvg({
          title: 'tokens per character',
          xLabel: 'tokenizer',
          yLabel: 'tokens / character',
          horizontal: true,
          bars: scores.map((s) => ({ label: s.tokenizer, value: s.tokensPerChar, group: s.language })),
        }),
      },
      {
        name: 'unknown',
        caption:
          'Share of the held-out characters covered by unknown tokens ([UNK] / <unk>), per tokenizer and language.',
        svg: await barChartSvg({
          title: 'characters lost to unknown tokens',
          xLabel: 'tokenizer',
          yLabel: 'share of characters',
          horizontal: true,
          bars: scores.map((s) => ({ label: s.tokenizer, value: s.unkCharShare, group: s.language })),
        }),
      },
    ];
    return {
      findings,
      measured: [
        `English: ${trainEn.length} nlp-corpus sentences for training, ${testEn.length} held out; vocabulary ${vocabEn}. Chinese: ${zh.train.length} lines (${zh.train.join('').length} characters) of src/lab/data/zh-train.txt, ${zh.test.length} held-out lines with ${unseen} characters not in training; vocabulary ${vocabZh}`,
        'trainers: trainBpeFromIterator (classic with </w> and [UNK]; byte-level), trainWordPieceFromIterator (BERT pipeline, cased), trainSentencePiece (Unigram, Unigram + byte fallback, BPE + byte fallback; nmt_nfkc, coverage 0.9995)',
        ...scores.map(
          (s) =>
            `${s.language}, ${s.tokenizer} (vocab ${s.vocabSize}): ${fmt(s.tokensPerChar)} tokens/char, unknown ${pct(s.unkRate, 2)} of tokens / ${pct(s.unkCharShare, 2)} of characters, round trip ${pct(s.roundTrip, 0)} of lines`,
        ),
        `Chinese example ${JSON.stringify(zhExample)}: ${Object.entries(zhSplits)
          .map(([k, v]) => `${k}: ${v.join(' ')}`)
          .join(' | ')}`,
      ],
      numbers: {
        vocabEn,
        vocabZh,
        unseenChineseChars: unseen,
        scores: asJson(scores),
        englishSplits: splits,
        chineseSplits: zhSplits,
      },
      plots,
    };
  },
};
