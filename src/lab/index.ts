/** llmts lab: the seed notes' claims as experiments (see docs/lab.md). */
export type { Claim, Experiment, ExperimentOutput, ExperimentResult, Finding, Plot, Verdict } from './types.ts';
export { VERDICTS } from './types.ts';
export { EXPERIMENTS } from './registry.ts';
export { LabContext } from './context.ts';
export type { LabOptions } from './context.ts';
export { runLab, runExperiment, selectExperiments, writeReport, readResult } from './runner.ts';
export type { LabRunOptions } from './runner.ts';
export { renderReportHtml } from './report.ts';
export { formatResult } from './print.ts';
