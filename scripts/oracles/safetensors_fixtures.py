#!/usr/bin/python3
"""Writes the safetensors fixtures under test/fixtures/io/ (run by hand):

    /usr/bin/python3 scripts/oracles/safetensors_fixtures.py

The `safetensors` package is not installable here, so this script implements the
documented format independently (huggingface/safetensors README "Format" and
safetensors/src/tensor.rs, summarized in shared/reference/hf-parity.md section 5):

  - 8-byte little-endian header length N, then N bytes of UTF-8 JSON, then the data;
  - tensors sorted by dtype descending in the Rust enum order (alignment), then by
    name (bytewise, as Rust compares Strings);
  - compact JSON, "__metadata__" first, tensors in offset order, each entry
    {"dtype","shape","data_offsets"} in that key order;
  - the header right-padded with spaces to a multiple of 8.

Tensor values come from torch (seeded), byte images from numpy (little-endian), and
F16/BF16 values from torch's own float32 -> half/bfloat16 conversion, so the
TypeScript tests check our reader, writer and conversions against torch. torch 1.13
has no safetensors support, so there is no second writer to cross-check against.

Each fixture NAME.safetensors has a NAME.json with the expected content:
{"metadata": {...} | null, "tensors": {name: {"dtype", "shape", "values", "bits"?}}}
where values are numbers, or strings for NaN/Infinity and for 64-bit integers, and
"bits" holds the raw 16-bit patterns of F16/BF16 tensors.
"""
import json
import math
import os
import sys

import numpy as np
import torch

assert sys.byteorder == 'little'

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'io')

# the Rust Dtype enum, in declaration (alignment) order
DTYPE_ORDER = ['BOOL', 'F4', 'F6_E2M3', 'F6_E3M2', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ',
               'F8_E5M2FNUZ', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64']
TORCH_DTYPE = {
    torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
    torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL',
}


def tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def serialize(tensors: dict, metadata: dict | None) -> bytes:
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_ORDER.index(TORCH_DTYPE[kv[1].dtype]), kv[0].encode('utf-8')))
    header = {}
    if metadata is not None:
        header['__metadata__'] = {k: metadata[k] for k in sorted(metadata)}
    data = []
    offset = 0
    for name, t in items:
        b = tensor_bytes(t)
        header[name] = {'dtype': TORCH_DTYPE[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        data.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    return len(text).to_bytes(8, 'little') + text + b''.join(data)


def json_value(x):
    if isinstance(x, float):
        if math.isnan(x):
            return 'NaN'
        if math.isinf(x):
            return 'Infinity' if x > 0 else '-Infinity'
        return x
    return x


def expected(tensors: dict, metadata: dict | None) -> dict:
    out = {}
    for name, t in tensors.items():
        dtype = TORCH_DTYPE[t.dtype]
        flat = t.reshape(-1)
        if dtype in ('F16', 'BF16'):
            values = [json_value(v) for v in flat.float().tolist()]
        elif dtype == 'I64':
            values = [str(v) for v in flat.tolist()]
        elif dtype == 'BOOL':
            values = [1 if v else 0 for v in flat.tolist()]
        else:
            values = [json_value(v) for v in flat.tolist()]
        entry = {'dtype': dtype, 'shape': list(t.shape), 'values': values}
        if dtype in ('F16', 'BF16'):
            entry['bits'] = [int(v) & 0xFFFF for v in flat.view(torch.int16).tolist()]
        out[name] = entry
    return {'metadata': metadata, 'tensors': out}


def write(name: str, tensors: dict, metadata: dict | None) -> None:
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + '.safetensors'), 'wb') as f:
        f.write(serialize(tensors, metadata))
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(expected(tensors, metadata), f, ensure_ascii=False)
        f.write('\n')


def main() -> None:
    g = torch.Generator().manual_seed(1234)
    specials = torch.tensor([0.0, -0.0, 1.0, -2.5, float('inf'), float('-inf'), float('nan'), 65504.0, 6e-8, 1e-40,
                             3.4028234663852886e38, 1.1754943508222875e-38])

    # one tensor of each supported dtype, plus a scalar and a zero-size tensor
    all_dtypes = {
        'f64': torch.randn(2, 3, generator=g, dtype=torch.float64),
        'f32': torch.cat([torch.randn(8, generator=g), specials]).reshape(4, 5),
        'f16': torch.cat([torch.randn(8, generator=g), specials]).to(torch.float16).reshape(5, 4),
        'bf16': torch.cat([torch.randn(8, generator=g), specials]).to(torch.bfloat16).reshape(20),
        'i64': torch.tensor([0, -1, 2**53 + 1, -(2**63), 2**63 - 1, 42], dtype=torch.int64).reshape(3, 2),
        'i32': torch.randint(-2**31, 2**31 - 1, (3, 3), generator=g, dtype=torch.int32),
        'i16': torch.tensor([-32768, 32767, 0, -1, 7], dtype=torch.int16),
        'i8': torch.tensor([[-128, 127], [0, -5]], dtype=torch.int8),
        'u8': torch.tensor([0, 255, 128, 7, 9], dtype=torch.uint8),
        'bool': torch.tensor([[True, False, True], [False, False, True]]),
        'scalar': torch.tensor(3.25, dtype=torch.float32),
        'empty': torch.zeros(0, 3, dtype=torch.float32),
    }
    write('all_dtypes', all_dtypes, {'format': 'pt'})

    # name ordering within a dtype is bytewise UTF-8; dtype order dominates
    names = {n: torch.full((1,), float(i)) for i, n in enumerate(['b', 'a', 'B', 'a.weight', 'a_weight', 'é', 'z', '\U0001F600', '\uFFFD'])}
    names['h.0'] = torch.tensor([1, 2], dtype=torch.int16)
    names['h.1'] = torch.tensor([3], dtype=torch.int64)
    write('names', names, None)

    write('empty', {}, None)
    write('metadata_only', {}, {'format': 'pt', 'note': 'tab\there "quoted" \\ é'})

    # float32 -> F16/BF16 conversion (round to nearest even), including ties, overflow, subnormals
    src = torch.cat([
        torch.randn(64, generator=g) * 100,
        specials,
        torch.tensor([65519.0, 65520.0, 1.00048828125, 1.000732421875, 2.0**-24, 2.0**-25, 2.0**-25 * 1.5,
                      1.00390625, 1.005859375, 3.3895313892515355e38, 3.39e38, -1e-45]),
    ])
    write('convert', {'src': src, 'f16': src.to(torch.float16), 'bf16': src.to(torch.bfloat16)}, None)

    # a sharded checkpoint as transformers writes it
    shard_dir = os.path.join(OUT, 'sharded')
    os.makedirs(shard_dir, exist_ok=True)
    w = {
        'embed.weight': torch.randn(4, 3, generator=g),
        'layer.0.weight': torch.randn(3, 3, generator=g),
        'layer.1.weight': torch.randn(3, 3, generator=g),
        'head.bias': torch.randn(4, generator=g),
    }
    shards = [{k: w[k] for k in ['embed.weight', 'layer.0.weight']}, {k: w[k] for k in ['layer.1.weight', 'head.bias']}]
    weight_map = {}
    total = 0
    for i, shard in enumerate(shards):
        fname = f'model-{i + 1:05d}-of-{len(shards):05d}.safetensors'
        with open(os.path.join(shard_dir, fname), 'wb') as f:
            f.write(serialize(shard, {'format': 'pt'}))
        for k, t in shard.items():
            weight_map[k] = fname
            total += t.numel() * t.element_size()
    with open(os.path.join(shard_dir, 'model.safetensors.index.json'), 'w') as f:
        f.write(json.dumps({'metadata': {'total_size': total}, 'weight_map': weight_map}, indent=2, sort_keys=True) + '\n')
    with open(os.path.join(shard_dir, 'expected.json'), 'w') as f:
        json.dump(expected(w, None), f)
        f.write('\n')
    print('wrote fixtures to', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
