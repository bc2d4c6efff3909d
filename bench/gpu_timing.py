"""Timing shared by the GPU bench scripts: CUDA-event medians after a warm-up."""
from __future__ import annotations

import statistics

import torch


def cuda_time_ms(fn, repeat: int) -> float:
    """Median of ``repeat`` CUDA-event timings of ``fn`` after three warm-up calls, in milliseconds."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)
