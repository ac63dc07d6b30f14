/**
 * Typed errors with stable codes. Every error llmts raises on bad input is one of
 * these, so callers can branch on `err.code` and users read a message that names
 * what is wrong (op, shapes, dtypes, file, field).
 */

export type ErrorCode =
  | 'SHAPE_MISMATCH' // shapes that do not fit an op
  | 'DTYPE_MISMATCH' // a dtype an op does not accept
  | 'INVALID_ARGUMENT' // an argument outside its domain (axis out of range, p < 0, ...)
  | 'AUTOGRAD' // backward on a non-scalar without a gradient, in-place on a leaf, ...
  | 'DISPOSED' // a tensor used after its memory scope released it
  | 'BACKEND' // backend unavailable, mismatched backends, missing kernel
  | 'FORMAT' // a file or serialized object that is malformed (names file and field)
  | 'CONFIG' // an invalid configuration value (names the field)
  | 'NUMERIC' // NaN/Inf or a loss spike detected during training
  | 'IO'; // a file that cannot be read or written

/** The base of every error llmts throws on purpose; `code` says which kind it is. */
export class LlmtsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Shapes that do not fit an op: names the op and every shape involved. */
export class ShapeError extends LlmtsError {
  readonly op: string;
  readonly shapes: readonly (readonly number[])[];
  constructor(op: string, message: string, shapes: readonly (readonly number[])[] = []) {
    const detail = shapes.length > 0 ? ` (shapes: ${shapes.map(formatShape).join(', ')})` : '';
    super('SHAPE_MISMATCH', `${op}: ${message}${detail}`);
    this.op = op;
    this.shapes = shapes;
  }
}

/** A dtype an op cannot take: names the op and the dtypes involved. */
export class DTypeError extends LlmtsError {
  readonly op: string;
  readonly dtypes: readonly string[];
  constructor(op: string, message: string, dtypes: readonly string[] = []) {
    super('DTYPE_MISMATCH', `${op}: ${message}${dtypes.length > 0 ? ` (dtypes: ${dtypes.join(', ')})` : ''}`);
    this.op = op;
    this.dtypes = dtypes;
  }
}

/** An invalid argument value: names the op (or option) it was given to. */
export class ArgumentError extends LlmtsError {
  readonly op: string;
  constructor(op: string, message: string) {
    super('INVALID_ARGUMENT', `${op}: ${message}`);
    this.op = op;
  }
}

export class AutogradError extends LlmtsError {
  constructor(message: string) {
    super('AUTOGRAD', message);
  }
}

/** Use of a tensor whose memory was released (its tidy() scope ended, or a backward rule freed it). */
export class DisposedError extends LlmtsError {
  constructor(what: string) {
    super(
      'DISPOSED',
      `${what}: this tensor's memory was released - when its tidy() scope ended (keep() it or return it from the scope to use it later), or, for a tensor a backward rule allocated and kept, when the rule returned (rules must not keep what they allocate)`,
    );
  }
}

/** A backend that cannot be loaded or cannot do what was asked (e.g. a tensor too large for it). */
export class BackendError extends LlmtsError {
  constructor(message: string) {
    super('BACKEND', message);
  }
}

/** A malformed file or serialized object. `file` is a path or a description such as "<buffer>". */
export class FormatError extends LlmtsError {
  readonly file: string;
  readonly field: string | undefined;
  constructor(file: string, message: string, field?: string, options?: { cause?: unknown }) {
    super('FORMAT', `${file}${field !== undefined ? ` (field ${field})` : ''}: ${message}`, options);
    this.file = file;
    this.field = field;
  }
}

/** An invalid configuration value; `field` names it as the user wrote it (e.g. "n_embd"). */
export class ConfigError extends LlmtsError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('CONFIG', `config field ${field}: ${message}`);
    this.field = field;
  }
}

/** NaN/Inf or a loss spike detected during training. */
export class NumericError extends LlmtsError {
  constructor(message: string) {
    super('NUMERIC', message);
  }
}

/** A file that cannot be read or written; `file` names it. */
export class IOError extends LlmtsError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('IO', `${file}: ${message}`, options);
    this.file = file;
  }
}
