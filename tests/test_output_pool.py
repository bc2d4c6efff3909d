"""The recycled memory of large CPU wavelet outputs (output_pool): results still equal PyWavelets'
when buffers are reused, a buffer is never reused while any view of it lives, the unused memory
stays under its limit and clear_workspace releases it."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import pywt
import torch

import front_kernels as fk
from front_kernels._backends.reference import native, output_pool

pytestmark = pytest.mark.skipif(not native.available(), reason="front_kernels._cpu is not built")


@pytest.fixture
def pool(monkeypatch):
    """Every output pooled (small shapes keep the tests fast), an empty pool before and after."""
    output_pool.release()
    monkeypatch.setattr(output_pool, "MIN_BYTES", 1)
    yield output_pool
    output_pool.release()


def _x(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _assert_pywt(coeffs, x, wavelet, mode, level):
    ref = pywt.wavedec2(x.numpy(), wavelet, mode=mode, level=level)
    np.testing.assert_allclose(coeffs[0].numpy(), ref[0], rtol=0, atol=1e-12)
    for got, want in zip(coeffs[1:], ref[1:]):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w, rtol=0, atol=1e-12)


def test_a_freed_output_is_reused_and_still_exact(pool):
    x1, x2 = _x((3, 64, 48), 1), _x((3, 64, 48), 2)
    first = fk.wavedec2(x1, "db4", mode="symmetric", level=2)
    ptr = first[1][0].untyped_storage().data_ptr()
    del first
    assert pool.pooled_bytes() > 0
    second = fk.wavedec2(x2, "db4", mode="symmetric", level=2)
    assert ptr in {b.untyped_storage().data_ptr() for b in second[1]}
    _assert_pywt(second, x2, "db4", "symmetric", 2)
    rec = fk.waverec2(second, "db4", mode="symmetric")
    np.testing.assert_allclose(rec.numpy(), pywt.waverec2(pywt.wavedec2(x2.numpy(), "db4", "symmetric", level=2),
                                                          "db4", mode="symmetric"), rtol=0, atol=1e-12)


def test_a_buffer_with_a_live_view_is_not_reused(pool):
    x1, x2 = _x((2, 40, 40), 3), _x((2, 40, 40), 4)
    first = fk.wavedec2(x1, "haar", mode="zero", level=1)
    kept = first[1][2][1:, ::2]  # a strided view of one band: the only reference left
    expected = pywt.wavedec2(x1.numpy(), "haar", mode="zero", level=1)[1][2][1:, ::2].copy()
    del first
    for seed in range(3):
        fk.wavedec2(x2 + seed, "haar", mode="zero", level=1)
    np.testing.assert_array_equal(kept.numpy(), expected)


def test_storage_holds_exactly_the_output(pool):
    x = _x((4, 32, 32), 5)
    a = fk.wavedec2(x, "db2", mode="periodization", level=1)[1][0]
    assert a.untyped_storage().nbytes() == 4 * 4 * 16 * 16 * 8
    assert a.untyped_storage().data_ptr() % (2 << 20) == 0
    assert not a.untyped_storage().resizable()


def test_unused_memory_stays_under_the_limit(pool, monkeypatch):
    monkeypatch.setattr(pool, "limit_bytes", 100_000)
    for n in (40, 48, 56, 64, 72):  # outputs of 51-166 kB: distinct sizes, none reusable by the next
        fk.wavedec2(_x((n, n), n), "haar", mode="zero", level=1)
        assert pool.pooled_bytes() <= 100_000
    big = fk.wavedec2(_x((160, 160), 0), "haar", mode="zero", level=1)  # 205 kB: above the limit, not pooled
    assert big[0].untyped_storage().nbytes() == 4 * 80 * 80 * 8
    del big
    assert pool.pooled_bytes() <= 100_000


def test_clear_workspace_releases_the_pool(pool):
    fk.wavedec2(_x((2, 64, 64), 6), "db2", mode="zero", level=2)
    assert pool.pooled_bytes() > 0
    fk.clear_workspace()
    assert pool.pooled_bytes() == 0


def test_inference_mode_gives_inference_tensors_like_torch_empty(pool):
    x = _x((2, 32, 32), 7)
    with torch.inference_mode():
        c = fk.wavedec2(x, "haar", level=1)
        assert c[0].is_inference() == torch.empty(1).is_inference()
    assert not fk.wavedec2(x, "haar", level=1)[0].is_inference()


def test_threads_get_distinct_buffers(pool):
    xs = [_x((2, 48, 48), 10 + i) for i in range(4)]
    results, errors = [None] * 4, []

    def work(i):
        try:
            for _ in range(20):
                results[i] = fk.wavedec2(xs[i], "db2", mode="reflect", level=2)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for x, c in zip(xs, results):
        _assert_pywt(c, x, "db2", "reflect", 2)


def test_outputs_below_the_threshold_are_plain_tensors():
    output_pool.release()
    c = fk.wavedec2(_x((2, 32, 32), 8), "haar", level=1)
    assert c[0].untyped_storage().resizable()  # a torch.empty storage
    assert output_pool.pooled_bytes() == 0
