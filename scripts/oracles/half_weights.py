#!/usr/bin/python3
"""Writes test/fixtures/io/half_weights.json (run by hand; needs python3-numpy):

    /usr/bin/python3 scripts/oracles/half_weights.py

The oracle for reading F16 and BF16 weights as float32 (issue 15: an llmts checkpoint with F16
weights was read as raw 16-bit integers). numpy does the conversions independently of llmts:
  - F16: numpy's IEEE binary16 (float32 -> float16 rounds to nearest even; float16 -> float32
    is exact), the bit patterns via .view(uint16);
  - BF16: numpy has no bfloat16, so the upper 16 bits of the float32 pattern, rounded to
    nearest even on the dropped 16 bits (what torch's .to(torch.bfloat16) does), and back by
    shifting into the upper half of a float32.
The values: seeded normals at weight scale, the edges (0, -0, 1, tiny, huge, subnormals,
65504, the largest finite float32), so both the normal path and the corner cases are covered.
Output: {"f16": {"bits": [...], "float32": [...]}, "bf16": {...}} with float32 values as
numbers (no NaN/Inf among them: weights must be finite).
"""
import json
import os

import numpy as np

rng = np.random.default_rng(15)
weights = (rng.standard_normal(512) * 0.02).astype(np.float32)
edges = np.array(
    [0.0, -0.0, 1.0, -2.5, 1e-3, -7.5e-5, 6.0e-8, 5.9e-8, 1.0e-40, 65504.0, 65519.0, 3.0e38, -1.5e-45, 0.1, 1 / 3],
    dtype=np.float32,
)
values = np.concatenate([weights, edges])

f16 = values.astype(np.float16)
f16_bits = f16.view(np.uint16)
f16_back = f16.astype(np.float32)

u32 = values.view(np.uint32).astype(np.uint64)
bf16_bits = ((u32 + 0x7FFF + ((u32 >> 16) & 1)) >> 16).astype(np.uint16)
bf16_back = (bf16_bits.astype(np.uint32) << 16).view(np.float32)


def finite(xs):
    out = []
    for x in xs.tolist():
        assert np.isfinite(x), x
        out.append(x)
    return out


# 65519 and 3e38 overflow binary16 to infinity: keep them out of the F16 weights
f16_ok = np.isfinite(f16_back)
fixture = {
    "source": values[f16_ok].tolist(),
    "f16": {"bits": f16_bits[f16_ok].tolist(), "float32": finite(f16_back[f16_ok])},
    "bf16": {"bits": bf16_bits.tolist(), "float32": finite(bf16_back)},
    "bf16_source": values.tolist(),
}
out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "io", "half_weights.json")
with open(out, "w") as f:
    json.dump(fixture, f)
print(f"wrote {os.path.normpath(out)}: {int(f16_ok.sum())} F16 and {len(values)} BF16 values")
