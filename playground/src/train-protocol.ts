/** Messages between the Train page and its Web Worker (train-worker.ts). */

export interface ModelSize {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
}

export const SIZES: Record<string, { label: string; size: ModelSize }> = {
  tiny: {
    label: 'tiny: 2 layers, 2 heads, 64 wide, context 32',
    size: { nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 32 },
  },
  'shakespeare-char': {
    label: "shakespeare-char: nanoGPT's CPU config, 4 layers, 4 heads, 128 wide, context 64",
    size: { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64 },
  },
};

export interface StartMessage {
  type: 'start';
  bundle: string;
  text: string;
  size: ModelSize;
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  evalEvery: number;
  sampleEvery: number;
}

export type ToWorker =
  | StartMessage
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'save' }
  | { type: 'attention'; text: string };

export interface StepReport {
  step: number;
  loss: number;
  ms: number;
  tokensPerSecond: number;
}

export type FromWorker =
  | { type: 'ready'; vocabSize: number; parameters: number; trainChars: number; valChars: number; threads: number }
  | ({ type: 'step' } & StepReport)
  | { type: 'eval'; step: number; train: number; val: number }
  | { type: 'sample'; step: number; text: string }
  | { type: 'paused'; step: number }
  | { type: 'done'; step: number }
  | { type: 'saved'; chunks: Uint8Array[]; name: string }
  | {
      type: 'attention';
      tokens: string[];
      nLayer: number;
      nHead: number;
      /** per layer, per head: T x T probabilities, row-major */
      maps: Float32Array[][];
      step: number;
    }
  | { type: 'error'; message: string };
