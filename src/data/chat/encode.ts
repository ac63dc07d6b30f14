/**
 * Conversations to token ids with a loss mask, and the prompt/response encoding every
 * preference stage shares (reward model, PPO, DPO, GRPO score `prompt ‖ response ‖ EOS`).
 *
 * Assistant tokens are found from character offsets, as transformers does for
 * return_assistant_tokens_mask: the whole rendered text is tokenized once (so tokenization
 * at span boundaries is what the model sees at inference) and a token belongs to a span when
 * its first character does.
 */
import { ConfigError } from '../../core/errors.ts';
import type { Tokenizer } from '../../tokenizers/tokenizer.ts';
import type { ChatMessage, ChatTemplate } from './template.ts';

export interface ChatIds {
  eosId: number;
  padId: number;
}

/** The EOS and pad ids of a template's tokens; they must exist and differ. */
export function chatIds(tokenizer: Tokenizer, template: ChatTemplate): ChatIds {
  const eosId = tokenizer.tokenToId(template.specials.eosToken);
  const padId = tokenizer.tokenToId(template.specials.padToken);
  if (eosId === undefined)
    throw new ConfigError(
      'eos_token',
      `${JSON.stringify(template.specials.eosToken)} is not in the tokenizer's vocabulary`,
    );
  if (padId === undefined)
    throw new ConfigError(
      'pad_token',
      `${JSON.stringify(template.specials.padToken)} is not in the tokenizer's vocabulary`,
    );
  if (eosId === padId) throw new ConfigError('pad_token', 'pad and EOS have the same id');
  return { eosId, padId };
}

export interface EncodedChat {
  ids: number[];
  /** 1 where the token is assistant output (trained on), 0 elsewhere. */
  assistant: Uint8Array;
}

/** Encoding of rendered chat text: no post-processor specials, the template's own specials matched. */
const TEMPLATE = { addSpecialTokens: false, allowedSpecial: 'all' } as const;

/**
 * Tokens of a whole conversation and which are assistant output. Every assistant span
 * ends in EOS: if the template left it out, EOS is inserted after the span (and trained on),
 * so the tuned model learns to stop.
 */
export function encodeChat(
  tokenizer: Tokenizer,
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  eosId: number,
): EncodedChat {
  const { text, spans } = template.renderWithSpans(messages);
  // the template spells its special tokens in the text: match them whatever the tokenizer's
  // default (a SentencePiece .model leaves specials in text as text)
  const enc = tokenizer.encode(text, null, TEMPLATE);
  const ids: number[] = [];
  const assistant: number[] = [];
  let s = 0;
  for (let i = 0; i < enc.ids.length; i++) {
    const start = enc.offsets[i]![0];
    while (s < spans.length && start >= spans[s]![1]) {
      // leaving span s: close it with EOS if its last token was not EOS
      if (assistant.length > 0 && assistant[assistant.length - 1] === 1 && ids[ids.length - 1] !== eosId) {
        ids.push(eosId);
        assistant.push(1);
      }
      s++;
    }
    const inSpan = s < spans.length && start >= spans[s]![0] && start < spans[s]![1];
    ids.push(enc.ids[i]!);
    assistant.push(inSpan ? 1 : 0);
  }
  if (assistant.length > 0 && assistant[assistant.length - 1] === 1 && ids[ids.length - 1] !== eosId) {
    ids.push(eosId);
    assistant.push(1);
  }
  return { ids, assistant: Uint8Array.from(assistant) };
}

/** The ids a model continues for a prompt: the conversation plus the assistant header. */
export function encodePrompt(tokenizer: Tokenizer, template: ChatTemplate, messages: readonly ChatMessage[]): number[] {
  return tokenizer.encodeIds(template.prompt(messages), TEMPLATE);
}

/** A response's ids, ending in EOS (added unless already there). */
export function encodeResponse(tokenizer: Tokenizer, text: string, eosId: number): number[] {
  const ids = tokenizer.encodeIds(text, TEMPLATE);
  if (ids[ids.length - 1] !== eosId) ids.push(eosId);
  return ids;
}

/** A response's text from generated ids: everything before the first EOS, specials dropped. */
export function decodeResponse(tokenizer: Tokenizer, ids: readonly number[], eosId: number): string {
  const end = ids.indexOf(eosId);
  return tokenizer.decode(end >= 0 ? ids.slice(0, end) : ids, { skipSpecialTokens: true });
}
