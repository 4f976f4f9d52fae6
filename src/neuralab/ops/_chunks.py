"""Run large elementwise work along the batch axis in cache-sized chunks.

A multi-step op (copy, compare, maximum, ...) over a whole 11 MB activation streams it through
memory once per step; on ~3 MB chunks the intermediates are still in cache for the next step.
Measured on the CNN benchmark's first pooling layer (128×32×26×26 float32): forward 3.4 → 2.2
ms. (Running the chunks on threads gained nothing there: after each GEMM, OpenBLAS's idle
worker spins on the other core for ~0.1 s.)
"""

from __future__ import annotations

from collections.abc import Callable

CHUNK_BYTES = 3 << 20  # at most this much input per chunk: stays in L2/L3 with its temporaries


def over_batch(fn: Callable[[int, int], None], n: int, bytes_per_item: int) -> None:
    """Call ``fn(start, stop)`` on consecutive slices covering ``range(n)``, each holding at
    most CHUNK_BYTES of input (``fn`` writes its own slice of preallocated outputs)."""
    step = max(1, CHUNK_BYTES // max(1, bytes_per_item))
    chunks = -(-n // step)
    step = -(-n // chunks)  # equal-sized chunks: no small remainder
    for start in range(0, n, step):
        fn(start, min(start + step, n))
