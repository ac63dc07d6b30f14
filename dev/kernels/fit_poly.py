"""Fits the polynomial coefficients of native/src/vmath.h (run by hand with Debian's python3 + numpy).

Each fit minimizes the maximum relative error on a dense grid (Lawson's iteratively reweighted
least squares), then reports the error of a float32 Horner evaluation against float64.
Functions are computed with math.erf / math.erfc / numpy in float64.
"""
import math
import numpy as np

def lawson(basis, target, iters=300):
    """min_c max_i |basis_i . c - target_i| / |target_i| (weights grow where the error is largest)"""
    w = np.ones(len(target)) / len(target)
    scale = 1 / np.abs(target)
    A = basis * scale[:, None]
    b = target * scale
    for _ in range(iters):
        sw = np.sqrt(w)
        c, *_ = np.linalg.lstsq(A * sw[:, None], b * sw, rcond=None)
        err = np.abs(A @ c - b)
        w = w * err
        w /= w.sum()
    return c, np.max(np.abs(A @ c - b))

def horner32(coefs, x):
    x = x.astype(np.float32)
    acc = np.float32(coefs[-1])
    for c in coefs[-2::-1]:
        acc = (acc * x + np.float32(c)).astype(np.float32)
    return acc

def show(name, coefs):
    print(f"/* {name} */")
    for i, c in enumerate(coefs):
        print(f"#define {name}{i} {np.float32(c).item():.9e}f")

# exp(r) = 1 + r + r^2 * P(r) on [-ln2/2, ln2/2]
r = np.linspace(-math.log(2) / 2, math.log(2) / 2, 4001)
r = r[np.abs(r) > 1e-6]
deg = 5
target = (np.exp(r) - 1 - r) / r**2
c, e = lawson(np.stack([r**i for i in range(deg)], 1), target)
show("EXP_P", c)
r32 = r.astype(np.float32)
approx = 1 + r32 + r32 * r32 * horner32(c, r32)
print("exp max rel err", np.max(np.abs(approx.astype(np.float64) - np.exp(r32.astype(np.float64))) / np.exp(r32.astype(np.float64))))

# tanh(x) = x + x^3 * P(x^2) on [0, 0.625]
x = np.linspace(1e-4, 0.625, 4001)
deg = 5
target = (np.tanh(x) - x) / x**3
c, e = lawson(np.stack([(x * x) ** i for i in range(deg)], 1), target)
show("TANH_P", c)
x32 = x.astype(np.float32)
approx = x32 + x32 * (x32 * x32) * horner32(c, x32 * x32)
print("tanh small max rel err", np.max(np.abs(approx - np.tanh(x32.astype(np.float64))) / np.tanh(x32.astype(np.float64))))

# erf(z) = z * P(z^2) on [0, Z0]
Z0 = 0.875
z = np.linspace(1e-4, Z0, 4001)
deg = 7
target = np.array([math.erf(t) for t in z]) / z
c, e = lawson(np.stack([(z * z) ** i for i in range(deg)], 1), target)
show("ERF_P", c)
z32 = z.astype(np.float32)
approx = z32 * horner32(c, z32 * z32)
ref = np.array([math.erf(float(t)) for t in z32])
print("erf small max rel err", np.max(np.abs(approx - ref) / ref))

# erfc(z) = exp(-z^2) * R(t), t = 1 / (1 + z / 2), on [Z0, 10.5]
z = np.linspace(Z0, 10.5, 8001)
t = 1 / (1 + 0.5 * z)
deg = 10
target = np.array([math.erfc(v) * math.exp(v * v) for v in z])
c, e = lawson(np.stack([t**i for i in range(deg)], 1), target)
show("ERFC_R", c)
z32 = z.astype(np.float32)
t32 = (np.float32(1) / (np.float32(1) + np.float32(0.5) * z32)).astype(np.float32)
approx = horner32(c, t32).astype(np.float64)
ref = np.array([math.erfc(float(v)) * math.exp(float(v) ** 2) for v in z32])
print("erfcx max rel err (poly only)", np.max(np.abs(approx - ref) / ref))
