"""Shared fixtures of the core tests (no bpy needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


def load_exemplar(name: str, size: int | None = None, grey: bool = False) -> np.ndarray:
    """A bundled exemplar as (H, W, C) float32 in [0, 1], optionally downscaled to ``size``."""
    from PIL import Image

    with Image.open(DATA / f"{name}.png") as im:
        im = im.convert("L" if grey else "RGB")
        if size is not None:
            im = im.resize((size, size), Image.Resampling.LANCZOS)
        a = np.asarray(im, dtype=np.float32) / 255.0
    return a[:, :, None] if a.ndim == 2 else a


@pytest.fixture(scope="session")
def gravel64() -> np.ndarray:
    """Grey gravel, 64x64, one channel."""
    return load_exemplar("gravel_gray", 64, grey=True)


@pytest.fixture(scope="session")
def bark64() -> np.ndarray:
    """Colour bark, 64x64, RGB."""
    return load_exemplar("bark", 64)
