#!/usr/bin/python3
"""Writes the Hugging Face model fixtures under test/fixtures/models/hf/ (run by hand):

    /usr/bin/python3 scripts/oracles/hf_models.py

`transformers` and `safetensors` are not installable here, so this script re-implements,
in plain PyTorch (Debian's python3-torch 1.13), the forward passes exactly as
transformers' modeling code computes them in float32 (about v4.38; summarized in
shared/reference/hf-parity.md sections 1-4 and 7):

  GPT2LMHeadModel  (modeling_gpt2.py)  Conv1D weights [in, out] (y = addmm(b, x, W)),
                   fused c_attn split q|k|v, scores / full([], D ** 0.5), causal mask by
                   where(bias, w, finfo.min) then + (1 - mask) * finfo.min, gelu_new,
                   pre-LN, ln_f, lm_head tied to wte; loss on shifted labels (-100 = pad).
  LlamaForCausalLM (modeling_llama.py) RMSNorm in fp32, inv_freq = 1 / base ** (arange(0,
                   D, 2).float() / D), freqs = inv_freq @ positions in fp32, rotate_half,
                   linear scaling (positions / factor) and dynamic NTK scaling (base
                   rescaled from max(position_ids) + 1), repeat_kv for GQA, SwiGLU, softmax
                   in fp32, untied lm_head, no biases.
  BertForMaskedLM  (modeling_bert.py)  word + token_type + position embeddings, LayerNorm
                   eps 1e-12, post-LN layers, exact erf gelu, extended mask
                   (1 - mask) * finfo.min, MLM transform head (dense, gelu, LayerNorm),
                   decoder tied to the word embeddings plus cls.predictions.bias; no pooler
                   (BertForMaskedLM builds BertModel(add_pooling_layer=False)).

Random weights come from a fixed seed with std large enough that every layer matters
(0.15, biases and norm offsets non-zero). Each fixture directory holds:
  config.json        as transformers writes it for the architecture
  model.safetensors  the parameters under HF names, F32, written by the writer below
                     (tied duplicates dropped as save_pretrained does: no lm_head for
                     GPT-2, no cls.predictions.decoder.* for BERT)
  expected.safetensors
                     ids [B, T] I32, attention_mask [B, T] I32 (right padding; pad slots
                     hold random ids, which must not matter), token_type_ids (BERT),
                     labels (-100 on pads), logits [B, T, V] F32 (compare real positions
                     only), loss [] F32, and grad/<hf name> for every parameter (GPT-2,
                     LLaMA).
The gpt2-hub fixture is the gpt2 model saved the way the hub's openai-community/gpt2
file is: keys without the `transformer.` prefix, plus h.{i}.attn.bias causal-mask
buffers and h.{i}.attn.masked_bias, which a loader must ignore.

safetensors writer (format of huggingface/safetensors, hf-parity.md section 5): 8-byte
little-endian header length N, compact JSON with "__metadata__" first then tensors in
offset order, tensors sorted by dtype descending (enum order) then name, header padded
with spaces to a multiple of 8.
"""
import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F

assert sys.byteorder == 'little'
torch.set_default_dtype(torch.float32)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'models', 'hf')
DTYPE_ORDER = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64']  # relative enum order
TORCH_DTYPE = {torch.float32: 'F32', torch.int32: 'I32'}
STD = 0.15
FMIN = torch.finfo(torch.float32).min


# ---------------------------------------------------------------- safetensors writer

def serialize(tensors: dict, metadata: dict | None) -> bytes:
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_ORDER.index(TORCH_DTYPE[kv[1].dtype]), kv[0].encode('utf-8')))
    header = {}
    if metadata is not None:
        header['__metadata__'] = dict(sorted(metadata.items()))
    chunks = []
    offset = 0
    for name, t in items:
        b = t.detach().contiguous().numpy().tobytes()
        header[name] = {'dtype': TORCH_DTYPE[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    return len(text).to_bytes(8, 'little') + text + b''.join(chunks)


def write_fixture(name: str, config: dict, params: dict, expected: dict) -> None:
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
        f.write('\n')
    with open(os.path.join(d, 'model.safetensors'), 'wb') as f:
        f.write(serialize(params, {'format': 'pt'}))
    with open(os.path.join(d, 'expected.safetensors'), 'wb') as f:
        f.write(serialize(expected, None))


# ---------------------------------------------------------------- random weights and inputs

class Init:
    def __init__(self, seed: int):
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, *shape, std=STD):
        return (torch.randn(*shape, generator=self.g) * std).requires_grad_()

    def norm_weight(self, n):
        return (1 + torch.randn(n, generator=self.g) * 0.1).requires_grad_()

    def ids(self, B, T, V):
        return torch.randint(0, V, (B, T), generator=self.g)


def right_padded_mask(lengths, T):
    return torch.tensor([[1 if t < n else 0 for t in range(T)] for n in lengths], dtype=torch.int64)


# ---------------------------------------------------------------- GPT-2 (modeling_gpt2.py)

def conv1d(x, w, b):
    # transformers.pytorch_utils.Conv1D: weight [in, out]
    size_out = x.size()[:-1] + (w.size(-1),)
    return torch.addmm(b, x.view(-1, x.size(-1)), w).view(size_out)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_forward(p, cfg, ids, mask):
    B, T = ids.shape
    C, H = cfg['n_embd'], cfg['n_head']
    D = C // H
    eps = cfg['layer_norm_epsilon']
    position_ids = torch.arange(0, T, dtype=torch.long).unsqueeze(0)  # plain forward: arange
    ext = mask.view(B, -1)[:, None, None, :].to(torch.float32)
    ext = (1.0 - ext) * FMIN
    causal = torch.tril(torch.ones((cfg['n_positions'], cfg['n_positions']), dtype=torch.bool)).view(1, 1, cfg['n_positions'], cfg['n_positions'])
    h = F.embedding(ids, p['transformer.wte.weight']) + F.embedding(position_ids, p['transformer.wpe.weight'])
    for i in range(cfg['n_layer']):
        pre = f'transformer.h.{i}'
        x = F.layer_norm(h, (C,), p[f'{pre}.ln_1.weight'], p[f'{pre}.ln_1.bias'], eps)
        q, k, v = conv1d(x, p[f'{pre}.attn.c_attn.weight'], p[f'{pre}.attn.c_attn.bias']).split(C, dim=2)
        split = lambda t: t.view(B, T, H, D).permute(0, 2, 1, 3)
        q, k, v = split(q), split(k), split(v)
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        cm = causal[:, :, 0:T, :T]
        w = torch.where(cm, w.to(w.dtype), torch.full([], FMIN, dtype=w.dtype))
        w = w + ext
        w = F.softmax(w, dim=-1)
        a = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous().view(B, T, C)
        h = h + conv1d(a, p[f'{pre}.attn.c_proj.weight'], p[f'{pre}.attn.c_proj.bias'])
        x = F.layer_norm(h, (C,), p[f'{pre}.ln_2.weight'], p[f'{pre}.ln_2.bias'], eps)
        m = gelu_new(conv1d(x, p[f'{pre}.mlp.c_fc.weight'], p[f'{pre}.mlp.c_fc.bias']))
        h = h + conv1d(m, p[f'{pre}.mlp.c_proj.weight'], p[f'{pre}.mlp.c_proj.bias'])
    h = F.layer_norm(h, (C,), p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], eps)
    return F.linear(h, p['transformer.wte.weight'])  # lm_head tied to wte, no bias


def causal_lm_loss(logits, labels):
    # GPT2LMHeadModel / LlamaForCausalLM: shift inside the model, CrossEntropyLoss(ignore_index=-100)
    shift_logits = logits[..., :-1, :].contiguous()
    shift_labels = labels[..., 1:].contiguous()
    return F.cross_entropy(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1))


def gpt2_fixture():
    cfg = {
        'activation_function': 'gelu_new', 'architectures': ['GPT2LMHeadModel'], 'attn_pdrop': 0.1, 'bos_token_id': 96,
        'embd_pdrop': 0.1, 'eos_token_id': 96, 'initializer_range': 0.02, 'layer_norm_epsilon': 1e-05, 'model_type': 'gpt2',
        'n_ctx': 16, 'n_embd': 32, 'n_head': 4, 'n_inner': None, 'n_layer': 2, 'n_positions': 16,
        'reorder_and_upcast_attn': False, 'resid_pdrop': 0.1, 'scale_attn_by_inverse_layer_idx': False,
        'scale_attn_weights': True, 'summary_activation': None, 'summary_first_dropout': 0.1, 'summary_proj_to_labels': True,
        'summary_type': 'cls_index', 'summary_use_proj': True, 'torch_dtype': 'float32', 'transformers_version': '4.38.2',
        'use_cache': True, 'vocab_size': 97,
    }
    r = Init(2024)
    C, V, L, I = cfg['n_embd'], cfg['vocab_size'], cfg['n_layer'], 4 * cfg['n_embd']
    p = {'transformer.wte.weight': r.normal(V, C, std=0.5), 'transformer.wpe.weight': r.normal(cfg['n_positions'], C, std=0.3)}
    for i in range(L):
        pre = f'transformer.h.{i}'
        p[f'{pre}.ln_1.weight'] = r.norm_weight(C)
        p[f'{pre}.ln_1.bias'] = r.normal(C, std=0.1)
        p[f'{pre}.attn.c_attn.weight'] = r.normal(C, 3 * C)
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

    B, T = 2, 8
    ids = r.ids(B, T, V)
    mask = right_padded_mask([8, 5], T)
    labels = ids.masked_fill(mask == 0, -100)
    logits = gpt2_forward(p, cfg, ids, mask)
    loss = causal_lm_loss(logits, labels)
    loss.backward()
    expected = {
        'ids': ids.to(torch.int32), 'attention_mask': mask.to(torch.int32), 'labels': labels.to(torch.int32),
        'logits': logits.detach(), 'loss': loss.detach().reshape([]),
    }
    for k, t in p.items():
        expected[f'grad/{k}'] = t.grad.detach()
    write_fixture('gpt2', cfg, p, expected)

    # the hub layout: saved from GPT2Model (no prefix), with the causal-mask buffers
    hub = {k[len('transformer.'):]: t for k, t in p.items()}
    n = cfg['n_positions']
    for i in range(L):
        hub[f'h.{i}.attn.bias'] = torch.tril(torch.ones((n, n))).view(1, 1, n, n)
        hub[f'h.{i}.attn.masked_bias'] = torch.tensor(-1e4)
    write_fixture('gpt2-hub', cfg, hub, {k: expected[k] for k in ('ids', 'attention_mask', 'logits')})
    print(f'gpt2: loss {loss.item():.6f}, logits std {logits.std().item():.3f}')


# ---------------------------------------------------------------- LLaMA (modeling_llama.py)

def rms_norm(x, w, eps):
    input_dtype = x.dtype
    h = x.to(torch.float32)
    variance = h.pow(2).mean(-1, keepdim=True)
    h = h * torch.rsqrt(variance + eps)
    return w * h.to(input_dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def llama_rope(cfg, position_ids, D):
    base = cfg['rope_theta']
    scaling = cfg.get('rope_scaling')
    pos = position_ids
    if scaling is not None and scaling['type'] == 'dynamic':
        # LlamaDynamicNTKScalingRotaryEmbedding.forward
        seq_len = torch.max(position_ids) + 1
        if seq_len > cfg['max_position_embeddings']:
            base = base * ((scaling['factor'] * seq_len / cfg['max_position_embeddings']) - (scaling['factor'] - 1)) ** (D / (D - 2))
    inv_freq = 1.0 / (base ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
    if scaling is not None and scaling['type'] == 'linear':
        pos = pos.float() / scaling['factor']
    B = position_ids.shape[0]
    inv_freq_expanded = inv_freq[None, :, None].float().expand(B, -1, 1)
    position_ids_expanded = pos[:, None, :].float()
    freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def repeat_kv(x, n_rep):
    B, Hkv, T, D = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(B, Hkv, n_rep, T, D).reshape(B, Hkv * n_rep, T, D)


def llama_forward(p, cfg, ids, mask):
    B, T = ids.shape
    C, H, Hkv = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads']
    D = C // H
    eps = cfg['rms_norm_eps']
    position_ids = torch.arange(0, T, dtype=torch.long).unsqueeze(0).expand(B, T)
    # _update_causal_mask: finfo.min above the diagonal and on padded keys
    causal = torch.full((T, T), FMIN).triu(1)[None, None].expand(B, 1, T, T).clone()
    padding = causal.eq(0.0) * mask[:, None, None, :].eq(0.0)
    causal = causal.masked_fill(padding, FMIN)
    cos, sin = llama_rope(cfg, position_ids, D)
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
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(D)
        w = w + causal[:, :, :, : k.shape[-2]]
        w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        a = torch.matmul(w, v).transpose(1, 2).contiguous().reshape(B, T, C)
        h = h + F.linear(a, p[f'{pre}.self_attn.o_proj.weight'])
        x = rms_norm(h, p[f'{pre}.post_attention_layernorm.weight'], eps)
        m = F.silu(F.linear(x, p[f'{pre}.mlp.gate_proj.weight'])) * F.linear(x, p[f'{pre}.mlp.up_proj.weight'])
        h = h + F.linear(m, p[f'{pre}.mlp.down_proj.weight'])
    h = rms_norm(h, p['model.norm.weight'], eps)
    return F.linear(h, p['lm_head.weight']).float()


def llama_fixture(name, seed, layers, T, lengths, rope_theta, rope_scaling, max_pos, grads):
    cfg = {
        'architectures': ['LlamaForCausalLM'], 'attention_bias': False, 'attention_dropout': 0.0, 'bos_token_id': 1,
        'eos_token_id': 2, 'hidden_act': 'silu', 'hidden_size': 32, 'initializer_range': 0.02, 'intermediate_size': 64,
        'max_position_embeddings': max_pos, 'model_type': 'llama', 'num_attention_heads': 4, 'num_hidden_layers': layers,
        'num_key_value_heads': 2, 'pretraining_tp': 1, 'rms_norm_eps': 1e-05, 'rope_scaling': rope_scaling,
        'rope_theta': rope_theta, 'tie_word_embeddings': False, 'torch_dtype': 'float32', 'transformers_version': '4.38.2',
        'use_cache': True, 'vocab_size': 97,
    }
    r = Init(seed)
    C, V, I = cfg['hidden_size'], cfg['vocab_size'], cfg['intermediate_size']
    H, Hkv = cfg['num_attention_heads'], cfg['num_key_value_heads']
    D = C // H
    p = {'model.embed_tokens.weight': r.normal(V, C, std=0.5)}
    for i in range(layers):
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

    B = len(lengths)
    ids = r.ids(B, T, V)
    mask = right_padded_mask(lengths, T)
    labels = ids.masked_fill(mask == 0, -100)
    logits = llama_forward(p, cfg, ids, mask)
    loss = causal_lm_loss(logits, labels)
    expected = {
        'ids': ids.to(torch.int32), 'attention_mask': mask.to(torch.int32), 'labels': labels.to(torch.int32),
        'logits': logits.detach(), 'loss': loss.detach().reshape([]),
    }
    if grads:
        loss.backward()
        for k, t in p.items():
            expected[f'grad/{k}'] = t.grad.detach()
    write_fixture(name, cfg, p, expected)
    print(f'{name}: loss {loss.item():.6f}, logits std {logits.std().item():.3f}')


# ---------------------------------------------------------------- BERT (modeling_bert.py)

def bert_forward(p, cfg, ids, mask, types):
    B, T = ids.shape
    C, H = cfg['hidden_size'], cfg['num_attention_heads']
    D = C // H
    eps = cfg['layer_norm_eps']
    gelu = lambda x: F.gelu(x)  # ACT2FN["gelu"]: exact erf form
    position_ids = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
    e = F.embedding(ids, p['bert.embeddings.word_embeddings.weight']) + F.embedding(types, p['bert.embeddings.token_type_embeddings.weight'])
    e = e + F.embedding(position_ids, p['bert.embeddings.position_embeddings.weight'])
    h = F.layer_norm(e, (C,), p['bert.embeddings.LayerNorm.weight'], p['bert.embeddings.LayerNorm.bias'], eps)
    ext = (1.0 - mask[:, None, None, :].to(torch.float32)) * FMIN
    for i in range(cfg['num_hidden_layers']):
        pre = f'bert.encoder.layer.{i}'
        lin = lambda x, n: F.linear(x, p[f'{pre}.{n}.weight'], p[f'{pre}.{n}.bias'])
        heads = lambda t: t.view(B, T, H, D).permute(0, 2, 1, 3)
        q, k, v = heads(lin(h, 'attention.self.query')), heads(lin(h, 'attention.self.key')), heads(lin(h, 'attention.self.value'))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D)
        s = s + ext
        a = torch.matmul(F.softmax(s, dim=-1), v).permute(0, 2, 1, 3).contiguous().view(B, T, C)
        a = F.layer_norm(lin(a, 'attention.output.dense') + h, (C,), p[f'{pre}.attention.output.LayerNorm.weight'], p[f'{pre}.attention.output.LayerNorm.bias'], eps)
        m = gelu(lin(a, 'intermediate.dense'))
        h = F.layer_norm(lin(m, 'output.dense') + a, (C,), p[f'{pre}.output.LayerNorm.weight'], p[f'{pre}.output.LayerNorm.bias'], eps)
    t = gelu(F.linear(h, p['cls.predictions.transform.dense.weight'], p['cls.predictions.transform.dense.bias']))
    t = F.layer_norm(t, (C,), p['cls.predictions.transform.LayerNorm.weight'], p['cls.predictions.transform.LayerNorm.bias'], eps)
    return F.linear(t, p['bert.embeddings.word_embeddings.weight'], p['cls.predictions.bias'])


def bert_fixture():
    cfg = {
        'architectures': ['BertForMaskedLM'], 'attention_probs_dropout_prob': 0.1, 'classifier_dropout': None,
        'hidden_act': 'gelu', 'hidden_dropout_prob': 0.1, 'hidden_size': 32, 'initializer_range': 0.02,
        'intermediate_size': 64, 'layer_norm_eps': 1e-12, 'max_position_embeddings': 16, 'model_type': 'bert',
        'num_attention_heads': 4, 'num_hidden_layers': 2, 'pad_token_id': 0, 'position_embedding_type': 'absolute',
        'torch_dtype': 'float32', 'transformers_version': '4.38.2', 'type_vocab_size': 2, 'use_cache': True, 'vocab_size': 97,
    }
    r = Init(7)
    C, V, I = cfg['hidden_size'], cfg['vocab_size'], cfg['intermediate_size']
    p = {
        'bert.embeddings.word_embeddings.weight': r.normal(V, C, std=0.5),
        'bert.embeddings.position_embeddings.weight': r.normal(cfg['max_position_embeddings'], C, std=0.3),
        'bert.embeddings.token_type_embeddings.weight': r.normal(cfg['type_vocab_size'], C, std=0.3),
        'bert.embeddings.LayerNorm.weight': r.norm_weight(C),
        'bert.embeddings.LayerNorm.bias': r.normal(C, std=0.1),
    }
    for i in range(cfg['num_hidden_layers']):
        pre = f'bert.encoder.layer.{i}'
        for n in ('query', 'key', 'value'):
            p[f'{pre}.attention.self.{n}.weight'] = r.normal(C, C, std=0.3 if n != 'value' else STD)
            p[f'{pre}.attention.self.{n}.bias'] = r.normal(C, std=0.1)
        p[f'{pre}.attention.output.dense.weight'] = r.normal(C, C)
        p[f'{pre}.attention.output.dense.bias'] = r.normal(C, std=0.1)
        p[f'{pre}.attention.output.LayerNorm.weight'] = r.norm_weight(C)
        p[f'{pre}.attention.output.LayerNorm.bias'] = r.normal(C, std=0.1)
        p[f'{pre}.intermediate.dense.weight'] = r.normal(I, C)
        p[f'{pre}.intermediate.dense.bias'] = r.normal(I, std=0.1)
        p[f'{pre}.output.dense.weight'] = r.normal(C, I)
        p[f'{pre}.output.dense.bias'] = r.normal(C, std=0.1)
        p[f'{pre}.output.LayerNorm.weight'] = r.norm_weight(C)
        p[f'{pre}.output.LayerNorm.bias'] = r.normal(C, std=0.1)
    p['cls.predictions.transform.dense.weight'] = r.normal(C, C)
    p['cls.predictions.transform.dense.bias'] = r.normal(C, std=0.1)
    p['cls.predictions.transform.LayerNorm.weight'] = r.norm_weight(C)
    p['cls.predictions.transform.LayerNorm.bias'] = r.normal(C, std=0.1)
    p['cls.predictions.bias'] = r.normal(V, std=0.1)

    B, T = 2, 8
    ids = r.ids(B, T, V)
    mask = right_padded_mask([8, 6], T)
    types = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 0, 0]])
    labels = torch.full((B, T), -100, dtype=torch.long)
    for b, t in ((0, 1), (0, 5), (1, 2), (1, 4)):
        labels[b, t] = int(torch.randint(0, V, (1,), generator=r.g))
    logits = bert_forward(p, cfg, ids, mask, types)
    loss = F.cross_entropy(logits.view(-1, V), labels.view(-1))
    loss.backward()
    expected = {
        'ids': ids.to(torch.int32), 'attention_mask': mask.to(torch.int32), 'token_type_ids': types.to(torch.int32),
        'labels': labels.to(torch.int32), 'logits': logits.detach(), 'loss': loss.detach().reshape([]),
    }
    for k, t in p.items():
        expected[f'grad/{k}'] = t.grad.detach()
    write_fixture('bert', cfg, p, expected)
    print(f'bert: loss {loss.item():.6f}, logits std {logits.std().item():.3f}')


def main() -> None:
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    gpt2_fixture()
    llama_fixture('llama', 11, layers=2, T=8, lengths=[8, 6], rope_theta=10000.0, rope_scaling=None, max_pos=64, grads=True)
    llama_fixture('llama-linear', 12, layers=1, T=8, lengths=[8, 5], rope_theta=10000.0,
                  rope_scaling={'factor': 2.0, 'type': 'linear'}, max_pos=16, grads=False)
    llama_fixture('llama-dynamic', 13, layers=1, T=12, lengths=[12, 7], rope_theta=500000.0,
                  rope_scaling={'factor': 2.0, 'type': 'dynamic'}, max_pos=8, grads=False)
    bert_fixture()
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f'torch {torch.__version__}; fixtures {total} bytes')


if __name__ == '__main__':
    main()
