/**
 * A chat with a tuned model: the conversation so far is rendered with the chat template,
 * the model continues it (streamed, stopping at the template's EOS), and the answer joins
 * the conversation. Old turns are dropped (the system message kept) when the prompt would
 * not leave room for the answer in the model's context.
 */
import { streamText } from '../generate/streaming.ts';
import type { GenerateOptions } from '../generate/generate.ts';
import type { GPT } from '../models/gpt.ts';
import { gptForGeneration } from '../models/generative.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import { ConfigError } from '../core/errors.ts';
import { ChatTemplate } from '../data/chat/template.ts';
import type { ChatFormat, ChatMessage } from '../data/chat/template.ts';
import { encodePrompt } from '../data/chat/encode.ts';

export interface ChatOptions {
  system?: string;
  maxNewTokens: number;
  /** Sampling options (temperature, topP, topK, seed, ...); greedy when doSample is false. */
  generation: GenerateOptions;
}

export class ChatSession {
  readonly messages: ChatMessage[] = [];
  private readonly template: ChatTemplate;
  private readonly eosId: number;

  constructor(
    readonly model: GPT,
    readonly tokenizer: Tokenizer,
    format: ChatFormat,
    readonly options: ChatOptions,
  ) {
    this.template = new ChatTemplate(format);
    const eos = tokenizer.tokenToId(format.eosToken);
    if (eos === undefined)
      throw new ConfigError('eos_token', `${JSON.stringify(format.eosToken)} is not in the tokenizer's vocabulary`);
    this.eosId = eos;
    this.reset();
  }

  reset(): void {
    this.messages.length = 0;
    if (this.options.system !== undefined && this.options.system !== '')
      this.messages.push({ role: 'system', content: this.options.system });
  }

  /** The prompt ids for the conversation, dropping the oldest exchanges until it fits. */
  private promptIds(): number[] {
    const limit = this.model.config.blockSize - this.options.maxNewTokens;
    for (;;) {
      const ids = encodePrompt(this.tokenizer, this.template, this.messages);
      if (ids.length <= limit) return ids;
      const first = this.messages.findIndex((m) => m.role !== 'system');
      // keep at least the latest user message
      if (first < 0 || first >= this.messages.length - 1) {
        throw new ConfigError(
          'max_new_tokens',
          `the message alone (${ids.length} tokens) leaves no room for an answer in the model's ${this.model.config.blockSize}-token context`,
        );
      }
      this.messages.splice(first, 1);
    }
  }

  /** Sends a user message; yields the answer as it is generated. */
  async *send(text: string): AsyncGenerator<string, void, void> {
    this.messages.push({ role: 'user', content: text });
    const prompt = this.promptIds();
    let answer = '';
    const codec = { decode: (ids: readonly number[]): string => this.tokenizer.decode(ids) };
    const stream = streamText(gptForGeneration(this.model), codec, prompt, {
      ...this.options.generation,
      maxNewTokens: this.options.maxNewTokens,
      eosTokenId: this.eosId,
    });
    for await (const delta of stream) {
      answer += delta;
      yield delta;
    }
    this.messages.push({ role: 'assistant', content: answer });
  }
}
