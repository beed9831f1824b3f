"""A small shared thread pool for NumPy work that releases the GIL.

NumPy's matrix products, ufuncs, sorting and fancy indexing release the GIL,
so splitting independent pieces of work (halves of the projection
directions) over threads uses both cores of a laptop. Work is split the same
way whatever the number of cores, so results do not depend on it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_POOL: ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def workers() -> int:
    """Threads used: the CPU count, at most 4 (more does not help these sizes)."""
    return max(1, min(4, os.cpu_count() or 1))


def parallel_map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(item) for item in items]``, run on the shared pool; order kept."""
    items = list(items)
    if len(items) <= 1 or workers() == 1:
        return [fn(item) for item in items]
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="gass")
    return list(_POOL.map(fn, items))
