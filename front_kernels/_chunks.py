"""Splitting stacks of equal-shape matrices, spread over several tensors, into chunks."""
from __future__ import annotations


def plan_chunks(counts: list[int], per_chunk: int) -> list[list[tuple[int, int, int]]]:
    """Split ``counts[i]`` matrices of tensor ``i`` into chunks of at most ``per_chunk`` matrices.

    Each chunk is a list of ``(tensor_index, first_matrix, matrices)``; the
    chunks cover every matrix once, in order.
    """
    if per_chunk < 1:
        raise ValueError(f"per_chunk must be at least 1, got {per_chunk}")
    chunks, cur, cur_rows = [], [], 0
    for i, b in enumerate(counts):
        r0 = 0
        while r0 < b:
            take = min(b - r0, per_chunk - cur_rows)
            cur.append((i, r0, take))
            cur_rows += take
            r0 += take
            if cur_rows == per_chunk:
                chunks.append(cur)
                cur, cur_rows = [], 0
    if cur:
        chunks.append(cur)
    return chunks
