export { openShardDataset } from './reader.ts';
export type { ShardDataset, ShardReaderOptions, TokenSplit } from './reader.ts';
export { createShardWriter, ShardWriter } from './writer.ts';
export type { ShardWriterOptions } from './writer.ts';
export { bytesPerToken, dtypeForVocab, SHARD_FORMAT, SHARD_VERSION, validateMeta } from './meta.ts';
export type { ShardFileMeta, ShardMeta, SplitMeta, TokenDType, TokenizerRef } from './meta.ts';
