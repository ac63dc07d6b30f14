#!/usr/bin/python3
"""Continues training an llmts GPT-2 checkpoint in PyTorch with DistributedDataParallel.

    torchrun --nproc_per_node 2 scripts/handoff/ddp_continue.py \
        --model CKPT --data TOKENS --out OUT [--steps 4] [--batch 2] [--lr 1e-3]

CKPT is the HF-layout folder llmts writes (`config.json`, `model.safetensors`, GPT2LMHeadModel
names); TOKENS an llmts token-shard dataset (`meta.json` and raw uint16/uint32 `.bin` files, the
nanoGPT layout). No transformers, no safetensors package: the model is hf_models.py's plain-torch
GPT-2 forward (written for the HF names), the safetensors format is read and written here.
With Debian's torch 1.13 on Python 3.11, use scripts/handoff/torchrun.py in place of torchrun.

Batches are contiguous windows of n_positions tokens of the train split: step s, rank r, row b
starts at ((s * world + r) * batch + b) * n_positions. Labels are the inputs (the shift is inside
the loss, as in GPT2LMHeadModel). Rank 0 prints one JSON line per step (the loss of its own
batch before the update, and the mean over ranks), writes OUT/model.safetensors + config.json,
and prints the loss of the returned model on the first batch of the val split (`eval_loss`).
Gloo backend, CPU, AdamW (betas 0.9/0.95, no weight decay).
"""
import argparse
import json
import os
import shutil
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'oracles'))
from hf_models import causal_lm_loss, gpt2_forward, serialize  # noqa: E402  (plain-torch GPT-2, safetensors writer)

DTYPES = {'F32': torch.float32, 'I32': torch.int32}
TOKEN_DTYPES = {'uint16': (torch.int16, 2), 'uint32': (torch.int32, 4)}


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
        if info['dtype'] not in DTYPES:
            raise SystemExit(f'{path}: {name} has dtype {info["dtype"]}; this script reads F32 checkpoints')
        a, b = info['data_offsets']
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=DTYPES[info['dtype']]).reshape(info['shape']).clone()
    return out


def read_split(data, split):
    with open(os.path.join(data, 'meta.json')) as f:
        meta = json.load(f)
    dtype, size = TOKEN_DTYPES[meta['dtype']]
    parts = []
    for entry in meta['splits'][split]['files']:
        with open(os.path.join(data, entry['bin']), 'rb') as f:
            t = torch.frombuffer(bytearray(f.read()), dtype=dtype).to(torch.int64)
        parts.append(t & 0xFFFF if size == 2 else t & 0xFFFFFFFF)
    return torch.cat(parts)


class GPT2(torch.nn.Module):
    """The HF GPT-2 parameters (names with '.' stored as '/' in a ParameterDict) and hf_models' forward."""

    def __init__(self, params, cfg):
        super().__init__()
        self.cfg = cfg
        self.p = torch.nn.ParameterDict({k.replace('.', '/'): torch.nn.Parameter(v) for k, v in params.items()})

    def named(self):
        return {k.replace('/', '.'): v for k, v in self.p.items()}

    def forward(self, ids):
        mask = torch.ones_like(ids)
        return causal_lm_loss(gpt2_forward(self.named(), self.cfg, ids, mask), ids)


def window(tokens, start, batch, T):
    rows = [tokens[start + b * T:start + (b + 1) * T] for b in range(batch)]
    if any(len(r) < T for r in rows):
        raise SystemExit(f'the token split has {len(tokens)} tokens; not enough for this many steps')
    return torch.stack(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--steps', type=int, default=4)
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--lr', type=float, default=1e-3)
    a = ap.parse_args()

    dist.init_process_group('gloo')
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    with open(os.path.join(a.model, 'config.json')) as f:
        cfg = json.load(f)
    if cfg.get('model_type') != 'gpt2':
        raise SystemExit(f'{a.model}: model_type {cfg.get("model_type")}; this script continues GPT-2 checkpoints')
    params = read_safetensors(os.path.join(a.model, 'model.safetensors'))
    params = {k if k.startswith('transformer.') else f'transformer.{k}': v for k, v in params.items() if k != 'lm_head.weight'}
    model = DDP(GPT2(params, cfg))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.0)
    T = cfg['n_positions']
    train = read_split(a.data, 'train')
    for step in range(a.steps):
        x = window(train, (step * world + rank) * a.batch * T, a.batch, T)
        loss = model(x)
        opt.zero_grad()
        loss.backward()  # DDP averages the gradients over the ranks
        opt.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        if rank == 0:
            print(json.dumps({'step': step, 'rank0_loss': loss.item(), 'mean_loss': mean.item() / world}), flush=True)
    if rank == 0:
        os.makedirs(a.out, exist_ok=True)
        named = {k: v.detach() for k, v in model.module.named().items()}
        with open(os.path.join(a.out, 'model.safetensors'), 'wb') as f:
            f.write(serialize(named, {'format': 'pt'}))
        shutil.copy(os.path.join(a.model, 'config.json'), os.path.join(a.out, 'config.json'))
        tok = os.path.join(a.model, 'tokenizer.json')
        if os.path.exists(tok):
            shutil.copy(tok, os.path.join(a.out, 'tokenizer.json'))
        with torch.no_grad():
            ev = model.module(window(read_split(a.data, 'val'), 0, a.batch, T))
        print(json.dumps({'eval_loss': ev.item()}), flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == '__main__':
    main()
