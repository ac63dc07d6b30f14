/**
 * Chat templates with Hugging Face semantics, rendered by @huggingface/jinja (the same
 * Jinja subset transformers.js uses), so a `chat_template` from any tokenizer_config.json
 * works unchanged.
 *
 * Assistant spans (what SFT puts in the loss) come, as in transformers'
 * `return_assistant_tokens_mask`, from `{% generation %}...{% endgeneration %}` blocks.
 * @huggingface/jinja drops those tags, so before parsing they are rewritten into output
 * expressions that emit private-use sentinels (keeping their `-` whitespace control); the
 * sentinels mark the spans and are removed. A template without generation blocks falls back
 * to prefix differences: the span of assistant message i is render(messages[:i+1]) minus
 * render(messages[:i], add_generation_prompt=True), which must be a prefix of it.
 */
import { Template } from '@huggingface/jinja';
import { ConfigError } from '../../core/errors.ts';

export interface ChatMessage {
  role: string;
  content: string;
}

/** The special tokens a template refers to (HF tokenizer_config.json fields). */
export interface ChatSpecials {
  bosToken?: string;
  eosToken: string;
  padToken: string;
}

/** A template plus its special tokens: what a run directory's tokenizer_config.json holds. */
export interface ChatFormat extends ChatSpecials {
  template: string;
}

/** ChatML (OpenAI, Qwen) with the assistant turn, its <|im_end|> included, marked as generation. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}" +
  "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}" +
  "{% else %}{{ message['content'] + '<|im_end|>' + '\\n' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Prompt/response text with no markup: the prompt, then the response and EOS (the part in the loss). */
export const PLAIN_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + eos_token }}{% endgeneration %}" +
  "{% else %}{{ message['content'] }}{% endif %}{% endfor %}";

export const CHATML_FORMAT: ChatFormat = { template: CHATML_TEMPLATE, eosToken: '<|im_end|>', padToken: '<|pad|>' };
export const PLAIN_FORMAT: ChatFormat = { template: PLAIN_TEMPLATE, eosToken: '<|endoftext|>', padToken: '<|pad|>' };

/** The tokens a tokenizer needs for a built-in format (ChatML also needs <|im_start|>). */
export function formatSpecialTokens(f: ChatFormat): string[] {
  const out = [f.eosToken, f.padToken];
  if (f.bosToken !== undefined) out.push(f.bosToken);
  if (f.template.includes('<|im_start|>')) out.push('<|im_start|>');
  if (f.template.includes('<|im_end|>') && !out.includes('<|im_end|>')) out.push('<|im_end|>');
  return [...new Set(out)];
}

const OPEN = '\uE000';
const CLOSE = '\uE001';

export interface RenderedChat {
  text: string;
  /** [start, end) character ranges of assistant output (the loss span). */
  spans: [number, number][];
}

export interface RenderOptions {
  addGenerationPrompt?: boolean;
  /** Extra template variables (tools, date_string, ...). */
  extra?: Record<string, unknown>;
}

export class ChatTemplate {
  readonly source: string;
  readonly specials: ChatSpecials;
  readonly hasGenerationBlocks: boolean;
  private readonly compiled: Template;

  constructor(format: ChatFormat) {
    if (format.eosToken === format.padToken) {
      // pad == EOS hides EOS from the loss and attention masks: the tuned model never stops
      throw new ConfigError('pad_token', `must differ from eos_token (both are ${JSON.stringify(format.eosToken)})`);
    }
    this.source = format.template;
    this.specials = {
      eosToken: format.eosToken,
      padToken: format.padToken,
      ...(format.bosToken !== undefined ? { bosToken: format.bosToken } : {}),
    };
    const rewritten = rewriteTag(rewriteTag(format.template, 'generation', OPEN), 'endgeneration', CLOSE);
    this.hasGenerationBlocks = rewritten !== format.template;
    try {
      this.compiled = new Template(rewritten);
    } catch (err) {
      throw new ConfigError('chat_template', `does not parse: ${(err as Error).message}`);
    }
  }

  private raw(messages: readonly ChatMessage[], o: RenderOptions): string {
    try {
      return this.compiled.render({
        ...o.extra,
        messages,
        add_generation_prompt: o.addGenerationPrompt ?? false,
        bos_token: this.specials.bosToken ?? '',
        eos_token: this.specials.eosToken,
        pad_token: this.specials.padToken,
      });
    } catch (err) {
      throw new ConfigError('chat_template', `rendering failed: ${(err as Error).message}`);
    }
  }

  /** The conversation as text (HF apply_chat_template with tokenize=False). */
  render(messages: readonly ChatMessage[], o: RenderOptions = {}): string {
    return stripSentinels(this.raw(messages, o)).text;
  }

  /** The text and its assistant spans. */
  renderWithSpans(messages: readonly ChatMessage[], o: RenderOptions = {}): RenderedChat {
    const full = stripSentinels(this.raw(messages, o));
    if (this.hasGenerationBlocks) return full;
    const spans: [number, number][] = [];
    messages.forEach((m, i) => {
      if (m.role !== 'assistant') return;
      const before = this.render(messages.slice(0, i), { ...o, addGenerationPrompt: true });
      const upto = this.render(messages.slice(0, i + 1), { ...o, addGenerationPrompt: false });
      if (!upto.startsWith(before) || !full.text.startsWith(upto)) {
        throw new ConfigError(
          'chat_template',
          'has no {% generation %} blocks and rendering is not prefix-consistent, so assistant tokens cannot be located; add {% generation %} ... {% endgeneration %} around assistant content',
        );
      }
      spans.push([before.length, upto.length]);
    });
    return { text: full.text, spans };
  }

  /** The prompt a model continues: the conversation so far plus the assistant header. */
  prompt(messages: readonly ChatMessage[], extra?: Record<string, unknown>): string {
    return this.render(messages, { addGenerationPrompt: true, ...(extra ? { extra } : {}) });
  }
}

/**
 * `{% generation %}` -> `{% if true %}{{ "<sentinel>" }}{% endif %}`: still block tags on
 * both sides, so lstrip_blocks / trim_blocks (which transformers enables, as does
 * @huggingface/jinja) and `-` whitespace control act exactly as on the original tag.
 */
function rewriteTag(src: string, word: string, sentinel: string): string {
  const re = new RegExp(`\\{%(-?)\\s*${word}\\s*(-?)%\\}`, 'g');
  return src.replace(re, (_m, l: string, r: string) => `{%${l} if true %}{{ "${sentinel}" }}{% endif ${r}%}`);
}

function stripSentinels(s: string): RenderedChat {
  if (!s.includes(OPEN) && !s.includes(CLOSE)) return { text: s, spans: [] };
  let text = '';
  const spans: [number, number][] = [];
  let open = -1;
  for (const ch of s) {
    if (ch === OPEN) {
      if (open >= 0) throw new ConfigError('chat_template', 'nested {% generation %} blocks');
      open = text.length;
    } else if (ch === CLOSE) {
      if (open < 0) throw new ConfigError('chat_template', '{% endgeneration %} without {% generation %}');
      if (text.length > open) spans.push([open, text.length]);
      open = -1;
    } else text += ch;
  }
  if (open >= 0) throw new ConfigError('chat_template', 'unclosed {% generation %} block');
  return { text, spans };
}
