"""Patch extraction and folding, and resampling."""

from __future__ import annotations

import numpy as np
import pytest

from core.patches import PatchGrid, exemplar_patches, fold_periodic, periodic_patches
from core.resample import resize

GRIDS = [
    (10, 12, 3, 1, (0, 0)),
    (11, 13, 4, 2, (1, 0)),
    (9, 9, 7, 3, (2, 1)),
    (16, 15, 5, 2, (0, 1)),
    (20, 15, 5, 5, (3, 2)),  # non-overlapping fast path, sizes divisible by k
    (20, 15, 5, 5, (0, 0)),
    (23, 17, 5, 5, (4, 1)),  # non-overlapping fast path, last patches wrap over the first
]


@pytest.mark.parametrize(("h", "w", "k", "s", "off"), GRIDS)
def test_periodic_patch_wraps_around(h: int, w: int, k: int, s: int, off: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((h, w, 2)).astype(np.float32)
    grid = PatchGrid(h, w, k, s, off)
    patches = periodic_patches(x, grid)
    assert patches.shape == (grid.count, k * k * 2)
    r, c = grid.rows - 1, grid.cols - 1  # the last patch wraps on both axes
    ys = (np.arange(k) + off[0] + r * s) % h
    xs = (np.arange(k) + off[1] + c * s) % w
    np.testing.assert_array_equal(patches[-1], x[np.ix_(ys, xs)].reshape(-1))


@pytest.mark.parametrize(("h", "w", "k", "s", "off"), GRIDS)
def test_fold_is_the_adjoint_of_extraction(h: int, w: int, k: int, s: int, off: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    grid = PatchGrid(h, w, k, s, off)
    y = rng.random((h, w, 2)).astype(np.float32)
    v = rng.random((grid.count, k * k * 2)).astype(np.float32)
    lhs = float((periodic_patches(y, grid).astype(np.float64) * v).sum())
    rhs = float((fold_periodic(v, grid, 2).astype(np.float64) * y).sum())
    assert lhs == pytest.approx(rhs, rel=1e-5)
    transposed = fold_periodic(np.ascontiguousarray(v.T), grid, 2, transposed=True)
    np.testing.assert_allclose(transposed, fold_periodic(v, grid, 2), atol=1e-5)


def test_chunked_extraction_and_folding_match_whole() -> None:
    rng = np.random.default_rng(2)
    for grid in (PatchGrid(17, 19, 5, 2, (1, 1)), PatchGrid(17, 19, 5, 5, (4, 2))):
        _check_chunks(grid, rng)


def _check_chunks(grid: PatchGrid, rng: np.random.Generator) -> None:
    x = rng.random((17, 19, 3)).astype(np.float32)
    whole = periodic_patches(x, grid)
    parts = np.concatenate([periodic_patches(x, grid, 0, 3), periodic_patches(x, grid, 3, None)])
    np.testing.assert_array_equal(whole, parts)
    v = rng.random(whole.shape).astype(np.float32)
    folded = fold_periodic(v[: 3 * grid.cols], grid, 3)
    fold_periodic(v[3 * grid.cols :], grid, 3, out=folded, row_start=3)
    np.testing.assert_allclose(folded, fold_periodic(v, grid, 3), atol=1e-5)


def test_exemplar_patches_stay_inside() -> None:
    x = np.arange(5 * 6, dtype=np.float32).reshape(5, 6, 1)
    p = exemplar_patches(x, 3)
    assert p.shape == (3 * 4, 9)
    np.testing.assert_array_equal(p[-1], x[2:5, 3:6].reshape(-1))
    np.testing.assert_array_equal(exemplar_patches(x, 3, np.array([5])), p[5:6])


def test_resize_keeps_constants_and_mean() -> None:
    c = np.full((10, 12, 2), 0.3, np.float32)
    assert np.abs(resize(c, 23, 7, periodic=True) - 0.3).max() < 1e-5
    assert np.abs(resize(c, 5, 31, periodic=False) - 0.3).max() < 1e-5
    rng = np.random.default_rng(3)
    x = rng.random((64, 48, 1)).astype(np.float32)
    y = resize(x, 48, 36, periodic=True)
    assert y.shape == (48, 36, 1)
    assert abs(float(y.mean()) - float(x.mean())) < 1e-3


def test_periodic_resize_of_a_shifted_image_is_shifted() -> None:
    rng = np.random.default_rng(4)
    x = rng.random((32, 32, 1)).astype(np.float32)
    up = resize(x, 64, 64, periodic=True)
    up_shifted = resize(np.roll(x, 4, axis=1), 64, 64, periodic=True)
    np.testing.assert_allclose(np.roll(up, 8, axis=1), up_shifted, atol=1e-5)
