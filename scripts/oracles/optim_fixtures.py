#!/usr/bin/python3
"""Writes the optimizer fixtures under test/fixtures/optim/ (run by hand, with Debian's
python3-torch):

    /usr/bin/python3 scripts/oracles/optim_fixtures.py

test/optim/oracle.test.ts replays them on every backend. What each one pins down:

  optimizers.json   torch.optim.AdamW with two parameter groups (weight decay 0.1 on a matrix,
                    0 on a vector; betas (0.9, 0.95), eps 1e-8; the learning rate changes every
                    step; one step's gradients scaled by 0.5 the way llmts's step(gradScale)
                    applies a clipping factor) and torch.optim.SGD (plain; momentum; momentum
                    with dampening; Nesterov; coupled weight decay): the parameters after each
                    of 5 steps on fixed gradients.
  clip.json         torch.nn.utils.clip_grad_norm_ (max_norm 1.0, which clips, and 100, which
                    does not): the total norm and the gradients after.
  schedules.json    the learning rate at every step 0..130 of the two decaying schedules of
                    src/optim/schedule.ts, which claims nanoGPT's get_lr: `cosine` is nanoGPT's
                    get_lr (karpathy/nanoGPT train.py at 3adf61e1, lines 231-242: warmup
                    lr * (it + 1) / (warmup_iters + 1), min_lr after lr_decay_iters, cosine in
                    between), evaluated here as written there and cross-checked against torch's
                    own LinearLR (the warmup) and CosineAnnealingLR (the decay); `linear` is the
                    same warmup and floor with the cosine coefficient replaced by 1 - ratio, checked
                    against torch's LinearLR. Neither is Hugging Face's
                    get_cosine_schedule_with_warmup (warmup step / warmup from 0, decay to 0).
  gpt2-trajectory/  10 training steps of the GPT-2 fixture (test/fixtures/models/hf/gpt2, forward
                    as scripts/oracles/hf_models.py computes GPT2LMHeadModel, dropout off) the way
                    nanoGPT trains: AdamW (betas 0.9/0.95, weight decay 0.1 on the attention and
                    MLP matrices only - llmts's groupsForWeightDecay: not the embeddings, norms or
                    biases), get_lr with warmup 3, lr_decay_iters 10, lr 1e-2 -> 1e-3,
                    clip_grad_norm_(1.0), fixed random batches [4, 16]. trajectory.json holds the
                    batches, each step's loss, gradient norm before clipping and learning rate;
                    model.safetensors (+ config.json) the weights after the 10th step under HF names.

Everything is float32, as llmts trains.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_models  # noqa: E402  (the GPT-2 forward and the safetensors writer)

torch.set_default_dtype(torch.float32)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'optim')
GPT2 = os.path.join(ROOT, 'test', 'fixtures', 'models', 'hf', 'gpt2')


def floats(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def write_json(name, obj):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
        f.write('\n')


# ---------------------------------------------------------------- AdamW and SGD on fixed gradients

def optimizers():
    g = torch.Generator().manual_seed(14)
    W0 = torch.randn(3, 4, generator=g)
    b0 = torch.randn(4, generator=g)
    steps = 5
    grads = [(torch.randn(3, 4, generator=g), torch.randn(4, generator=g)) for _ in range(steps)]
    lrs = [1e-2, 2e-2, 3e-2, 1.5e-2, 5e-3]
    scales = [1, 1, 0.5, 1, 1]  # llmts: optimizer.step(gradScale) multiplies the gradients first

    def run(make):
        W = W0.clone().requires_grad_()
        b = b0.clone().requires_grad_()
        opt = make(W, b)
        after = []
        for s in range(steps):
            for group in opt.param_groups:
                group['lr'] = lrs[s]
            W.grad = grads[s][0] * scales[s]
            b.grad = grads[s][1] * scales[s]
            opt.step()
            after.append({'W': floats(W), 'b': floats(b)})
        return after

    cases = {
        'adamw': {
            'options': {'betas': [0.9, 0.95], 'eps': 1e-8, 'weightDecay': [0.1, 0.0]},
            'after': run(lambda W, b: torch.optim.AdamW(
                [{'params': [W], 'weight_decay': 0.1}, {'params': [b], 'weight_decay': 0.0}],
                lr=lrs[0], betas=(0.9, 0.95), eps=1e-8)),
        },
    }
    sgd = {
        'sgd-plain': dict(momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0),
        'sgd-momentum': dict(momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0),
        'sgd-dampening': dict(momentum=0.9, dampening=0.1, nesterov=False, weight_decay=0.0),
        'sgd-nesterov': dict(momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.0),
        'sgd-nesterov-decay': dict(momentum=0.8, dampening=0.0, nesterov=True, weight_decay=0.01),
    }
    for name, o in sgd.items():
        cases[name] = {
            'options': {'momentum': o['momentum'], 'dampening': o['dampening'], 'nesterov': o['nesterov'],
                        'weightDecay': [o['weight_decay'], o['weight_decay']]},
            'after': run(lambda W, b, o=o: torch.optim.SGD([W, b], lr=lrs[0], **o)),
        }
    write_json('optimizers.json', {
        'W0': floats(W0), 'WShape': [3, 4], 'b0': floats(b0),
        'grads': [{'W': floats(gw), 'b': floats(gb)} for gw, gb in grads],
        'lrs': lrs, 'scales': scales, 'cases': cases,
    })


# ---------------------------------------------------------------- clip_grad_norm_

def clip():
    g = torch.Generator().manual_seed(15)
    shapes = [[5, 3], [3], [2, 2, 2]]
    grads0 = [torch.randn(*s, generator=g) * 0.7 for s in shapes]
    out = {'shapes': shapes, 'grads': [floats(t) for t in grads0], 'cases': []}
    for max_norm in [1.0, 100.0]:
        ps = [torch.zeros(*s, requires_grad=True) for s in shapes]
        for p, t in zip(ps, grads0):
            p.grad = t.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        out['cases'].append({'maxNorm': max_norm, 'totalNorm': float(total), 'after': [floats(p.grad) for p in ps]})
    write_json('clip.json', out)


# ---------------------------------------------------------------- schedules

def nanogpt_get_lr(it, learning_rate, min_lr, warmup_iters, lr_decay_iters):
    # karpathy/nanoGPT train.py (3adf61e1) lines 231-242, with its globals as arguments
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


def torch_lrs(kind, max_lr, min_lr, warmup, decay, steps):
    """The same schedule from torch's own schedulers, one per phase (each stepped in its
    closed form through get_last_lr), to cross-check the formula above."""
    p = torch.zeros(1, requires_grad=True)

    def phase(make, n):
        opt = torch.optim.SGD([p], lr=max_lr)
        sched = make(opt)
        out = []
        for _ in range(n):
            out.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        return out

    # warmup: factor (i + 1) / (warmup + 1) for i < warmup
    warm = phase(lambda o: torch.optim.lr_scheduler.LinearLR(
        o, start_factor=1 / (warmup + 1), end_factor=warmup / (warmup + 1), total_iters=warmup - 1), warmup)
    n = decay - warmup + 1  # steps warmup..decay
    if kind == 'cosine':
        mid = phase(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=decay - warmup, eta_min=min_lr), n)
    else:
        mid = phase(lambda o: torch.optim.lr_scheduler.LinearLR(
            o, start_factor=1.0, end_factor=min_lr / max_lr, total_iters=decay - warmup), n)
    return warm + mid + [min_lr] * (steps - warmup - n)


def schedules():
    cases = []
    for kind, max_lr, min_lr, warmup, decay in [('cosine', 6e-4, 6e-5, 10, 100), ('linear', 1e-3, 1e-4, 10, 100),
                                                ('cosine', 1e-3, 0.0, 1, 30)]:
        steps = decay + 30
        mine = []
        for it in range(steps):
            if kind == 'cosine':
                mine.append(nanogpt_get_lr(it, max_lr, min_lr, warmup, decay))
            else:  # nanoGPT's get_lr with a linear coefficient
                if it < warmup:
                    mine.append(max_lr * (it + 1) / (warmup + 1))
                elif it > decay:
                    mine.append(min_lr)
                else:
                    mine.append(min_lr + (1 - (it - warmup) / (decay - warmup)) * (max_lr - min_lr))
        if warmup > 1:
            theirs = torch_lrs(kind, max_lr, min_lr, warmup, decay, steps)
            worst = max(abs(a - b) for a, b in zip(mine, theirs))
            assert worst < 1e-12 * max_lr * 100, f'{kind}: formula and torch schedulers differ by {worst}'
        cases.append({'kind': kind, 'maxLr': max_lr, 'minLr': min_lr, 'warmupSteps': warmup, 'decaySteps': decay,
                      'lr': mine})
    write_json('schedules.json', {'source': 'karpathy/nanoGPT train.py get_lr (3adf61e1)', 'cases': cases})


# ---------------------------------------------------------------- a 10-step trajectory of the GPT-2 fixture

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
        assert info['dtype'] == 'F32', name
        a, b = info['data_offsets']
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=torch.float32).reshape(info['shape']).clone()
    return out


DECAYED = ('attn.c_attn.weight', 'attn.c_proj.weight', 'mlp.c_fc.weight', 'mlp.c_proj.weight')


def trajectory():
    with open(os.path.join(GPT2, 'config.json')) as f:
        cfg = json.load(f)
    params = {k: v.requires_grad_() for k, v in read_safetensors(os.path.join(GPT2, 'model.safetensors')).items()}
    names = sorted(params)
    decay = [k for k in names if k.endswith(DECAYED)]
    rest = [k for k in names if k not in decay]
    opt = torch.optim.AdamW([{'params': [params[k] for k in decay], 'weight_decay': 0.1},
                             {'params': [params[k] for k in rest], 'weight_decay': 0.0}],
                            lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
    g = torch.Generator().manual_seed(10)
    B, T, V = 4, cfg['n_positions'], cfg['vocab_size']
    steps, warmup, decay_iters, max_lr, min_lr, clip_norm = 10, 3, 10, 1e-2, 1e-3, 1.0
    batches, losses, norms, lrs = [], [], [], []
    mask = torch.ones(B, T, dtype=torch.int64)
    for it in range(steps):
        ids = torch.randint(0, V, (B, T), generator=g)
        lr = nanogpt_get_lr(it, max_lr, min_lr, warmup, decay_iters)
        for group in opt.param_groups:
            group['lr'] = lr
        loss = hf_models.causal_lm_loss(hf_models.gpt2_forward(params, cfg, ids, mask), ids)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), clip_norm)
        opt.step()
        batches.append(ids.reshape(-1).tolist())
        losses.append(float(loss))
        norms.append(float(norm))
        lrs.append(lr)
        print(f'step {it}: loss {loss.item():.6f}, grad norm {norm.item():.4f}, lr {lr:.6f}')
    d = os.path.join(OUT, 'gpt2-trajectory')
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')
    with open(os.path.join(d, 'model.safetensors'), 'wb') as f:
        f.write(hf_models.serialize({k: v.detach() for k, v in params.items()}, {'format': 'pt'}))
    write_json(os.path.join('gpt2-trajectory', 'trajectory.json'), {
        'from': 'test/fixtures/models/hf/gpt2', 'batch': [B, T], 'steps': steps,
        'optimizer': {'betas': [0.9, 0.95], 'eps': 1e-8, 'weightDecay': 0.1, 'decayed': decay},
        'schedule': {'kind': 'cosine', 'maxLr': max_lr, 'minLr': min_lr, 'warmupSteps': warmup, 'decaySteps': decay_iters},
        'clip': clip_norm, 'batches': batches, 'losses': losses, 'gradNorms': norms, 'lrs': lrs,
    })


def main():
    optimizers()
    clip()
    schedules()
    trajectory()


if __name__ == '__main__':
    main()
