/**
 * Models several experiments share, trained once per run (and cached on disk): a
 * character-level GPT on Tiny Shakespeare (or nlp-corpus sentences, see corpus.ts) with 4 heads (sections 2, 6, 8, 10) or 1 head
 * (section 6), and a BERT-style encoder trained by masked LM on the same text (sections 1,
 * 2, 10). Both use the same pre-LN blocks, width and depth, so their attention differs only
 * in the mask (causal vs bidirectional) and the objective.
 */
import type { BERT } from '../models/bert.ts';
import { bertPreset } from '../models/bert.ts';
import type { GPT } from '../models/gpt.ts';
import { gptPreset } from '../models/gpt.ts';
import { CausalLMTask, MaskedLMTask } from '../train/tasks.ts';
import { labCharCorpus, shakespearePath } from './corpus.ts';
import type { CharCorpus } from './corpus.ts';
import { trainCached } from './train.ts';
import type { TrainedModel, TrainSettings } from './train.ts';
import type { LabContextLike } from './types.ts';

export interface CharModelSize {
  nLayer: number;
  nEmbd: number;
  blockSize: number;
  batchSize: number;
  steps: number;
  lr: number;
}

/** Quick: a 2-layer, 64-wide model in about ten seconds; full: 4 layers, 128 wide, block 128, a few minutes. */
export function charModelSize(quick: boolean): CharModelSize {
  return quick
    ? { nLayer: 2, nEmbd: 64, blockSize: 64, batchSize: 16, steps: 200, lr: 3e-3 }
    : { nLayer: 4, nEmbd: 128, blockSize: 128, batchSize: 12, steps: 1000, lr: 2e-3 };
}

export function sharedCorpus(ctx: LabContextLike): Promise<CharCorpus> {
  return ctx.shared('corpus:chars', () => {
    const corpus = labCharCorpus();
    if (corpus.id !== 'shakespeare') {
      const why =
        process.env['LLMTS_LAB_CORPUS'] === 'nlp-corpus'
          ? 'LLMTS_LAB_CORPUS=nlp-corpus'
          : `Tiny Shakespeare not found at ${shakespearePath()}; set LLMTS_SHAKESPEARE to use it`;
      ctx.log(`  the character models train on ${corpus.name} (${why})`);
    }
    return Promise.resolve(corpus);
  });
}

const EVAL = { batches: 8 };
/** Evaluation batches are the same for every seed, so per-seed losses compare on the same text. */
const EVAL_SEED = 4243;

/**
 * The character-level GPT with `heads` attention heads (same parameter count for any head
 * count), trained with `seed` (initialization and batch order; default the run's base seed).
 */
export function charGpt(
  ctx: LabContextLike,
  heads: number,
  seed: number = ctx.seed,
): Promise<TrainedModel<GPT> & { corpus: CharCorpus }> {
  return ctx.shared(`gpt-h${heads}-s${seed}`, async () => {
    const corpus = await sharedCorpus(ctx);
    const s = charModelSize(ctx.quick);
    const spec = {
      family: 'gpt' as const,
      config: gptPreset('shakespeare-char', {
        vocabSize: corpus.vocab.size,
        blockSize: s.blockSize,
        nLayer: s.nLayer,
        nHead: heads,
        nEmbd: s.nEmbd,
      }),
    };
    const settings: TrainSettings = { steps: s.steps, lr: s.lr };
    const key = `${corpus.id}-gpt-char-h${heads}-${ctx.quick ? 'quick' : 'full'}`;
    ctx.log(
      `  training the shared character GPT (${heads} head${heads === 1 ? '' : 's'}, ${s.nLayer}x${s.nEmbd}, ${s.steps} steps, seed ${seed})`,
    );
    const t = await trainCached<GPT>(
      ctx,
      key,
      spec,
      settings,
      (m) =>
        new CausalLMTask(m, corpus.train, corpus.val, s.batchSize, s.blockSize, seed, {
          ...EVAL,
          seed: EVAL_SEED,
        }),
      null,
      seed,
    );
    return { ...t, corpus };
  });
}

/** The BERT-style encoder: bidirectional attention, masked LM (15%; 80/10/10), the GPT's size and pre-LN blocks. */
export function charBert(
  ctx: LabContextLike,
  seed: number = ctx.seed,
): Promise<TrainedModel<BERT> & { corpus: CharCorpus }> {
  return ctx.shared(`bert-s${seed}`, async () => {
    const corpus = await sharedCorpus(ctx);
    const s = charModelSize(ctx.quick);
    const v = corpus.vocab;
    const spec = {
      family: 'bert' as const,
      config: bertPreset('bert-tiny', {
        vocabSize: v.size,
        blockSize: s.blockSize,
        nLayer: s.nLayer,
        nHead: 4,
        nEmbd: s.nEmbd,
        normPlacement: 'pre',
        normEps: 1e-5,
        dropout: 0,
        attnDropout: 0,
        padTokenId: v.special('[PAD]'),
      }),
    };
    const specials = {
      pad: v.special('[PAD]'),
      bos: v.special('[CLS]'),
      sep: v.special('[SEP]'),
      docEnd: null,
      mask: v.special('[MASK]'),
      special: [v.special('[PAD]'), v.special('[CLS]'), v.special('[SEP]'), v.special('[MASK]')],
    };
    const key = `${corpus.id}-bert-char-${ctx.quick ? 'quick' : 'full'}`;
    ctx.log(`  training the shared character BERT (${s.nLayer}x${s.nEmbd}, masked LM, ${s.steps} steps, seed ${seed})`);
    const t = await trainCached<BERT>(
      ctx,
      key,
      spec,
      { steps: s.steps, lr: s.lr },
      (m) =>
        new MaskedLMTask(m, corpus.train, corpus.val, s.batchSize, s.blockSize, specials, seed, {
          ...EVAL,
          seed: EVAL_SEED,
        }),
      null,
      seed,
    );
    return { ...t, corpus };
  });
}
