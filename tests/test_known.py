"""Known pixels: the mask helpers and the synthesized fill (make-tileable: tests/test_seamless.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from conftest import load_exemplar
from core import GassError, InvalidExemplarError, SynthesisConfig
from core.known import (
    KnownRegion,
    erode,
    fill_region,
    free_corners,
    level_masks,
    valid_corners,
    window_sum,
)
from core.synth import fill, fill_synthesizer
from seeded import seeded

# Width and height are replaced by the image's own size.
TINY = SynthesisConfig.preset(
    "draft", width=40, height=32, patch_size=5, coarsest_size=16, iterations_coarse=40, iterations_fine=10
)


def _hole(h: int = 64, w: int = 64) -> np.ndarray:
    """A float mask (1 = fill) with a hole of about a third of each side, off the centre (64: 20x20)."""
    mask = np.zeros((h, w), np.float32)
    mask[h * 5 // 16 : h * 5 // 8, w * 3 // 8 : w * 11 // 16] = 1.0
    return mask


# --- mask helpers ------------------------------------------------------------------------------


def test_window_sum_counts_every_window() -> None:
    mask = np.zeros((4, 5), dtype=bool)
    mask[1, 1] = True
    # Non-periodic: one entry per window inside the image, indexed by its top-left corner.
    expected = np.zeros((3, 4), dtype=np.int64)
    expected[0:2, 0:2] = 1
    np.testing.assert_array_equal(window_sum(mask, 2, periodic=False), expected)
    np.testing.assert_array_equal(window_sum(np.ones((4, 4), bool), 2, periodic=False), np.full((3, 3), 4))
    # Periodic: windows wrap, so a pixel at (0, 0) is in the windows cornered at the last row/column too.
    corner = np.zeros((4, 5), dtype=bool)
    corner[0, 0] = True
    expected = np.zeros((4, 5), dtype=np.int64)
    expected[np.ix_([0, 3], [0, 4])] = 1
    np.testing.assert_array_equal(window_sum(corner, 2, periodic=True), expected)


def test_window_sum_matches_brute_force() -> None:
    mask = np.random.default_rng(0).random((7, 9)) > 0.6
    size = 3
    periodic = window_sum(mask, size, periodic=True)
    plain = window_sum(mask, size, periodic=False)
    assert periodic.shape == (7, 9) and plain.shape == (5, 7)
    for y, x in itertools.product(range(7), range(9)):
        rows, cols = np.arange(y, y + size) % 7, np.arange(x, x + size) % 9
        assert periodic[y, x] == mask[np.ix_(rows, cols)].sum()
        if y < 5 and x < 7:
            assert plain[y, x] == mask[y : y + size, x : x + size].sum()


def test_erode_shrinks_by_the_radius_with_clamped_edges() -> None:
    block = np.zeros((7, 7), dtype=bool)
    block[1:6, 1:6] = True
    expected = np.zeros((7, 7), dtype=bool)
    expected[2:5, 2:5] = True
    np.testing.assert_array_equal(erode(block, 1), expected)
    assert not erode(block, 3).any()
    np.testing.assert_array_equal(erode(block, 0), block)
    # Edges are clamped: an all-True mask stays all True, a False corner spreads inward only.
    assert erode(np.ones((5, 5), bool), 2).all()
    hole = np.ones((5, 5), dtype=bool)
    hole[0, 0] = False
    expected = np.ones((5, 5), dtype=bool)
    expected[:2, :2] = False
    np.testing.assert_array_equal(erode(hole, 1), expected)


def test_valid_and_free_corners() -> None:
    valid = np.ones((6, 6), dtype=bool)
    valid[2, 3] = False
    expected = np.ones((4, 4), dtype=bool)
    expected[0:3, 1:4] = False  # every 3x3 patch cornered there covers (2, 3)
    np.testing.assert_array_equal(valid_corners(valid, 3), expected)

    known = np.ones((5, 6), dtype=bool)
    known[0, 0] = False
    wrapped = np.zeros((5, 6), dtype=bool)
    wrapped[np.ix_([0, 4], [0, 5])] = True  # the 2x2 patches that wrap onto (0, 0)
    np.testing.assert_array_equal(free_corners(known, 2, wrap=True), wrapped)
    inside = np.zeros((5, 6), dtype=bool)
    inside[0, 0] = True
    np.testing.assert_array_equal(free_corners(known, 2, wrap=False), inside)


def test_level_masks_keep_full_size_and_shrink_coarse_levels() -> None:
    known = np.zeros((32, 32), dtype=bool)
    known[8:24, 8:24] = True
    region = KnownRegion(np.zeros((32, 32, 1), np.float32), known, np.ones((32, 32), bool), wrap=True)
    k, v = level_masks(region, 32, 32)
    assert k is region.known and v is region.valid
    # Half size: the kernel reads ceil(2 * 2) + 1 = 5 fine pixels each way, so the 16 px block
    # erodes to fine rows and columns 13..18; coarse pixel i samples fine pixel 2i: 14, 16, 18.
    k, v = level_masks(region, 16, 16)
    expected = np.zeros((16, 16), dtype=bool)
    expected[7:10, 7:10] = True
    np.testing.assert_array_equal(k, expected)
    assert v.shape == (16, 16) and v.all()
    # A fill region erodes its valid mask the same way.
    fill = KnownRegion(np.zeros((32, 32, 1), np.float32), known, known.copy(), wrap=False)
    k, v = level_masks(fill, 16, 16)
    np.testing.assert_array_equal(k, expected)
    np.testing.assert_array_equal(v, expected)


def test_fill_region_marks_the_hole() -> None:
    image = np.zeros((20, 30, 3), np.float32)
    mask = _hole(20, 30)
    hole = fill_region(image, mask)
    np.testing.assert_array_equal(hole.known, mask < 0.5)
    np.testing.assert_array_equal(hole.valid, hole.known)  # exemplar patches only from the known part
    assert not hole.wrap
    assert hole.free_fraction == pytest.approx(float((mask > 0.5).mean()))


# --- fill -------------------------------------------------------------------------------------


def test_fill_keeps_known_bytes_exactly() -> None:
    image = np.round(load_exemplar("bark", 64) * 255).astype(np.uint8)
    mask = _hole()
    out = fill(image, mask, config=TINY, seed=0)
    assert out.shape == (64, 64, 3) and out.dtype == np.float32
    known = mask < 0.5
    assert np.array_equal(np.round(out * 255).astype(np.uint8)[known], image[known])


@seeded(spread=(">", 0.5), below_range=("<", 0.05), above_range=("<", 0.05))
def fill_of_gravel(seed: int) -> dict[str, float]:
    """A filled hole in grey gravel: its spread against the known part's, and how far it leaves their range."""
    image = load_exemplar("gravel_gray", 64, grey=True)
    mask = _hole()
    out = fill(image, mask, config=TINY, seed=seed)
    known, hole = mask < 0.5, mask > 0.5
    assert np.array_equal(out[known], image[known])
    filled = out[hole]
    assert np.all(np.isfinite(filled))
    low, high = float(image[known].min()), float(image[known].max())
    return {
        "spread": float(filled.std() / image[known].std()),
        "below_range": (low - float(filled.min())) / (high - low),
        "above_range": (float(filled.max()) - high) / (high - low),
    }


def test_fill_keeps_known_floats_exactly_and_fills_with_texture() -> None:
    # Texture, not a flat patch, inside the range of the known pixels (all the fill has learnt from).
    fill_of_gravel.assert_holds(0)


@seeded(spread=(">", 0.3))
def fill_at_the_edge(seed: int) -> dict[str, float]:
    """A hole along the left edge, given as a white colour mask: the fill's spread against the kept part's."""
    image = load_exemplar("bark", 64)
    mask = np.zeros((64, 64, 3), np.uint8)
    mask[:, :12] = 255  # white = fill; the hole touches the left edge
    out = fill(image, mask, config=TINY, seed=seed)
    assert np.array_equal(out[:, 12:], image[:, 12:])
    return {"spread": float(out[:, :12].std() / image[:, 12:].std())}


def test_fill_with_a_colour_mask_and_a_hole_at_the_edge() -> None:
    fill_at_the_edge.assert_holds(0)


def _magenta(a: np.ndarray) -> np.ndarray:
    return (a[..., 0] + a[..., 2]) / 2 - a[..., 1]


@seeded(magenta_excess=("<", 0.1))
def fill_of_a_magenta_hole(seed: int) -> dict[str, float]:
    """Bark with a magenta hole: how much more magenta the fill is than the known part (bark: 0.03)."""
    mask = _hole()
    hole = mask > 0.5
    bark = load_exemplar("bark", 64)
    bark[hole] = [1.0, 0.0, 1.0]
    out = fill(bark, mask, config=TINY, seed=seed)
    return {"magenta_excess": float(_magenta(out[hole]).max() - _magenta(bark[~hole]).max())}


def test_fill_never_copies_the_hole() -> None:
    mask = _hole()
    hole = mask > 0.5
    # Grey image, magenta hole: no colour may appear anywhere (grey is synthesized as one channel).
    grey = np.repeat(load_exemplar("gravel_gray", 64, grey=True), 3, axis=2)
    grey[hole] = [1.0, 0.0, 1.0]
    out = fill(grey, mask, config=TINY, seed=0)
    assert np.abs(out[:, :, 0] - out[:, :, 1]).max() < 1 / 255
    assert np.abs(out[:, :, 2] - out[:, :, 1]).max() < 1 / 255
    # Colour image, magenta hole: no pixel more magenta than the known part.
    fill_of_a_magenta_hole.assert_holds(0)
    # NaN in the hole: never read, so never spreads.
    bark = load_exemplar("bark", 64)
    bark[hole] = np.nan
    out = fill(bark, mask, config=TINY, seed=0)
    assert np.all(np.isfinite(out))


def _alpha_holed() -> tuple[np.ndarray, np.ndarray]:
    """Bark with an alpha channel that is 0.1 (= fill) in the hole, and the hole."""
    rgb = load_exemplar("bark", 64)
    alpha = np.linspace(0.6, 1.0, 64 * 64, dtype=np.float32).reshape(64, 64, 1)
    hole = _hole() > 0.5
    alpha[hole] = 0.1  # transparent = fill
    return np.concatenate([rgb, alpha], axis=2), hole


@seeded(spread=(">", 0.3), spread_bytes=(">", 0.3))
def fill_from_alpha(seed: int) -> dict[str, float]:
    """Fill of the transparent hole, from floats and from bytes: the fill's spread against the kept part's."""
    image, hole = _alpha_holed()
    out = fill(image, None, config=TINY, seed=seed)
    image8 = np.round(image * 255).astype(np.uint8)
    out8 = fill(image8, None, config=TINY, seed=seed)
    kept = image[~hole, :3].std()
    return {"spread": float(out[hole, :3].std() / kept), "spread_bytes": float(out8[hole, :3].std() / kept)}


def test_fill_from_alpha() -> None:
    image, hole = _alpha_holed()
    out = fill(image, None, config=TINY, seed=0)
    assert out.shape == (64, 64, 4)
    assert np.all(out[hole, 3] == 1.0)
    assert np.array_equal(out[~hole], image[~hole])
    # Bytes with alpha: the same through the integer path.
    image8 = np.round(image * 255).astype(np.uint8)
    out8 = fill(image8, None, config=TINY, seed=0)
    assert np.array_equal(np.round(out8 * 255).astype(np.uint8)[~hole], image8[~hole])
    assert np.all(out8[hole, 3] == 1.0)
    fill_from_alpha.assert_holds(0)


def test_fill_is_deterministic() -> None:
    image = load_exemplar("bark", 64)
    mask = _hole()
    a = fill(image, mask, config=TINY, seed=5)
    assert np.array_equal(a, fill(image, mask, config=TINY, seed=5))
    b = fill(image, mask, config=TINY, seed=6)
    assert not np.array_equal(a, b)
    assert np.array_equal(a[mask < 0.5], b[mask < 0.5])


def test_fill_progress_is_monotonic_with_full_size_previews() -> None:
    rgb = load_exemplar("bark", 64)
    alpha = np.where(_hole()[:, :, None] > 0.5, 0.0, 1.0).astype(np.float32)
    image = np.concatenate([rgb, alpha], axis=2)
    synth = fill_synthesizer(image, None, config=TINY, seed=0)
    known = alpha[:, :, 0] > 0.5
    before = synth.preview()
    assert before.shape == (64, 64, 4) and np.array_equal(before[known], image[known])
    fractions = []
    for progress in synth.steps():
        fractions.append(progress.fraction)
        if progress.iteration == 1:
            for smooth in (True, False):
                preview = progress.preview(smooth=smooth)
                assert preview.shape == (64, 64, 4)
                assert np.all(np.isfinite(preview))
                assert np.array_equal(preview[known], image[known])
    assert all(b >= a for a, b in itertools.pairwise(fractions))
    assert fractions[-1] == pytest.approx(1.0)
    assert synth.finished and synth.result.shape == (64, 64, 4)


# --- errors -----------------------------------------------------------------------------------

IMAGE = np.random.default_rng(0).random((32, 32, 3)).astype(np.float32)


def _with_nan_outside_hole() -> np.ndarray:
    image = IMAGE.copy()
    image[2, 3, 1] = np.nan
    return image


@pytest.mark.parametrize(
    ("image", "mask", "message"),
    [
        (IMAGE, None, "no alpha channel and no mask was given"),
        (IMAGE, np.zeros((16, 32), np.float32), "the mask is 32x16 pixels but image is 32x32"),
        (IMAGE, np.zeros((32, 32), np.float32), "marks no pixel to fill"),
        (np.concatenate([IMAGE, np.ones((32, 32, 1), np.float32)], axis=2), None, "marks no pixel to fill"),
        (IMAGE, np.ones((32, 32), np.float32), "marks every pixel; some must be kept"),
        (_with_nan_outside_hole(), _hole(32, 32), "1 pixels with NaN or infinite values"),
    ],
)
def test_bad_fill_input(image: np.ndarray, mask: np.ndarray | None, message: str) -> None:
    with pytest.raises(InvalidExemplarError, match=message):
        fill(image, mask, config=TINY)


def test_fill_needs_a_patch_outside_the_mask() -> None:
    mask = np.ones((64, 64), np.float32)
    mask[:, :4] = 0.0  # only a 4 px strip is known: no 5x5 patch to learn from
    with pytest.raises(InvalidExemplarError, match="no 5x5 area outside the mask"):
        fill(load_exemplar("bark", 64), mask, config=TINY)


def test_known_region_errors_are_gass_errors() -> None:
    with pytest.raises(GassError):
        fill(IMAGE, None, config=TINY)
