"""Exact moments of a layered claim payment for lognormal and gamma claim costs.

For one claim of cost X, a per-claim deductible d, a limit L and coinsurance c, the
payment is ``c * min(max(X - d, 0), L)``. Its mean and second moment follow from the
partial moments ``M_k(a) = E[X^k; X <= a]``, which have closed forms for both
distributions, so the whole census is priced without simulation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["gamma_params", "layer_moments", "lognormal_params"]

FloatArray = npt.NDArray[np.float64]


def lognormal_params(mean: float, sigma: float) -> tuple[float, float]:
    """(mu, sigma) of a lognormal with the given mean and log-sd."""
    return float(np.log(mean) - 0.5 * sigma * sigma), sigma


def gamma_params(mean: float, cv: float) -> tuple[float, float]:
    """(shape, scale) of a gamma with the given mean and coefficient of variation."""
    shape = 1.0 / (cv * cv)
    return shape, mean / shape


def _partial_lognormal(k: int, a: FloatArray, mu: FloatArray, sigma: float) -> FloatArray:
    with np.errstate(divide="ignore"):
        log_a = np.log(a)  # log(0) = -inf gives Phi(-inf) = 0, as wanted
    return np.exp(k * mu + 0.5 * k * k * sigma * sigma) * special.ndtr(
        (log_a - mu - k * sigma * sigma) / sigma
    )


def _partial_gamma(k: int, a: FloatArray, shape: float, scale: FloatArray) -> FloatArray:
    # E[X^k; X <= a] = scale^k * Gamma(shape + k) / Gamma(shape) * P(shape + k, a / scale)
    ratio = np.exp(special.gammaln(shape + k) - special.gammaln(shape))
    return scale**k * ratio * special.gammainc(shape + k, a / scale)


def layer_moments(
    distribution: str,
    params: tuple[float, float],
    scale_factor: FloatArray,
    deductible: FloatArray,
    limit: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """First and second moments of ``Y = min(max(X - d, 0), L)`` per element.

    ``scale_factor`` multiplies the claim cost (the country's cost index), i.e. X is
    replaced by ``scale_factor * X``.
    """
    d = np.asarray(deductible, dtype=np.float64)
    top = d + np.asarray(limit, dtype=np.float64)
    if distribution == "lognormal":
        mu0, sigma = params
        mu = mu0 + np.log(scale_factor)

        def m(k: int, a: FloatArray) -> FloatArray:
            return _partial_lognormal(k, a, mu, sigma)
    elif distribution == "gamma":
        shape, theta0 = params
        theta = theta0 * scale_factor

        def m(k: int, a: FloatArray) -> FloatArray:
            return _partial_gamma(k, a, shape, theta)
    else:  # pragma: no cover - the tariff schema admits only these two
        raise ValueError(f"unknown severity distribution {distribution!r}")

    m0_d, m0_u = m(0, d), m(0, top)
    m1_d, m1_u = m(1, d), m(1, top)
    m2_d, m2_u = m(2, d), m(2, top)
    survival_u = 1.0 - m0_u
    survival_d = 1.0 - m0_d
    # E[Y] = LEV(d + L) - LEV(d), LEV(a) = M_1(a) + a * S(a)
    first = (m1_u + top * survival_u) - (m1_d + d * survival_d)
    # E[Y^2] = E[(X - d)^2; d < X <= u] + L^2 * S(u)
    inside = (m2_u - m2_d) - 2.0 * d * (m1_u - m1_d) + d * d * (m0_u - m0_d)
    second = inside + (top - d) ** 2 * survival_u
    return np.maximum(first, 0.0), np.maximum(second, 0.0)
