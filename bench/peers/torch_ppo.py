"""PyTorch peer for bench/rlhf.ts: one PPO update (several epochs over shuffled minibatches)
of an actor and a separate critic (GPT backbone + scalar head) on a fixed rollout, computed
as TRL's PPO computes it: log-probs of the response tokens at the sampling temperature,
clipped surrogate, clipped value loss, grad-norm clipping per model, Adam (eps 1e-5).

Reads the config as JSON on argv[1]; prints one JSON line. Uses the GPT of torch_gpt.py.
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gpt import GPT  # noqa: E402


class Critic(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.backbone = GPT(cfg["vocab"], cfg["block"], cfg["n_layer"], cfg["n_head"], cfg["n_embd"])
        self.head = nn.Linear(cfg["n_embd"], 1)

    def forward(self, idx):
        b = self.backbone
        B, T = idx.shape
        x = b.wte(idx) + b.wpe(torch.arange(T))
        for blk in b.h:
            x = blk(x)
        return self.head(b.ln_f(x)).squeeze(-1)


def main():
    cfg = json.loads(sys.argv[1])
    torch.manual_seed(0)
    if cfg.get("threads"):
        torch.set_num_threads(cfg["threads"])
    B, P, R, T = cfg["batch"], cfg["prompt"], cfg["response"], cfg["temperature"]
    actor = GPT(cfg["vocab"], cfg["block"], cfg["n_layer"], cfg["n_head"], cfg["n_embd"])
    critic = Critic(cfg)
    opt_a = torch.optim.Adam(actor.parameters(), lr=1e-4, eps=1e-5)
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-4, eps=1e-5)
    ids = torch.randint(0, cfg["vocab"], (B, P + R))
    targets = ids[:, P:]
    with torch.no_grad():
        old = torch.log_softmax(actor(ids)[:, P - 1:-1] / T, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        old_v = critic(ids)[:, P - 1:-1]
    adv = torch.randn(B, R)
    ret = old_v + torch.randn(B, R)
    times = []
    for _ in range(cfg["repeats"]):
        t0 = time.perf_counter()
        for _epoch in range(cfg["epochs"]):
            perm = torch.randperm(B)
            for s in range(0, B, cfg["minibatch"]):
                rows = perm[s:s + cfg["minibatch"]]
                x = ids[rows]
                logp = torch.log_softmax(actor(x)[:, P - 1:-1] / T, -1).gather(-1, targets[rows].unsqueeze(-1)).squeeze(-1)
                ratio = torch.exp(torch.clamp(logp - old[rows], -20, 20))
                a = adv[rows]
                pg = torch.max(-a * ratio, -a * torch.clamp(ratio, 0.8, 1.2)).mean()
                v = critic(x)[:, P - 1:-1]
                vc = old_v[rows] + torch.clamp(v - old_v[rows], -0.2, 0.2)
                vf = 0.5 * torch.max((v - ret[rows]) ** 2, (vc - ret[rows]) ** 2).mean()
                loss = pg + 0.1 * vf
                opt_a.zero_grad()
                opt_c.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(actor.parameters(), 1.0)
                torch.nn.utils.clip_grad_norm_(critic.parameters(), 1.0)
                opt_a.step()
                opt_c.step()
        times.append(time.perf_counter() - t0)
    times.sort()
    print(json.dumps({"ms_per_update": times[len(times) // 2] * 1000, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
