/**
 * The unit that flows through the pipeline: a text with a stable id and the other
 * fields of its input record (kept and written back out, as datatrove's Document does).
 */
export interface Document {
  /** Stable id: the input's id field, else "<source>:<index>". */
  id: string;
  text: string;
  /** Other fields of the input record plus what stages add (e.g. script, language). */
  metadata: Record<string, unknown>;
}

/** A document a stage or reader rejected, with the rule that rejected it. */
export interface Rejection {
  doc: Document;
  /** The stage instance name, e.g. "gopher_quality". */
  stage: string;
  /** The rule's reason string, datatrove's where one exists (e.g. "gopher_short_doc"). */
  reason: string;
  /** For dedup rejections: the id of the document that was kept instead. */
  duplicateOf?: string;
}

/** Field names of kept and rejected records that the pipeline writes itself (metadata may not take them). */
export const RESERVED_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'text',
  'rejected_stage',
  'rejected_reason',
  'duplicate_of',
]);
