/** Chat data for the alignment stages: templates (HF semantics), loss masks, JSONL datasets. */
export * from './template.ts';
export * from './encode.ts';
export * from './dataset.ts';
export * from './format-file.ts';
