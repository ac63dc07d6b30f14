/**
 * Beam search exactly as HF's vectorized _beam_search (see docs/generation.md and
 * ../shared/reference/hf-parity.md 6.5), plus diverse (group) beam search.
 *
 * Per step and per prompt, with K beams (S = K / G per group, G groups):
 *   1. logp = log_softmax(fp32 logits) of each beam; the processors (and warpers when
 *      sampling) run on these log-probs, not on raw logits;
 *   2. acc = logp + running score of the beam, flattened over [S * V];
 *   3. candidates: the top max(2, 1 + n_eos) * S of acc (or as many multinomial
 *      draws without replacement when sampling); beam = idx / V, token = idx % V;
 *   4. a candidate that hits a stopping criterion (EOS, stop string, callback,
 *      budget) gets -1e9 for the running set; the next running beams are the top S
 *      candidates by that value;
 *   5. candidates among the first S positions that hit a criterion become finished
 *      hypotheses with score acc / generated_len ** length_penalty (generated_len
 *      counts the new token, EOS included, never the prompt); the finished set keeps
 *      the best S of old and new. When early_stopping is true and all S slots are
 *      finished, or the early-stop heuristic has declared the prompt done, new
 *      hypotheses get -1e9 and cannot enter;
 *   6. heuristic: with best = the best running score, the prompt is done once every
 *      slot is finished and best / L ** length_penalty is not above the worst
 *      finished score, with L = generated length, or max_new_tokens when
 *      early_stopping is "never" and length_penalty > 0;
 *   7. the loop ends when no prompt can improve, or (early_stopping true) every slot
 *      of every prompt is finished, or every candidate hit a criterion.
 * Running scores start at 0 for the first beam of each group and -1e9 for the
 * others, so the first step expands one beam per group. Arithmetic on scores is
 * float32, as in torch.
 *
 * Diverse beam search (Vijayakumar et al.; HF num_beam_groups + diversity_penalty):
 * groups are processed in order each step; before group g's processors run, every
 * token chosen at this step by groups 0..g-1 of the same prompt has its log-prob
 * lowered by diversity_penalty times the number of times it was chosen (HF
 * HammingDiversityLogitsProcessor, which HF runs first). Each group keeps its own S
 * finished hypotheses; the returned sequences are the best of all groups.
 */
import type { Generator } from '../../core/random.ts';
import { logSoftmax, row as rowOf, topkIndices } from '../math.ts';
import { sampleWithoutReplacement } from '../sampler.ts';
import type { FinishReason } from '../stopping.ts';
import { openDecodeState, processContext } from './run-setup.ts';
import type { DecodeSetup } from './sample.ts';

const NEG = -1e9;
const f32 = Math.fround;

export interface BeamResult {
  /** Generated ids (prompt excluded). */
  ids: number[];
  /** The length-normalized score (HF sequences_scores). */
  score: number;
  finishReason: FinishReason;
  /** Processed log-prob of each token along the path (their float32 sum is the unnormalized score). */
  logprobs: number[];
  modelLogprobs: number[];
}

interface Path {
  ids: number[];
  logprobs: number[];
  modelLogprobs: number[];
}

interface Hypothesis extends Path {
  score: number;
  finished: boolean;
  reason: FinishReason;
}

/** One group's state for one prompt. */
interface GroupState {
  running: Path[]; // S paths
  scores: Float32Array; // S running scores
  finished: Hypothesis[]; // S slots, best first
  unsatisfied: boolean; // the early-stop heuristic still allows improvement
}

/** Beam search over every prompt of setup (one row per prompt in setup.prompts); returns numReturnSequences per prompt. */
export function beamDecode(setup: DecodeSetup): BeamResult[][] {
  const { model, cfg, processors, stopping } = setup;
  const V = model.vocabSize;
  const N = setup.prompts.length;
  const K = cfg.numBeams;
  const G = cfg.numBeamGroups;
  const S = K / G;
  const nEos = cfg.eosTokenIds.length;
  const beamsToKeep = Math.min(Math.max(2, 1 + nEos) * S, S * V);
  const lp = cfg.lengthPenalty;
  const early = cfg.earlyStopping;
  const maxNew = setup.maxNewTokens;
  const rng: Generator | undefined = setup.rng;

  // rows are prompt-major: row = n * K + g * S + j
  const rowPrompt = Array.from({ length: N * K }, (_, r) => Math.floor(r / K));
  const prompts = rowPrompt.map((n) => setup.prompts[n]!);
  const groups: GroupState[][] = setup.prompts.map(() =>
    Array.from({ length: G }, () => ({
      running: Array.from({ length: S }, () => ({ ids: [], logprobs: [], modelLogprobs: [] })),
      scores: Float32Array.from({ length: S }, (_, j) => (j === 0 ? 0 : NEG)),
      finished: Array.from({ length: S }, () => ({
        ids: [],
        logprobs: [],
        modelLogprobs: [],
        score: NEG,
        finished: false,
        reason: 'length' as FinishReason,
      })),
      unsatisfied: true,
    })),
  );
  const state = openDecodeState(setup, prompts);

  try {
    for (let step = 0; ; step++) {
      const logits = state.forward();
      const rowMap = new Int32Array(N * K);
      const nextTokens = new Int32Array(N * K);
      let allHit = true;
      for (let g = 0; g < G; g++) {
        const rows: number[] = [];
        for (let n = 0; n < N; n++) for (let j = 0; j < S; j++) rows.push(n * K + g * S + j);
        // 1. log-softmax, diversity penalty, processors
        const logp = new Float32Array(rows.length * V);
        const modelLogp = new Float32Array(rows.length * V);
        rows.forEach((r, i) => {
          const ls = logSoftmax(rowOf(logits, r, V));
          logp.set(ls, i * V);
          modelLogp.set(ls, i * V);
        });
        if (g > 0 && cfg.diversityPenalty !== 0) {
          for (let n = 0; n < N; n++) {
            const counts = new Map<number, number>();
            for (let r = n * K; r < n * K + g * S; r++)
              counts.set(nextTokens[r]!, (counts.get(nextTokens[r]!) ?? 0) + 1);
            for (let j = 0; j < S; j++) {
              for (const [t, c] of counts) {
                const k = (n * S + j) * V + t;
                logp[k] = f32(logp[k]! - f32(cfg.diversityPenalty * c));
              }
            }
          }
        }
        const ids = rows.map((r) => {
          const n = rowPrompt[r]!;
          return [...setup.prompts[n]!, ...groups[n]![g]!.running[r - n * K - g * S]!.ids];
        });
        processors.process(
          ids,
          logp,
          V,
          processContext(
            setup,
            rows.map((r) => rowPrompt[r]!),
          ),
        );

        for (let n = 0; n < N; n++) {
          const gs = groups[n]![g]!;
          // 2. accumulate
          const acc = new Float32Array(S * V);
          for (let j = 0; j < S; j++) {
            const base = (n * S + j) * V;
            for (let v = 0; v < V; v++) acc[j * V + v] = f32(logp[base + v]! + gs.scores[j]!);
          }
          // 3. candidates
          const cand = cfg.doSample ? sampleWithoutReplacement(acc, beamsToKeep, rng!) : topkIndices(acc, beamsToKeep);
          const C = cand.length;
          const candScore = new Float32Array(C);
          const candPath: Path[] = [];
          const candBeam = new Int32Array(C);
          const candReason: (FinishReason | undefined)[] = [];
          for (let c = 0; c < C; c++) {
            const idx = cand[c]!;
            const j = Math.floor(idx / V);
            const tok = idx % V;
            const src = gs.running[j]!;
            const lpRow = (n * S + j) * V;
            const path: Path = {
              ids: [...src.ids, tok],
              logprobs: [...src.logprobs, logp[lpRow + tok]!],
              modelLogprobs: [...src.modelLogprobs, modelLogp[lpRow + tok]!],
            };
            candScore[c] = acc[idx]!;
            candPath.push(path);
            candBeam[c] = j;
            const reason = stopping.check({
              row: n * K + g * S + j,
              promptIndex: setup.promptIndex[n]!,
              ids: [...setup.prompts[n]!, ...path.ids],
              generated: path.ids,
            });
            candReason.push(reason);
            if (reason === undefined) allHit = false;
          }
          // 4. next running beams: the top S candidates with hits pushed down by -1e9
          const runningValue = candScore.map((s, c) => (candReason[c] === undefined ? s : f32(s + NEG)));
          const pick = topkIndices(runningValue, S);
          const nextScores = new Float32Array(S);
          const nextRunning: Path[] = [];
          for (let j = 0; j < S; j++) {
            const c = pick[j]!;
            nextScores[j] = runningValue[c]!;
            nextRunning.push(candPath[c]!);
            const r = n * K + g * S + j;
            rowMap[r] = n * K + g * S + candBeam[c]!;
            nextTokens[r] = candPath[c]!.ids[candPath[c]!.ids.length - 1]!;
          }
          // 5. finished hypotheses
          const allFinished = gs.finished.every((h) => h.finished);
          const merged: Hypothesis[] = [...gs.finished];
          for (let c = 0; c < C; c++) {
            const genLen = step + 1;
            let s = f32(candScore[c]! / f32(genLen ** lp));
            if (allFinished && early === true) s = f32(s + NEG);
            if (!gs.unsatisfied) s = f32(s + NEG);
            const just = candReason[c] !== undefined && c < S;
            if (!just) s = f32(s + NEG);
            merged.push({ ...candPath[c]!, score: s, finished: just, reason: candReason[c] ?? 'length' });
          }
          const keep = topkIndices(
            merged.map((h) => h.score),
            S,
          );
          gs.finished = Array.from(keep, (i) => merged[i]!);
          gs.running = nextRunning;
          gs.scores = nextScores;
          // 6. early-stop heuristic (generated length is now step + 1)
          const bestLen = early === 'never' && lp > 0 ? maxNew : step + 1;
          const best = f32(gs.scores[0]! / f32(bestLen ** lp));
          let worst = Infinity;
          for (const h of gs.finished) worst = Math.min(worst, h.score);
          gs.unsatisfied = gs.unsatisfied && gs.finished.some((h) => best > (h.finished ? worst : NEG));
        }
      }
      // 7. loop condition
      const all = groups.flat();
      const improvementPossible = all.some((gs) => gs.unsatisfied);
      const openBeam = !(early === true && all.every((gs) => gs.finished.every((h) => h.finished)));
      if (!improvementPossible || !openBeam || allHit) break;
      state.reorder(rowMap);
      state.append(nextTokens);
    }
  } finally {
    state.free();
  }

  return groups.map((gss) => {
    const hyps = gss.flatMap((gs) => gs.finished);
    const order = topkIndices(
      hyps.map((h) => h.score),
      cfg.numReturnSequences,
    );
    return Array.from(order, (i) => {
      const h = hyps[i]!;
      return {
        ids: h.ids,
        score: h.score,
        finishReason: h.reason,
        logprobs: h.logprobs,
        modelLogprobs: h.modelLogprobs,
      };
    });
  });
}
