"""Chat-template fixtures rendered by real Jinja2, configured as transformers renders chat
templates (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
raise_exception, a {% generation %} block tag). Assistant spans come from the generation
blocks (as return_assistant_tokens_mask) or, for templates without them, from prefix
differences of renderings. Run by hand with Debian's python3 (python3-jinja2):

    /usr/bin/python3 scripts/oracles/chat_templates.py > test/fixtures/rlhf/chat-templates.json
"""
import json
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

OPEN, CLOSE = "\ue000", "\ue001"


class GenerationBlock(Extension):
    """{% generation %}...{% endgeneration %}: a block tag (so trim/lstrip rules apply) marking its output."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_mark", []), [], [], body).set_lineno(lineno)

    def _mark(self, caller):
        return OPEN + caller() + CLOSE


def raise_exception(message):
    raise ValueError(message)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, loopcontrols])
env.globals["raise_exception"] = raise_exception


def render(template, messages, add_generation_prompt, specials):
    return env.from_string(template).render(messages=messages, add_generation_prompt=add_generation_prompt, **specials)


def strip(text):
    out, spans, start = "", [], None
    for ch in text:
        if ch == OPEN:
            start = len(out)
        elif ch == CLOSE:
            if len(out) > start:
                spans.append([start, len(out)])
        else:
            out += ch
    return out, spans


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


def case(name, template, messages, specials, add_generation_prompt=False):
    text, spans = strip(render(template, messages, add_generation_prompt, specials))
    if "generation" not in template:
        spans = []
        for i, m in enumerate(messages):
            if m["role"] != "assistant":
                continue
            before = strip(render(template, messages[:i], True, specials))[0]
            upto = strip(render(template, messages[: i + 1], False, specials))[0]
            assert upto.startswith(before) and text.startswith(upto)
            spans.append([len(before), len(upto)])
    # JS strings index UTF-16 code units
    spans = [[utf16_len(text[:a]), utf16_len(text[:b])] for a, b in spans]
    return {"name": name, "template": template, "messages": messages, "specials": specials,
            "add_generation_prompt": add_generation_prompt, "text": text, "spans": spans}


CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}"
          "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}"
          "{% else %}{{ message['content'] + '<|im_end|>' + '\\n' }}{% endif %}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")

# multi-line, in the style of HF's "training" templates: trim_blocks / lstrip_blocks matter
ZEPHYR = """{% for message in messages %}
    {% if message['role'] == 'user' %}
{{ '<|user|>\\n' + message['content'] + eos_token }}
    {% elif message['role'] == 'system' %}
{{ '<|system|>\\n' + message['content'] + eos_token }}
    {% elif message['role'] == 'assistant' %}
{{ '<|assistant|>\\n' }}
        {% generation %}
{{ message['content'] + eos_token }}
        {% endgeneration %}
    {% endif %}
    {% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
    {% endif %}
{% endfor %}"""

LLAMA2 = ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
          "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
          "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
          "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
          "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
          "{% else %}{% set content = message['content'] %}{% endif %}"
          "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
          "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")

PLAIN = ("{% for message in messages %}{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + eos_token }}{% endgeneration %}"
         "{% else %}{{ message['content'] }}{% endif %}{% endfor %}")

chatml_specials = {"eos_token": "<|im_end|>", "pad_token": "<|pad|>", "bos_token": ""}
zephyr_specials = {"eos_token": "</s>", "pad_token": "<pad>", "bos_token": "<s>"}
llama_specials = {"eos_token": "</s>", "pad_token": "<pad>", "bos_token": "<s>"}

conv = [
    {"role": "system", "content": "You are kind."},
    {"role": "user", "content": "Describe the cat."},
    {"role": "assistant", "content": "Sure! The cat is lovely."},
    {"role": "user", "content": "And the dog? \u00e9t\u00e9 \U0001F436"},
    {"role": "assistant", "content": "The dog is great \U0001F436 and friendly."},
]

cases = [
    case("chatml multi-turn", CHATML, conv, chatml_specials),
    case("chatml generation prompt", CHATML, conv[:2], chatml_specials, True),
    case("zephyr multi-line training template", ZEPHYR, conv, zephyr_specials),
    case("zephyr generation prompt", ZEPHYR, conv[:4], zephyr_specials, True),
    case("llama-2 without generation blocks", LLAMA2, conv, llama_specials),
    case("plain prompt/response", PLAIN, [{"role": "user", "content": "2 + 2 ="}, {"role": "assistant", "content": " 4"}], {"eos_token": "<|endoftext|>", "pad_token": "<|pad|>", "bos_token": ""}),
]
print(json.dumps(cases, indent=1, ensure_ascii=False))
