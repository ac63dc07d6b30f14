/**
 * SentencePiece `.model` files: ModelProto <-> typed objects, with validation.
 *
 * Decoding is protobufjs (schema.ts). Untrusted input: a protobufjs failure is re-walked by
 * `locateWireError` to name the field where the bytes go wrong (e.g. `pieces[12].piece`), and the
 * decoded message is checked for what SentencePiece itself rejects (no UNKNOWN piece, duplicate
 * pieces, bad byte pieces, a charsmap whose header lies) -> FormatError{file, field}.
 */
import { describe } from '../../core/describe.ts';
import { readFileSync, statSync } from 'node:fs';
import type * as protobuf from 'protobufjs';
import { FormatError, IOError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/atomic.ts';
import { PrecompiledCharsmap } from './charsmap.ts';
import { PIECE_TYPE_NAMES, PieceType, pieceByte, type PieceTypeName } from './piece-type.ts';
import { protoSchema } from './schema.ts';

export type ModelType = 'UNIGRAM' | 'BPE' | 'WORD' | 'CHAR';

export interface SentencePieceEntry {
  piece: string;
  /** log-probability (Unigram) or merge priority (BPE); a float32 value */
  score: number;
  type: PieceTypeName;
}

/** TrainerSpec; every field of sentencepiece_model.proto, camelCased (uint64 as number). */
export interface TrainerSpec {
  input: string[];
  inputFormat: string;
  modelPrefix: string;
  modelType: ModelType;
  vocabSize: number;
  acceptLanguage: string[];
  selfTestSampleSize: number;
  enableDifferentialPrivacy: boolean;
  differentialPrivacyNoiseLevel: number;
  differentialPrivacyClippingThreshold: number;
  characterCoverage: number;
  inputSentenceSize: number;
  shuffleInputSentence: boolean;
  miningSentenceSize: number;
  trainingSentenceSize: number;
  seedSentencepieceSize: number;
  shrinkingFactor: number;
  maxSentenceLength: number;
  numThreads: number;
  numSubIterations: number;
  maxSentencepieceLength: number;
  splitByUnicodeScript: boolean;
  splitByNumber: boolean;
  splitByWhitespace: boolean;
  treatWhitespaceAsSuffix: boolean;
  allowWhitespaceOnlyPieces: boolean;
  splitDigits: boolean;
  controlSymbols: string[];
  userDefinedSymbols: string[];
  requiredChars: string;
  byteFallback: boolean;
  vocabularyOutputPieceScore: boolean;
  hardVocabLimit: boolean;
  useAllVocab: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  unkSurface: string;
  trainExtremelyLargeCorpus: boolean;
}

export interface NormalizerSpec {
  /** rule name: nmt_nfkc, nfkc, identity, ... (informational; the charsmap is what applies) */
  name: string;
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
  normalizationRuleTsv: string;
}

export interface ModelProto {
  pieces: SentencePieceEntry[];
  trainerSpec: TrainerSpec;
  normalizerSpec: NormalizerSpec;
  /** applied to decoded text when present (rarely used) */
  denormalizerSpec: NormalizerSpec | null;
}

/** Refuse files above this size before reading them (real models are well under 10 MB). */
export const MAX_MODEL_BYTES = 64 << 20;

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function defaultTrainerSpec(): TrainerSpec {
  return fromMessage(
    protoSchema().ModelProtoType.lookupType('sentencepiece.TrainerSpec'),
    {},
  ) as unknown as TrainerSpec;
}

export function defaultNormalizerSpec(): NormalizerSpec {
  const spec = fromMessage(
    protoSchema().ModelProtoType.lookupType('sentencepiece.NormalizerSpec'),
    {},
  ) as unknown as NormalizerSpec;
  return spec;
}

/** Decodes and validates a serialized ModelProto. `file` names the source in errors. */
export function decodeModelProto(bytes: Uint8Array, file = '<buffer>'): ModelProto {
  let message: protobuf.Message;
  try {
    message = protoSchema().ModelProtoType.decode(bytes);
  } catch (err) {
    const where = locateWireError(protoSchema().ModelProtoType, bytes);
    const detail = where?.message ?? (err as Error).message;
    throw new FormatError(file, `not a valid SentencePiece model protobuf: ${detail}`, where?.field ?? 'ModelProto', {
      cause: err,
    });
  }
  const raw = protoSchema().ModelProtoType.toObject(message, {
    defaults: true,
    longs: Number,
    enums: Number,
  }) as Record<string, unknown>;
  const proto = validate(raw, file);
  const m = message as unknown as Record<string, object | null | undefined>;
  const keys = (o: object | null | undefined): ReadonlySet<string> =>
    new Set(o === undefined || o === null ? [] : Object.keys(o).filter((k) => !k.startsWith('$')));
  presence.set(proto.trainerSpec, keys(m['trainer_spec']));
  presence.set(proto.normalizerSpec, keys(m['normalizer_spec']));
  if (proto.denormalizerSpec !== null) presence.set(proto.denormalizerSpec, keys(m['denormalizer_spec']));
  return proto;
}

export function readModelProtoFile(path: string): ModelProto {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new IOError(path, 'not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof IOError) throw err;
    throw new IOError(path, `cannot read SentencePiece model: ${(err as Error).message}`, { cause: err });
  }
  if (size > MAX_MODEL_BYTES)
    throw new FormatError(
      path,
      `file of ${size} bytes is larger than any SentencePiece model (limit ${MAX_MODEL_BYTES})`,
    );
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new IOError(path, `cannot read SentencePiece model: ${(err as Error).message}`, { cause: err });
  }
  return decodeModelProto(bytes, path);
}

export function encodeModelProto(proto: ModelProto): Uint8Array {
  const obj: Record<string, unknown> = {
    // as SentencePiece writes them: score always, type only when not NORMAL
    pieces: proto.pieces.map((p) =>
      p.type === 'NORMAL'
        ? { piece: p.piece, score: p.score }
        : { piece: p.piece, score: p.score, type: PieceType[p.type] },
    ),
    trainer_spec: specToMessage(
      proto.trainerSpec as unknown as Record<string, unknown>,
      protoSchema().ModelProtoType.lookupType('sentencepiece.TrainerSpec'),
    ),
    normalizer_spec: specToMessage(
      proto.normalizerSpec as unknown as Record<string, unknown>,
      protoSchema().ModelProtoType.lookupType('sentencepiece.NormalizerSpec'),
    ),
  };
  if (proto.denormalizerSpec !== null) {
    obj['denormalizer_spec'] = specToMessage(
      proto.denormalizerSpec as unknown as Record<string, unknown>,
      protoSchema().ModelProtoType.lookupType('sentencepiece.NormalizerSpec'),
    );
  }
  return protoSchema().ModelProtoType.encode(protoSchema().ModelProtoType.fromObject(obj)).finish();
}

/** Fields a decoded spec had on the wire, so re-encoding an unmodified file reproduces it. */
const presence = new WeakMap<object, ReadonlySet<string>>();

/** A spec object -> protobufjs plain object with the fields that were present or differ from the default. */
function specToMessage(spec: Record<string, unknown>, type: protobuf.Type): Record<string, unknown> {
  const present = presence.get(spec);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    let v = spec[camel(field.name)];
    if (v === undefined) continue;
    if (field.name === 'model_type') v = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 }[v as ModelType];
    if (present?.has(field.name) || !isDefault(v, field)) out[field.name] = v;
  }
  return out;
}

function isDefault(v: unknown, field: protobuf.Field): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Uint8Array) return v.byteLength === 0;
  let d: unknown = field.defaultValue;
  if (field.resolvedType instanceof protoSchema().protobuf.Enum && typeof d === 'string')
    d = field.resolvedType.values[d];
  if (field.type === 'float' && typeof d === 'number' && typeof v === 'number')
    return Math.fround(v) === Math.fround(d);
  if (typeof d === 'object' && d !== null) d = Number(d); // Long
  return v === d;
}

export function writeModelProtoFile(path: string, proto: ModelProto): void {
  writeFileAtomic(path, encodeModelProto(proto));
}

function fromMessage(type: protobuf.Type, raw: Record<string, unknown>): Record<string, unknown> {
  const withDefaults = type.toObject(type.fromObject(raw), { defaults: true, longs: Number, enums: Number });
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(withDefaults)) out[camel(k)] = v;
  return out;
}

const MODEL_TYPES: Record<number, ModelType> = { 1: 'UNIGRAM', 2: 'BPE', 3: 'WORD', 4: 'CHAR' };

function validate(raw: Record<string, unknown>, file: string): ModelProto {
  const rawPieces = raw['pieces'] as { piece: string; score: number; type: number }[];
  if (rawPieces.length === 0) throw new FormatError(file, 'the model has no pieces', 'pieces');
  const pieces: SentencePieceEntry[] = [];
  const seen = new Map<string, number>();
  let unk = -1;
  for (let i = 0; i < rawPieces.length; i++) {
    const p = rawPieces[i]!;
    const field = `pieces[${i}]`;
    if (p.piece.length === 0) throw new FormatError(file, 'a piece must not be empty', `${field}.piece`);
    const type = PIECE_TYPE_NAMES.find((n) => PieceType[n] === p.type);
    if (type === undefined) throw new FormatError(file, `unknown piece type ${p.type}`, `${field}.type`);
    if (!Number.isFinite(p.score)) throw new FormatError(file, `score ${p.score} is not finite`, `${field}.score`);
    const prev = seen.get(p.piece);
    if (prev !== undefined)
      throw new FormatError(file, `piece ${describe(p.piece)} is already defined as pieces[${prev}]`, `${field}.piece`);
    seen.set(p.piece, i);
    if (type === 'UNKNOWN') {
      if (unk >= 0)
        throw new FormatError(file, `a second UNKNOWN piece (the first is pieces[${unk}])`, `${field}.type`);
      unk = i;
    }
    if (type === 'BYTE' && pieceByte(p.piece) < 0)
      throw new FormatError(file, `BYTE piece ${describe(p.piece)} is not of the form <0xNN>`, `${field}.piece`);
    pieces.push({ piece: p.piece, score: p.score, type });
  }
  if (unk < 0) throw new FormatError(file, 'the model has no UNKNOWN piece', 'pieces');

  const trainerSpec = fromMessage(
    protoSchema().ModelProtoType.lookupType('sentencepiece.TrainerSpec'),
    {},
  ) as unknown as TrainerSpec;
  const rawTrainer = raw['trainer_spec'] as Record<string, unknown> | null;
  if (rawTrainer !== null && rawTrainer !== undefined) {
    for (const [k, v] of Object.entries(rawTrainer)) (trainerSpec as unknown as Record<string, unknown>)[camel(k)] = v;
    const mt = MODEL_TYPES[rawTrainer['model_type'] as number];
    if (mt === undefined)
      throw new FormatError(file, `unknown model type ${String(rawTrainer['model_type'])}`, 'trainer_spec.model_type');
    trainerSpec.modelType = mt;
  } else {
    trainerSpec.modelType = 'UNIGRAM';
  }
  if (trainerSpec.byteFallback) {
    for (let b = 0; b < 256; b++) {
      const name = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      const i = seen.get(name);
      if (i === undefined || pieces[i]!.type !== 'BYTE') {
        throw new FormatError(file, `byte_fallback is on but the BYTE piece ${name} is missing`, 'pieces');
      }
    }
  }
  const normalizerSpec = readNormalizerSpec(raw['normalizer_spec'], file, 'normalizer_spec');
  const denorm = raw['denormalizer_spec'];
  const denormalizerSpec =
    denorm === null || denorm === undefined ? null : readNormalizerSpec(denorm, file, 'denormalizer_spec');
  return { pieces, trainerSpec, normalizerSpec, denormalizerSpec };
}

function readNormalizerSpec(raw: unknown, file: string, field: string): NormalizerSpec {
  const spec = fromMessage(
    protoSchema().ModelProtoType.lookupType('sentencepiece.NormalizerSpec'),
    {},
  ) as unknown as NormalizerSpec;
  if (raw !== null && raw !== undefined) {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>))
      (spec as unknown as Record<string, unknown>)[camel(k)] = v;
  }
  spec.precompiledCharsmap = new Uint8Array(spec.precompiledCharsmap);
  // checks the header now so a broken blob fails at load, naming the field
  if (spec.precompiledCharsmap.byteLength > 0)
    new PrecompiledCharsmap(spec.precompiledCharsmap, file, `${field}.precompiled_charsmap`);
  return spec;
}

/**
 * Walks the wire format of a message that protobufjs refused, following the schema, and reports
 * the first field whose bytes are broken: `{ field: 'pieces[3].piece', message }`.
 */
export function locateWireError(type: protobuf.Type, bytes: Uint8Array): { field: string; message: string } | null {
  const reader = protoSchema().protobuf.Reader.create(bytes);
  try {
    walk(type, reader, bytes.length, type.name === 'ModelProto' ? '' : type.name, 0);
  } catch (err) {
    if (err instanceof WireError) return { field: err.field, message: err.message };
    return null;
  }
  return null;
}

class WireError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 32;

function walk(type: protobuf.Type, r: protobuf.Reader, end: number, path: string, depth: number): void {
  const counts = new Map<number, number>();
  const at = (p: string): string => (path === '' ? p : `${path}.${p}`);
  while (r.pos < end) {
    const tagPos = r.pos;
    let tag: number;
    try {
      tag = r.uint32();
    } catch {
      throw new WireError(path === '' ? 'ModelProto' : path, `truncated field tag at byte ${tagPos}`);
    }
    const id = tag >>> 3;
    const wire = tag & 7;
    const field = type.fieldsById[id];
    let name = field ? field.name : `<field ${id}>`;
    if (field?.repeated) {
      const k = counts.get(id) ?? 0;
      counts.set(id, k + 1);
      name = `${name}[${k}]`;
    }
    const fp = at(name);
    if (id === 0) throw new WireError(fp, `illegal field number 0 at byte ${tagPos}`);
    const need = (n: number): void => {
      if (r.pos + n > end) throw new WireError(fp, `needs ${n} bytes at byte ${r.pos} but only ${end - r.pos} remain`);
    };
    switch (wire) {
      case 0:
        try {
          r.uint64();
        } catch {
          throw new WireError(fp, `truncated varint at byte ${r.pos}`);
        }
        if (r.pos > end) throw new WireError(fp, `varint runs past the end of its message at byte ${end}`);
        break;
      case 1:
        need(8);
        r.skip(8);
        break;
      case 5:
        need(4);
        r.skip(4);
        break;
      case 2: {
        let len: number;
        const lenPos = r.pos;
        try {
          len = r.uint32();
        } catch {
          throw new WireError(fp, `truncated length at byte ${lenPos}`);
        }
        if (len > end - r.pos)
          throw new WireError(fp, `length ${len} at byte ${lenPos} exceeds the ${end - r.pos} bytes that remain`);
        const sub = field?.resolvedType;
        if (sub instanceof protoSchema().protobuf.Type) {
          if (depth >= MAX_DEPTH) throw new WireError(fp, 'messages nested too deeply');
          walk(sub, r, r.pos + len, fp, depth + 1);
        } else if (field?.type === 'string') {
          const s = r.pos;
          r.skip(len);
          if (!isValidUtf8(r.buf, s, s + len)) throw new WireError(fp, `invalid UTF-8 in a string at byte ${s}`);
        } else r.skip(len);
        break;
      }
      default:
        throw new WireError(fp, `wire type ${wire} at byte ${tagPos} is not used by SentencePiece models`);
    }
    if (field && wire !== wireTypeOf(field)) {
      throw new WireError(fp, `wire type ${wire} does not match the field's type ${field.type}`);
    }
  }
}

function wireTypeOf(field: protobuf.Field): number {
  switch (field.type) {
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return 5;
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return 1;
    case 'string':
    case 'bytes':
      return 2;
    default:
      return field.resolvedType instanceof protoSchema().protobuf.Type ? 2 : 0;
  }
}

function isValidUtf8(buf: Uint8Array, start: number, end: number): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(start, end));
    return true;
  } catch {
    return false;
  }
}
