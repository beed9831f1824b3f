"""Patch extraction and folding on periodic and non-periodic images.

A patch vector is a ``k x k x C`` window flattened in (row, column, channel)
order. Output images are periodic (patches wrap around the borders, so the
result tiles); exemplars are not (only windows fully inside are used).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass(frozen=True)
class PatchGrid:
    """Top-left corners of patches on a periodic image, on a strided grid.

    Attributes
    ----------
    height, width:
        Size of the periodic image.
    side:
        Patch side ``k``.
    stride:
        Grid step; 1 takes every pixel.
    offset:
        (row, column) of the first corner, in ``[0, stride)``.
    """

    height: int
    width: int
    side: int
    stride: int = 1
    offset: tuple[int, int] = (0, 0)

    @property
    def rows(self) -> int:
        """Number of grid rows (corners down the image)."""
        return -(-(self.height - self.offset[0]) // self.stride)

    @property
    def cols(self) -> int:
        """Number of grid columns (corners across the image)."""
        return -(-(self.width - self.offset[1]) // self.stride)

    @property
    def count(self) -> int:
        """Number of patches on the grid."""
        return self.rows * self.cols


def wrap_pad(image: np.ndarray, extra: int) -> np.ndarray:
    """Pad an (H, W, C) image by ``extra`` pixels at the bottom and right, wrapping."""
    return np.pad(image, ((0, extra), (0, extra), (0, 0)), mode="wrap")


def periodic_patches(image: np.ndarray, grid: PatchGrid, row_start: int = 0, row_stop: int | None = None) -> np.ndarray:
    """Extract patches of a periodic image on ``grid``.

    Parameters
    ----------
    image:
        (H, W, C) float32, H and W equal to the grid's.
    grid:
        Where the patches start.
    row_start, row_stop:
        Range of grid rows to extract (for chunked processing).

    Returns
    -------
    (n, k*k*C) float32, C-contiguous, rows in grid order.
    """
    k, s = grid.side, grid.stride
    stop = grid.rows if row_stop is None else row_stop
    oy, ox = grid.offset
    if s == k:
        # Non-overlapping patches: one reshape of the (rolled, wrap-extended) band.
        c = image.shape[2]
        ys = (oy + np.arange(row_start * k, stop * k)) % grid.height
        xs = (ox + np.arange(grid.cols * k)) % grid.width
        band = image[ys[:, None], xs[None, :]]
        tiles = band.reshape(stop - row_start, k, grid.cols, k, c).transpose(0, 2, 1, 3, 4)
        return np.ascontiguousarray(tiles).reshape(-1, k * k * c)
    extra = k + s
    padded = wrap_pad(image, extra)
    y0 = oy + row_start * s
    y1 = oy + (stop - 1) * s + k
    band = padded[y0:y1]
    windows = sliding_window_view(band, (k, k), axis=(0, 1))[::s, ox::s][: stop - row_start, : grid.cols]  # type: ignore[call-overload]  # numpy 1.26 stubs: axis tuple
    # windows: (rows, cols, C, k, k) -> (rows, cols, k, k, C)
    return np.ascontiguousarray(windows.transpose(0, 1, 3, 4, 2)).reshape(-1, k * k * image.shape[2])


def fold_periodic(
    values: np.ndarray,
    grid: PatchGrid,
    channels: int,
    out: np.ndarray | None = None,
    row_start: int = 0,
    *,
    transposed: bool = False,
) -> np.ndarray:
    """Add patch vectors back onto a periodic image (the adjoint of extraction).

    Parameters
    ----------
    values:
        (n, k*k*C) patch vectors for grid rows starting at ``row_start``, or
        with ``transposed`` their (k*k*C, n) transpose, which folds fastest
        (each patch offset is then one contiguous plane).
    grid:
        The grid the vectors belong to.
    channels:
        C.
    out:
        (H, W, C) float32 accumulator; a new zero image if None.

    Returns
    -------
    The accumulator, with every patch vector added where its patch lies.

    Notes
    -----
    Polyphase overlap-add: offset d = s * q + r inside a patch lands in phase
    r of the canvas, q blocks further on, so each of the k*k offsets is one
    slice-add into an (s, s) stack of phase planes, interleaved at the end.
    """
    k, s, c = grid.side, grid.stride, channels
    h, w = grid.height, grid.width
    if out is None:
        out = np.zeros((h, w, c), dtype=np.float32)
    n = values.shape[1] if transposed else values.shape[0]
    rows, cols = n // grid.cols, grid.cols
    shift = ((grid.offset[0] + row_start * s) % h, grid.offset[1] % w)
    if s == k and transposed:
        # Non-overlapping patches: the canvas is one transposition of the values.
        tiles = values.reshape(k, k, c, rows, cols).transpose(3, 0, 4, 1, 2).reshape(rows * k, cols * k, c)
        if tiles.shape[:2] != (h, w):
            tiles = _wrap(tiles, h, w)
        out += np.roll(tiles, shift, axis=(0, 1))
        return out
    blocks = -(-k // s)
    phases = np.zeros((s, s, c, rows + blocks, cols + blocks), dtype=np.float32)
    for dy in range(k):
        qy, ry = divmod(dy, s)
        for dx in range(k):
            qx, rx = divmod(dx, s)
            j = (dy * k + dx) * c
            if transposed:
                plane = values[j : j + c].reshape(c, rows, cols)
            else:
                plane = values[:, j : j + c].reshape(rows, cols, c).transpose(2, 0, 1)
            phases[ry, rx, :, qy : qy + rows, qx : qx + cols] += plane
    canvas = phases.transpose(2, 3, 0, 4, 1).reshape(c, (rows + blocks) * s, (cols + blocks) * s)
    # canvas row r is image row (offset + row_start * s + r) mod H; wrap it onto the image.
    out += np.roll(_wrap(canvas.transpose(1, 2, 0), h, w), shift, axis=(0, 1))
    return out


def _wrap(canvas: np.ndarray, h: int, w: int) -> np.ndarray:
    """Fold an (H', W', C) canvas larger than (h, w) onto (h, w, C), wrapping around."""
    wrapped = np.zeros((h, w, canvas.shape[2]), dtype=np.float32)
    for y in range(0, canvas.shape[0], h):
        for x in range(0, canvas.shape[1], w):
            part = canvas[y : y + h, x : x + w]
            wrapped[: part.shape[0], : part.shape[1]] += part
    return wrapped


def exemplar_patches(image: np.ndarray, size: int, index: np.ndarray | None = None) -> np.ndarray:
    """Extract non-wrapping patches of an exemplar.

    Parameters
    ----------
    image:
        (H, W, C) float32.
    size:
        Patch side k (at most min(H, W)).
    index:
        Optional flat indices into the (H-k+1) x (W-k+1) corner grid; all
        corners when None.

    Returns
    -------
    (n, k*k*C) float32 patch vectors.
    """
    c = image.shape[2]
    windows = sliding_window_view(image, (size, size), axis=(0, 1))  # type: ignore[call-overload]  # (h, w, C, k, k); numpy 1.26 stubs: axis tuple
    windows = windows.transpose(0, 1, 3, 4, 2)
    if index is None:
        return np.ascontiguousarray(windows).reshape(-1, size * size * c)
    _rows, cols = windows.shape[:2]
    iy, ix = np.divmod(index, cols)
    return np.ascontiguousarray(windows[iy, ix]).reshape(-1, size * size * c)


def sample_corners(
    height: int, width: int, size: int, count: int, rng: np.random.Generator, valid: np.ndarray | None = None
) -> np.ndarray:
    """Flat indices of up to ``count`` distinct patch corners of an exemplar.

    ``valid``: optional (height - size + 1, width - size + 1) bool of the
    corners allowed (all by default).
    """
    if valid is not None:
        return sample_indices(np.flatnonzero(valid), count, rng)
    total = (height - size + 1) * (width - size + 1)
    if total <= count:
        return np.arange(total)
    return np.sort(rng.choice(total, size=count, replace=False))


def sample_indices(pool: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``count`` distinct entries of the 1-D array ``pool``, drawn without replacement, sorted.

    All of ``pool`` as it is when it has at most ``count`` entries (no random
    draw then); ``pool`` is usually sorted flat indices.
    """
    if pool.size <= count:
        return pool
    return np.sort(rng.choice(pool, size=count, replace=False))


def pca_basis(sample: np.ndarray, components: int) -> tuple[np.ndarray, np.ndarray]:
    """Leading principal components of patch vectors.

    Parameters
    ----------
    sample:
        (n, D) patch vectors (any float type; computed in float64).
    components:
        Most components kept (at most D are).

    Returns
    -------
    mean:
        (D,) float32, the sample's mean.
    basis:
        (D, q) float32, C-contiguous, q = min(components, D): the
        eigenvectors of the scatter matrix, largest eigenvalue first. Features
        are ``(patches - mean) @ basis``.
    """
    s = sample.astype(np.float64)
    mean = s.mean(axis=0)
    centered = s - mean
    _, vecs = np.linalg.eigh(centered.T @ centered)
    q = min(components, s.shape[1])
    return mean.astype(np.float32), np.ascontiguousarray(vecs[:, ::-1][:, :q], dtype=np.float32)
