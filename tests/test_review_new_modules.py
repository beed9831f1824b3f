"""Review of the new modules (core.seamless, core.patchfill, core.lattice, core.quilt, core.task).

The first group pins the bugs the review found, now fixed (a sublattice or a spurious lattice taken for
the exemplar's, Dirichlet instead of Neumann at the image's edge in the copy fill, no memory budget for
it, negative HDR fill); the others pin behaviour checked at odd sizes, channel counts, pixel types and
mask shapes.
"""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
from test_lattice import grid_image

from core import SynthesisConfig, Synthesizer
from core.errors import MemoryBudgetError
from core.job import Job, JobSettings
from core.known import fill_region
from core.lattice import detect_lattice, find_lattice, torus_periods
from core.patchfill import _blend_copy, copy_fill_task
from core.seamless import make_tileable, seamless_task


def check_progress(task: object, shape: tuple[int, int, int]) -> list[float]:
    """Run ``task``: as many Progress as total_steps, fractions non-decreasing to 1.0, previews at output size."""
    fractions = []
    for progress in task.steps():  # type: ignore[attr-defined]
        fractions.append(progress.fraction)
        assert progress.preview().shape == shape
        assert progress.preview(smooth=False).shape == shape
    assert len(fractions) == task.total_steps  # type: ignore[attr-defined]
    assert fractions[-1] == 1.0 and all(b >= a for a, b in itertools.pairwise(fractions))
    assert task.result.shape == shape and task.result.dtype == np.float32  # type: ignore[attr-defined]
    return fractions


# --- bugs found by the review, fixed ------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "period"), [(600, 12), (1024, 16)])
def test_a_clean_grid_gets_its_shortest_periods(size: int, period: int) -> None:
    lattice = detect_lattice(grid_image((period, period), (size, size)))
    assert lattice is not None and torus_periods(lattice) == (period, period)


def test_whole_periods_of_a_clean_grid_are_copied_pixel_for_pixel() -> None:
    grid = grid_image((12, 12), (600, 600))
    synth = Synthesizer([grid], config=SynthesisConfig.preset("draft", width=240, height=240), seed=0)
    out = synth.run()
    exemplar_pixels = {tuple(p) for p in np.round(grid.reshape(-1, 3), 5)}
    assert all(tuple(p) in exemplar_pixels for p in np.round(out.reshape(-1, 3), 5)[::97])


def test_a_period_beyond_the_search_is_not_replaced_by_a_spurious_one() -> None:
    lattice = find_lattice(grid_image((30, 90), (256, 256)), "auto")
    assert lattice is None or torus_periods(lattice)[1] % 90 == 0  # type: ignore[index]


@pytest.mark.parametrize("where", ["left edge", "top-left corner"])
def test_a_copy_brighter_by_a_constant_is_corrected_up_to_the_image_edge(where: str) -> None:
    rng = np.random.default_rng(0)
    base = (0.3 + 0.2 * rng.random((40, 40, 1))).astype(np.float32)
    image = np.concatenate([base, base + 0.2], axis=1)  # columns 40.. are columns 0.. plus 0.2
    hole = np.zeros((40, 80), bool)
    hole[(slice(10, 20) if where == "left edge" else slice(0, 10)), 0:10] = True
    work = np.where(hole[:, :, None], 0.5, image).astype(np.float32)
    box = (slice(0, 40), slice(0, 12))
    source = work[:, 40:52]  # the same box 40 px to the right: the copy, brighter by 0.2
    # The harmonic correction of a constant difference is that constant, up to the image's edge.
    filled = _blend_copy(work[box], source, hole[box])
    np.testing.assert_allclose(filled[hole[box]], image[box][hole[box]], atol=0.01)


def test_the_copy_fill_keeps_to_the_memory_budget() -> None:
    n = 1024
    image = np.random.default_rng(0).random((n, n, 3)).astype(np.float32)
    mask = np.zeros((n, n), np.float32)
    mask[500:504, 500:504] = 1.0
    try:
        task = Job("fill", (image,), JobSettings(memory_budget_mb=64), mask=mask).task()
    except MemoryBudgetError:
        return
    tracemalloc.start()
    try:
        for _ in task.steps():
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 64 << 20


def test_a_non_negative_hdr_image_is_filled_non_negative() -> None:
    rng = np.random.default_rng(0)
    image = (4.0 * rng.random((33, 97, 3))).astype(np.float32)
    mask = np.zeros((33, 97), np.float32)
    mask[10:15, 40:48] = 1.0
    task = copy_fill_task(fill_region(image, mask))
    assert task is not None
    for _ in task.steps():
        pass
    assert task.result.min() >= 0.0


# --- verified behaviour ---------------------------------------------------------------------------


def _image(shape: tuple[int, ...], dtype: type = np.float32, seed: int = 0) -> np.ndarray:
    values = np.random.default_rng(seed).random(shape)
    if dtype is np.uint8:
        return (values * 255).astype(np.uint8)
    if dtype is np.uint16:
        return (values * 65535).astype(np.uint16)
    return values.astype(dtype)


@pytest.mark.parametrize(
    ("shape", "dtype", "channels"),
    [
        ((33, 97, 3), np.float32, 3),
        ((97, 33, 3), np.float32, 3),
        ((40, 50), np.float32, 1),
        ((40, 50, 2), np.float32, 2),
        ((40, 50, 4), np.uint8, 4),
        ((40, 50, 3), np.uint16, 3),
        ((32, 2000, 3), np.float32, 3),
    ],
)
def test_tile_steps_and_previews_at_odd_sizes_and_types(shape: tuple[int, ...], dtype: type, channels: int) -> None:
    image = _image(shape, dtype)
    task = seamless_task(image, 0.1)
    check_progress(task, (shape[0], shape[1], channels))
    assert np.array_equal(task.result, make_tileable(image))
    assert task.result.min() >= 0.0 and task.result.max() <= 1.0


def test_tile_of_a_constant_image_stays_constant() -> None:
    out = make_tileable(np.full((40, 50, 3), 0.5, np.float32))
    np.testing.assert_allclose(out, 0.5, atol=1e-6)


def _mask(h: int, w: int, where: tuple[slice | int, slice | int]) -> np.ndarray:
    mask = np.zeros((h, w), np.float32)
    mask[where] = 1.0
    return mask


@pytest.mark.parametrize(
    "where",
    [
        (16, 50),  # a single pixel
        (0, 0),  # the top-left corner pixel
        (32, 96),  # the bottom-right corner pixel
        (slice(29, 33), slice(93, 97)),  # a block in the bottom-right corner
        (slice(10, 15), slice(0, 3)),  # touching the left edge
        (0, slice(None)),  # the whole top row
        (slice(None), 50),  # a whole column
    ],
)
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_copy_fill_keeps_the_known_pixels_at_edges_and_corners(
    where: tuple[slice | int, slice | int], channels: int
) -> None:
    image = _image((33, 97, channels))
    region = fill_region(image, _mask(33, 97, where))
    task = copy_fill_task(region)
    assert task is not None
    check_progress(task, (33, 97, channels))
    out = task.result
    assert np.array_equal(out[region.known], region.original[region.known])
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0


def test_copy_fill_ignores_nan_in_the_hole_and_fills_alpha_holes_opaque() -> None:
    image = _image((33, 97, 3))
    image[10:15, 40:48] = np.nan
    task = copy_fill_task(fill_region(image, _mask(33, 97, (slice(10, 15), slice(40, 48)))))
    assert task is not None
    check_progress(task, (33, 97, 3))
    assert np.isfinite(task.result).all()
    rgba = np.concatenate([_image((33, 97, 3)), np.ones((33, 97, 1), np.float32)], axis=2)
    rgba[10:13, 20:24, 3] = 0.0
    task = copy_fill_task(fill_region(rgba, None))
    assert task is not None
    check_progress(task, (33, 97, 4))
    assert np.all(task.result[:, :, 3] == 1.0)


def test_holes_spread_over_the_image_are_synthesized_instead() -> None:
    mask = np.zeros((33, 97), np.float32)
    mask[2::6, 2::7] = 1.0
    assert copy_fill_task(fill_region(_image((33, 97, 3)), mask)) is None


@pytest.mark.parametrize(("width", "height"), [(16, 16), (2000, 16), (16, 300), (97, 33)])
def test_lattice_steps_count_and_preview_at_any_output_size(width: int, height: int) -> None:
    synth = Synthesizer([grid_image()], config=SynthesisConfig.preset("draft", width=width, height=height), seed=3)
    assert synth.lattice is not None and torus_periods(synth.lattice) == (20, 24)
    check_progress(synth, (height, width, 3))


def test_lattice_with_alpha_and_grey_keeps_the_channels() -> None:
    grid = grid_image()
    rgba = np.concatenate([grid, np.ones((*grid.shape[:2], 1), np.float32)], axis=2)
    config = SynthesisConfig.preset("draft", width=40, height=40, synthesize_alpha=True)
    check_progress(Synthesizer([rgba], config=config, seed=1), (40, 40, 4))
    grey = SynthesisConfig.preset("draft", width=40, height=40)
    check_progress(Synthesizer([grid[:, :, :1]], config=grey, seed=1), (40, 40, 1))


def test_regularity_on_refuses_odd_exemplars_with_a_gass_error() -> None:
    from core import InvalidExemplarError

    for image in (grid_image(size=(33, 97)), np.full((100, 100, 3), 0.5, np.float32)):
        with pytest.raises(InvalidExemplarError):
            Synthesizer([image], config=SynthesisConfig.preset("draft", width=64, height=64, regularity="on"))


def test_the_new_jobs_are_deterministic() -> None:
    image = _image((33, 97, 3))
    mask = _mask(33, 97, (slice(10, 15), slice(40, 48)))
    for make in (
        lambda: make_tileable(image),
        lambda: Job("fill", (image,), mask=mask).task(),
        lambda: Synthesizer([grid_image()], config=SynthesisConfig.preset("draft", width=64, height=48), seed=3),
    ):
        first, second = make(), make()
        if not isinstance(first, np.ndarray):
            for task in (first, second):
                for _ in task.steps():
                    pass
            first, second = first.result, second.result
        assert np.array_equal(first, second)
