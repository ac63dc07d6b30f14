/**
 * A model as the server sees it: loaded through src/io/load-model.ts (an llmts run directory, a
 * checkpoint, a Hugging Face GPT-2/LLaMA folder), with its tokenizer and chat template, the
 * KV-cache pool sized from the memory budget, and the text helpers the API needs (token text
 * and bytes for log-probabilities).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ArgumentError, IOError } from '../core/errors.ts';
import { resolveChatFormat, runChatFormat } from '../data/chat/format-file.ts';
import { ChatTemplate } from '../data/chat/template.ts';
import { loadModel, type TextCodec } from '../io/load-model.ts';
import { GPT } from '../models/gpt.ts';
import { CHAR_TO_BYTE } from '../tokenizers/byte-alphabet.ts';
import { loadTokenizer, type Tokenizer } from '../tokenizers/index.ts';
import { pagesForBudget } from './kv-pages.ts';
import { GPTStepModel, type StepModel } from './step-model.ts';

export interface ServedModel {
  /** The name clients pass as `model`. */
  readonly id: string;
  readonly step: StepModel;
  readonly vocabSize: number;
  /** Context window in positions. */
  readonly contextLength: number;
  encode(text: string): number[];
  /** Output text (special tokens dropped). */
  decode(ids: readonly number[]): string;
  /** A token's own text (log-probabilities' `token`). */
  tokenText(id: number): string;
  /** A token's UTF-8 bytes (log-probabilities' `bytes`), or null when unknown. */
  tokenBytes(id: number): number[] | null;
  /** Token ids that end a plain completion (the tokenizer's EOS). */
  readonly eosIds: readonly number[];
  /** The chat template and the ids that end an assistant turn, or null (no chat endpoint). */
  readonly chat: { template: ChatTemplate; eosIds: number[] } | null;
}

export interface ServeModelOptions {
  /** A tokenizer file (tokenizer.json, ...) instead of the one beside the model. */
  tokenizer?: string;
  /** chatml | plain | a tokenizer_config.json | a .jinja file, instead of the model's own template. */
  chatTemplate?: string;
  /** The model's name in the API; default the directory name. */
  name?: string;
  /** KV-cache budget in bytes. */
  kvMemoryBytes: number;
  /** Positions per KV page (default 16). */
  pageSize?: number;
}

const utf8 = new TextEncoder();

/** SentencePiece byte-fallback pieces: <0xNN>. */
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

export function servedModelFrom(
  model: GPT,
  codec: TextCodec,
  tokenizer: Tokenizer | null,
  chat: ChatTemplate | null,
  options: ServeModelOptions & { name: string },
): ServedModel {
  const pageSize = options.pageSize ?? 16;
  const numPages = pagesForBudget(options.kvMemoryBytes, GPTStepModel.bytesPerPosition(model), pageSize);
  const step = new GPTStepModel(model, numPages, pageSize);
  const V = model.config.vocabSize;
  const idOf = (token: string): number | undefined => tokenizer?.tokenToId(token);
  let chatIds: { template: ChatTemplate; eosIds: number[] } | null = null;
  if (chat !== null) {
    const eos = idOf(chat.specials.eosToken);
    if (eos === undefined)
      throw new ArgumentError(
        'chat_template',
        `its eos_token ${JSON.stringify(chat.specials.eosToken)} is not in the tokenizer's vocabulary`,
      );
    chatIds = { template: chat, eosIds: [...new Set([eos, ...(codec.eosId !== undefined ? [codec.eosId] : [])])] };
  }
  return {
    id: options.name,
    step,
    vocabSize: V,
    contextLength: model.config.blockSize,
    encode: (text) => codec.encode(text),
    decode: (ids) => codec.decode(ids),
    tokenText: (id) => (tokenizer !== null ? tokenizer.decode([id], { skipSpecialTokens: false }) : codec.decode([id])),
    tokenBytes(id) {
      const text = tokenizer !== null ? tokenizer.decode([id], { skipSpecialTokens: false }) : codec.decode([id]);
      if (!text.includes('\uFFFD')) return Array.from(utf8.encode(text));
      // a piece of a multi-byte character: the bytes the token stands for
      const piece = tokenizer?.idToToken(id);
      if (piece === undefined) return null;
      const m = BYTE_PIECE.exec(piece);
      if (m !== null) return [parseInt(m[1]!, 16)];
      const bytes: number[] = [];
      for (const ch of piece) {
        const b = ch.charCodeAt(0) < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[ch.charCodeAt(0)]! : -1;
        if (b < 0) return null;
        bytes.push(b);
      }
      return bytes;
    },
    eosIds: codec.eosId !== undefined ? [codec.eosId] : [],
    chat: chatIds,
  };
}

/** Loads what `llmts serve --model PATH` serves. */
export function loadServedModel(path: string, options: ServeModelOptions): ServedModel {
  const loaded = loadModel(path);
  if (!(loaded.model instanceof GPT))
    throw new ArgumentError('--model', 'serve needs a decoder-only (GPT/LLaMA) model; this one is not');
  const dir = existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
  let tokenizer: Tokenizer | null = null;
  let codec = loaded.codec;
  if (options.tokenizer !== undefined) {
    if (!existsSync(options.tokenizer)) throw new IOError(options.tokenizer, 'no such tokenizer file');
    tokenizer = loadTokenizer(options.tokenizer);
  } else if (existsSync(resolve(dir, 'tokenizer.json'))) tokenizer = loadTokenizer(resolve(dir, 'tokenizer.json'));
  if (tokenizer !== null) {
    const t = tokenizer;
    codec = {
      // chat templates spell their special tokens: matched whatever the tokenizer's default
      encode: (text) => t.encodeIds(text, { addSpecialTokens: false, allowedSpecial: 'all' }),
      decode: (ids) => t.decode(ids, { skipSpecialTokens: true }),
      eosId: t.eosId,
      vocabSize: t.vocabSize,
    };
  }
  if (codec === null)
    throw new IOError(dir, 'no tokenizer beside the model (tokenizer.json or chars.json); pass --tokenizer FILE');
  if (codec.vocabSize > loaded.model.config.vocabSize)
    throw new ArgumentError(
      '--tokenizer',
      `has ${codec.vocabSize} tokens but the model's vocabulary has ${loaded.model.config.vocabSize}`,
    );
  const format =
    options.chatTemplate !== undefined
      ? resolveChatFormat(options.chatTemplate)
      : tokenizer !== null
        ? runChatFormat(dir, { requirePad: false })
        : null;
  return servedModelFrom(loaded.model, codec, tokenizer, format === null ? null : new ChatTemplate(format), {
    ...options,
    name: options.name ?? basename(resolve(dir)),
  });
}
