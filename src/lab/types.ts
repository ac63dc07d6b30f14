/**
 * The lab's vocabulary. An Experiment turns one claim of the seed notes into measurements:
 * it quotes the note (Chinese, with its section number), runs on the library's own models,
 * tokenizers, decoders and trainers, and returns findings whose verdicts are computed from
 * the numbers (never written by hand).
 */
import type { JsonValue } from '../core/json.ts';

/**
 * A finding's verdict. 'not resolved at this size' is the honest answer when a difference lies
 * inside the noise across seeds (see stats.ts): it is never turned into a coin flip.
 */
export type Verdict = 'holds' | 'does not hold' | 'holds with a caveat' | 'not resolved at this size';
export const VERDICTS: readonly Verdict[] = [
  'holds',
  'does not hold',
  'holds with a caveat',
  'not resolved at this size',
];

/** What the notes say, as written (Chinese) and in English. */
export interface Claim {
  /** The notes' section number (1-11). */
  section: number;
  /** A verbatim quote from the notes (or CLAIMS.md's digest when the notes' section is empty). */
  quote: string;
  english: string;
}

/** A quantity measured once per seed: the values, their mean and standard error (null for one seed). */
export interface SeedStat {
  name: string;
  values: number[];
  mean: number;
  se: number | null;
}

/**
 * One checked statement: the claim in short, the verdict and the numbers behind it.
 * `kind: 'sanity'` marks a check that holds by construction (a property the code guarantees,
 * such as beam search being deterministic): shown, but not counted as evidence for the claim.
 */
export interface Finding {
  statement: string;
  verdict: Verdict;
  evidence: string;
  /** 'evidence' (default) counts toward the experiment's verdict; 'sanity' does not. */
  kind?: 'evidence' | 'sanity';
  /** The rule the verdict follows, fixed in the code before the run (thresholds, SE multiples). */
  rule?: string;
  /** The per-seed values behind the verdict (comparisons of trained models). */
  seeds?: SeedStat[];
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
  /** The base seed (single-model measurements use it). */
  readonly seed: number;
  /** The seeds comparisons of trained models run over: seed, seed + 1, ... (3 with --quick, 5 at full size). */
  readonly seeds: readonly number[];
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
  /** The seeds of the run's comparisons. */
  seeds: number[];
  seconds: number;
  /** CPU time of the process while the experiment ran (user + system; wall time depends on the machine's load). */
  cpuSeconds: number;
}
