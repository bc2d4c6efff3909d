r"""Wavelet filter banks and boundary-mode rules, with PyWavelets' numbers and conventions.

A :class:`Wavelet` holds the four filters of an orthogonal two-channel filter bank,
in the order of ``pywt.Wavelet(name).filter_bank``. From the reconstruction
low-pass filter :math:`g` of length :math:`F` (the Daubechies scaling filter,
:math:`\sum_k g_k = \sqrt 2`, :math:`\sum_k g_k g_{k+2m} = \delta_m`):

.. math::
    \mathrm{rec\_hi}_k = (-1)^k g_{F-1-k}, \qquad
    \mathrm{dec\_lo}_k = g_{F-1-k}, \qquad
    \mathrm{dec\_hi}_k = \mathrm{rec\_hi}_{F-1-k}.

``'haar'`` and ``'db1'`` are the same filters. The taps below are the
double-precision values of PyWavelets (``dbN`` has :math:`F = 2N` taps).

Boundary modes extend a signal :math:`x_0 \dots x_{N-1}` beyond its ends
(shown for the left side; the right side mirrors it):

=================  =============================================  ==========================
mode               left extension                                 coefficient length
=================  =============================================  ==========================
``zero``           ``0 0 | x0 x1 ...``                            ``floor((N + F - 1) / 2)``
``constant``       ``x0 x0 | x0 x1 ...``                          same
``symmetric``      ``x1 x0 | x0 x1 ...`` (half-sample mirror)     same
``reflect``        ``x2 x1 | x0 x1 ...`` (whole-sample mirror)    same
``periodic``       ``x[N-2] x[N-1] | x0 x1 ...``                  same
``smooth``         ``x0 + k (x0 - x1)`` at distance ``k``         same
``antisymmetric``  ``-x1 -x0 | x0 x1 ...``                        same
``antireflect``    ``2x0 - x2, 2x0 - x1 | x0 x1 ...``             same
``periodization``  periodic, odd ``N`` first padded by ``x[N-1]``  ``ceil(N / 2)``
=================  =============================================  ==========================
"""
from __future__ import annotations

import math
from dataclasses import dataclass

MODES = (
    "zero",
    "constant",
    "symmetric",
    "periodic",
    "smooth",
    "periodization",
    "reflect",
    "antisymmetric",
    "antireflect",
)

# Reconstruction low-pass filters (Daubechies scaling filters), PyWavelets' values.
_REC_LO: dict[str, tuple[float, ...]] = {
    "db1": (
        0.7071067811865476, 0.7071067811865476,
    ),
    "db2": (
        0.48296291314453416, 0.8365163037378079, 0.2241438680420134, -0.12940952255126037,
    ),
    "db3": (
        0.33267055295008263, 0.8068915093110925, 0.45987750211849154, -0.13501102001025458,
        -0.08544127388202666, 0.03522629188570953,
    ),
    "db4": (
        0.2303778133088965, 0.7148465705529157, 0.6308807679298589, -0.027983769416859854,
        -0.18703481171909309, 0.030841381835560764, 0.0328830116668852, -0.010597401785069032,
    ),
    "db5": (
        0.16010239797419293, 0.6038292697971896, 0.7243085284377729, 0.13842814590132074,
        -0.24229488706638203, -0.032244869584638375, 0.07757149384004572, -0.006241490212798274,
        -0.012580751999081999, 0.0033357252854737712,
    ),
    "db6": (
        0.11154074335010947, 0.49462389039845306, 0.7511339080210954, 0.31525035170919763,
        -0.22626469396543983, -0.12976686756726194, 0.09750160558732304, 0.027522865530305727,
        -0.03158203931748603, 0.0005538422011614961, 0.004777257510945511, -0.0010773010853084796,
    ),
    "db7": (
        0.07785205408500918, 0.3965393194819173, 0.7291320908462351, 0.4697822874051931,
        -0.14390600392856498, -0.22403618499387498, 0.07130921926683026, 0.08061260915108308,
        -0.03802993693501441, -0.01657454163066688, 0.01255099855609984, 0.0004295779729213665,
        -0.0018016407040474908, 0.00035371379997452024,
    ),
    "db8": (
        0.05441584224310401, 0.31287159091429995, 0.6756307362972898, 0.5853546836542067,
        -0.015829105256349306, -0.2840155429615469, 0.0004724845739132828, 0.12874742662047847,
        -0.017369301001807547, -0.044088253930794755, 0.013981027917398282, 0.008746094047405777,
        -0.004870352993451574, -0.00039174037337694705, 0.0006754494064505693,
        -0.00011747678412476953,
    ),
    "db9": (
        0.038077947363878345, 0.24383467461259034, 0.6048231236901112, 0.6572880780513005,
        0.13319738582500756, -0.2932737832791749, -0.09684078322297646, 0.14854074933810638,
        0.03072568147933338, -0.06763282906132997, 0.00025094711483145197, 0.022361662123679096,
        -0.004723204757751397, -0.00428150368246343, 0.0018476468830562265, 0.00023038576352319597,
        -0.0002519631889427101, 3.93473203162716e-05,
    ),
    "db10": (
        0.026670057900555554, 0.1881768000776915, 0.5272011889317256, 0.6884590394536035,
        0.2811723436605775, -0.24984642432731538, -0.19594627437737705, 0.12736934033579325,
        0.09305736460357235, -0.07139414716639708, -0.029457536821875813, 0.033212674059341,
        0.0036065535669561697, -0.010733175483330575, 0.001395351747052901, 0.001992405295185056,
        -0.0006858566949597116, -0.00011646685512928545, 9.358867032006959e-05,
        -1.3264202894521244e-05,
    ),
}
_ALIASES = {"haar": "db1"}


@dataclass(frozen=True)
class Wavelet:
    """An orthogonal wavelet's filter bank; the filters are float64 tuples of equal length."""

    name: str
    dec_lo: tuple[float, ...]
    dec_hi: tuple[float, ...]
    rec_lo: tuple[float, ...]
    rec_hi: tuple[float, ...]

    @property
    def filter_bank(self) -> tuple[tuple[float, ...], ...]:
        """``(dec_lo, dec_hi, rec_lo, rec_hi)``, as ``pywt.Wavelet.filter_bank``."""
        return (self.dec_lo, self.dec_hi, self.rec_lo, self.rec_hi)

    @property
    def dec_len(self) -> int:
        """Filter length ``F`` (``pywt.Wavelet.dec_len``)."""
        return len(self.dec_lo)

    @property
    def rec_len(self) -> int:
        return len(self.rec_lo)

    def __len__(self) -> int:
        return len(self.dec_lo)


def _from_rec_lo(name: str, rec_lo: tuple[float, ...]) -> Wavelet:
    f = len(rec_lo)
    rec_hi = tuple(rec_lo[f - 1 - k] if k % 2 == 0 else -rec_lo[f - 1 - k] for k in range(f))
    return Wavelet(
        name=name,
        dec_lo=tuple(reversed(rec_lo)),
        dec_hi=tuple(reversed(rec_hi)),
        rec_lo=tuple(rec_lo),
        rec_hi=rec_hi,
    )


def wavelist() -> list[str]:
    """Names accepted by :func:`get_wavelet`."""
    return ["haar"] + list(_REC_LO)


def get_wavelet(wavelet) -> Wavelet:
    """A :class:`Wavelet` from its name (``'haar'``, ``'db1'`` ... ``'db10'``) or itself."""
    if isinstance(wavelet, Wavelet):
        return wavelet
    if not isinstance(wavelet, str):
        raise TypeError(f"wavelet must be a wavelet name or a Wavelet, got {type(wavelet).__name__}")
    key = _ALIASES.get(wavelet, wavelet)
    if key not in _REC_LO:
        raise ValueError(f"wavelet must be one of {', '.join(map(repr, wavelist()))}; got {wavelet!r}")
    return _from_rec_lo(wavelet, _REC_LO[key])


def check_mode(mode) -> str:
    """Return ``mode`` if it is a known boundary mode, else raise naming ``mode``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}; got {mode!r}")
    return mode


def _filter_len(filter_len) -> int:
    if isinstance(filter_len, (Wavelet, str)):
        return get_wavelet(filter_len).dec_len
    if isinstance(filter_len, bool) or not isinstance(filter_len, int):
        raise TypeError(f"filter_len must be an int or a Wavelet, got {filter_len!r}")
    if filter_len < 1:
        raise ValueError(f"filter_len must be >= 1, got {filter_len}")
    return filter_len


def _data_len(data_len) -> int:
    if isinstance(data_len, bool) or not isinstance(data_len, int):
        raise TypeError(f"data_len must be an int, got {data_len!r}")
    if data_len < 1:
        raise ValueError(f"data_len must be >= 1, got {data_len}")
    return data_len


def dwt_coeff_len(data_len: int, filter_len, mode: str = "symmetric") -> int:
    """Length of each single-level coefficient array, as ``pywt.dwt_coeff_len``.

    ``ceil(N / 2)`` for ``'periodization'``, ``floor((N + F - 1) / 2)`` otherwise.
    """
    n = _data_len(data_len)
    f = _filter_len(filter_len)
    if check_mode(mode) == "periodization":
        return (n + 1) // 2
    return (n + f - 1) // 2


def dwt_max_level(data_len: int, filter_len) -> int:
    """Deepest useful level, as ``pywt.dwt_max_level``: ``floor(log2(N / (F - 1)))``, at least 0.

    It is the last level at which the approximation is still at least one filter long.
    """
    n = _data_len(data_len)
    f = _filter_len(filter_len)
    if f < 2 or n < f - 1:
        return 0
    level = int(math.floor(math.log2(n / (f - 1))))
    # guard the float log against an off-by-one at exact powers of two
    while (f - 1) << (level + 1) <= n:
        level += 1
    while level > 0 and (f - 1) << level > n:
        level -= 1
    return level
