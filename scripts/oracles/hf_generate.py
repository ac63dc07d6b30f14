#!/usr/bin/python3
"""Writes the generation fixtures under test/fixtures/generate/ (run by hand):

    /usr/bin/python3 scripts/oracles/hf_generate.py

`transformers` is not installable here, so this script re-implements in plain PyTorch
(Debian's python3-torch) what `GenerationMixin.generate()` does (transformers
generation/utils.py `_sample` and the vectorized `_beam_search`, generation/logits_process.py,
generation/stopping_criteria.py; summarized in shared/reference/hf-parity.md sections 6-7)
on two tiny HF-layout checkpoints:

  gpt2-chars   GPT2LMHeadModel (2 layers, 32 wide, vocab 97) with a character vocabulary
               (chars.json: id i is the i-th character)
  llama-sp     LlamaForCausalLM (2 layers, GQA 4/2, vocab 97) with a SentencePiece-style
               tokenizer.json (Metaspace pre-tokenizer and decoder, WordLevel pieces) and a
               generation_config.json whose eos_token_id is a list

The forward passes are hf_models.py's, with HF generate()'s inputs: left padding, position
ids cumsum(mask) - 1 (pads 1), the additive causal + padding mask with finfo.min, logits of
the last position cast to float32. Every step recomputes the whole prefix (the KV cache
changes nothing in exact arithmetic; llmts is run with and without it).

cases.json lists, per case, the CLI flags of `llmts sample` that ask for HF's options, the
prompts (text, and the ids they encode to), and what HF returns: the generated ids of every
sequence (pads after EOS removed) and, for the SentencePiece model, the text
tokenizer.decode(prompt + generated) adds after decode(prompt). Greedy steps whose top-2
margin is below 1e-3 are reported, so a fixture never depends on float rounding.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_models import Init, conv1d, gelu_new, rms_norm, rotate_half, llama_rope, repeat_kv, serialize  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'generate')
FMIN = torch.finfo(torch.float32).min
torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------- models

def gpt2_params(cfg, seed):
    r = Init(seed)
    C, V, L, I = cfg['n_embd'], cfg['vocab_size'], cfg['n_layer'], 4 * cfg['n_embd']
    p = {'transformer.wte.weight': r.normal(V, C, std=1.0), 'transformer.wpe.weight': r.normal(cfg['n_positions'], C, std=1.0)}
    for i in range(L):
        pre = f'transformer.h.{i}'
        p[f'{pre}.ln_1.weight'] = r.norm_weight(C)
        p[f'{pre}.ln_1.bias'] = r.normal(C, std=0.1)
        p[f'{pre}.attn.c_attn.weight'] = r.normal(C, 3 * C, std=0.4)
        p[f'{pre}.attn.c_attn.bias'] = r.normal(3 * C, std=0.1)
        p[f'{pre}.attn.c_proj.weight'] = r.normal(C, C)
        p[f'{pre}.attn.c_proj.bias'] = r.normal(C, std=0.1)
        p[f'{pre}.ln_2.weight'] = r.norm_weight(C)
        p[f'{pre}.ln_2.bias'] = r.normal(C, std=0.1)
        p[f'{pre}.mlp.c_fc.weight'] = r.normal(C, I)
        p[f'{pre}.mlp.c_fc.bias'] = r.normal(I, std=0.1)
        p[f'{pre}.mlp.c_proj.weight'] = r.normal(I, C)
        p[f'{pre}.mlp.c_proj.bias'] = r.normal(C, std=0.1)
    p['transformer.ln_f.weight'] = r.norm_weight(C)
    p['transformer.ln_f.bias'] = r.normal(C, std=0.1)
    return {k: t.detach() for k, t in p.items()}


def gpt2_logits(p, cfg, ids, mask, pos):
    """GPT2LMHeadModel.forward with position_ids and a [B, T] attention mask (modeling_gpt2.py)."""
    B, T = ids.shape
    C, H = cfg['n_embd'], cfg['n_head']
    D = C // H
    eps = cfg['layer_norm_epsilon']
    ext = (1.0 - mask[:, None, None, :].to(torch.float32)) * FMIN
    causal = torch.tril(torch.ones((T, T), dtype=torch.bool)).view(1, 1, T, T)
    h = F.embedding(ids, p['transformer.wte.weight']) + F.embedding(pos, p['transformer.wpe.weight'])
    for i in range(cfg['n_layer']):
        pre = f'transformer.h.{i}'
        x = F.layer_norm(h, (C,), p[f'{pre}.ln_1.weight'], p[f'{pre}.ln_1.bias'], eps)
        q, k, v = conv1d(x, p[f'{pre}.attn.c_attn.weight'], p[f'{pre}.attn.c_attn.bias']).split(C, dim=2)
        split = lambda t: t.view(B, T, H, D).permute(0, 2, 1, 3)
        q, k, v = split(q), split(k), split(v)
        w = torch.matmul(q, k.transpose(-1, -2)) / torch.full([], D ** 0.5)
        w = torch.where(causal, w, torch.full([], FMIN))
        w = F.softmax(w + ext, dim=-1)
        a = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous().view(B, T, C)
        h = h + conv1d(a, p[f'{pre}.attn.c_proj.weight'], p[f'{pre}.attn.c_proj.bias'])
        x = F.layer_norm(h, (C,), p[f'{pre}.ln_2.weight'], p[f'{pre}.ln_2.bias'], eps)
        h = h + conv1d(gelu_new(conv1d(x, p[f'{pre}.mlp.c_fc.weight'], p[f'{pre}.mlp.c_fc.bias'])),
                       p[f'{pre}.mlp.c_proj.weight'], p[f'{pre}.mlp.c_proj.bias'])
    h = F.layer_norm(h, (C,), p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], eps)
    return F.linear(h, p['transformer.wte.weight'])


def llama_params(cfg, seed):
    r = Init(seed)
    C, V, I = cfg['hidden_size'], cfg['vocab_size'], cfg['intermediate_size']
    H, Hkv = cfg['num_attention_heads'], cfg['num_key_value_heads']
    D = C // H
    p = {'model.embed_tokens.weight': r.normal(V, C, std=0.5)}
    for i in range(cfg['num_hidden_layers']):
        pre = f'model.layers.{i}'
        p[f'{pre}.self_attn.q_proj.weight'] = r.normal(H * D, C, std=0.3)
        p[f'{pre}.self_attn.k_proj.weight'] = r.normal(Hkv * D, C, std=0.3)
        p[f'{pre}.self_attn.v_proj.weight'] = r.normal(Hkv * D, C)
        p[f'{pre}.self_attn.o_proj.weight'] = r.normal(C, H * D)
        p[f'{pre}.mlp.gate_proj.weight'] = r.normal(I, C)
        p[f'{pre}.mlp.up_proj.weight'] = r.normal(I, C)
        p[f'{pre}.mlp.down_proj.weight'] = r.normal(C, I)
        p[f'{pre}.input_layernorm.weight'] = r.norm_weight(C)
        p[f'{pre}.post_attention_layernorm.weight'] = r.norm_weight(C)
    p['model.norm.weight'] = r.norm_weight(C)
    p['lm_head.weight'] = r.normal(V, C, std=0.5)
    return {k: t.detach() for k, t in p.items()}


def llama_logits(p, cfg, ids, mask, pos):
    """LlamaForCausalLM.forward with position_ids and a [B, T] attention mask (modeling_llama.py)."""
    B, T = ids.shape
    C, H, Hkv = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads']
    D = C // H
    eps = cfg['rms_norm_eps']
    causal = torch.full((T, T), FMIN).triu(1)[None, None].expand(B, 1, T, T).clone()
    padding = causal.eq(0.0) * mask[:, None, None, :].eq(0)
    causal = causal.masked_fill(padding, FMIN)
    cos, sin = llama_rope(cfg, pos, D)
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    h = F.embedding(ids, p['model.embed_tokens.weight'])
    for i in range(cfg['num_hidden_layers']):
        pre = f'model.layers.{i}'
        x = rms_norm(h, p[f'{pre}.input_layernorm.weight'], eps)
        q = F.linear(x, p[f'{pre}.self_attn.q_proj.weight']).view(B, T, H, D).transpose(1, 2)
        k = F.linear(x, p[f'{pre}.self_attn.k_proj.weight']).view(B, T, Hkv, D).transpose(1, 2)
        v = F.linear(x, p[f'{pre}.self_attn.v_proj.weight']).view(B, T, Hkv, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, H // Hkv), repeat_kv(v, H // Hkv)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(D) + causal
        w = F.softmax(w, dim=-1, dtype=torch.float32)
        a = torch.matmul(w, v).transpose(1, 2).contiguous().reshape(B, T, C)
        h = h + F.linear(a, p[f'{pre}.self_attn.o_proj.weight'])
        x = rms_norm(h, p[f'{pre}.post_attention_layernorm.weight'], eps)
        h = h + F.linear(F.silu(F.linear(x, p[f'{pre}.mlp.gate_proj.weight'])) * F.linear(x, p[f'{pre}.mlp.up_proj.weight']),
                         p[f'{pre}.mlp.down_proj.weight'])
    h = rms_norm(h, p['model.norm.weight'], eps)
    return F.linear(h, p['lm_head.weight']).float()


def next_logits(model, ids, mask):
    """prepare_inputs_for_generation: position_ids = cumsum(mask) - 1, pads set to 1; last position, fp32."""
    pos = mask.long().cumsum(-1) - 1
    pos = pos.masked_fill(mask == 0, 1)
    return model['forward'](model['p'], model['cfg'], ids, mask, pos)[:, -1, :].float()


# ---------------------------------------------------------------- logits processors (logits_process.py)

def process(o, ids, scores, prompt_len, max_length):
    """HF's processor list in _get_logits_processor order (each only when its option is set)."""
    V = scores.shape[-1]
    cur_len = ids.shape[-1]
    eos = o.get('eos', [])
    for b in range(ids.shape[0]):
        row = ids[b].tolist()
        if o.get('sequence_bias'):
            # SequenceBiasLogitsProcessor: length-1 always, longer when the prefix matches
            for seq, bias in o['sequence_bias']:
                if len(seq) == 1 or (len(seq) <= len(row) and row[len(row) - len(seq) + 1:] == seq[:-1]):
                    scores[b, seq[-1]] += bias
        if o.get('repetition_penalty'):
            for t in set(row):
                s = scores[b, t]
                scores[b, t] = s * o['repetition_penalty'] if s < 0 else s / o['repetition_penalty']
        n = o.get('no_repeat_ngram_size', 0)
        if n > 0 and cur_len + 1 >= n:
            banned = {}
            for i in range(len(row) - n + 1):
                banned.setdefault(tuple(row[i:i + n - 1]), []).append(row[i + n - 1])
            for t in banned.get(tuple(row[len(row) - n + 1:]), []):
                scores[b, t] = -math.inf
        if o.get('bad_words_ids'):
            # NoBadWordsLogitsProcessor = SequenceBias with -inf, EOS-only entries dropped
            for seq in o['bad_words_ids']:
                if len(seq) == 1 and seq[0] in eos:
                    continue
                if len(seq) == 1 or (len(seq) <= len(row) and row[len(row) - len(seq) + 1:] == seq[:-1]):
                    scores[b, seq[-1]] = -math.inf
    if o.get('min_new_tokens') and cur_len - prompt_len < o['min_new_tokens']:
        for e in eos:
            scores[:, e] = -math.inf
    if o.get('forced_eos') is not None and cur_len == max_length - 1:
        scores[:, :] = -math.inf
        scores[:, o['forced_eos']] = 0
    if o.get('suppress_tokens'):
        scores[:, o['suppress_tokens']] = -math.inf
    if o.get('begin_suppress_tokens') and cur_len == prompt_len:
        scores[:, o['begin_suppress_tokens']] = -math.inf
    return scores


# ---------------------------------------------------------------- _sample (greedy) and _beam_search

def left_pad(prompts, pad):
    L = max(len(p) for p in prompts)
    ids = torch.tensor([[pad] * (L - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (L - len(p)) + [1] * len(p) for p in prompts])
    return ids, mask


def greedy(model, prompts, o, margins):
    eos, pad = o.get('eos', []), o['pad']
    ids, mask = left_pad(prompts, pad)
    P = ids.shape[1]
    max_length = P + o['max_new_tokens']
    unfinished = torch.ones(len(prompts), dtype=torch.long)
    while True:
        scores = process(o, ids, next_logits(model, ids, mask), P, max_length)
        top = scores.topk(2, dim=-1).values
        for b in range(len(prompts)):
            if unfinished[b] and torch.isfinite(top[b, 1]):
                margins.append(float(top[b, 0] - top[b, 1]))
        nxt = scores.argmax(-1)
        nxt = nxt * unfinished + pad * (1 - unfinished)
        ids = torch.cat([ids, nxt[:, None]], dim=-1)
        mask = torch.cat([mask, torch.ones(len(prompts), 1, dtype=mask.dtype)], dim=-1)
        done = torch.tensor([int(t) in eos for t in nxt.tolist()]) | (ids.shape[1] >= max_length)
        unfinished = unfinished & ~done
        if unfinished.max() == 0:
            break
    out = []
    for b in range(len(prompts)):
        gen = ids[b, P:].tolist()
        for i, t in enumerate(gen):
            if t in eos:
                gen = gen[:i + 1]
                break
        out.append(gen)
    return out


def beam_search(model, prompts, o, margins):
    """The vectorized _beam_search (transformers >= 4.45), for one prompt at a time."""
    K, lp, early = o['num_beams'], o.get('length_penalty', 1.0), o.get('early_stopping', False)
    eos, pad = o.get('eos', []), o['pad']
    results = []
    for prompt in prompts:
        P = len(prompt)
        max_length = P + o['max_new_tokens']
        V = model['cfg']['vocab_size']
        running = torch.full((K, max_length), pad)
        running[:, :P] = torch.tensor(prompt)
        running_scores = torch.tensor([0.0] + [-1e9] * (K - 1))
        seqs = torch.full((K, max_length), pad)
        seq_scores = torch.full((K,), -1e9)
        finished = torch.zeros(K, dtype=torch.bool)
        seq_len = torch.zeros(K, dtype=torch.long)
        cur = P
        keep = max(2, 1 + len(eos)) * K
        while True:
            ids = running[:, :cur]
            logp = F.log_softmax(next_logits(model, ids, torch.ones_like(ids)), dim=-1)
            logp = process(o, ids, logp, P, max_length)
            acc = (logp + running_scores[:, None]).view(-1)
            top_lp, top_idx = acc.topk(keep)
            vals = top_lp.tolist()
            if len(vals) > K and vals[K - 1] - vals[K] < 1e-4:
                margins.append(vals[K - 1] - vals[K])
            beam, tok = top_idx // V, top_idx % V
            cand = running[beam].clone()
            cand[:, cur] = tok
            if any(int(t) in eos for t in tok[:K].tolist()):
                print(f'  beam search: EOS among the top {K} candidates at length {cur + 1 - P}')
            hits = torch.tensor([int(t) in eos for t in tok.tolist()]) | (cur + 1 >= max_length)
            # running set: candidates that hit a stopping criterion are out
            run_lp = top_lp + hits.float() * -1e9
            nxt = run_lp.topk(K).indices
            running, running_scores = cand[nxt], run_lp[nxt]
            # finished set: only the first K candidates may finish
            top_mask = torch.arange(keep) < K
            just = hits & top_mask
            norm = top_lp / ((cur + 1 - P) ** lp)
            full = bool(finished.all()) and early is True
            norm = norm + (~just).float() * -1e9 + (-1e9 if full else 0.0)
            merged = torch.cat([seqs, cand])
            merged_scores = torch.cat([seq_scores, norm])
            merged_fin = torch.cat([finished, just])
            merged_len = torch.cat([seq_len, torch.full((keep,), cur + 1 - P)])
            best = merged_scores.topk(K).indices
            seqs, seq_scores, finished, seq_len = merged[best], merged_scores[best], merged_fin[best], merged_len[best]
            cur += 1
            # _beam_search_has_unfinished_sequences
            if cur >= max_length or bool(hits.all()):
                break
            if early is True:
                if bool(finished.all()):
                    break
                continue
            best_len = (max_length - P) if (early == 'never' and lp > 0) else (cur - P)
            best_running = running_scores[0] / (best_len ** lp)
            worst = seq_scores.min() if bool(finished.all()) else -1e9
            if not bool(best_running > worst):
                break
        results.append([seqs[0, P:P + int(seq_len[0])].tolist()] if o.get('num_return_sequences', 1) == 1 else
                       [seqs[i, P:P + int(seq_len[i])].tolist() for i in range(o['num_return_sequences'])])
    return [s for r in results for s in r]


# ---------------------------------------------------------------- tokenizers

CHARS = [chr(c) for c in range(32, 127)] + ['\n', '\u00e9']  # 97 characters


def sp_pieces():
    letters = 'abcdefghijklmnopqrstuvwxyz'
    pieces = ['<unk>'] + ['\u2581' + c for c in letters] + list(letters)
    pieces += ['\u2581' + a + b for a in 'aeiou' for b in 'nrstlmdkp'][:97 - len(pieces)]
    assert len(pieces) == 97 and len(set(pieces)) == 97
    return pieces


def sp_tokenizer_json(pieces):
    return {
        'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': [], 'normalizer': None,
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'always', 'split': True},
        'post_processor': None,
        'decoder': {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'always', 'split': True},
        'model': {'type': 'WordLevel', 'vocab': {p: i for i, p in enumerate(pieces)}, 'unk_token': '<unk>'},
    }


def sp_encode(pieces, text):
    index = {p: i for i, p in enumerate(pieces)}
    return [index['\u2581' + w] for w in text.split(' ')]


def sp_decode(pieces, ids):
    # Metaspace decoder (prepend_scheme always): '▁' -> ' ', the first token's leading space dropped
    text = ''.join(pieces[i] for i in ids).replace('\u2581', ' ')
    return text[1:] if text.startswith(' ') else text


# ---------------------------------------------------------------- fixtures

def write_model(name, cfg, params, extra_files):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')
    with open(os.path.join(d, 'model.safetensors'), 'wb') as f:
        f.write(serialize(params, {'format': 'pt'}))
    for fname, obj in extra_files.items():
        with open(os.path.join(d, fname), 'w', encoding='utf-8') as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write('\n')


def main():
    gpt2_cfg = {
        'activation_function': 'gelu_new', 'architectures': ['GPT2LMHeadModel'], 'attn_pdrop': 0.1, 'bos_token_id': 96,
        'embd_pdrop': 0.1, 'eos_token_id': 96, 'initializer_range': 0.02, 'layer_norm_epsilon': 1e-05, 'model_type': 'gpt2',
        'n_ctx': 64, 'n_embd': 32, 'n_head': 4, 'n_inner': None, 'n_layer': 2, 'n_positions': 64,
        'reorder_and_upcast_attn': False, 'resid_pdrop': 0.1, 'scale_attn_by_inverse_layer_idx': False,
        'scale_attn_weights': True, 'torch_dtype': 'float32', 'transformers_version': '4.38.2', 'use_cache': True,
        'vocab_size': 97,
    }
    llama_cfg = {
        'architectures': ['LlamaForCausalLM'], 'attention_bias': False, 'attention_dropout': 0.0, 'bos_token_id': 1,
        'eos_token_id': 2, 'hidden_act': 'silu', 'hidden_size': 32, 'initializer_range': 0.02, 'intermediate_size': 64,
        'max_position_embeddings': 64, 'model_type': 'llama', 'num_attention_heads': 4, 'num_hidden_layers': 2,
        'num_key_value_heads': 2, 'pretraining_tp': 1, 'rms_norm_eps': 1e-05, 'rope_scaling': None,
        'rope_theta': 10000.0, 'tie_word_embeddings': False, 'torch_dtype': 'float32', 'transformers_version': '4.38.2',
        'use_cache': True, 'vocab_size': 97,
    }
    gpt2 = {'p': gpt2_params(gpt2_cfg, 31), 'cfg': gpt2_cfg, 'forward': gpt2_logits}
    llama = {'p': llama_params(llama_cfg, 32), 'cfg': llama_cfg, 'forward': llama_logits}
    pieces = sp_pieces()
    cases = []
    margins = []

    def chars(text):
        return [CHARS.index(c) for c in text]

    def case(name, model, prompts, flags, o, search=greedy, text=False):
        # HF's eos_token_id comes from generation_config.json, else config.json (gpt2-chars: 96)
        o = {'eos': [96] if model is gpt2 else l_eos_default[0], **o}
        o = {'pad': o['eos'][0], **o}
        ids = [chars(p) for p in prompts] if model is gpt2 else [sp_encode(pieces, p) for p in prompts]
        m = []
        out = search(model, ids, o, m)
        small = [x for x in m if x < 1e-3]
        if small:
            print(f'  {name}: {len(small)} near-ties (min margin {min(small):.2e})')
        margins.extend(m)
        c = {'name': name, 'model': 'gpt2-chars' if model is gpt2 else 'llama-sp', 'flags': flags,
             'prompts': prompts, 'prompt_ids': ids, 'sequences': out}
        if text:
            assert len(out) == len(ids)
            c['texts'] = [sp_decode(pieces, ids[i] + s)[len(sp_decode(pieces, ids[i])):] for i, s in enumerate(out)]
        cases.append(c)
        print(f'{name}: {out}')

    g, l = gpt2, llama
    l_eos_default = [[2]]
    # greedy, cached and not, one prompt and a left-padded batch
    case('greedy', g, ['The cat sat'], ['--max-new-tokens', '12'], {'max_new_tokens': 12})
    case('greedy-batch', g, ['The cat sat', 'Hi', 'A longer prompt!'], ['--max-new-tokens', '10'], {'max_new_tokens': 10})
    # eos_token_id as a list (here from --generation-config; llama-sp has it in generation_config.json)
    base = greedy(g, [chars('The cat sat')], {'max_new_tokens': 24, 'pad': 96, 'eos': [96]}, [])[0]
    eos_list = [3, base[3]] if base[3] != 3 else [4, base[3]]
    with open(os.path.join(OUT, 'gpt2-eos-list.json'), 'w') as f:
        json.dump({'eos_token_id': eos_list, 'max_new_tokens': 24}, f)
        f.write('\n')
    case('eos-list', g, ['The cat sat'], ['--generation-config', 'gpt2-eos-list.json'],
         {'max_new_tokens': 24, 'eos': eos_list})
    # no_repeat_ngram_size in greedy and beam search
    for n in (2, 3):
        case(f'no-repeat-ngram-{n}', g, ['abab'], ['--max-new-tokens', '16', '--no-repeat-ngram-size', str(n)],
             {'max_new_tokens': 16, 'no_repeat_ngram_size': n})
        case(f'beam-no-repeat-ngram-{n}', g, ['abab'],
             ['--max-new-tokens', '10', '--num-beams', '3', '--no-repeat-ngram-size', str(n)],
             {'max_new_tokens': 10, 'num_beams': 3, 'no_repeat_ngram_size': n}, beam_search)
    # --num-beams alone is beam search (HF: do_sample false)
    case('beam-4', g, ['The cat sat'], ['--max-new-tokens', '8', '--num-beams', '4'],
         {'max_new_tokens': 8, 'num_beams': 4}, beam_search)
    case('beam-4-return-2', g, ['Hi'], ['--max-new-tokens', '6', '--num-beams', '4', '--num-return-sequences', '2',
                                       '--length-penalty', '0.5'],
         {'max_new_tokens': 6, 'num_beams': 4, 'num_return_sequences': 2, 'length_penalty': 0.5}, beam_search)
    # processors
    case('repetition-penalty', g, ['The cat sat'], ['--max-new-tokens', '12', '--repetition-penalty', '1.8'],
         {'max_new_tokens': 12, 'repetition_penalty': 1.8})
    first = greedy(g, [chars('The cat sat')], {'max_new_tokens': 12, 'pad': 96, 'eos': [96]}, [])[0]
    case('bad-words', g, ['The cat sat'],
         ['--max-new-tokens', '12', '--bad-words-ids', json.dumps([[first[0]], [first[1], first[2]]])],
         {'max_new_tokens': 12, 'bad_words_ids': [[first[0]], [first[1], first[2]]]})
    case('suppress-tokens', g, ['The cat sat'],
         ['--max-new-tokens', '12', '--suppress-tokens', f'{first[0]},{first[1]}', '--begin-suppress-tokens', str(first[2])],
         {'max_new_tokens': 12, 'suppress_tokens': [first[0], first[1]], 'begin_suppress_tokens': [first[2]]})
    case('sequence-bias', g, ['The cat sat'],
         ['--max-new-tokens', '12', '--sequence-bias', json.dumps([[[first[0]], -4.0], [[first[1], 17], 6.0]])],
         {'max_new_tokens': 12, 'sequence_bias': [[[first[0]], -4.0], [[first[1], 17], 6.0]]})
    case('min-new-tokens', g, ['The cat sat'],
         ['--max-new-tokens', '12', '--generation-config', 'gpt2-eos-list.json', '--min-new-tokens', '6'],
         {'max_new_tokens': 12, 'eos': eos_list, 'min_new_tokens': 6})
    case('forced-eos', g, ['The cat sat'], ['--max-new-tokens', '5', '--forced-eos-token-id', '7', '--eos-token-id', '7'],
         {'max_new_tokens': 5, 'forced_eos': 7, 'eos': [7]})

    # LLaMA with a SentencePiece-style tokenizer; generation_config.json's eos_token_id is a list
    lbase = greedy(l, [sp_encode(pieces, 'u an a')], {'max_new_tokens': 24, 'pad': 0, 'eos': []}, [])[0]
    l_eos = [1 if lbase[4] != 1 else 2, lbase[4]]
    l_eos_default[0] = l_eos
    case('llama-greedy', l, ['u an a'], ['--max-new-tokens', '24'], {'max_new_tokens': 24, 'eos': l_eos}, text=True)
    case('llama-batch', l, ['u an a', 'b'], ['--max-new-tokens', '10', '--eos-token-id', '0'],
         {'max_new_tokens': 10, 'eos': [0]}, text=True)
    case('llama-beam', l, ['u an a'], ['--max-new-tokens', '8', '--num-beams', '3', '--eos-token-id', '0'],
         {'max_new_tokens': 8, 'num_beams': 3, 'eos': [0]}, beam_search, text=True)

    write_model('gpt2-chars', gpt2_cfg, gpt2['p'], {'chars.json': CHARS})
    write_model('llama-sp', llama_cfg, llama['p'], {
        'tokenizer.json': sp_tokenizer_json(pieces),
        'generation_config.json': {'bos_token_id': 1, 'eos_token_id': l_eos, 'transformers_version': '4.38.2'},
    })
    with open(os.path.join(OUT, 'cases.json'), 'w', encoding='utf-8') as f:
        json.dump({'generator': 'scripts/oracles/hf_generate.py', 'cases': cases}, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print(f'{len(cases)} cases; smallest greedy/beam margin {min(margins):.2e}')


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    main()
