/**
 * Training a small byte-level BPE tokenizer in the page (llmts's BPE trainer) on the text in the
 * box or the bundled corpus: its merges in the order they were learnt, and the tokenizer added as
 * a column beside the others.
 */
import { useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { asset, llmts } from '../llmts.ts';

type Tokenizer = Awaited<ReturnType<Awaited<ReturnType<typeof llmts>>['loadTokenizerFrom']>>;

export interface Trained {
  tokenizer: Tokenizer;
  name: string;
  detail: string;
}

/** GPT-2's byte alphabet shows a space as Ġ and a newline as Ċ; drawn here as · and ↵. */
function show(piece: string): string {
  return piece.replace(/Ġ/g, '·').replace(/Ċ/g, '↵');
}

export function TokenizerTrainer({ text, onTrained }: { text: string; onTrained: (t: Trained) => void }): JSX.Element {
  const [source, setSource] = useState<'box' | 'corpus'>('corpus');
  const [merges, setMerges] = useState(500);
  const [learnt, setLearnt] = useState<readonly [string, string][] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const train = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const L = await llmts();
      const corpus =
        source === 'box' ? text : ((await (await fetch(asset('corpus/corpus.json'))).json()) as { text: string }).text;
      const t0 = performance.now();
      const tok = L.tokenizers.trainBpeFromIterator(corpus.split('\n'), {
        vocabSize: 256 + merges,
        showProgress: false,
      });
      const ms = performance.now() - t0;
      const model = tok.model as unknown as { merges?: readonly [string, string][] };
      setLearnt(model.merges ?? []);
      onTrained({
        tokenizer: tok,
        name: 'Trained here: byte-level BPE',
        detail: `${(model.merges ?? []).length} merges learnt from ${corpus.length.toLocaleString()} characters of ${
          source === 'box' ? 'the text above' : 'the bundled corpus'
        } in ${(ms / 1000).toFixed(2)} s`,
      });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="trainer" aria-labelledby="trainer-title" data-merges={learnt?.length ?? 0}>
      <h2 id="trainer-title">Train a tokenizer</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void train();
        }}
      >
        <fieldset>
          <legend>Train on</legend>
          <label>
            <input type="radio" name="tt-source" checked={source === 'corpus'} onChange={() => setSource('corpus')} />{' '}
            the bundled corpus (~300k characters)
          </label>
          <label>
            <input type="radio" name="tt-source" checked={source === 'box'} onChange={() => setSource('box')} /> the
            text above
          </label>
        </fieldset>
        <label for="tt-merges">
          merges <output for="tt-merges">{merges}</output> (vocabulary {256 + merges}: 256 bytes + merges)
        </label>
        <input
          id="tt-merges"
          type="range"
          min={10}
          max={2000}
          step={10}
          value={merges}
          onInput={(e) => setMerges(Number(e.currentTarget.value))}
        />{' '}
        <button type="submit" id="tt-train" disabled={busy}>
          {busy ? 'Training…' : 'Train BPE'}
        </button>
      </form>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {learnt !== null && (
        <details open>
          <summary>The {learnt.length} merges, in the order learnt (the first are the most frequent pairs)</summary>
          <ol class="merges">
            {learnt.slice(0, 300).map(([a, b]) => (
              <li>
                <code>{show(a)}</code> + <code>{show(b)}</code> → <code>{show(a + b)}</code>
              </li>
            ))}
          </ol>
          {learnt.length > 300 && <p>… and {learnt.length - 300} more.</p>}
        </details>
      )}
    </section>
  );
}
