/**
 * `loadTokenizerFrom(source)`: a tokenizer from a URL, a File the user picked, bytes, or (in
 * Node) a path, read through the host's file adapter (src/core/platform.ts: fetch and Blob in
 * a page, the file system in Node). The page-friendly twin of loadTokenizer(path), which reads
 * a directory synchronously.
 *
 *   await loadTokenizerFrom('https://host/gpt2/tokenizer.json')
 *   await loadTokenizerFrom(fileInput.files[0])                 // tokenizer.json or a .model
 *   await loadTokenizerFrom({ vocab: 'vocab.json', merges: 'merges.txt' })
 *   await loadTokenizerFrom({ tokenizerJson: url, config: 'tokenizer_config.json' })
 *
 * The format of a single source is told by its name (.json, .model, .tiktoken, .txt), else by
 * its first byte ('{' is JSON; a SentencePiece model is a protobuf message).
 */
import { FormatError } from '../../core/errors.ts';
import type { FileSource } from '../../core/platform.ts';
import { readSource, sourceName } from '../../core/platform.ts';
import { isJsonObject, parseJson } from '../config-reader.ts';
import { decodeModelProto } from '../sentencepiece/model-proto.ts';
import { tokenizerFromModelProto } from '../sentencepiece/convert.ts';
import type { SpecialTokenRoles, Tokenizer } from '../tokenizer.ts';
import { bertTokenizerFromVocab, parseVocabTxt } from './bert-vocab.ts';
import { gpt2FromText } from './gpt2.ts';
import { MAX_TOKENIZER_FILE_BYTES } from './read.ts';
import { tiktokenFromText } from './tiktoken.ts';
import { tokenizerFromJson } from './tokenizer-json.ts';

/** The files of one tokenizer, each a FileSource; give one of tokenizerJson, model, tiktoken, vocab (+ merges). */
export interface TokenizerSources {
  /** tokenizer.json */
  tokenizerJson?: FileSource;
  /** a SentencePiece .model */
  model?: FileSource;
  /** a .tiktoken rank file */
  tiktoken?: FileSource;
  /** vocab.json (with merges: GPT-2 BPE) or vocab.txt (BERT WordPiece) */
  vocab?: FileSource;
  merges?: FileSource;
  /** tokenizer_config.json: bos/eos/pad/unk roles (and BERT's do_lower_case) */
  config?: FileSource;
}

const text = (bytes: Uint8Array): string => new TextDecoder('utf-8').decode(bytes);

function isSources(x: FileSource | TokenizerSources): x is TokenizerSources {
  return (
    typeof x === 'object' &&
    !(x instanceof URL) &&
    !(x instanceof ArrayBuffer) &&
    !ArrayBuffer.isView(x) &&
    !(typeof Blob !== 'undefined' && x instanceof Blob)
  );
}

interface Config {
  roles: Partial<SpecialTokenRoles>;
  lowercase?: boolean;
}

async function readConfig(source: FileSource | undefined): Promise<Config> {
  if (source === undefined) return { roles: {} };
  const file = sourceName(source);
  const v = parseJson(text(await readSource(source, MAX_TOKENIZER_FILE_BYTES)), file);
  if (!isJsonObject(v)) throw new FormatError(file, 'expected an object');
  const roles: Partial<SpecialTokenRoles> = {};
  for (const role of ['bos', 'eos', 'pad', 'unk'] as const) {
    const t = v[`${role}_token`];
    if (typeof t === 'string') roles[role] = t;
    else if (isJsonObject(t) && typeof t['content'] === 'string') roles[role] = t['content'];
  }
  const lc = v['do_lower_case'];
  return typeof lc === 'boolean' ? { roles, lowercase: lc } : { roles };
}

function applyRoles(tok: Tokenizer, roles: Partial<SpecialTokenRoles>): Tokenizer {
  const known: Partial<SpecialTokenRoles> = {};
  for (const [k, v] of Object.entries(roles) as [keyof SpecialTokenRoles, string][])
    if (tok.tokenToId(v) !== undefined) known[k] = v;
  if (Object.keys(known).length > 0) tok.setRoles(known);
  return tok;
}

/** The sources of one file, told apart by its name or its first byte. */
function classify(source: FileSource, bytes: Uint8Array): TokenizerSources {
  const name = sourceName(source)
    .toLowerCase()
    .replace(/[?#].*$/, '');
  if (name.endsWith('.model')) return { model: source };
  if (name.endsWith('.tiktoken')) return { tiktoken: source };
  if (name.endsWith('.txt')) return { vocab: source };
  if (name.endsWith('.json')) return { tokenizerJson: source };
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b) return { tokenizerJson: source };
  // ModelProto's first field is `pieces` (field 1, length-delimited): tag byte 0x0a
  if (bytes[0] === 0x0a) return { model: source };
  throw new FormatError(
    sourceName(source),
    'cannot tell the tokenizer format: expected tokenizer.json, a SentencePiece .model, .tiktoken or vocab.txt',
  );
}

/** Reads a tokenizer from a URL, File, bytes or (Node) path, or from a set of such sources. */
export async function loadTokenizerFrom(source: FileSource | TokenizerSources): Promise<Tokenizer> {
  let sources: TokenizerSources;
  const cache = new Map<FileSource, Uint8Array>();
  const read = async (s: FileSource): Promise<Uint8Array> => {
    let b = cache.get(s);
    if (b === undefined) {
      b = await readSource(s, MAX_TOKENIZER_FILE_BYTES);
      cache.set(s, b);
    }
    return b;
  };
  if (isSources(source)) sources = source;
  else sources = classify(source, await read(source));
  const cfg = await readConfig(sources.config);
  if (sources.tokenizerJson !== undefined) {
    const file = sourceName(sources.tokenizerJson);
    return applyRoles(tokenizerFromJson(parseJson(text(await read(sources.tokenizerJson)), file), file), cfg.roles);
  }
  if (sources.model !== undefined) {
    const file = sourceName(sources.model);
    return applyRoles(tokenizerFromModelProto(decodeModelProto(await read(sources.model), file), file), cfg.roles);
  }
  if (sources.tiktoken !== undefined)
    return tiktokenFromText(text(await read(sources.tiktoken)), sourceName(sources.tiktoken));
  if (sources.vocab !== undefined && sources.merges !== undefined) {
    return applyRoles(
      gpt2FromText(
        text(await read(sources.vocab)),
        text(await read(sources.merges)),
        sourceName(sources.vocab),
        sourceName(sources.merges),
      ),
      cfg.roles,
    );
  }
  if (sources.vocab !== undefined) {
    const file = sourceName(sources.vocab);
    const vocab = parseVocabTxt(text(await read(sources.vocab)));
    return applyRoles(
      bertTokenizerFromVocab(vocab, cfg.lowercase === undefined ? {} : { lowercase: cfg.lowercase }, file),
      cfg.roles,
    );
  }
  throw new FormatError('loadTokenizerFrom', 'no tokenizer file given (tokenizerJson, model, tiktoken or vocab)');
}
