"""Pixel layout and colour encoding conversions, NumPy only (never bpy).

Blender's ``Image.pixels`` is one flat float32 array of ``channels`` values
per pixel, bottom row first; the engine works on (H, W, C) arrays, top row
first. Everything here is pure NumPy, so the worker thread may call it, and
it is tested without Blender (tests/test_addon_helpers.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def from_blender(flat: np.ndarray, width: int, height: int, channels: int) -> np.ndarray:
    """An image in engine layout from Blender's flat buffer.

    Parameters
    ----------
    flat:
        (width * height * channels,) float32 as ``Image.pixels.foreach_get``
        fills it, bottom row first.

    Returns
    -------
    (height, width, channels) float32, top row first, a new contiguous array.
    """
    a = np.asarray(flat, dtype=np.float32).reshape(height, width, channels)
    return np.ascontiguousarray(a[::-1])


def to_blender(image: np.ndarray) -> np.ndarray:
    """Blender's flat RGBA buffer from an engine image.

    Parameters
    ----------
    image:
        (H, W, C) float, top row first; C = 1 (grey), 2 (grey, alpha),
        3 (RGB) or 4 (RGBA). Missing alpha becomes 1 (opaque).

    Returns
    -------
    (H * W * 4,) contiguous float32, bottom row first, ready for
    ``Image.pixels.foreach_set`` of a 4-channel image.
    """
    h, w, c = image.shape
    src = image[::-1]
    out = np.empty((h, w, 4), dtype=np.float32)
    if c in (1, 2):
        out[:, :, :3] = src[:, :, :1]
    elif c in (3, 4):
        out[:, :, :3] = src[:, :, :3]
    else:
        raise ValueError(f"image has {c} channels; expected 1, 2, 3 or 4")
    out[:, :, 3] = src[:, :, c - 1] if c in (2, 4) else 1.0
    return out.reshape(-1)


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB-encoded values (0..1) to linear light (the sRGB transfer function)."""
    v = np.asarray(values, dtype=np.float32)
    return np.where(v <= 0.04045, v / 12.92, ((np.maximum(v, 0.04045) + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Linear light to sRGB-encoded values (inverse of :func:`srgb_to_linear`)."""
    v = np.asarray(values, dtype=np.float32)
    high = 1.055 * np.power(np.maximum(v, 0.0031308), 1.0 / 2.4) - 0.055
    return np.where(v <= 0.0031308, v * 12.92, high).astype(np.float32)


def convert_rgb(image: np.ndarray, transfer: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """A copy of an (H, W, C) image with ``transfer`` (e.g. :func:`srgb_to_linear`) applied to its colour.

    The colour channels are the first 3 (C = 3, 4) or the first (C = 1, 2,
    grey); alpha is never converted.
    """
    out = image.copy()
    n = 3 if image.shape[2] >= 3 else 1
    out[:, :, :n] = transfer(image[:, :, :n])
    return out
