/**
 * Train: a character-level GPT (nanoGPT's shakespeare-char, or a tiny one) trained in this tab
 * on the wasm backend, in a Web Worker: live train/val loss curves, tokens/s, samples every N
 * steps, pause/resume, and the weights saved as safetensors. The text is the bundled corpus
 * (English sentences from the npm package nlp-corpus), pasted text or a file.
 */
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { LineChart } from '../chart.tsx';
import { asset } from '../llmts.ts';
import { trainer, useTrainer } from '../trainer.ts';
import { SIZES } from '../train-protocol.ts';

export function TrainPage(): JSX.Element {
  const t = useTrainer();
  const [corpus, setCorpus] = useState<{ name: string; text: string } | null>(null);
  const [custom, setCustom] = useState('');
  const [size, setSize] = useState('tiny');
  const [steps, setSteps] = useState(200);
  const [batchSize, setBatchSize] = useState(8);
  const [lr, setLr] = useState(0.003);
  const [evalEvery, setEvalEvery] = useState(25);
  const [sampleEvery, setSampleEvery] = useState(50);

  useEffect(() => {
    void fetch(asset('corpus/corpus.json'))
      .then((r) => r.json() as Promise<{ name: string; text: string }>)
      .then(setCorpus);
  }, []);

  const text = custom.trim().length > 0 ? custom : (corpus?.text ?? '');
  const running = t.phase === 'running' || t.phase === 'starting';
  const last = t.steps[t.steps.length - 1];
  const recent = t.steps.slice(-20);
  const rate = recent.length > 0 ? recent.reduce((a, s) => a + s.tokensPerSecond, 0) / recent.length : 0;

  const onFile = async (input: HTMLInputElement): Promise<void> => {
    const f = input.files?.[0];
    if (f !== undefined) setCustom(await f.text());
  };

  return (
    <main
      data-page="train"
      data-ready={corpus !== null ? 'true' : undefined}
      data-phase={t.phase}
      data-step={last?.step ?? 0}
      data-losses={t.steps.map((s) => s.loss.toFixed(5)).join(',')}
    >
      <h1>Train in the tab</h1>
      <p class="lead">
        A character-level GPT learns the text below, here, on llmts's WebAssembly backend in a Web Worker (the page
        stays responsive).
      </p>
      <div class="train">
        <form
          class="controls"
          onSubmit={(e) => {
            e.preventDefault();
            trainer.start({ text, size: SIZES[size]!.size, steps, batchSize, lr, seed: 1337, evalEvery, sampleEvery });
          }}
        >
          <p>
            Text: {custom.trim().length > 0 ? 'your text' : corpus !== null ? corpus.name : 'loading…'} (
            {text.length.toLocaleString()} characters)
          </p>
          <label for="train-text">Paste text to train on (empty: the bundled corpus)</label>
          <textarea id="train-text" rows={3} value={custom} onInput={(e) => setCustom(e.currentTarget.value)} />
          <label>
            or a file: <input type="file" accept=".txt,text/plain" onChange={(e) => void onFile(e.currentTarget)} />
          </label>
          <label for="train-size">Model</label>
          <select id="train-size" value={size} onChange={(e) => setSize(e.currentTarget.value)}>
            {Object.entries(SIZES).map(([k, v]) => (
              <option value={k}>{v.label}</option>
            ))}
          </select>
          <Num id="train-steps" label="steps" value={steps} set={setSteps} min={1} />
          <Num id="train-batch" label="batch size" value={batchSize} set={setBatchSize} min={1} />
          <Num id="train-lr" label="learning rate" value={lr} set={setLr} min={0} step={0.0001} />
          <Num id="train-eval" label="evaluate every (steps)" value={evalEvery} set={setEvalEvery} min={0} />
          <Num id="train-sample" label="sample every (steps)" value={sampleEvery} set={setSampleEvery} min={0} />
          <p class="buttons">
            <button type="submit" id="train-start" disabled={running || text.length < 200}>
              Train
            </button>
            <button type="button" id="train-pause" disabled={t.phase !== 'running'} onClick={() => trainer.pause()}>
              Pause
            </button>
            <button type="button" id="train-resume" disabled={t.phase !== 'paused'} onClick={() => trainer.resume()}>
              Resume
            </button>
            <button type="button" id="train-save" disabled={t.info === null} onClick={() => trainer.save()}>
              Save (safetensors)
            </button>
          </p>
        </form>
        <section class="output" aria-live="polite">
          <h2>Progress</h2>
          {t.error !== null && (
            <p class="error" role="alert">
              {t.error}
            </p>
          )}
          <p class="status">
            {t.phase === 'idle'
              ? 'Not started.'
              : `${t.phase}: step ${last?.step ?? 0} of ${t.totalSteps}` +
                (last !== undefined
                  ? ` · loss ${last.loss.toFixed(3)} · ${Math.round(rate).toLocaleString()} tokens/s`
                  : '') +
                (t.info !== null
                  ? ` · ${t.info.parameters.toLocaleString()} parameters, ${t.info.vocabSize} characters, ${t.info.threads} thread(s)`
                  : '')}
          </p>
          <LineChart
            xLabel="step"
            yLabel="loss"
            series={[
              { name: 'train (batch)', color: '#4a7fc1', points: t.steps.map((s) => [s.step, s.loss]) },
              { name: 'train (eval)', color: '#2a9d5b', points: t.evals.map((e) => [e.step, e.train]) },
              { name: 'val', color: '#d1495b', points: t.evals.map((e) => [e.step, e.val]) },
            ]}
          />
          <h3>Samples</h3>
          {t.samples.length === 0 && <p>None yet.</p>}
          {t.samples.map((s) => (
            <figure class="sample">
              <figcaption>step {s.step}</figcaption>
              <pre>{s.text}</pre>
            </figure>
          ))}
        </section>
      </div>
    </main>
  );
}

function Num(props: {
  id: string;
  label: string;
  value: number;
  set: (v: number) => void;
  min: number;
  step?: number;
}): JSX.Element {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        min={props.min}
        step={props.step ?? 1}
        value={props.value}
        onInput={(e) => {
          const v = Number(e.currentTarget.value);
          if (Number.isFinite(v)) props.set(v);
        }}
      />
    </div>
  );
}
