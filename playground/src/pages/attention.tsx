/**
 * Attention: the attention probabilities of every layer and head of the Train page's model for a
 * text, as heatmaps (row = the query character, column = the key it attends to; causal, so the
 * upper triangle is empty). Before any training the model is a freshly initialised one.
 */
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { trainer, useTrainer } from '../trainer.ts';
import { SIZES } from '../train-protocol.ts';
import { asset } from '../llmts.ts';

export function AttentionPage(): JSX.Element {
  const t = useTrainer();
  const [text, setText] = useState('ROMEO: But soft, what light');
  const a = t.attention;

  // no model yet: start one with zero steps (random weights) on the bundled corpus
  useEffect(() => {
    if (t.phase !== 'idle') return;
    void fetch(asset('corpus/corpus.json'))
      .then((r) => r.json() as Promise<{ text: string }>)
      .then((c) =>
        trainer.start({
          text: c.text,
          size: SIZES['tiny']!.size,
          steps: 0,
          batchSize: 8,
          lr: 0.003,
          seed: 1337,
          evalEvery: 0,
          sampleEvery: 0,
        }),
      );
  }, []);

  const ready = t.info !== null;
  useEffect(() => {
    if (ready && a === null) trainer.attention(text);
  }, [ready]);

  return (
    <main
      data-page="attention"
      data-ready={a !== null ? 'true' : undefined}
      data-heads={a !== null ? a.nLayer * a.nHead : 0}
    >
      <h1>Attention</h1>
      <p class="lead">
        Each square is one head of one layer of the Train page's model (step {a?.step ?? t.steps.length}): row i shows
        how much the character at position i attends to each earlier character (darker = more).
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          trainer.attention(text);
        }}
      >
        <label for="attn-text">Text</label>{' '}
        <input id="attn-text" size={40} value={text} onInput={(e) => setText(e.currentTarget.value)} />{' '}
        <button type="submit" disabled={!ready}>
          Show
        </button>
      </form>
      {t.error !== null && (
        <p class="error" role="alert">
          {t.error}
        </p>
      )}
      {a !== null && (
        <div class="heads">
          {a.maps.map((layer, l) =>
            layer.map((map, h) => <Heatmap title={`layer ${l}, head ${h}`} tokens={a.tokens} map={map} />),
          )}
        </div>
      )}
    </main>
  );
}

function Heatmap({ title, tokens, map }: { title: string; tokens: string[]; map: Float32Array }): JSX.Element {
  const n = tokens.length;
  const cell = Math.max(4, Math.floor(180 / n));
  return (
    <figure class="heat">
      <figcaption>{title}</figcaption>
      <svg width={n * cell} height={n * cell} role="img" aria-label={`${title}: attention over ${n} characters`}>
        {Array.from({ length: n * n }, (_, k) => {
          const i = Math.floor(k / n);
          const j = k % n;
          const p = map[k] ?? 0;
          if (j > i) return null;
          return (
            <rect x={j * cell} y={i * cell} width={cell} height={cell} fill={`rgba(40, 70, 160, ${p.toFixed(3)})`}>
              <title>{`${JSON.stringify(tokens[i])} → ${JSON.stringify(tokens[j])}: ${(p * 100).toFixed(1)}%`}</title>
            </rect>
          );
        })}
      </svg>
    </figure>
  );
}
