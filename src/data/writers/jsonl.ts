/**
 * JSONL records for kept and rejected documents: {"id", "text", ...metadata}; rejected
 * ones add "rejected_stage", "rejected_reason" and, for duplicates, "duplicate_of".
 */
import type { Document, Rejection } from '../document.ts';

export function keptRecord(doc: Document): string {
  return JSON.stringify({ id: doc.id, text: doc.text, ...doc.metadata }) + '\n';
}

export function rejectedRecord(r: Rejection): string {
  const rec: Record<string, unknown> = {
    id: r.doc.id,
    text: r.doc.text,
    ...r.doc.metadata,
    rejected_stage: r.stage,
    rejected_reason: r.reason,
  };
  if (r.duplicateOf !== undefined) rec['duplicate_of'] = r.duplicateOf;
  return JSON.stringify(rec) + '\n';
}

/** Intermediate records between pipeline segments keep metadata separate from id/text. */
export function intermediateRecord(doc: Document): string {
  return JSON.stringify({ i: doc.id, t: doc.text, m: doc.metadata }) + '\n';
}

export function parseIntermediate(line: string): Document {
  const r = JSON.parse(line) as { i: string; t: string; m: Record<string, unknown> };
  return { id: r.i, text: r.t, metadata: r.m };
}
