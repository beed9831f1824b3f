"""Limit the BLAS thread pool of the NumPy already loaded in this process.

The engine's matrix products are skinny (patches x 147 by 147 x 48); with two
BLAS threads they run several times slower than with one (measured on
2-core machines). Blender imports NumPy before any add-on loads, so an
environment variable is too late; instead this finds the OpenBLAS that NumPy
loaded and calls its own ``set_num_threads``. Where there is no OpenBLAS
(another BLAS, another platform) it does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")


_LIBRARIES: list[ctypes.CDLL] | None = None


def _openblas_libraries() -> list[ctypes.CDLL]:
    """The OpenBLAS libraries loaded in this process (looked up once)."""
    global _LIBRARIES
    if _LIBRARIES is None:
        _LIBRARIES = _find_openblas()
    return _LIBRARIES


def _find_openblas() -> list[ctypes.CDLL]:
    paths: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.split()[-1] if line.strip() else ""
                if "openblas" in os.path.basename(path).lower() and path not in paths:
                    paths.append(path)
    except OSError:
        return []
    libs = []
    for path in paths:
        with contextlib.suppress(OSError):
            libs.append(ctypes.CDLL(path))
    return libs


def _call(lib: ctypes.CDLL, names: tuple[str, ...], *args: int) -> int | None:
    for name in names:
        fn = getattr(lib, name, None)
        if fn is not None:
            return int(fn(*args)) if not args else (fn(*args), 0)[1]
    return None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the body with one BLAS thread, restoring the previous count after."""
    import numpy  # noqa: F401  (make sure NumPy's BLAS is loaded before we look)

    libs = _openblas_libraries()
    previous = [_call(lib, _GETTERS) for lib in libs]
    for lib in libs:
        _call(lib, _SETTERS, 1)
    try:
        yield
    finally:
        for lib, count in zip(libs, previous):
            if count:
                _call(lib, _SETTERS, count)
