/**
 * Tokenizers: the text in the box split by GPT-2's byte-level BPE, BERT's WordPiece and two
 * SentencePiece models (BPE and Unigram), side by side, in the browser (llmts's tokenizers from
 * the browser build; vocabularies served beside the app). Each token is a coloured span with its
 * id; counts, characters and UTF-8 bytes per token. Any tokenizer.json / .model / vocab.txt can
 * be loaded from disk as another column, and a byte-level BPE trained here on the text or the
 * bundled corpus (tokenizer-trainer.tsx).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { asset, llmts } from '../llmts.ts';
import { TokenizerTrainer } from './tokenizer-trainer.tsx';

type Tokenizer = Awaited<ReturnType<Awaited<ReturnType<typeof llmts>>['loadTokenizerFrom']>>;

interface Entry {
  key: string;
  name: string;
  detail: string;
  tokenizer: Tokenizer;
}

/** The built-in tokenizers and where their files are (scripts/build-playground.mjs copies them). */
const BUILT_IN = [
  {
    key: 'gpt2',
    name: 'GPT-2 BPE',
    detail: 'byte-level BPE, 50,257 tokens',
    source: { vocab: 'vocab/gpt2/encoder.json', merges: 'vocab/gpt2/vocab.bpe' },
  },
  {
    key: 'bert',
    name: 'BERT WordPiece',
    detail: 'bert-base-uncased, 30,522 tokens',
    source: { vocab: 'vocab/bert-base-uncased/vocab.txt' },
  },
  {
    key: 'sp-bpe',
    name: 'SentencePiece BPE',
    detail: 'English, 1,000 pieces',
    source: 'vocab/sentencepiece/bpe-en.model',
  },
  {
    key: 'sp-unigram',
    name: 'SentencePiece Unigram',
    detail: 'Chinese, 2,000 pieces',
    source: 'vocab/sentencepiece/unigram-zh.model',
  },
] as const;

const SAMPLE = "Hello world! Tokenizers split text into pieces: don't, won't, 中文, emoji 😀.";

function resolve(source: string | Record<string, string>): string | Record<string, string> {
  if (typeof source === 'string') return asset(source);
  return Object.fromEntries(Object.entries(source).map(([k, v]) => [k, asset(v)]));
}

const utf8 = new TextEncoder();

export function TokenizersPage(): JSX.Element {
  const [text, setText] = useState(SAMPLE);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const L = await llmts();
        const loaded = await Promise.all(
          BUILT_IN.map(async (b) => ({
            key: b.key,
            name: b.name,
            detail: b.detail,
            tokenizer: await L.loadTokenizerFrom(resolve(b.source) as Parameters<typeof L.loadTokenizerFrom>[0]),
          })),
        );
        if (live) {
          setEntries(loaded);
          setReady(true);
        }
      } catch (err) {
        if (live) setError(String(err));
      }
    })();
    return () => {
      live = false;
    };
  }, []);

  const onFile = async (input: HTMLInputElement): Promise<void> => {
    const file = input.files?.[0];
    if (file === undefined) return;
    try {
      const L = await llmts();
      const tokenizer = await L.loadTokenizerFrom(file);
      const entry = { key: 'file', name: file.name, detail: 'loaded from disk', tokenizer };
      setEntries((es) => [...es.filter((x) => x.key !== 'file'), entry]);
      setError(null);
    } catch (err) {
      setError(`${file.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  return (
    <main data-page="tokenizers" data-ready={ready ? 'true' : undefined} aria-busy={!ready}>
      <h1>Tokenizers</h1>
      <p class="lead">
        Type or paste text: each tokenizer splits it into tokens (hover or focus a token for its id). Everything runs in
        this tab.
      </p>
      <label for="tok-text">Text</label>
      <textarea id="tok-text" rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <p>
        <label>
          Load a tokenizer (tokenizer.json, SentencePiece .model, BERT vocab.txt):{' '}
          <input
            type="file"
            id="tok-file"
            accept=".json,.model,.txt,.tiktoken"
            onChange={(e) => void onFile(e.currentTarget)}
          />
        </label>
      </p>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!ready && error === null && <p>Loading vocabularies…</p>}
      <div class="columns">
        {entries.map((e) => (
          <TokenColumn key={e.key} entry={e} text={text} />
        ))}
      </div>
      {ready && (
        <TokenizerTrainer
          text={text}
          onTrained={(t) => setEntries((es) => [...es.filter((x) => x.key !== 'trained'), { key: 'trained', ...t }])}
        />
      )}
    </main>
  );
}

function TokenColumn({ entry, text }: { entry: Entry; text: string }): JSX.Element {
  const enc = useMemo(() => {
    try {
      return { ok: entry.tokenizer.encode(text) } as const;
    } catch (err) {
      return { error: String(err) } as const;
    }
  }, [entry, text]);
  if ('error' in enc)
    return (
      <section class="column" data-tokenizer={entry.key}>
        <h2>{entry.name}</h2>
        <p class="error">{enc.error}</p>
      </section>
    );
  const e = enc.ok;
  const ids = Array.from(e.ids);
  const bytes = utf8.encode(text).length;
  const chars = [...text].length;
  return (
    <section class="column" data-tokenizer={entry.key} data-count={ids.length} data-ids={ids.join(',')}>
      <h2>{entry.name}</h2>
      <p class="detail">{entry.detail}</p>
      <p class="stats">
        <strong class="count">{ids.length}</strong> tokens · {ids.length > 0 ? (chars / ids.length).toFixed(2) : '–'}{' '}
        chars/token · {ids.length > 0 ? (bytes / ids.length).toFixed(2) : '–'} bytes/token
      </p>
      <p class="tokens" aria-label={`${entry.name} tokens`}>
        {ids.map((id, i) => {
          const [start, end] = e.offsets[i] ?? [0, 0];
          const prev = i > 0 ? e.offsets[i - 1] : undefined;
          // a token that covers no new text (a special token, or the 2nd byte-piece of one character)
          const shared = end <= start || (prev !== undefined && prev[0] === start && prev[1] === end);
          const piece = shared ? (e.tokens[i] ?? '') : text.slice(start, end);
          return (
            <span
              class={shared ? 'tok extra' : 'tok'}
              style={{ background: `hsl(${(i * 47) % 360} 70% 85%)` }}
              tabIndex={0}
              title={`id ${id} · ${JSON.stringify(e.tokens[i] ?? '')}`}
            >
              {visible(piece)}
              <sub>{id}</sub>
            </span>
          );
        })}
      </p>
      <details>
        <summary>ids</summary>
        <code class="ids">{ids.join(' ')}</code>
      </details>
    </section>
  );
}

/** Whitespace drawn so a token of spaces or a newline can be seen. */
function visible(s: string): string {
  return s.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '→');
}
