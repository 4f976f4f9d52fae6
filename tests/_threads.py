"""Make every op take its threaded path, even on tiny test tensors.

Imported as a plain module (``from _threads import every_op_threaded``; tests/ is on
``sys.path``, see ``_tolerance``). The root conftest wraps it in the ``force_parallel`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from neuralab import parallel
from neuralab.ops import conv


@contextmanager
def every_op_threaded() -> Iterator[None]:
    """Two threads, one image per chunk, no size thresholds: matrix products are split over
    the threads and every chunked op runs its chunks on them."""
    before = parallel.get_num_threads()
    parallel.set_num_threads(2)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(parallel, "CHUNK_BYTES", 1)
            patch.setattr(conv, "COLUMN_CHUNK_BYTES", 1)
            patch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
            patch.setattr(parallel, "MIN_PARALLEL_FLOPS", 0)
            patch.setattr(parallel, "MIN_SPLIT_FLOPS", 0)
            yield
    finally:
        parallel.set_num_threads(before)
