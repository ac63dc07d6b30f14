/**
 * The lab's vocabulary. An Experiment turns one claim of the seed notes into measurements:
 * it quotes the note (Chinese, with its section number), runs on the library's own models,
 * tokenizers, decoders and trainers, and returns findings whose verdicts are computed from
 * the numbers (never written by hand).
 */
import type { JsonValue } from '../core/json.ts';

export type Verdict = 'holds' | 'does not hold' | 'holds with a caveat';
export const VERDICTS: readonly Verdict[] = ['holds', 'does not hold', 'holds with a caveat'];

/** What the notes say, as written (Chinese) and in English. */
export interface Claim {
  /** The notes' section number (1-11). */
  section: number;
  /** A verbatim quote from the notes (or CLAIMS.md's digest when the notes' section is empty). */
  quote: string;
  english: string;
}

/** One checked statement: the claim in short, the verdict and the numbers behind it. */
export interface Finding {
  statement: string;
  verdict: Verdict;
  evidence: string;
}

export interface Plot {
  /** File name stem inside the experiment's output directory (`<name>.svg`). */
  name: string;
  /** One line saying how to read the plot. */
  caption: string;
  svg: string;
}

export interface ExperimentOutput {
  findings: Finding[];
  /** Human-readable lines: what was measured (setup and key numbers). */
  measured: string[];
  /** Every number of the experiment, for the JSON result and the tests. */
  numbers: { [key: string]: JsonValue };
  plots: Plot[];
}

export interface Experiment {
  /** `<section>-<short-name>`, e.g. `9-rope`. */
  name: string;
  section: number;
  title: string;
  claims: Claim[];
  run(ctx: LabContextLike): Promise<ExperimentOutput>;
}

/** The parts of the lab context experiments use (see context.ts). */
export interface LabContextLike {
  readonly outDir: string;
  readonly quick: boolean;
  readonly seed: number;
  log(line: string): void;
  /** A memoized value shared by experiments within one process (trained models). */
  shared<T>(key: string, make: () => Promise<T>): Promise<T>;
  /** A directory under the output directory for cached artifacts (created). */
  cacheDir(name: string): string;
}

/** An experiment's result as written to `<out>/<name>/result.json`. */
export interface ExperimentResult {
  name: string;
  section: number;
  title: string;
  claims: Claim[];
  verdict: Verdict;
  findings: Finding[];
  measured: string[];
  numbers: { [key: string]: JsonValue };
  plots: { name: string; caption: string; file: string }[];
  quick: boolean;
  seed: number;
  seconds: number;
}
