/**
 * Generate and chat against the model `llmts serve` serves (the OpenAI API beside this page):
 * every sampling control the server takes, the text streamed token by token, and per token the
 * probability it had and the top alternatives (logprobs) on hover or focus. Selecting a token
 * draws its step's distribution (the alternatives the server reports) with the top-k and top-p
 * cuts of the current settings.
 */
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { readEvents } from '../sse.ts';

interface Alternative {
  token: string;
  logprob: number;
}

interface StreamedToken {
  token: string;
  logprob: number;
  top: Alternative[];
}

interface Settings {
  mode: 'completion' | 'chat';
  max_tokens: number;
  temperature: number;
  top_p: number;
  top_k: number;
  min_p: number;
  repetition_penalty: number;
  frequency_penalty: number;
  presence_penalty: number;
  seed: string;
  stop: string;
}

const DEFAULTS: Settings = {
  mode: 'completion',
  max_tokens: 48,
  temperature: 0.8,
  top_p: 1,
  top_k: -1,
  min_p: 0,
  repetition_penalty: 1,
  frequency_penalty: 0,
  presence_penalty: 0,
  seed: '',
  stop: '',
};

/** A number control: a slider with its value, or a number box. */
function NumberField(props: {
  id: string;
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (v: number) => void;
}): JSX.Element {
  return (
    <div class="field">
      <label for={props.id}>
        {props.label} <output for={props.id}>{props.value}</output>
      </label>
      <input
        id={props.id}
        type="range"
        min={props.min}
        max={props.max}
        step={props.step}
        value={props.value}
        onInput={(e) => props.onChange(Number(e.currentTarget.value))}
      />
    </div>
  );
}

/** Chat completions' logprobs.content entries and completions' parallel arrays, as tokens. */
function tokensOfChunk(choice: Record<string, unknown>): StreamedToken[] {
  const lp = choice['logprobs'] as Record<string, unknown> | null | undefined;
  if (lp === null || lp === undefined) return [];
  if (Array.isArray(lp['content'])) {
    return (lp['content'] as { token: string; logprob: number; top_logprobs?: Alternative[] }[]).map((c) => ({
      token: c.token,
      logprob: c.logprob,
      top: (c.top_logprobs ?? []).map((t) => ({ token: t.token, logprob: t.logprob })),
    }));
  }
  const tokens = (lp['tokens'] as string[] | undefined) ?? [];
  const logprobs = (lp['token_logprobs'] as number[] | undefined) ?? [];
  const tops = (lp['top_logprobs'] as Record<string, number>[] | undefined) ?? [];
  return tokens.map((token, i) => ({
    token,
    logprob: logprobs[i] ?? NaN,
    top: Object.entries(tops[i] ?? {})
      .map(([t, l]) => ({ token: t, logprob: l }))
      .sort((a, b) => b.logprob - a.logprob),
  }));
}

export function GeneratePage(): JSX.Element {
  const [model, setModel] = useState<string | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const [prompt, setPrompt] = useState('The meaning of life is');
  const [s, setS] = useState<Settings>(DEFAULTS);
  const [tokens, setTokens] = useState<StreamedToken[]>([]);
  const [text, setText] = useState('');
  const [chunks, setChunks] = useState(0);
  const [status, setStatus] = useState<'idle' | 'running' | 'done' | 'error'>('idle');
  const [message, setMessage] = useState('');
  const [selected, setSelected] = useState<number | null>(null);
  const [abort, setAbort] = useState<AbortController | null>(null);

  useEffect(() => {
    fetch('v1/models')
      .then(async (r) => {
        if (!r.ok) throw new Error(`GET /v1/models: ${r.status}`);
        const body = (await r.json()) as { data: { id: string }[] };
        setModel(body.data[0]?.id ?? null);
      })
      .catch(() =>
        setServerError(
          'No llmts server answers beside this page. Start one with `llmts serve --model DIR` and open the address it prints.',
        ),
      );
  }, []);

  const set = <K extends keyof Settings>(k: K, v: Settings[K]): void => setS((old) => ({ ...old, [k]: v }));

  const run = async (): Promise<void> => {
    if (model === null) return;
    const controller = new AbortController();
    setAbort(controller);
    setTokens([]);
    setText('');
    setChunks(0);
    setSelected(null);
    setStatus('running');
    setMessage('');
    const sampling = {
      model,
      stream: true,
      temperature: s.temperature,
      top_p: s.top_p,
      top_k: s.top_k,
      min_p: s.min_p,
      repetition_penalty: s.repetition_penalty,
      frequency_penalty: s.frequency_penalty,
      presence_penalty: s.presence_penalty,
      ...(s.seed.trim() !== '' ? { seed: Number(s.seed) } : {}),
      ...(s.stop !== '' ? { stop: s.stop } : {}),
    };
    const body =
      s.mode === 'chat'
        ? {
            ...sampling,
            messages: [{ role: 'user', content: prompt }],
            max_completion_tokens: s.max_tokens,
            logprobs: true,
            top_logprobs: 5,
          }
        : { ...sampling, prompt, max_tokens: s.max_tokens, logprobs: 5 };
    try {
      const r = await fetch(s.mode === 'chat' ? 'v1/chat/completions' : 'v1/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!r.ok) {
        const err = (await r.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(err?.error?.message ?? `HTTP ${r.status}`);
      }
      let finish = '';
      await readEvents(r, (payload) => {
        const choice = (payload as { choices?: Record<string, unknown>[] }).choices?.[0];
        if (choice === undefined) return;
        const delta =
          s.mode === 'chat'
            ? (((choice['delta'] as { content?: string } | undefined)?.content as string | undefined) ?? '')
            : ((choice['text'] as string | undefined) ?? '');
        const got = tokensOfChunk(choice);
        setText((t) => t + delta);
        if (got.length > 0) setTokens((ts) => [...ts, ...got]);
        setChunks((n) => n + 1);
        if (typeof choice['finish_reason'] === 'string') finish = choice['finish_reason'];
      });
      setStatus('done');
      setMessage(finish !== '' ? `finished: ${finish}` : 'finished');
    } catch (err) {
      if (controller.signal.aborted) {
        setStatus('done');
        setMessage('stopped');
      } else {
        setStatus('error');
        setMessage(err instanceof Error ? err.message : String(err));
      }
    } finally {
      setAbort(null);
    }
  };

  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run();
  };

  return (
    <main data-page="generate" data-ready={model !== null || serverError !== null ? 'true' : undefined}>
      <h1>Generate and chat</h1>
      <p class="lead">
        {model !== null ? (
          <>
            Served model: <code>{model}</code> (the OpenAI API of <code>llmts serve</code>, streamed).
          </>
        ) : (
          (serverError ?? 'Looking for the server…')
        )}
      </p>
      <div class="generate">
        <form
          class="controls"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <fieldset>
            <legend>Mode</legend>
            {(['completion', 'chat'] as const).map((m) => (
              <label>
                <input type="radio" name="mode" checked={s.mode === m} onChange={() => set('mode', m)} /> {m}
              </label>
            ))}
          </fieldset>
          <label for="gen-prompt">{s.mode === 'chat' ? 'Message' : 'Prompt'}</label>
          <textarea
            id="gen-prompt"
            rows={4}
            value={prompt}
            onInput={(e) => setPrompt(e.currentTarget.value)}
            onKeyDown={onKey}
          />
          <NumberField
            id="g-max"
            label="max tokens"
            value={s.max_tokens}
            min={1}
            max={256}
            step={1}
            onChange={(v) => set('max_tokens', v)}
          />
          <NumberField
            id="g-temp"
            label="temperature"
            value={s.temperature}
            min={0}
            max={2}
            step={0.05}
            onChange={(v) => set('temperature', v)}
          />
          <NumberField
            id="g-topp"
            label="top-p"
            value={s.top_p}
            min={0.05}
            max={1}
            step={0.05}
            onChange={(v) => set('top_p', v)}
          />
          <NumberField
            id="g-topk"
            label="top-k (-1: off)"
            value={s.top_k}
            min={-1}
            max={100}
            step={1}
            onChange={(v) => set('top_k', v)}
          />
          <NumberField
            id="g-minp"
            label="min-p"
            value={s.min_p}
            min={0}
            max={0.5}
            step={0.01}
            onChange={(v) => set('min_p', v)}
          />
          <NumberField
            id="g-rep"
            label="repetition penalty"
            value={s.repetition_penalty}
            min={0.5}
            max={2}
            step={0.05}
            onChange={(v) => set('repetition_penalty', v)}
          />
          <NumberField
            id="g-freq"
            label="frequency penalty"
            value={s.frequency_penalty}
            min={-2}
            max={2}
            step={0.1}
            onChange={(v) => set('frequency_penalty', v)}
          />
          <NumberField
            id="g-pres"
            label="presence penalty"
            value={s.presence_penalty}
            min={-2}
            max={2}
            step={0.1}
            onChange={(v) => set('presence_penalty', v)}
          />
          <div class="field">
            <label for="g-seed">seed (empty: random)</label>
            <input id="g-seed" inputMode="numeric" value={s.seed} onInput={(e) => set('seed', e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="g-stop">stop string</label>
            <input id="g-stop" value={s.stop} onInput={(e) => set('stop', e.currentTarget.value)} />
          </div>
          <p>
            <button type="submit" id="gen-run" disabled={model === null || status === 'running'}>
              Generate
            </button>{' '}
            <button type="button" disabled={abort === null} onClick={() => abort?.abort()}>
              Stop
            </button>
          </p>
          <p class="hint">Ctrl+Enter in the prompt generates.</p>
        </form>
        <section
          class="output"
          aria-live="polite"
          data-status={status}
          data-chunks={chunks}
          data-tokens={tokens.length}
        >
          <h2>Output</h2>
          <p class="status">
            {status === 'running' ? 'streaming…' : message}
            {status === 'error' && <span class="error"> (error)</span>}
          </p>
          <p class="streamed">
            {s.mode === 'completion' && tokens.length > 0 && <span class="prompt-text">{prompt}</span>}
            {tokens.length > 0
              ? tokens.map((t, i) => <TokenSpan token={t} selected={selected === i} onSelect={() => setSelected(i)} />)
              : text}
          </p>
          <pre class="plain" hidden>
            {text}
          </pre>
          {selected !== null && tokens[selected] !== undefined && (
            <Distribution token={tokens[selected]} topK={s.top_k} topP={s.top_p} />
          )}
        </section>
      </div>
    </main>
  );
}

function pct(logprob: number): string {
  return `${(Math.exp(logprob) * 100).toFixed(1)}%`;
}

function TokenSpan({
  token,
  selected,
  onSelect,
}: {
  token: StreamedToken;
  selected: boolean;
  onSelect: () => void;
}): JSX.Element {
  const p = Math.exp(token.logprob);
  const [open, setOpen] = useState(false);
  return (
    <span
      class={selected ? 'gtok selected' : 'gtok'}
      tabIndex={0}
      role="button"
      aria-label={`${JSON.stringify(token.token)}, probability ${pct(token.logprob)}`}
      style={{ background: `rgba(255, 170, 0, ${(1 - p) * 0.6})` }}
      onMouseEnter={() => setOpen(true)}
      onMouseLeave={() => setOpen(false)}
      onFocus={() => setOpen(true)}
      onBlur={() => setOpen(false)}
      onClick={onSelect}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onSelect();
        }
      }}
    >
      {token.token}
      {open && (
        <span class="tip" role="tooltip">
          <strong>{pct(token.logprob)}</strong> {JSON.stringify(token.token)}
          {token.top.map((a) => (
            <span class="alt">
              {JSON.stringify(a.token)} {pct(a.logprob)}
            </span>
          ))}
        </span>
      )}
    </span>
  );
}

/** The step's reported alternatives as bars, with what top-k and top-p would keep. */
function Distribution({ token, topK, topP }: { token: StreamedToken; topK: number; topP: number }): JSX.Element {
  const alts = token.top.length > 0 ? token.top : [{ token: token.token, logprob: token.logprob }];
  let cum = 0;
  const rows = alts.map((a, i) => {
    const p = Math.exp(a.logprob);
    const before = cum;
    cum += p;
    const keptK = topK <= 0 || i < topK;
    const keptP = topP >= 1 || before < topP; // top-p keeps the smallest prefix whose mass reaches p
    return { ...a, p, kept: keptK && keptP };
  });
  return (
    <figure class="dist" aria-label="distribution at the selected step">
      <figcaption>
        The distribution at this step (the {alts.length} most likely tokens the server reported;{' '}
        {(cum * 100).toFixed(1)}% of the mass). Greyed: cut by top-k = {topK <= 0 ? 'off' : topK} or top-p = {topP}.
      </figcaption>
      {rows.map((r) => (
        <div class={r.kept ? 'bar' : 'bar cut'}>
          <span class="label">{JSON.stringify(r.token)}</span>
          <span class="fill" style={{ width: `${Math.max(1, r.p * 100)}%` }} />
          <span class="value">{(r.p * 100).toFixed(1)}%</span>
        </div>
      ))}
    </figure>
  );
}
