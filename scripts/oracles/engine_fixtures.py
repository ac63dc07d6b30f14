"""PyTorch oracle for the tensor engine: writes test/fixtures/engine/{ops,models}.json.

Run by hand (tests never need Python), from the repository root:
    /usr/bin/python3 scripts/oracles/engine_fixtures.py
(Debian's python3-torch 1.13 is enough.) Replayed by test/engine/torch-parity.test.ts and
test/engine/torch-models.test.ts on every available backend.

Each op case holds seeded inputs, the forward output and the gradients of
sum(out * w) with respect to every float input, for fixed random weights w.

Inputs go through optional view steps ("prep") before the op, so the same case exercises
non-contiguous operands on both sides: ["T"] transposes the last two dims, ["permute", axes],
["slice", axis, start, end, step], ["expand", shape]. Gradients are taken w.r.t. the stored
(contiguous) base tensors.

Semantics notes
- max/min reductions follow torch.amax/amin: the gradient is split evenly among tied
  extremes (torch.max(x, dim) instead sends it all to the one index it returns; the two agree
  without ties). The ties cases below use amax/amin.
- maximum/minimum split the gradient evenly on ties, as torch.maximum does.
- attention is computed as Hugging Face's eager attention does, in float32: scores =
  q @ k^T * scale, plus an additive mask whose hidden entries are finfo.min, softmax in
  float32, @ v; grouped-query heads are expanded with repeat_interleave (HF repeat_kv).
  Causal masking with fewer queries than keys is bottom-right aligned (the queries are the
  last T of S positions, as with a KV cache). F.scaled_dot_product_attention does not exist
  in torch 1.13; fully masked rows are not compared here (HF gives a uniform row, llmts 0).
- RMSNorm is computed as LLaMA does: x * rsqrt(mean(x^2) + eps) * weight.
- dropout is not here: torch's RNG stream is not llmts's (it is checked by finite
  differences and mask tests instead).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'engine')

gen = torch.Generator().manual_seed(20240601)

TORCH_DTYPES = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int64, 'bool': torch.bool}


def num(v, dtype):
    """Shortest decimal that rounds back to the same float32 (or float64) value."""
    if dtype == 'float32':
        return float(str(np.float32(v)))
    if dtype == 'float64':
        return float(v)
    return int(v)


def encode(t, dtype):
    flat = t.detach().reshape(-1).tolist()
    return {'shape': list(t.shape), 'dtype': dtype, 'data': [num(v, dtype) for v in flat]}


def dtype_name(t):
    return {torch.float32: 'float32', torch.float64: 'float64', torch.int64: 'int32', torch.int32: 'int32', torch.bool: 'bool'}[t.dtype]


# ---- input makers ----

def randn(*shape, scale=1.0, dtype='float32'):
    return torch.randn(tuple(shape), generator=gen, dtype=torch.float64).mul(scale).to(TORCH_DTYPES[dtype])


def uniform(lo, hi, *shape, dtype='float32'):
    return (torch.rand(tuple(shape), generator=gen, dtype=torch.float64) * (hi - lo) + lo).to(TORCH_DTYPES[dtype])


def away(*shape, margin=0.2, dtype='float32'):
    """Normal samples pushed at least `margin` away from 0 (for kinks: relu, abs, division)."""
    x = torch.randn(tuple(shape), generator=gen, dtype=torch.float64)
    return (x.sign() * (x.abs() + margin)).to(TORCH_DTYPES[dtype])


def ints(lo, hi, *shape):
    return torch.randint(lo, hi, shape, generator=gen, dtype=torch.int64)


def boolean(*shape, p=0.5):
    return torch.rand(tuple(shape), generator=gen) < p


# ---- view steps shared with the TypeScript replay ----

def apply_prep(t, steps):
    for s in steps or []:
        if s[0] == 'T':
            t = t.transpose(-2, -1)
        elif s[0] == 'permute':
            t = t.permute(*s[1])
        elif s[0] == 'slice':
            _, axis, start, end, step = s
            idx = [slice(None)] * t.dim()
            idx[axis] = slice(start, end, step)
            t = t[tuple(idx)]
        elif s[0] == 'expand':
            t = t.expand(*s[1])
        else:
            raise ValueError(s)
    return t


cases = []


def case(name, op, inputs, fn, attrs=None, preps=None, check_grads=True, no_grad=()):
    """inputs: list of tensors (float ones get gradients unless listed in no_grad); fn(*viewed_inputs) -> tensor or list."""
    leaves = []
    for i, x in enumerate(inputs):
        if isinstance(x, (int, float)):
            leaves.append(x)
            continue
        x = x.detach().clone()
        if x.is_floating_point() and check_grads and i not in no_grad:
            x.requires_grad_(True)
        leaves.append(x)
    viewed = [x if isinstance(x, (int, float)) else apply_prep(x, (preps or {}).get(i)) for i, x in enumerate(leaves)]
    out = fn(*viewed)
    outs = out if isinstance(out, (list, tuple)) else [out]
    weights = [torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.dtype) if o.is_floating_point() else None for o in outs]
    loss = sum((o * w).sum() for o, w in zip(outs, weights) if w is not None)
    grads = []
    if check_grads and any(isinstance(x, torch.Tensor) and x.requires_grad for x in leaves):
        loss.backward()
    for x in leaves:
        if isinstance(x, torch.Tensor) and x.requires_grad:
            grads.append(encode(x.grad, dtype_name(x)) if x.grad is not None else encode(torch.zeros_like(x), dtype_name(x)))
        else:
            grads.append(None)
    cases.append({
        'name': name,
        'op': op,
        'attrs': attrs or {},
        'preps': {str(k): v for k, v in (preps or {}).items()},
        'inputs': [{'scalar': x} if isinstance(x, (int, float)) else encode(x, dtype_name(x)) for x in leaves],
        'outputs': [encode(o, dtype_name(o)) for o in outs],
        'weights': [encode(w, dtype_name(w)) if w is not None else None for w in weights],
        'grads': grads,
    })


# ---- elementwise ----

UNARY = {
    'neg': (torch.neg, lambda s: randn(*s)),
    'exp': (torch.exp, lambda s: randn(*s)),
    'log': (torch.log, lambda s: uniform(0.2, 3, *s)),
    'sqrt': (torch.sqrt, lambda s: uniform(0.2, 3, *s)),
    'rsqrt': (torch.rsqrt, lambda s: uniform(0.2, 3, *s)),
    'tanh': (torch.tanh, lambda s: randn(*s, scale=1.5)),
    'sigmoid': (torch.sigmoid, lambda s: randn(*s, scale=2)),
    'relu': (torch.relu, lambda s: away(*s)),
    'gelu': (lambda x: F.gelu(x), lambda s: randn(*s, scale=2)),
    'gelu_tanh': (lambda x: F.gelu(x, approximate='tanh'), lambda s: randn(*s, scale=2)),
    'silu': (F.silu, lambda s: randn(*s, scale=2)),
    'abs': (torch.abs, lambda s: away(*s)),
    'sin': (torch.sin, lambda s: randn(*s, scale=2)),
    'cos': (torch.cos, lambda s: randn(*s, scale=2)),
    'square': (torch.square, lambda s: randn(*s)),
    'reciprocal': (torch.reciprocal, lambda s: away(*s, margin=0.5)),
    'erf': (torch.erf, lambda s: randn(*s)),
}
for name, (f, make) in UNARY.items():
    case(f'unary/{name}', 'unary', [make((3, 4))], f, {'fn': name})
# named edge inputs for the activations: large magnitudes, zero, both signs
edges = torch.tensor([-12.0, -6.0, -3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0, 6.0, 12.0, 30.0])
for name in ['gelu', 'gelu_tanh', 'silu', 'sigmoid', 'tanh', 'erf']:
    case(f'unary/{name}/edges', 'unary', [edges], UNARY[name][0], {'fn': name})
case('unary/exp/float64', 'unary', [randn(3, 4, dtype='float64')], torch.exp, {'fn': 'exp'})
case('unary/gelu/float64', 'unary', [randn(3, 4, scale=2, dtype='float64')], F.gelu, {'fn': 'gelu'})
# a transposed (non-contiguous) input
case('unary/tanh/transposed', 'unary', [randn(4, 3)], torch.tanh, {'fn': 'tanh'}, preps={0: [['T']]})

for p, make in [(2, lambda: randn(3, 4)), (3, lambda: randn(3, 4)), (0.5, lambda: uniform(0.2, 3, 3, 4)),
                (-1.5, lambda: uniform(0.2, 3, 3, 4)), (1.7, lambda: uniform(0.2, 3, 3, 4)), (0, lambda: randn(3, 4))]:
    case(f'pow/scalar/{p}', 'pow_scalar', [make()], lambda x, p=p: x ** p, {'exponent': p})
case('pow/tensor', 'binary', [uniform(0.3, 2.5, 3, 4), randn(3, 4)], torch.pow, {'fn': 'pow'})
case('pow/tensor/broadcast', 'binary', [uniform(0.3, 2.5, 3, 1), randn(4)], torch.pow, {'fn': 'pow'})
case('pow/zero-base', 'binary', [torch.tensor([0.0, 0.0, 2.0, 0.5]), torch.tensor([2.0, 0.0, 3.0, 0.0])], torch.pow, {'fn': 'pow'})
case('pow/scalar-base', 'rscalar', [randn(3, 4)], lambda x: torch.pow(2.0, x), {'fn': 'pow', 'scalar': 2.0})

BINARY_SHAPES = [
    ('same', (3, 4), (3, 4)),
    ('row', (3, 4), (4,)),
    ('row-left', (4,), (3, 4)),
    ('outer', (3, 1), (1, 4)),
    ('rank3', (2, 1, 4), (3, 1)),
    ('0d', (), (3, 4)),
]
BINARY_FNS = {'add': torch.add, 'sub': torch.sub, 'mul': torch.mul, 'div': torch.div,
              'maximum': torch.maximum, 'minimum': torch.minimum}
for fname, f in BINARY_FNS.items():
    for sname, sa, sb in BINARY_SHAPES:
        a = randn(*sa)
        b = away(*sb, margin=0.5) if fname == 'div' else randn(*sb)
        case(f'binary/{fname}/{sname}', 'binary', [a, b], f, {'fn': fname})
# ties: the gradient is split evenly
case('binary/maximum/ties', 'binary', [torch.tensor([1.0, 2.0, 3.0, -1.0]), torch.tensor([1.0, 0.0, 3.0, 2.0])], torch.maximum, {'fn': 'maximum'})
case('binary/minimum/ties', 'binary', [torch.tensor([1.0, 2.0, 3.0, -1.0]), torch.tensor([1.0, 0.0, 3.0, 2.0])], torch.minimum, {'fn': 'minimum'})
# a non-contiguous operand broadcast against a contiguous one
case('binary/mul/transposed', 'binary', [randn(4, 3), randn(4)], torch.mul, {'fn': 'mul'}, preps={0: [['T']]})
case('binary/add/sliced', 'binary', [randn(3, 8), randn(3, 1)], torch.add, {'fn': 'add'}, preps={0: [['slice', 1, 1, 8, 2]]})
# tensor (op) python scalar, and scalar (op) tensor
for fname, f in [('add', lambda x: x + 1.5), ('sub', lambda x: x - 1.5), ('mul', lambda x: x * -2.5), ('div', lambda x: x / 3.0)]:
    case(f'scalar/{fname}', 'scalar', [randn(3, 4)], f, {'fn': fname, 'scalar': {'add': 1.5, 'sub': 1.5, 'mul': -2.5, 'div': 3.0}[fname]})
case('rscalar/sub', 'rscalar', [randn(3, 4)], lambda x: 1.5 - x, {'fn': 'sub', 'scalar': 1.5})
case('rscalar/div', 'rscalar', [away(3, 4, margin=0.5)], lambda x: 2.0 / x, {'fn': 'div', 'scalar': 2.0})
case('binary/div/float64', 'binary', [randn(3, 4, dtype='float64'), away(4, margin=0.5, dtype='float64')], torch.div, {'fn': 'div'})

case('where', 'where', [boolean(3, 4), randn(3, 4), randn(4)], torch.where)
case('where/broadcast-cond', 'where', [boolean(3, 1), randn(1, 4), randn(3, 4)], torch.where)
case('maskedFill', 'maskedFill', [randn(3, 4), boolean(1, 4)], lambda x, m: x.masked_fill(m, -5.0), {'value': -5.0})
x = randn(3, 4, scale=2)
case('clamp/both', 'clamp', [x], lambda x: x.clamp(-1.0, 0.8), {'min': -1.0, 'max': 0.8})
case('clamp/min', 'clamp', [x], lambda x: x.clamp(min=-0.5), {'min': -0.5, 'max': None})
case('clamp/max', 'clamp', [x], lambda x: x.clamp(max=0.3), {'min': None, 'max': 0.3})
case('clamp/min-above-max', 'clamp', [x], lambda x: x.clamp(1.0, -1.0), {'min': 1.0, 'max': -1.0})

# ---- reductions ----

x = randn(2, 3, 4)
for axes in [None, 0, -1, [0, 2], [1, 2], [0, 1, 2]]:
    for keep in [False, True]:
        if axes is None and keep:
            continue
        dims = axes if axes is not None else [0, 1, 2]
        case(f'sum/{axes}/{keep}', 'reduce', [x], lambda t, d=dims, k=keep: t.sum(dim=d, keepdim=k), {'fn': 'sum', 'axes': axes, 'keepdim': keep})
        case(f'mean/{axes}/{keep}', 'reduce', [x], lambda t, d=dims, k=keep: t.mean(dim=d, keepdim=k), {'fn': 'mean', 'axes': axes, 'keepdim': keep})
for fname, f in [('max', torch.amax), ('min', torch.amin)]:
    for axes, keep in [(None, False), (1, False), (-1, True), ([0, 2], False), ([0, 2], True)]:
        dims = axes if axes is not None else [0, 1, 2]
        case(f'{fname}/{axes}/{keep}', 'reduce', [x], lambda t, d=dims, k=keep, f=f: f(t, dim=d, keepdim=k), {'fn': fname, 'axes': axes, 'keepdim': keep})
ties = torch.tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, -1.0], [0.5, -4.0, 0.25, -4.0]])
case('max/ties', 'reduce', [ties], lambda t: torch.amax(t, dim=1), {'fn': 'max', 'axes': 1, 'keepdim': False})
case('min/ties', 'reduce', [ties], lambda t: torch.amin(t, dim=1), {'fn': 'min', 'axes': 1, 'keepdim': False})
case('max/ties/all', 'reduce', [ties], lambda t: torch.max(t), {'fn': 'max', 'axes': None, 'keepdim': False})
for axes, keep, corr in [(1, False, 1), ([0, 2], True, 1), (None, False, 1), (-1, False, 0)]:
    dims = axes if axes is not None else [0, 1, 2]
    case(f'var/{axes}/{keep}/{corr}', 'reduce', [x], lambda t, d=dims, k=keep, c=corr: t.var(dim=d, keepdim=k, unbiased=bool(c)),
         {'fn': 'var', 'axes': axes, 'keepdim': keep, 'correction': corr})
for axes, keep in [(1, False), ([0, 2], True), (-1, True), ([0, 1, 2], False)]:
    case(f'logsumexp/{axes}/{keep}', 'reduce', [x * 3], lambda t, d=axes, k=keep: torch.logsumexp(t, dim=d, keepdim=k), {'fn': 'logsumexp', 'axes': axes, 'keepdim': keep})
case('sum/transposed', 'reduce', [randn(4, 3, 2)], lambda t: t.sum(dim=0), {'fn': 'sum', 'axes': 0, 'keepdim': False}, preps={0: [['permute', [2, 0, 1]]]})
case('var/float64', 'reduce', [randn(3, 5, dtype='float64')], lambda t: t.var(dim=1), {'fn': 'var', 'axes': 1, 'keepdim': False, 'correction': 1})

# ---- matmul / linear ----

MM = [
    ('1d-1d', [randn(4), randn(4)], {}),
    ('1d-2d', [randn(4), randn(4, 3)], {}),
    ('2d-1d', [randn(3, 4), randn(4)], {}),
    ('2d-2d', [randn(3, 4), randn(4, 5)], {}),
    ('batched', [randn(2, 3, 4), randn(2, 4, 5)], {}),
    ('broadcast-batch', [randn(2, 1, 3, 4), randn(3, 4, 5)], {}),
    ('2d-3d', [randn(3, 4), randn(2, 4, 5)], {}),
    ('3d-2d', [randn(2, 3, 4), randn(4, 5)], {}),
    ('3d-1d', [randn(2, 3, 4), randn(4)], {}),
    ('a-transposed', [randn(4, 3), randn(4, 5)], {0: [['T']]}),
    ('b-transposed', [randn(3, 4), randn(5, 4)], {1: [['T']]}),
    ('both-transposed', [randn(4, 3), randn(5, 4)], {0: [['T']], 1: [['T']]}),
    ('batched-b-transposed', [randn(2, 3, 4), randn(2, 5, 4)], {1: [['T']]}),
    ('3d-transposed-a-2d', [randn(2, 4, 3), randn(4, 5)], {0: [['T']]}),
    ('a-slice-lda', [randn(3, 7), randn(4, 5)], {0: [['slice', 1, 1, 5, 1]]}),
    ('b-slice-ldb', [randn(3, 4), randn(4, 9)], {1: [['slice', 1, 2, 7, 1]]}),
    ('b-step-slice', [randn(3, 4), randn(4, 10)], {1: [['slice', 1, 0, 10, 2]]}),
    ('batch-permuted', [randn(3, 2, 4), randn(2, 4, 5)], {0: [['permute', [1, 0, 2]]]}),
    ('expanded-b', [randn(2, 3, 4), randn(1, 4, 5)], {1: [['expand', [2, 4, 5]]]}),
]
for name, ins, preps in MM:
    case(f'matmul/{name}', 'matmul', ins, torch.matmul, preps=preps)
case('matmul/float64', 'matmul', [randn(2, 3, 4, dtype='float64'), randn(4, 5, dtype='float64')], torch.matmul)

case('linear/2d', 'linear', [randn(3, 4), randn(5, 4), randn(5)], F.linear)
case('linear/2d/no-bias', 'linear', [randn(3, 4), randn(5, 4)], F.linear)
case('linear/3d', 'linear', [randn(2, 3, 4), randn(5, 4), randn(5)], F.linear)
case('linear/3d/no-bias', 'linear', [randn(2, 3, 4), randn(5, 4)], F.linear)
case('linear/x-transposed', 'linear', [randn(4, 3), randn(5, 4), randn(5)], F.linear, preps={0: [['T']]})
case('linear/w-transposed', 'linear', [randn(3, 4), randn(4, 5), randn(5)], F.linear, preps={1: [['T']]})
case('linear/1d', 'linear', [randn(4), randn(5, 4), randn(5)], F.linear)

# ---- softmax ----

x = randn(2, 3, 4, scale=2)
for axis in [0, 1, 2, -1]:
    case(f'softmax/{axis}', 'softmax', [x], lambda t, a=axis: torch.softmax(t, a), {'axis': axis, 'log': False})
    case(f'logSoftmax/{axis}', 'softmax', [x], lambda t, a=axis: torch.log_softmax(t, a), {'axis': axis, 'log': True})
case('softmax/large-logits', 'softmax', [randn(2, 5, scale=40)], lambda t: torch.softmax(t, -1), {'axis': -1, 'log': False})
case('logSoftmax/float64', 'softmax', [randn(3, 5, dtype='float64')], lambda t: torch.log_softmax(t, -1), {'axis': -1, 'log': True})

# ---- norms ----

x = randn(2, 3, 8, scale=2) + 0.5
case('layerNorm/affine', 'layerNorm', [x, 1 + randn(8, scale=0.3), randn(8, scale=0.3)], lambda t, w, b: F.layer_norm(t, (8,), w, b, 1e-5), {'eps': 1e-5})
case('layerNorm/plain', 'layerNorm', [x], lambda t: F.layer_norm(t, (8,), None, None, 1e-5), {'eps': 1e-5})
case('layerNorm/transposed', 'layerNorm', [randn(8, 4), 1 + randn(8, scale=0.3), randn(8, scale=0.3)], lambda t, w, b: F.layer_norm(t, (8,), w, b, 1e-5), {'eps': 1e-5}, preps={0: [['T']]})
case('layerNorm/float64', 'layerNorm', [randn(3, 6, dtype='float64'), randn(6, dtype='float64'), randn(6, dtype='float64')], lambda t, w, b: F.layer_norm(t, (6,), w, b, 1e-5), {'eps': 1e-5})


def llama_rms(t, w=None, eps=1e-6):
    variance = t.pow(2).mean(-1, keepdim=True)
    y = t * torch.rsqrt(variance + eps)
    return y if w is None else w * y


case('rmsNorm/affine', 'rmsNorm', [x, 1 + randn(8, scale=0.3)], llama_rms, {'eps': 1e-6})
case('rmsNorm/plain', 'rmsNorm', [x], llama_rms, {'eps': 1e-6})

# ---- cross-entropy ----

logits = randn(6, 5, scale=2)
targets = torch.tensor([0, 4, 2, 2, 1, 3])
ignored = torch.tensor([0, -100, 2, 4, -100, 3])
for red in ['mean', 'sum', 'none']:
    case(f'crossEntropy/{red}', 'crossEntropy', [logits, targets], lambda l, t, r=red: F.cross_entropy(l, t, reduction=r), {'reduction': red})
    case(f'crossEntropy/{red}/ignore', 'crossEntropy', [logits, ignored], lambda l, t, r=red: F.cross_entropy(l, t, reduction=r), {'reduction': red})
    case(f'crossEntropy/{red}/smoothing', 'crossEntropy', [logits, targets], lambda l, t, r=red: F.cross_entropy(l, t, reduction=r, label_smoothing=0.1),
         {'reduction': red, 'labelSmoothing': 0.1})
    case(f'crossEntropy/{red}/smoothing+ignore', 'crossEntropy', [logits, ignored],
         lambda l, t, r=red: F.cross_entropy(l, t, reduction=r, label_smoothing=0.2), {'reduction': red, 'labelSmoothing': 0.2})
case('crossEntropy/ignoreIndex=0', 'crossEntropy', [logits, targets], lambda l, t: F.cross_entropy(l, t, ignore_index=0), {'ignoreIndex': 0})
logits3 = randn(2, 3, 7, scale=2)
targets3 = torch.tensor([[1, 6, 0], [3, -100, 3]])
case('crossEntropy/3d', 'crossEntropy', [logits3, targets3], lambda l, t: F.cross_entropy(l.reshape(-1, 7), t.reshape(-1)), {})
case('crossEntropy/3d/none', 'crossEntropy', [logits3, targets3], lambda l, t: F.cross_entropy(l.transpose(1, 2), t, reduction='none'), {'reduction': 'none'})
case('crossEntropy/float64', 'crossEntropy', [randn(4, 6, dtype='float64'), torch.tensor([5, 0, 2, 2])],
     lambda l, t: F.cross_entropy(l, t, label_smoothing=0.1), {'labelSmoothing': 0.1})

# ---- indexing ----

case('indexSelect/0', 'indexSelect', [randn(5, 3), torch.tensor([4, 0, 4, 2])], lambda x, i: x.index_select(0, i), {'axis': 0})
case('indexSelect/1', 'indexSelect', [randn(3, 5, 2), torch.tensor([1, 1, 0, 4])], lambda x, i: x.index_select(1, i), {'axis': 1})
case('indexSelect/-1', 'indexSelect', [randn(3, 4), torch.tensor([3, 3, 3])], lambda x, i: x.index_select(-1, i), {'axis': -1})
case('embedding', 'embedding', [randn(6, 4), torch.tensor([[1, 3, 1], [5, 1, 0]])], lambda w, i: F.embedding(i, w))
case('gather/1', 'gather', [randn(3, 4), ints(0, 4, 3, 5)], lambda x, i: x.gather(1, i), {'axis': 1})
case('gather/0', 'gather', [randn(4, 3), ints(0, 4, 6, 3)], lambda x, i: x.gather(0, i), {'axis': 0})
case('gather/middle', 'gather', [randn(2, 5, 3), ints(0, 5, 2, 4, 3)], lambda x, i: x.gather(1, i), {'axis': 1})

# ---- movement ----

case('cat/0', 'cat', [randn(2, 3), randn(4, 3)], lambda a, b: torch.cat([a, b], 0), {'axis': 0})
case('cat/-1', 'cat', [randn(2, 3), randn(2, 1), randn(2, 2)], lambda *t: torch.cat(t, -1), {'axis': -1})
case('cat/transposed', 'cat', [randn(3, 2), randn(2, 4)], lambda a, b: torch.cat([a, b], 1), {'axis': 1}, preps={0: [['T']]})
for axis in [0, 1, -1]:
    case(f'stack/{axis}', 'stack', [randn(3, 4), randn(3, 4), randn(3, 4)], lambda *t, a=axis: torch.stack(t, a), {'axis': axis})
case('split/size', 'split', [randn(7, 3)], lambda x: list(torch.split(x, 3, 0)), {'size': 3, 'axis': 0})
case('split/sections', 'split', [randn(2, 6)], lambda x: list(torch.split(x, [1, 2, 3], 1)), {'size': [1, 2, 3], 'axis': 1})
case('chunk', 'chunk', [randn(2, 7)], lambda x: list(torch.chunk(x, 3, 1)), {'chunks': 3, 'axis': 1})
x = randn(2, 3, 4)
case('reshape', 'reshape', [x], lambda t: t.reshape(4, 6), {'shape': [4, 6]})
case('reshape/-1', 'reshape', [x], lambda t: t.reshape(-1, 3), {'shape': [-1, 3]})
case('reshape/of-transposed', 'reshape', [x], lambda t: t.reshape(12, 2), {'shape': [12, 2]}, preps={0: [['permute', [2, 1, 0]]]})
case('view', 'view', [x], lambda t: t.view(6, 4), {'shape': [6, 4]})
case('view/split-transposed', 'view', [randn(4, 6)], lambda t: t.view(3, 2, 4), {'shape': [3, 2, 4]}, preps={0: [['T']]})
case('permute', 'permute', [x], lambda t: t.permute(2, 0, 1), {'axes': [2, 0, 1]})
case('transpose', 'transpose', [x], lambda t: t.transpose(0, 2), {'a': 0, 'b': 2})
case('expand', 'expand', [randn(3, 1)], lambda t: t.expand(2, 3, 4), {'shape': [2, 3, 4]})
case('expand/-1', 'expand', [randn(1, 4)], lambda t: t.expand(3, -1), {'shape': [3, -1]})
case('slice/step', 'slice', [randn(3, 7)], lambda t: t[:, 1::2], {'axis': 1, 'start': 1, 'end': None, 'step': 2})
case('slice/negative', 'slice', [randn(5, 3)], lambda t: t[-3:-1], {'axis': 0, 'start': -3, 'end': -1, 'step': 1})
case('slice/step3', 'slice', [randn(2, 10)], lambda t: t[:, 0:9:3], {'axis': -1, 'start': 0, 'end': 9, 'step': 3})
case('select', 'select', [x], lambda t: t.select(1, -1), {'axis': 1, 'index': -1})
case('squeeze', 'squeeze', [randn(3, 1, 4)], lambda t: t.squeeze(1), {'axis': 1})
case('squeeze/all', 'squeeze', [randn(1, 3, 1)], lambda t: t.squeeze(), {'axis': None})
case('unsqueeze', 'unsqueeze', [randn(3, 4)], lambda t: t.unsqueeze(-1), {'axis': -1})
case('flatten', 'flatten', [x], lambda t: t.flatten(1, 2), {'start': 1, 'end': 2})
case('flatten/transposed', 'flatten', [x], lambda t: t.flatten(), {'start': 0, 'end': -1}, preps={0: [['T']]})
case('cast/float64', 'cast', [randn(3, 4)], lambda t: t.double(), {'dtype': 'float64'})
case('cast/float32', 'cast', [randn(3, 4, dtype='float64')], lambda t: t.float(), {'dtype': 'float32'})
case('contiguous', 'contiguous', [randn(4, 3)], lambda t: t.contiguous(), preps={0: [['T']]})

# ---- attention (HF eager, float32) ----

NEG = torch.finfo(torch.float32).min


def eager_attention(q, k, v, causal=False, mask=None, scale=None):
    H, Hkv = q.shape[1], k.shape[1]
    if Hkv != H:
        k = k.repeat_interleave(H // Hkv, dim=1)
        v = v.repeat_interleave(H // Hkv, dim=1)
    T, S = q.shape[2], k.shape[2]
    scale = scale if scale is not None else 1 / math.sqrt(q.shape[-1])
    w = torch.matmul(q, k.transpose(2, 3)) * scale
    add = torch.zeros(T, S, dtype=q.dtype)
    if causal:
        visible = torch.ones(T, S, dtype=torch.bool).tril(S - T)  # bottom-right aligned
        add = add.masked_fill(~visible, NEG)
    if mask is not None:
        if mask.dtype == torch.bool:
            add = add.masked_fill(~mask, NEG)
        else:
            add = add + mask
    w = w + add
    # HF upcasts half-precision scores to float32 for the softmax; float64 stays float64
    p = torch.softmax(w, dim=-1, dtype=torch.float64 if q.dtype == torch.float64 else torch.float32).to(q.dtype)
    return torch.matmul(p, v)


B, H, T, S, D = 2, 2, 4, 4, 3
qkv = lambda h=H, t=T, s=S, hk=H, dt='float32': [randn(B, h, t, D, dtype=dt), randn(B, hk, s, D, dtype=dt), randn(B, hk, s, D, dtype=dt)]
case('attention/plain', 'attention', qkv(), eager_attention, {})
case('attention/causal', 'attention', qkv(), lambda q, k, v: eager_attention(q, k, v, causal=True), {'causal': True})
add_mask = randn(B, 1, T, S)
# a constant mask (no gradient requested)
case('attention/additive-mask', 'attention', qkv() + [add_mask], lambda q, k, v, m: eager_attention(q, k, v, mask=m), {}, no_grad=(3,))
pad = torch.tensor([[True, True, True, False], [True, False, True, True]]).reshape(B, 1, 1, S)
case('attention/bool-mask', 'attention', qkv() + [pad], lambda q, k, v, m: eager_attention(q, k, v, mask=m), {})
pad_c = torch.tensor([[True, True, True, True], [True, False, True, False]]).reshape(B, 1, 1, S)  # no row fully hidden
case('attention/causal+bool-mask', 'attention', qkv() + [pad_c], lambda q, k, v, m: eager_attention(q, k, v, causal=True, mask=m), {'causal': True})
case('attention/gqa', 'attention', qkv(h=4, hk=2), lambda q, k, v: eager_attention(q, k, v, causal=True), {'causal': True})
case('attention/tq<tk', 'attention', qkv(t=2, s=5), lambda q, k, v: eager_attention(q, k, v, causal=True), {'causal': True})
case('attention/tq<tk/plain', 'attention', qkv(t=3, s=5), eager_attention, {})
case('attention/scale', 'attention', qkv(), lambda q, k, v: eager_attention(q, k, v, causal=True, scale=0.25), {'causal': True, 'scale': 0.25})
# q, k, v as [B, T, H, D] memory transposed to [B, H, T, D] (the layout a fused QKV projection gives)
case('attention/bthd-inputs', 'attention', [randn(B, T, H, D), randn(B, S, H, D), randn(B, S, H, D)],
     lambda q, k, v: eager_attention(q, k, v, causal=True), {'causal': True},
     preps={0: [['permute', [0, 2, 1, 3]]], 1: [['permute', [0, 2, 1, 3]]], 2: [['permute', [0, 2, 1, 3]]]})
# a learned additive bias (T5's relative position bias) receives its gradient
case('attention/learned-bias', 'attention', qkv() + [randn(1, H, T, S)], lambda q, k, v, m: eager_attention(q, k, v, causal=True, mask=m), {'causal': True})
case('attention/float64', 'attention', qkv(dt='float64'), lambda q, k, v: eager_attention(q, k, v, causal=True), {'causal': True})


# ---- models: a tiny MLP and a 2-layer pre-LN transformer with a tied LM head ----

def named(params):
    return {k: encode(v, 'float32') for k, v in params.items()}


def build_mlp():
    """2 -> 16 -> 16 -> 1 with LayerNorm and GELU, MSE on fixed data."""
    p = {
        'fc1.weight': randn(16, 2, scale=0.7), 'fc1.bias': randn(16, scale=0.1),
        'ln.weight': 1 + randn(16, scale=0.1), 'ln.bias': randn(16, scale=0.1),
        'fc2.weight': randn(16, 16, scale=0.25), 'fc2.bias': randn(16, scale=0.1),
        'fc3.weight': randn(1, 16, scale=0.25), 'fc3.bias': randn(1, scale=0.1),
    }
    for v in p.values():
        v.requires_grad_(True)
    x = randn(32, 2)
    y = torch.sin(x[:, 0]) * torch.cos(x[:, 1])
    h = F.linear(x, p['fc1.weight'], p['fc1.bias'])  # [N, 16]
    h = F.layer_norm(h, (16,), p['ln.weight'], p['ln.bias'], 1e-5)
    h = F.gelu(h)
    h = F.gelu(F.linear(h, p['fc2.weight'], p['fc2.bias']))  # [N, 16]
    out = F.linear(h, p['fc3.weight'], p['fc3.bias']).squeeze(-1)  # [N]
    loss = F.mse_loss(out, y)
    loss.backward()
    return {'params': named(p), 'x': encode(x, 'float32'), 'y': encode(y, 'float32'), 'loss': num(loss.item(), 'float32'),
            'grads': {k: encode(v.grad, 'float32') for k, v in p.items()}}


def build_transformer():
    """GPT-2 style: wte + wpe, 2 pre-LN blocks (fused QKV, causal 2-head attention, GELU-tanh MLP), ln_f, tied head."""
    V, Tn, C, nh, L, Bn = 11, 6, 8, 2, 2, 2
    hs = C // nh
    p = {'wte': randn(V, C, scale=0.5), 'wpe': randn(Tn, C, scale=0.2)}
    for l in range(L):
        p.update({
            f'h.{l}.ln_1.weight': 1 + randn(C, scale=0.1), f'h.{l}.ln_1.bias': randn(C, scale=0.1),
            f'h.{l}.attn.c_attn.weight': randn(3 * C, C, scale=0.3), f'h.{l}.attn.c_attn.bias': randn(3 * C, scale=0.1),
            f'h.{l}.attn.c_proj.weight': randn(C, C, scale=0.3), f'h.{l}.attn.c_proj.bias': randn(C, scale=0.1),
            f'h.{l}.ln_2.weight': 1 + randn(C, scale=0.1), f'h.{l}.ln_2.bias': randn(C, scale=0.1),
            f'h.{l}.mlp.c_fc.weight': randn(4 * C, C, scale=0.3), f'h.{l}.mlp.c_fc.bias': randn(4 * C, scale=0.1),
            f'h.{l}.mlp.c_proj.weight': randn(C, 4 * C, scale=0.2), f'h.{l}.mlp.c_proj.bias': randn(C, scale=0.1),
        })
    p['ln_f.weight'] = 1 + randn(C, scale=0.1)
    p['ln_f.bias'] = randn(C, scale=0.1)
    for v in p.values():
        v.requires_grad_(True)
    idx = ints(0, V, Bn, Tn)
    targets = ints(0, V, Bn, Tn)
    targets[1, 2] = -100
    x = p['wte'][idx] + p['wpe'][:Tn]  # (B, T, C)
    for l in range(L):
        g = lambda n: p[f'h.{l}.{n}']
        h = F.layer_norm(x, (C,), g('ln_1.weight'), g('ln_1.bias'), 1e-5)
        qkv = F.linear(h, g('attn.c_attn.weight'), g('attn.c_attn.bias'))  # (B, T, 3C)
        q, k, v = qkv.split(C, dim=2)
        q, k, v = [t.view(Bn, Tn, nh, hs).transpose(1, 2) for t in (q, k, v)]  # (B, nh, T, hs)
        y = eager_attention(q, k, v, causal=True)
        y = y.transpose(1, 2).reshape(Bn, Tn, C)
        x = x + F.linear(y, g('attn.c_proj.weight'), g('attn.c_proj.bias'))
        h = F.layer_norm(x, (C,), g('ln_2.weight'), g('ln_2.bias'), 1e-5)
        h = F.gelu(F.linear(h, g('mlp.c_fc.weight'), g('mlp.c_fc.bias')), approximate='tanh')
        x = x + F.linear(h, g('mlp.c_proj.weight'), g('mlp.c_proj.bias'))
    x = F.layer_norm(x, (C,), p['ln_f.weight'], p['ln_f.bias'], 1e-5)
    logits = x @ p['wte'].T  # (B, T, V), tied with the embedding
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    return {'config': {'vocab': V, 'block': Tn, 'embd': C, 'heads': nh, 'layers': L, 'batch': Bn},
            'params': named(p), 'idx': encode(idx, 'int32'), 'targets': encode(targets, 'int32'),
            'logits': encode(logits, 'float32'), 'loss': num(loss.item(), 'float32'),
            'grads': {k: encode(v.grad, 'float32') for k, v in p.items()}}


def write(name, payload):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, name)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(payload, f, separators=(',', ':'))
        f.write('\n')
    os.replace(tmp, path)
    print(f'wrote {path} ({os.path.getsize(path)} bytes)')


if __name__ == '__main__':
    meta = {'generator': 'scripts/oracles/engine_fixtures.py', 'torch': torch.__version__}
    write('ops.json', {**meta, 'cases': cases})
    write('models.json', {**meta, 'mlp': build_mlp(), 'transformer': build_transformer()})
