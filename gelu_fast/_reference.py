"""High-precision references and ULP errors (used by the tests, the asv
suite and `python -m gelu_fast accuracy`).

The references are the mathematical definitions evaluated with mpmath at
50 significant digits (mpmath is an optional dependency: the `test` and
`bench` extras install it):

    gelu(x)      = x * Phi(x),            Phi(x) = erfc(-x/sqrt(2)) / 2
    gelu_grad(x) = Phi(x) + x * phi(x),   phi(x) = exp(-x*x/2) / sqrt(2*pi)
    gelu_tanh(x) = x * s(z),  z = 2*sqrt(2/pi)*(x + 0.044715*x**3)
    gelu_sigmoid(x) = x * s(z),  z = 1.702*x,   s(z) = 1/(1 + exp(-z))
    *_grad(x)    = s(z) + x*z'(x)*s(z)*(1 - s(z))
    *_backward(g, x) = g * *_grad(x)
    gelu_grad2(x) = phi(x)*(2 - x*x) = 2*phi(x) - x*x*phi(x)
    *_grad2(x)   = s(1 - s)*(2 z' + x z'') + s(1 - s)*x*z'**2*(1 - 2 s)

(each approximation with its constants taken as the exact decimals).

Inputs are taken exactly (a float is a dyadic rational), so the only error of
the reference is mpmath's, far below one ULP of any float format.

The error of a computed value y against the exact value v is |y - v| / ulp(v),
with ulp(v) the spacing of the target format at v: 2**(e - p + 1) for
2**e <= |v| < 2**(e+1), and the subnormal spacing below the normal range.

A derivative f' = a + b cancels near its zero (x ~ -0.75), and a second
derivative f'' = a2 + b2 near its zeros (x ~ +-1.4): there the error is
bounded relative to the terms, |error| <= bound*ULP + eps*(|a| + |b|)
(`allowance`), and the plain ULP bound applies where the terms do not cancel,
|f'| >= (|a| + |b|)/2 (`not_cancelling`).

For float32 and float16 inputs `terms_float64` gives the same quantities in
float64 with SciPy (ndtr, expit), vectorized: its relative error (a few
1e-14 at worst, from the rounding of x/sqrt(2) and z(x) amplified by |x|**2
in the tail) is ~1e-6 float32 ULP, so it measures float32 errors as well as
mpmath does, a million times faster (the exhaustive float32 check).
"""
import hashlib

import numpy as np

DIGITS = 50

# (precision in bits including the implicit one, minimum normal exponent),
# by dtype name; bfloat16 is ml_dtypes.bfloat16 (when installed)
_FORMATS = {"float16": (11, -14), "bfloat16": (8, -126), "float32": (24, -126), "float64": (53, -1022)}


def _format(dtype):
    return _FORMATS[np.dtype(dtype).name]


def finfo(dtype):
    """np.finfo, also for ml_dtypes.bfloat16 (which np.finfo does not know)."""
    dtype = np.dtype(dtype)
    if dtype.name == "bfloat16":
        import ml_dtypes
        return ml_dtypes.finfo(dtype)
    return np.finfo(dtype)


_CTX = None


def _mp():
    """A private mpmath context at DIGITS digits (the global one is left alone)."""
    global _CTX
    if _CTX is None:
        import mpmath
        _CTX = mpmath.MPContext()
        _CTX.dps = DIGITS
    return _CTX


FAMILIES = ("gelu", "gelu_tanh", "gelu_sigmoid")


def split_name(name):
    """'gelu_tanh_grad' -> ('gelu_tanh', 'grad'); 'gelu' -> ('gelu', '');
    'gelu_grad2' -> ('gelu', 'grad2')."""
    for kind in ("grad", "backward", "grad2"):
        if name.endswith("_" + kind):
            return name[: -len(kind) - 1], kind
    return name, ""


def sample_points(dtype):
    """Inputs for the accuracy tests and `python -m gelu_fast accuracy`:
    thousands of points over the whole range.

    Uniform over [-40, 40] (float64) / [-20, 20] (float32) and down to where
    gelu_sigmoid underflows, dense near zero, the underflow edges of the
    three functions (gelu ~ -38 / ~ -14), the zeros of their derivatives
    (gelu_grad's at -0.7518; the second derivatives' at +-1.41), log-spaced magnitudes down to the subnormals and up to the
    largest finite value, and the exact extremes of the format.
    """
    dtype = np.dtype(dtype)
    info = finfo(dtype)
    rng = np.random.default_rng(20261124)
    big = 40.0 if dtype == np.float64 else 20.0
    f64 = dtype == np.float64
    # underflow edges of gelu, gelu_tanh, gelu_sigmoid
    edges = [-38.5, -20.22, -440.97] if f64 else [-14.1, -10.74, -63.12]
    # zeros of gelu_grad, gelu_tanh_grad, gelu_sigmoid_grad, and of the
    # second derivatives (even: +-)
    zeros = [-0.7517915, -0.7524614, -0.7511543]
    zeros += [sg * z for z in (1.4142136, 1.4185040, 1.4097281) for sg in (1, -1)]
    parts = [
        rng.uniform(-big, big, 2000),
        rng.uniform(-9, 9, 1000),
        rng.standard_normal(400),
        rng.uniform(-500 if f64 else -70, -big, 200),
    ]
    parts += [e + rng.uniform(-1.5, 1.5, 150) for e in edges]
    parts += [z + rng.uniform(-1e-3, 1e-3, 60) for z in zeros]
    parts += [z + rng.uniform(-1e-7, 1e-7, 30) for z in zeros]
    lo, hi = np.log10(float(info.smallest_subnormal)), np.log10(float(info.max))
    mags = 10.0 ** np.linspace(lo, hi - 1e-9, 400)
    parts += [mags, -mags]
    x = np.concatenate(parts).astype(dtype)
    extremes = np.array([info.max, -info.max, info.tiny, -info.tiny, info.smallest_subnormal,
                         -info.smallest_subnormal, 0.0, -0.0, 1.0, -1.0], dtype=dtype)
    return np.unique(np.concatenate([x, extremes]))


def _terms(mp, family, v):
    """(value, first term, second term) of the family's function and its
    derivative at v, as mpf: derivative = first + second."""
    if family == "gelu":
        cdf = _normal_cdf(mp, v)
        return v * cdf, cdf, v * mp.exp(-v * v / 2) / mp.sqrt(2 * mp.pi)
    if family == "gelu_tanh":
        c1, c3 = 2 * mp.sqrt(2 / mp.pi), mp.mpf("0.044715")
        z, dz = c1 * (v + c3 * v**3), c1 * (1 + 3 * c3 * v * v)
    elif family == "gelu_sigmoid":
        z = dz = mp.mpf("1.702")
        z = z * v
    else:
        raise ValueError(f"unknown function family {family!r}")
    e = mp.exp(-abs(z))                    # s(z) and 1 - s(z) without cancellation
    s_pos, s_neg = 1 / (1 + e), e / (1 + e)
    s, one_minus_s = (s_pos, s_neg) if z >= 0 else (s_neg, s_pos)
    return v * s, s, v * dz * s * one_minus_s


def _terms2(mp, family, v):
    """(first, second) term of the family's second derivative at v (mpf):
    gelu: 2 phi, -v**2 phi; the approximations: s(1-s)(2 z' + v z''),
    s(1-s) v z'**2 (1 - 2s), with s(1-s) and 1 - 2s without cancellation."""
    if family == "gelu":
        phi = mp.exp(-v * v / 2) / mp.sqrt(2 * mp.pi)
        return 2 * phi, -v * v * phi
    if family == "gelu_tanh":
        c1, c3 = 2 * mp.sqrt(2 / mp.pi), mp.mpf("0.044715")
        z, dz, d2z = c1 * (v + c3 * v**3), c1 * (1 + 3 * c3 * v * v), 6 * c1 * c3 * v
    elif family == "gelu_sigmoid":
        c = mp.mpf("1.702")
        z, dz, d2z = c * v, c, mp.mpf(0)
    else:
        raise ValueError(f"unknown function family {family!r}")
    e = mp.exp(-abs(z))
    ss = e / (1 + e)**2                    # s(1 - s)
    one_minus_2s = (e - 1) / (1 + e) if z >= 0 else (1 - e) / (1 + e)
    return ss * (2 * dz + v * d2z), ss * v * dz * dz * one_minus_2s


def reference_terms2(family, x):
    """(first, second) terms of the family's second derivative at every
    element of x, as object arrays of mpf; 0 and 0 where x is not finite
    (the limit -0.0 is the caller's: reference())."""
    x = np.asarray(x)
    mp = _mp()
    flat = x.ravel()
    a, b = (np.empty(flat.shape, dtype=object) for _ in range(2))
    for i, xv in enumerate(flat):
        v = mp.mpf(float(xv))
        if mp.isfinite(v):
            a[i], b[i] = _terms2(mp, family, v)
        else:
            a[i], b[i] = (v, mp.mpf(0)) if mp.isnan(v) else (mp.mpf(0), mp.mpf(0))
    return a.reshape(x.shape), b.reshape(x.shape)


_TERMS_CACHE = {}
_TERMS_CACHE_SIZE = 8


def reference_terms(family, x):
    """(value, first term, second term) of the family's function and its
    derivative at every element of x, as object arrays of mpf, derivative =
    first + second.  A non-finite x gives (x, x, 0).

    Each point costs one mpmath evaluation, and the last few inputs are
    remembered: the function, its derivative, the backward and the term
    scale of one sample (what a test or an accuracy row asks for in turn)
    share it.
    """
    x = np.asarray(x)
    key = (family, x.dtype.str, x.shape, hashlib.sha1(np.ascontiguousarray(x).view(np.uint8)).digest())
    hit = _TERMS_CACHE.get(key)
    if hit is not None:
        return hit
    mp = _mp()
    flat = x.ravel()
    value, a, b = (np.empty(flat.shape, dtype=object) for _ in range(3))
    for i, xv in enumerate(flat):
        v = mp.mpf(float(xv))
        if mp.isfinite(v):
            value[i], a[i], b[i] = _terms(mp, family, v)
        else:
            value[i], a[i], b[i] = v, v, mp.mpf(0)
    out = tuple(arr.reshape(x.shape) for arr in (value, a, b))
    if len(_TERMS_CACHE) >= _TERMS_CACHE_SIZE:
        del _TERMS_CACHE[next(iter(_TERMS_CACHE))]     # the oldest
    _TERMS_CACHE[key] = out
    return out


def reference(name, x, g=None):
    """Exact values (mpmath mpf objects, as an object array) of a function.

    name: any gelu_fast ufunc name; for a *_backward, g is grad_output.
    """
    family, kind = split_name(name)
    x = np.asarray(x)
    if kind == "grad2":
        a2, b2 = reference_terms2(family, x)
        return a2 + b2
    value, a, b = reference_terms(family, x)
    if kind == "":
        return value.copy()
    r = a + b
    if kind == "backward":
        mp = _mp()
        gflat = np.broadcast_to(np.asarray(g), x.shape).ravel()
        flat = r.ravel()
        for i, (gv, v) in enumerate(zip(gflat, flat)):
            if mp.isfinite(v):          # a non-finite x gives x, as for the other kinds
                flat[i] = mp.mpf(float(gv)) * v
        r = flat.reshape(x.shape)
    return r


def _normal_cdf(mp, v):
    """Phi(v) to the context's precision for any finite v.

    mpmath's erfc overflows internally beyond |v| ~ 1e154; there the
    asymptotic series Q(a) = phi(a)/a * (1 - 1/a**2 + 3/a**4 - ...) is exact
    to far more than 50 digits after two terms (the third is 3/a**4 < 1e-400).
    """
    if abs(v) < mp.mpf(10) ** 100:
        return mp.erfc(-v / mp.sqrt(2)) / 2
    a = abs(v)
    q = mp.exp(-a * a / 2) / (mp.sqrt(2 * mp.pi) * a) * (1 - 1 / (a * a))
    return q if v < 0 else 1 - q


def ulp_float64(v, dtype):
    """ulp(v) in `dtype` (float32, float16 or bfloat16) for float64 values v, vectorized
    (v itself, not its rounding to dtype, sets the binade)."""
    p, emin = _format(dtype)
    av = np.abs(np.asarray(v, dtype=np.float64))
    _, e = np.frexp(av)                 # av = m * 2**e, 1/2 <= m < 1 (e = 0 for 0)
    e = np.where(av == 0, emin + 1, e)
    return np.ldexp(1.0, np.maximum(e - 1, emin) - p + 1)


def terms_float64(family, x):
    """(f(x), a, b) in float64 for float32/float16/bfloat16 x, with f'(x) = a + b:
    for gelu a = Phi(x), b = x*phi(x); for the approximations a = s(z),
    b = x*z'(x)*s(z)*(1 - s(z)).  Infinite x gives the limits (f(inf) = inf,
    f(-inf) = -0.0, f'(inf) = 1, f'(-inf) = -0.0); NaN gives NaN.  Needs SciPy."""
    from scipy.special import expit, ndtr
    x = np.asarray(x)
    if x.dtype.name not in ("float32", "float16", "bfloat16"):
        raise TypeError(f"terms_float64 measures float32/float16/bfloat16 inputs, not {x.dtype}")
    with np.errstate(all="ignore"):         # (signalling NaN inputs: the cast sets 'invalid')
        xd = x.astype(np.float64)
        if family == "gelu":
            a = ndtr(xd)
            b = xd * np.exp(-0.5 * xd * xd) * (1.0 / np.sqrt(2.0 * np.pi))
        else:
            if family == "gelu_tanh":
                c1, c3 = 2.0 * np.sqrt(2.0 / np.pi), 0.044715
                z, dz = c1 * (xd + c3 * (xd * xd * xd)), c1 * (1.0 + 3.0 * c3 * xd * xd)
            elif family == "gelu_sigmoid":
                z, dz = 1.702 * xd, 1.702
            else:
                raise ValueError(f"unknown function family {family!r}")
            a = expit(z)
            b = xd * dz * (a * expit(-z))      # s(z)*(1 - s(z)) without cancellation
        f = xd * a
    pos, neg = xd == np.inf, xd == -np.inf
    f[pos], f[neg] = np.inf, -0.0
    a[pos], a[neg] = 1.0, -0.0
    b[pos | neg] = 0.0
    return f, a, b


def terms2_float64(family, x):
    """(a2, b2) in float64 for float32/float16/bfloat16 x, with f''(x) =
    a2 + b2 (the terms of reference_terms2); 0, 0 at +-inf (the limit is
    -0.0), NaN for NaN.  Needs SciPy."""
    from scipy.special import expit
    x = np.asarray(x)
    if x.dtype.name not in ("float32", "float16", "bfloat16"):
        raise TypeError(f"terms2_float64 measures float32/float16/bfloat16 inputs, not {x.dtype}")
    with np.errstate(all="ignore"):
        xd = x.astype(np.float64)
        if family == "gelu":
            phi = np.exp(-0.5 * xd * xd) * (1.0 / np.sqrt(2.0 * np.pi))
            a, b = 2.0 * phi, -(xd * xd) * phi
        else:
            if family == "gelu_tanh":
                c1, c3 = 2.0 * np.sqrt(2.0 / np.pi), 0.044715
                z, dz, d2z = c1 * (xd + c3 * (xd * xd * xd)), c1 * (1.0 + 3.0 * c3 * xd * xd), 6.0 * c1 * c3 * xd
            elif family == "gelu_sigmoid":
                z, dz, d2z = 1.702 * xd, 1.702, 0.0
            else:
                raise ValueError(f"unknown function family {family!r}")
            ss = expit(z) * expit(-z)                        # s(1 - s) without cancellation
            one_minus_2s = expit(-z) - expit(z)
            a, b = ss * (2.0 * dz + xd * d2z), ss * xd * dz * dz * one_minus_2s
    inf = np.isinf(xd)
    a[inf], b[inf] = 0.0, 0.0
    return a, b


def allowance(terms, ulp, dtype, g=None):
    """eps*(|a| + |b|)*|g| / ulp in ULP: the term-relative part of the error
    bound of a derivative (times |grad_output| for a *_backward)."""
    scale = terms if g is None else terms * np.abs(np.asarray(g, dtype=np.float64))
    return float(finfo(dtype).eps) * scale / ulp


def not_cancelling(value, terms):
    """Where the derivative's terms do not cancel: |a + b| >= (|a| + |b|)/2."""
    return np.abs(value) >= 0.5 * terms


def ulp_of(v, dtype):
    """ulp(v) in `dtype` for an exact value v (mpf or float), as an mpf."""
    mp = _mp()
    p, emin = _format(dtype)
    v = abs(mp.mpf(v))
    if v == 0:
        return mp.ldexp(1, emin - p + 1)
    _, e = mp.frexp(v)          # v = m * 2**e, 1/2 <= m < 1
    return mp.ldexp(1, max(e - 1, emin) - p + 1)


def ulp_errors(computed, exact, dtype=None):
    """|computed - exact| / ulp(exact), elementwise, as float64.

    Infinite or NaN computed values count as infinite error, except where the
    exact value is the same special value.
    """
    mp = _mp()
    computed = np.asarray(computed)
    dtype = np.dtype(dtype or computed.dtype)
    out = np.empty(computed.shape, dtype=np.float64)
    for idx, (c, v) in enumerate(zip(computed.ravel(), np.asarray(exact).ravel())):
        c = float(c)
        if not mp.isfinite(v) or not np.isfinite(c):
            same = (np.isnan(c) and mp.isnan(v)) or (c == v)
            out.flat[idx] = 0.0 if same else np.inf
            continue
        out.flat[idx] = float(abs(mp.mpf(c) - v) / ulp_of(v, dtype))
    return out


def ulp_errors_float64(computed, exact, ulp):
    """ulp_errors for a float64 reference (terms_float64) with its ulp
    (ulp_float64), vectorized: |computed - exact| / ulp, and for special
    values 0 where computed is the same special value (NaN for NaN), else inf."""
    y = np.asarray(computed).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(y - exact) / ulp
    special = ~np.isfinite(exact) | ~np.isfinite(y)
    same = (y == exact) | (np.isnan(y) & np.isnan(exact))
    return np.where(special, np.where(same, 0.0, np.inf), err)


def term_scale(x, family="gelu", kind="grad"):
    """|a| + |b| in float64 for a derivative written a + b (for gelu_grad,
    |Phi(x)| + |x*phi(x)|; kind 'grad2': the second derivative's two terms):
    the scale of the derivative's terms, for the error bound near its zeros;
    0 where x is not finite."""
    x = np.asarray(x)
    if kind == "grad2":
        a, b = reference_terms2(family, x)
    else:
        _, a, b = reference_terms(family, x)
    out = np.array([float(abs(u) + abs(v)) for u, v in zip(a.ravel(), b.ravel())], dtype=np.float64)
    out[~np.isfinite(x.ravel().astype(np.float64))] = 0.0
    return out.reshape(x.shape)
