/**
 * Shuffle-merge of token-shard datasets (datatrove's DocumentTokenizerMerger): the
 * documents of every input dataset's split are put in one seeded random order (or kept
 * in input order) and written as one dataset, in llmts's shard format or Megatron's
 * .bin/.idx. Memory holds three numbers per document (which dataset, which document) and
 * one document's tokens at a time; the tokens are read through the shard reader's cache.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ArgumentError, FormatError } from '../../core/errors.ts';
import { Generator } from '../../core/random.ts';
import { openShardDataset } from './reader.ts';
import type { ShardDataset } from './reader.ts';
import { createShardWriter } from './writer.ts';
import { MegatronWriter } from './megatron.ts';

export interface MergeOptions {
  /** shuffle documents with this seed; null keeps input order (dataset by dataset) */
  seed: number | null;
  format: 'llmts' | 'megatron';
  /** llmts format: tokens per output file before rolling over */
  maxTokensPerFile?: number;
}

export interface MergeResult {
  splits: Record<string, { documents: number; tokens: number; files: string[] }>;
}

/** Merges `inputs` (shard dataset directories with the same vocabulary) into `out`. */
export function mergeShardDatasets(inputs: readonly string[], out: string, opts: MergeOptions): MergeResult {
  if (inputs.length === 0) throw new ArgumentError('data merge', 'no input datasets');
  const dss: ShardDataset[] = inputs.map((d) => openShardDataset(d));
  try {
    const first = dss[0] as ShardDataset;
    for (const [i, ds] of dss.entries()) {
      for (const k of ['vocab_size', 'dtype', 'eos_id', 'bos_id'] as const)
        if (ds.meta[k] !== first.meta[k])
          throw new FormatError(
            inputs[i] as string,
            `${k} ${JSON.stringify(ds.meta[k])} differs from ${inputs[0]}'s ${JSON.stringify(first.meta[k])}`,
            k,
          );
    }
    const splitNames = [...new Set(dss.flatMap((d) => d.splits))].sort();
    const result: MergeResult = { splits: {} };
    const llmts =
      opts.format === 'llmts'
        ? createShardWriter(out, {
            vocabSize: first.meta.vocab_size,
            // the writer adds the separators back; they are stripped from each document below
            eosId: first.meta.eos_id,
            bosId: first.meta.bos_id,
            dtype: first.meta.dtype,
            tokenizerFile: first.tokenizerPath(),
            tokenizerName: first.meta.tokenizer.name,
            maxTokensPerFile: opts.maxTokensPerFile ?? 1 << 30,
            source: `merge of ${inputs.join(', ')}${opts.seed !== null ? `, shuffled with seed ${opts.seed}` : ''}`,
            createdBy: 'llmts data merge',
          })
        : null;
    if (llmts === null) mkdirSync(out, { recursive: true });
    try {
      for (const split of splitNames) {
        // (dataset, document) pairs, then one permutation of them
        const owner: number[] = [];
        const docIdx: number[] = [];
        dss.forEach((ds, k) => {
          if (!ds.splits.includes(split)) return;
          const n = ds.split(split).numDocuments;
          for (let i = 0; i < n; i++) {
            owner.push(k);
            docIdx.push(i);
          }
        });
        const order =
          opts.seed !== null
            ? new Generator(opts.seed).permutation(owner.length)
            : Int32Array.from({ length: owner.length }, (_, i) => i);
        const mega =
          opts.format === 'megatron'
            ? new MegatronWriter(join(out, `${split}_text_document`), { vocabSize: first.meta.vocab_size })
            : null;
        let tokens = 0;
        let buf = new Int32Array(4096);
        for (let j = 0; j < order.length; j++) {
          const g = order[j] as number;
          const s = (dss[owner[g] as number] as ShardDataset).split(split);
          const [a, b] = s.documentBounds(docIdx[g] as number);
          if (b - a > buf.length) buf = new Int32Array(b - a);
          const view = s.read(a, b - a, buf).subarray(0, b - a);
          if (mega !== null) mega.addDocument(view);
          else {
            const from = first.meta.bos_id !== null ? 1 : 0;
            const to = view.length - (first.meta.eos_id !== null ? 1 : 0);
            llmts!.addDocument(split, view.subarray(from, to));
          }
          tokens += b - a;
        }
        mega?.finish();
        result.splits[split] = {
          documents: order.length,
          tokens,
          files: mega !== null ? [`${split}_text_document.bin`, `${split}_text_document.idx`] : [],
        };
      }
      llmts?.finish();
    } catch (err) {
      llmts?.abort();
      throw err;
    }
    return result;
  } finally {
    for (const d of dss) d.close();
  }
}
