/**
 * The page side of the training worker: one worker for the app (training goes on while another
 * page is open), its reports gathered in one state object that pages subscribe to.
 */
import { useEffect, useState } from 'preact/hooks';
import { bundleUrl } from './llmts.ts';
import type { FromWorker, StartMessage, StepReport, ToWorker } from './train-protocol.ts';

export type Phase = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'error';

export interface TrainState {
  phase: Phase;
  steps: StepReport[];
  evals: { step: number; train: number; val: number }[];
  samples: { step: number; text: string }[];
  info: Extract<FromWorker, { type: 'ready' }> | null;
  totalSteps: number;
  error: string | null;
  attention: Extract<FromWorker, { type: 'attention' }> | null;
}

const initial = (): TrainState => ({
  phase: 'idle',
  steps: [],
  evals: [],
  samples: [],
  info: null,
  totalSteps: 0,
  error: null,
  attention: null,
});

let state: TrainState = initial();
let worker: Worker | null = null;
const listeners = new Set<(s: TrainState) => void>();

function update(patch: Partial<TrainState>): void {
  state = { ...state, ...patch };
  for (const l of listeners) l(state);
}

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case 'ready':
      update({ info: m, phase: 'running' });
      break;
    case 'step':
      update({ steps: [...state.steps, { step: m.step, loss: m.loss, ms: m.ms, tokensPerSecond: m.tokensPerSecond }] });
      break;
    case 'eval':
      update({ evals: [...state.evals, { step: m.step, train: m.train, val: m.val }] });
      break;
    case 'sample':
      update({ samples: [{ step: m.step, text: m.text }, ...state.samples].slice(0, 5) });
      break;
    case 'paused':
      update({ phase: 'paused' });
      break;
    case 'done':
      update({ phase: 'done' });
      break;
    case 'saved': {
      const url = URL.createObjectURL(new Blob(m.chunks as BlobPart[], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = m.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      break;
    }
    case 'attention':
      update({ attention: m });
      break;
    case 'error':
      update({ error: m.message, phase: 'error' });
      break;
  }
}

function send(m: ToWorker): void {
  worker?.postMessage(m);
}

export const trainer = {
  start(cfg: Omit<StartMessage, 'type' | 'bundle'>): void {
    worker?.terminate();
    worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
    worker.onerror = (e) => update({ phase: 'error', error: e.message || 'the training worker failed' });
    state = { ...initial(), phase: 'starting', totalSteps: cfg.steps };
    update({});
    send({ type: 'start', bundle: bundleUrl(), ...cfg });
  },
  pause: (): void => send({ type: 'pause' }),
  resume(): void {
    update({ phase: 'running' });
    send({ type: 'resume' });
  },
  save: (): void => send({ type: 'save' }),
  attention: (text: string): void => send({ type: 'attention', text }),
  get hasModel(): boolean {
    return worker !== null && state.info !== null;
  },
};

/** The training state, re-rendering the component on each report. */
export function useTrainer(): TrainState {
  const [s, set] = useState(state);
  useEffect(() => {
    listeners.add(set);
    set(state);
    return () => void listeners.delete(set);
  }, []);
  return s;
}
