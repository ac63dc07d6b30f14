#!/usr/bin/python3
"""Writes the PEFT LoRA adapter fixtures under test/fixtures/peft/ (run by hand):

    /usr/bin/python3 scripts/oracles/peft_lora.py

PEFT is not installable here (no PyPI; Debian has no python3-peft), so this script writes
adapters exactly as PEFT's documentation and source lay them out, and computes the adapted
models' logits with plain PyTorch (Debian's python3-torch) on the HF fixtures written by
hf_models.py:

  adapter_config.json         LoraConfig.to_dict() fields as save_pretrained writes them
                              (docs/source/developer_guides/checkpoint.md: peft_type "LORA",
                              r, lora_alpha, lora_dropout, target_modules, fan_in_fan_out,
                              task_type, bias "none", ...)
  adapter_model.safetensors   base_model.model.<module>.lora_A.weight [r, in] and
                              .lora_B.weight [out, r], the adapter name ("default") stripped.
                              For GPT-2's Conv1D (weight [in, out]) PEFT takes in_features,
                              out_features = weight.shape (tuners/lora/layer.py), so the
                              shapes are those of a Linear; fan_in_fan_out is true.
  expected.safetensors        ids, attention_mask, logits of the adapted model.

The adapted layer computes base(x) + lora_B(lora_A(x)) * lora_alpha / r (dropout is off in
eval). Here the update is merged the way PEFT's merge does (get_delta_weight: B @ A * scale,
transposed for a Conv1D whose weight is [in, out]) and the HF forward of hf_models.py runs on
the merged weights. B is random (not PEFT's zero init) so every adapter matters.

  gpt2   target_modules ["c_attn", "c_proj"] (matches attn.c_attn, attn.c_proj and mlp.c_proj
         by suffix), r 4, alpha 8: c_attn adapts the fused q|k|v of both llmts and HF.
  llama  target_modules ["q_proj", "v_proj", "down_proj"], r 2, alpha 6: llmts fuses
         q|k|v into c_attn, so q_proj and v_proj are two adapters on row ranges of it
         (GQA: k/v rows are num_key_value_heads * head_dim).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_models as hf  # noqa: E402

HF = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'models', 'hf')
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'peft')


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], 'little')
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        a, b = info['data_offsets']
        dtype = {'F32': torch.float32, 'I32': torch.int32}[info['dtype']]
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=dtype).reshape(info['shape']).clone()
    return out


def lora_config(r, alpha, targets, fan_in_fan_out, base):
    return {
        'alpha_pattern': {}, 'auto_mapping': None, 'base_model_name_or_path': base, 'bias': 'none',
        'fan_in_fan_out': fan_in_fan_out, 'inference_mode': True, 'init_lora_weights': True,
        'layer_replication': None, 'layers_pattern': None, 'layers_to_transform': None, 'loftq_config': {},
        'lora_alpha': alpha, 'lora_dropout': 0.0, 'megatron_config': None, 'megatron_core': 'megatron.core',
        'modules_to_save': None, 'peft_type': 'LORA', 'r': r, 'rank_pattern': {}, 'revision': None,
        'target_modules': targets, 'task_type': 'CAUSAL_LM', 'use_dora': False, 'use_rslora': False,
    }


def matches(name, targets):
    # peft check_target_module_exists for a list
    return any(name == t or name.endswith('.' + t) for t in targets)


def make(name, forward, r, alpha, targets, conv1d, seed, B=2, T=8, lengths=(8, 5)):
    params = read_safetensors(os.path.join(HF, name, 'model.safetensors'))
    cfg = json.load(open(os.path.join(HF, name, 'config.json')))
    g = torch.Generator().manual_seed(seed)
    scale = alpha / r
    adapter = {}
    merged = {k: v.clone() for k, v in params.items()}
    for key in sorted(params):
        if not key.endswith('.weight') or params[key].dim() != 2:
            continue
        module = key[: -len('.weight')]
        if not matches(module, targets):
            continue
        w = params[key]
        in_f, out_f = (w.shape[0], w.shape[1]) if conv1d else (w.shape[1], w.shape[0])
        A = torch.randn(r, in_f, generator=g) * 0.3
        Bm = torch.randn(out_f, r, generator=g) * 0.3
        adapter[f'base_model.model.{module}.lora_A.weight'] = A
        adapter[f'base_model.model.{module}.lora_B.weight'] = Bm
        delta = Bm @ A * scale  # [out, in]
        merged[key] = w + (delta.T if conv1d else delta)
    ids = torch.randint(0, cfg['vocab_size'], (B, T), generator=g)
    mask = hf.right_padded_mask(list(lengths), T)
    with torch.no_grad():
        logits = forward(merged, cfg, ids, mask)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'adapter_config.json'), 'w') as f:
        json.dump(lora_config(r, alpha, targets, conv1d, f'test/fixtures/models/hf/{name}'), f, indent=2, sort_keys=True)
        f.write('\n')
    with open(os.path.join(d, 'adapter_model.safetensors'), 'wb') as f:
        f.write(hf.serialize(adapter, {'format': 'pt'}))
    expected = {'ids': ids.to(torch.int32), 'attention_mask': mask.to(torch.int32), 'logits': logits.float()}
    with open(os.path.join(d, 'expected.safetensors'), 'wb') as f:
        f.write(hf.serialize(expected, None))
    print(f'{name}: {len(adapter)} adapter tensors, logits std {logits.std().item():.3f}')


def main():
    make('gpt2', hf.gpt2_forward, 4, 8, ['c_attn', 'c_proj'], True, 21)
    make('llama', hf.llama_forward, 2, 6, ['q_proj', 'v_proj', 'down_proj'], False, 22)
    print(f'torch {torch.__version__}')


if __name__ == '__main__':
    main()
