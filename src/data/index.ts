/**
 * llmts data: the preprocessing pipeline (readers, stages, dedup, reports), the
 * token-shard format pretraining reads, and `prepare`.
 */
export type { Document, Rejection } from './document.ts';
export type { Stage, StageStats } from './stages/stage.ts';
export { htmlExtract, extractHtml, looksLikeHtml } from './stages/html-extract.ts';
export { normalizeUnicode } from './stages/normalize.ts';
export { cleanWhitespace } from './stages/clean-whitespace.ts';
export { scriptFilter, identifyScript } from './stages/script-id.ts';
export { languageFilter, identifyLanguage } from './stages/language-filter.ts';
export { gopherQuality } from './stages/gopher-quality.ts';
export { gopherRepetition } from './stages/gopher-repetition.ts';
export { c4Quality } from './stages/c4-quality.ts';
export { c4BadWords } from './stages/c4-badwords.ts';
export { finewebQuality } from './stages/fineweb-quality.ts';
export { pii } from './stages/pii.ts';
export { MinHasher, estimateJaccard, candidateProbability, jaccard } from './dedup/minhash.ts';
export { clusterDuplicates } from './dedup/cluster.ts';
export { UnionFind } from './dedup/union-find.ts';
export { planShards } from './readers/plan.ts';
export { readShard } from './readers/read-shard.ts';
export type { InputSpec } from './readers/input-spec.ts';
export { loadConfigFile, validateConfig } from './pipeline/config.ts';
export type { PipelineConfig, StageConfig } from './pipeline/config.ts';
export { runPipeline } from './pipeline/run.ts';
export type { RunOptions, RunResult } from './pipeline/run.ts';
export { reportText, reportMarkdown, reportHtml } from './pipeline/report.ts';
export type { PipelineReport } from './pipeline/report.ts';
export { corpusStats } from './stats.ts';
export { prepareDataset, charTokenizer } from './prepare.ts';
export type { PrepareOptions, PrepareResult } from './prepare.ts';
export type { TokenizerLike } from './tokenize/tokenizer-like.ts';
export * from './shards/index.ts';
