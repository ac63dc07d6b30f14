/**
 * JSONL records for kept and rejected documents: {"id", "text", ...metadata}; rejected
 * ones add "rejected_stage", "rejected_reason" and, for duplicates, "duplicate_of".
 */
import { RESERVED_FIELDS } from '../document.ts';
import type { Document, Rejection } from '../document.ts';

/**
 * id and text, the metadata, then `after`. A metadata key equal to one of the pipeline's own
 * fields never replaces it (the reader renames such input fields; a stage could still add
 * one): it gets an "_original" suffix instead.
 */
function recordOf(doc: Document, after: Record<string, unknown> = {}): Record<string, unknown> {
  const rec: Record<string, unknown> = { id: doc.id, text: doc.text };
  for (const k of Object.keys(doc.metadata)) {
    let key = k;
    while (RESERVED_FIELDS.has(key) || (key !== k && Object.hasOwn(doc.metadata, key))) key += '_original';
    Object.defineProperty(rec, key, { value: doc.metadata[k], enumerable: true, writable: true, configurable: true });
  }
  return Object.assign(rec, after);
}

export function keptRecord(doc: Document): string {
  return JSON.stringify(recordOf(doc)) + '\n';
}

export function rejectedRecord(r: Rejection): string {
  const after: Record<string, unknown> = { rejected_stage: r.stage, rejected_reason: r.reason };
  if (r.duplicateOf !== undefined) after['duplicate_of'] = r.duplicateOf;
  return JSON.stringify(recordOf(r.doc, after)) + '\n';
}

/** Intermediate records between pipeline segments keep metadata separate from id/text. */
export function intermediateRecord(doc: Document): string {
  return JSON.stringify({ i: doc.id, t: doc.text, m: doc.metadata }) + '\n';
}

export function parseIntermediate(line: string): Document {
  const r = JSON.parse(line) as { i: string; t: string; m: Record<string, unknown> };
  return { id: r.i, text: r.t, metadata: r.m };
}
