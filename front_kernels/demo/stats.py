r"""Summaries over seeds: mean and sample standard deviation, and the paired
comparison of an init against random init.

For ``n`` paired differences :math:`d_i` (the same source model, fine-tuning
seed, data order and target draw; only the initial weights differ), the mean
difference :math:`\bar d` has the Student-t 95% interval
:math:`\bar d \pm t_{0.975,\,n-1}\, s_d / \sqrt n`, with :math:`s_d` the sample
standard deviation (``n - 1`` in the denominator).
"""
from __future__ import annotations

import math

# two-sided 95% quantiles t_{0.975, df} of Student's t, df = 1..30
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t_quantile_975(df: int) -> float:
    """:math:`t_{0.975, df}`: tabulated up to 30, then the Cornish-Fisher expansion
    :math:`z + (z^3 + z)/(4 df) + (5z^5 + 16z^3 + 3z)/(96 df^2)` (error < 1e-3)."""
    if df < 1:
        raise ValueError(f"df must be >= 1, got {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def mean_sd(values) -> tuple[float, float]:
    """Mean and sample standard deviation (``nan`` for a single value)."""
    v = [float(x) for x in values]
    if not v:
        raise ValueError("mean_sd of no values")
    m = sum(v) / len(v)
    if len(v) < 2:
        return m, math.nan
    return m, math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))


def paired_difference(values, baseline) -> dict:
    """Mean of ``values[i] - baseline[i]`` with its 95% t interval (``nan`` bounds for one pair).

    Returns ``{"mean", "sd", "low", "high", "n"}``."""
    a, b = list(values), list(baseline)
    if len(a) != len(b) or not a:
        raise ValueError(f"paired_difference needs equally many values, got {len(a)} and {len(b)}")
    d = [float(x) - float(y) for x, y in zip(a, b)]
    m, sd = mean_sd(d)
    if len(d) < 2:
        return {"mean": m, "sd": sd, "low": math.nan, "high": math.nan, "n": 1}
    half = t_quantile_975(len(d) - 1) * sd / math.sqrt(len(d))
    return {"mean": m, "sd": sd, "low": m - half, "high": m + half, "n": len(d)}
