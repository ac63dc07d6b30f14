/**
 * What every search loop derives from its DecodeSetup: the DecodeState over its rows and the
 * ProcessContext for the rows it processes in a step. Greedy/sampling, contrastive and beam
 * search all build these the same way, so they are built here once.
 */
import { DecodeState } from '../decode-state.ts';
import type { ProcessContext } from '../processor.ts';
import type { DecodeSetup } from './sample.ts';

/**
 * A DecodeState over `rows` (one prompt per row; beam search repeats each prompt per beam), sized
 * for the longest prompt, max_new_tokens and `extraPositions` more (contrastive search runs its
 * candidates one position ahead).
 */
export function openDecodeState(
  setup: DecodeSetup,
  rows: readonly (readonly number[])[],
  extraPositions = 0,
): DecodeState {
  const maxPrompt = setup.prompts.reduce((m, p) => Math.max(m, p.length), 0);
  return new DecodeState(setup.model, {
    prompts: rows,
    padTokenId: setup.padTokenId,
    useCache: setup.cfg.useCache,
    maxLength: maxPrompt + setup.maxNewTokens + extraPositions,
    ...(setup.window === undefined ? {} : { window: setup.window }),
    ...(setup.encoderInput === undefined ? {} : { encoderInput: setup.encoderInput }),
  });
}

/** The processors' context for a step over rows whose prompts are setup.prompts[promptRows[i]]. */
export function processContext(setup: DecodeSetup, promptRows: readonly number[]): ProcessContext {
  const encoderIds = setup.encoderIds;
  return {
    promptLengths: promptRows.map((p) => setup.prompts[p]!.length),
    maxNewTokens: setup.maxNewTokens,
    batchIndex: promptRows.map((p) => setup.promptIndex[p]!),
    ...(encoderIds === undefined ? {} : { encoderIds: promptRows.map((p) => encoderIds[p]!) }),
  };
}
