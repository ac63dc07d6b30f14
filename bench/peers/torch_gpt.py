"""PyTorch peer for llmts benchmarks: a GPT written the way nanoGPT's model.py and HF's
GPT-2 compute it (pre-LN, fused qkv, GELU, tied embeddings), used by bench/generate.ts
(KV-cache greedy decoding) and bench/shakespeare.ts (nanoGPT's shakespeare-char recipe).

Run by the benchmarks with Debian's /usr/bin/python3 (python3-torch); prints one JSON line.
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from the environment by the caller so
OpenBLAS picks its own (AVX-512) kernel.
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, n_embd, n_head, bias):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = nn.LayerNorm(n_embd, elementwise_affine=True)
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.mlp_proj = nn.Linear(4 * n_embd, n_embd, bias=bias)

    def attn(self, x, cache):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        hs = C // self.n_head
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        if cache is not None:
            if cache.get("k") is not None:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        S = k.shape[2]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        mask = torch.ones(T, S, dtype=torch.bool).tril(diagonal=S - T)
        att = att.masked_fill(~mask, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln_1(x), cache)
        x = x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x


class GPT(nn.Module):
    def __init__(self, vocab, block, n_layer, n_head, n_embd, bias=True):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.h = nn.ModuleList([Block(n_embd, n_head, bias) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, idx, caches=None, pos0=0, last_only=False):
        B, T = idx.shape
        pos = torch.arange(pos0, pos0 + T)
        x = self.wte(idx) + self.wpe(pos)
        for i, blk in enumerate(self.h):
            x = blk(x, None if caches is None else caches[i])
        x = self.ln_f(x)
        if last_only:
            x = x[:, -1:, :]
        return self.lm_head(x)


def generate_bench(cfg):
    torch.manual_seed(0)
    model = GPT(cfg["vocab"], cfg["block"], cfg["n_layer"], cfg["n_head"], cfg["n_embd"]).eval()
    B, P, N = cfg["batch"], cfg["prompt"], cfg["new_tokens"]
    idx = torch.randint(0, cfg["vocab"], (B, P))
    with torch.no_grad():
        t0 = time.perf_counter()
        caches = [dict() for _ in model.h] if cfg["cache"] else None
        logits = model(idx, caches, 0, last_only=True)
        ttft = time.perf_counter() - t0
        seq = idx
        for i in range(N - 1):
            nxt = logits[:, -1, :].argmax(-1, keepdim=True)
            seq = torch.cat([seq, nxt], dim=1)
            if cfg["cache"]:
                logits = model(nxt, caches, seq.shape[1] - 1, last_only=True)
            else:
                logits = model(seq, None, 0, last_only=True)
        total = time.perf_counter() - t0
    decode = total - ttft
    return {"ttft_ms": ttft * 1000, "tokens_per_s": B * (N - 1) / decode if decode > 0 else 0.0, "threads": torch.get_num_threads()}


def shakespeare_bench(cfg):
    """nanoGPT config/train_shakespeare_char.py with the README's CPU overrides."""
    torch.manual_seed(1337)
    text = open(cfg["data"], encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    train, val = data[:n], data[n:]
    B, T = cfg["batch_size"], cfg["block_size"]
    model = GPT(len(chars), T, cfg["n_layer"], cfg["n_head"], cfg["n_embd"], bias=False)
    for name, p in model.named_parameters():
        if name.endswith("c_proj.weight") or name.endswith("mlp_proj.weight"):
            nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg["n_layer"]))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    nodecay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": nodecay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))

    def batch(split):
        d = train if split == "train" else val
        ix = torch.randint(len(d) - T, (B,))
        x = torch.stack([d[i:i + T] for i in ix])
        y = torch.stack([d[i + 1:i + 1 + T] for i in ix])
        return x, y

    def lr_at(it):
        warm, decay_iters, lr, min_lr = 100, 2000, 1e-3, 1e-4
        if it < warm:
            return lr * (it + 1) / (warm + 1)
        if it > decay_iters:
            return min_lr
        r = (it - warm) / (decay_iters - warm)
        return min_lr + 0.5 * (1.0 + math.cos(math.pi * r)) * (lr - min_lr)

    @torch.no_grad()
    def estimate(split):
        model.eval()
        losses = [F.cross_entropy(model(x).view(-1, len(chars)), y.view(-1)).item() for x, y in (batch(split) for _ in range(20))]
        model.train()
        return sum(losses) / len(losses)

    iters = cfg["iters"]
    evals = {}
    times = []
    for it in range(iters + 1):
        if it in cfg["eval_at"]:
            evals[str(it)] = estimate("val")
        if it == iters:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(it)
        x, y = batch("train")
        t0 = time.perf_counter()
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, len(chars)), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        times.append(time.perf_counter() - t0)
        last = loss.item()
    times.sort()
    ms = times[len(times) // 2] * 1000
    return {"iters": iters, "val_loss": evals.get(str(iters)), "evals": evals, "train_loss": last, "ms_per_iter": ms, "tokens_per_s": B * T / (ms / 1000), "threads": torch.get_num_threads()}


if __name__ == "__main__":
    cfg = json.loads(sys.argv[1])
    if "threads" in cfg:
        torch.set_num_threads(cfg["threads"])
    out = generate_bench(cfg) if cfg["bench"] == "generate" else shakespeare_bench(cfg)
    print(json.dumps(out))
