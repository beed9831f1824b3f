"""Make tileable by cutting the image against a shifted copy of itself (core/seamless.py), and the two quick
one-image jobs, tile and equalize, as job tasks and on the command line.

The method draws nothing at random and uses no BLAS (every tile pixel is an input pixel; the resampling is
elementwise), so its figures are the same on every machine and with NumPy 1.26 and 2.x (measured in both
venvs): each limit below sits beside the worst value measured and its margin.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import DATA, load_exemplar
from core import GassError, InvalidExemplarError, make_tileable
from core.cli import main
from core.equalize import equalize_lighting
from core.imageio import read_image
from core.job import Job, JobSettings
from core.lattice import find_lattice, torus_periods
from core.metrics import seam_score
from core.seamless import MIN_SIDE, Cut, seamless_task, seamless_tile

# --- the tile wraps -------------------------------------------------------------------------------

#: Images whose opposite edges clearly do not continue each other (seam score > 2; about 1 is seamless):
#: (exemplar, scale it is loaded at, offset, side of the square crop; None: the whole image).
#: Measured over every bundled exemplar, whole and as 48 px crops at offsets 0, 16 and 40 of the 128 px
#: version and the 64 px crop [16:80] of the 160 px version: of those with a seam, the ones left out are
#: brick_gray's crops (the photo has perspective, so no shift continues it: tile / before up to 0.91)
#: and clouds_satellite's 48 px crops (one cloud as large as the crop, the overlap at most 10 px: 0.89).
SEAM_CASES: tuple[tuple[str, int, int, int | None], ...] = (
    ("brick_gray", 512, 0, None),
    ("clouds_satellite", 512, 0, None),
    ("gravel_gray", 512, 0, None),
    ("leather_red", 512, 0, None),
    # tactile_paving_dots whole is left out: 512 px is 4 panels of 128, so it already wraps on a joint
    # (phase-aware seam 0.97; the plain score, 2.73, counted the joint as a seam).
    ("bark", 128, 16, 48),
    ("bark", 160, 16, 64),
    ("clouds_satellite", 160, 16, 64),
    ("leather_red", 128, 0, 48),
    ("leather_red", 128, 16, 48),
    ("leather_red", 160, 16, 64),
    ("onyx_marble", 128, 0, 48),
    ("onyx_marble", 128, 16, 48),
    ("onyx_marble", 128, 40, 48),
    ("onyx_marble", 160, 16, 64),
    ("rusty_metal", 128, 0, 48),
    ("rusty_metal", 128, 16, 48),
    ("rusty_metal", 128, 40, 48),
    ("rusty_metal", 160, 16, 64),
    ("slate_rock", 128, 0, 48),
    ("slate_rock", 128, 16, 48),
    ("slate_rock", 160, 16, 64),
    ("tactile_paving_dots", 128, 0, 48),
    ("tactile_paving_dots", 128, 16, 48),
    ("tactile_paving_dots", 160, 16, 64),
)

#: Seam score of the tile over the input's, per case. Measured: 0.103 (brick_gray, whole) to 0.573
#: (onyx_marble 128 +0), mean 0.364. Limit 0.7: margin 18 % over the worst.
TILE_SEAM_LIMIT = 0.7
#: The same for make_tileable's result (the tile resampled to the input's size, which softens the
#: neighbour steps the score divides by). Measured: 0.108 to 0.660 (onyx_marble 128 +0), mean 0.414.
#: Limit 0.8: margin 17.5 %.
MADE_SEAM_LIMIT = 0.8
#: Mean tile / before over the cases: measured 0.364. Limit 0.45: margin 19 %.
MEAN_TILE_SEAM_LIMIT = 0.45


def seam_case(name: str, scale: int, offset: int, side: int | None) -> np.ndarray:
    image = load_exemplar(name, None if scale == 512 else scale)
    return image if side is None else image[offset : offset + side, offset : offset + side]


def phase_seam(image: np.ndarray, periods: tuple[int, int] | None) -> float:
    """:func:`seam_score`, or on a lattice the wrap's step over that of the lines at the same phase of it.

    A tile of paving panels wraps on a joint, which steps like every joint does: the plain score counts
    that as a seam (3.0 for the seamless 384 px tile of the 512 px paving). Here the wrap is compared
    with the lines a whole number of periods from it (the other joints).
    """
    if periods is None:
        return seam_score(image)
    x = image.astype(np.float64)
    ratios = []
    for axis, period in ((0, periods[0]), (1, periods[1])):
        n = x.shape[axis]
        same_phase = [k for k in range(period, n, period)]
        if not same_phase:
            return seam_score(image)
        step = [float(np.mean(np.abs(x.take(k, axis=axis) - x.take(k - 1, axis=axis)))) for k in same_phase]
        wrap = float(np.mean(np.abs(x.take(0, axis=axis) - x.take(n - 1, axis=axis))))
        ratios.append(wrap / max(float(np.mean(step)), 1e-12))
    return max(ratios)


def seam_figures() -> dict[str, tuple[float, float, float]]:
    """Per case: (seam score before, tile / before, make_tileable / before); on a lattice the
    phase-aware score (:func:`phase_seam`) for both."""
    figures = {}
    for case in SEAM_CASES:
        image = seam_case(*case)
        lattice = find_lattice(image, "auto")
        periods = torus_periods(lattice) if lattice is not None else None
        tile, cuts = seamless_tile(image)
        if periods is not None:
            assert all(cut.period % p == 0 for cut, p in zip(cuts, (periods[1], periods[0]))), (case, cuts)
        before = phase_seam(image, periods)
        made = make_tileable(image)
        scaled = (
            None if periods is None else tuple(round(p * m / t) for p, m, t in zip(periods, made.shape, tile.shape))
        )
        figures["{} {} +{} {}".format(*case)] = (
            before,
            phase_seam(tile, periods) / before,
            phase_seam(made, scaled) / before,  # type: ignore[arg-type]
        )
    return figures


def test_the_tile_wraps_where_the_image_did_not() -> None:
    figures = seam_figures()
    for key, (before, tile, made) in figures.items():
        print(f"{key:32} before {before:.3f}  tile / before {tile:.3f}  made / before {made:.3f}")
    for key, (before, tile, made) in figures.items():
        assert before > 2.0, f"{key}: the input has no clear seam ({before:.3f})"
        assert tile < TILE_SEAM_LIMIT, f"{key}: tile / before = {tile:.3f}, must be < {TILE_SEAM_LIMIT}"
        assert made < MADE_SEAM_LIMIT, f"{key}: make_tileable / before = {made:.3f}, must be < {MADE_SEAM_LIMIT}"
    mean = float(np.mean([tile for _, tile, _ in figures.values()]))
    assert mean < MEAN_TILE_SEAM_LIMIT, f"mean tile / before = {mean:.3f}, must be < {MEAN_TILE_SEAM_LIMIT}"


# --- every pixel is an input pixel, and the cuts are paths ----------------------------------------


def sources(image: np.ndarray, tile: np.ndarray, cuts: tuple[Cut, Cut]) -> np.ndarray:
    """(H', W', 4) bool: whether tile pixel (y, x) equals, in every channel, image pixel (y + dy, x + dx)
    for (dy, dx) = (0, 0), (0, column period), (row period, 0), (row period, column period)."""
    columns, rows = cuts
    h, w = image.shape[:2]
    y, x = np.indices(tile.shape[:2])
    found = []
    for dy, dx in itertools.product((0, rows.period), (0, columns.period)):
        inside = (y + dy < h) & (x + dx < w)
        pixel = image[np.minimum(y + dy, h - 1), np.minimum(x + dx, w - 1)]
        found.append(inside & np.all(pixel == tile, axis=2))
    return np.stack(found, axis=2)


def noise(h: int, w: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, channels), dtype=np.float32)


@pytest.mark.parametrize(
    ("name", "image"),
    [
        ("bark 77x100", load_exemplar("bark", 128)[5:82, 9:109]),
        ("brick_gray 96x96", load_exemplar("brick_gray", 192)[50:146, 20:116]),
        ("gravel grey 64x40", load_exemplar("gravel_gray", 128, grey=True)[:64, 30:70]),
        ("noise RGBA 33x57", noise(33, 57, 4)),
        ("noise 128x120", noise(128, 120)),
    ],
)
def test_every_tile_pixel_is_an_input_pixel(name: str, image: np.ndarray) -> None:
    tile, cuts = seamless_tile(image)
    columns, rows = cuts
    h, w, c = image.shape
    assert tile.shape == (rows.period, columns.period, c) and tile.dtype == np.float32
    assert (columns.axis, rows.axis) == (1, 0)
    assert columns.period + columns.overlap == w and rows.period + rows.overlap == h
    assert sources(image, tile, cuts).any(axis=2).all(), name  # exact equality, alpha moving with its pixel
    # Beyond both overlaps the tile is the image itself, in place.
    inner = (slice(rows.overlap, rows.period), slice(columns.overlap, columns.period))
    assert np.array_equal(tile[inner], image[inner])


@pytest.mark.parametrize(("h", "w"), [(128, 120), (40, 96), (33, 57)])
def test_each_cut_is_one_path_that_closes_on_itself(h: int, w: int) -> None:
    """On noise every tile pixel has one source, so the two cuts can be read off: per row of the strip the
    copy's pixels are a run from the left edge (the column cut), per column of the tile the copy's rows are a
    run from the top (the row cut); each run's length changes by at most 1 to the next, and the row cut, across
    columns that wrap, also from the last column to the first."""
    image = noise(h, w)
    tile, cuts = seamless_tile(image)
    columns, rows = cuts
    found = sources(image, tile, cuts)
    assert np.all(found.sum(axis=2) == 1)  # exactly one source per pixel
    dy = np.where(found[:, :, 2] | found[:, :, 3], rows.period, 0)
    dx = np.where(found[:, :, 1] | found[:, :, 3], columns.period, 0)
    # The row cut: in every tile column, the rows from the copy are the first q[x] of the overlap.
    from_copy = dy > 0
    q = from_copy.sum(axis=0)
    assert np.array_equal(from_copy, np.arange(tile.shape[0])[:, None] < q[None, :])
    assert q.max() <= rows.overlap
    assert np.abs(np.diff(np.append(q, q[0]))).max() <= 1  # wraps: the last column's run meets the first's
    # The column cut, on the strip rows the tile shows as they are (below the row overlap).
    strip = dx[rows.overlap :] > 0
    p = strip.sum(axis=1)
    assert np.array_equal(strip, np.arange(tile.shape[1])[None, :] < p[:, None])
    assert p.max() <= columns.overlap and np.abs(np.diff(p)).max() <= 1


def test_cuts_say_what_they_cost() -> None:
    image = load_exemplar("slate_rock", 128)[:80, :96]
    _, (columns, rows) = seamless_tile(image)
    for cut, axis in ((columns, 1), (rows, 0)):
        contrast = float(np.mean(np.diff(image, axis=axis) ** 2))
        assert cut.contrast == pytest.approx(contrast, rel=1e-5)
        assert cut.cost >= 0.0 and cut.visibility == pytest.approx(cut.cost / cut.contrast)
    flat = np.full((40, 40, 3), 0.5, np.float32)  # nothing to see: no contrast, no cost
    _, (columns, rows) = seamless_tile(flat)
    assert columns.visibility == rows.visibility == 0.0


def test_the_overlap_follows_the_border() -> None:
    """Overlaps are searched within 0.5 to 2 x border x side (at least 4 px)."""
    image = noise(100, 160)
    for border in (0.05, 0.1, 0.2):
        _, (columns, rows) = seamless_tile(image, border)
        for cut, side in ((columns, 160), (rows, 100)):
            low, high = max(4, round(0.5 * border * side)), min(round(2 * border * side), side // 3)
            assert low <= cut.overlap <= high, (border, cut)


# --- a regular grid is cut on its lattice ---------------------------------------------------------


def grid(h: int, w: int, phase: tuple[int, int] = (0, 0), period: int = 20, seed: int = 0) -> np.ndarray:
    """Dark lines 2 px wide every ``period`` px, both ways, starting at ``phase`` (row, column), on bright noise."""
    image = 0.45 + 0.5 * noise(h, w, seed=seed)
    image[(np.arange(h) - phase[0]) % period < 2] = 0.05
    image[:, (np.arange(w) - phase[1]) % period < 2] = 0.05
    return image


def assert_lattice_kept(tile: np.ndarray, cuts: tuple[Cut, Cut], period: int = 20) -> None:
    """Both periods are whole numbers of lattice periods, and the tile tiled 2 x 2 has straight lines that
    stay ``period`` apart across the joins."""
    assert all(cut.period % period == 0 for cut in cuts), [cut.period for cut in cuts]
    dark = np.tile(tile, (2, 2, 1)).mean(axis=2) < 0.2
    line_rows, line_cols = dark.all(axis=1), dark.all(axis=0)
    assert not (dark & ~line_rows[:, None] & ~line_cols[None, :]).any()  # no broken or stray line pieces
    assert line_cols.sum() == 2 * 2 * tile.shape[1] // period and line_rows.sum() == 2 * 2 * tile.shape[0] // period
    assert np.array_equal(line_cols[period:], line_cols[:-period])  # the same spacing over the joins
    assert np.array_equal(line_rows[period:], line_rows[:-period])


@pytest.mark.parametrize(
    ("shape", "phase"),
    [((120, 128), (0, 0)), ((120, 128), (7, 3)), ((120, 128), (15, 19)), ((128, 120), (7, 13)), ((100, 140), (3, 9))],
)
def test_a_grid_is_cut_on_its_lattice(shape: tuple[int, int], phase: tuple[int, int]) -> None:
    tile, cuts = seamless_tile(grid(*shape, phase=phase))
    assert_lattice_kept(tile, cuts)


def test_a_grid_whose_lines_miss_the_narrow_overlap_is_cut_on_its_lattice() -> None:
    """At border 0.1 on 128 px the only whole period is an 8 px overlap; with both 8 px strips between
    the grid's lines the cut alone sees noise everywhere. The lattice (core.lattice) picks it anyway."""
    for phase in itertools.product(range(0, 20, 5), range(20)):
        tile, cuts = seamless_tile(grid(120, 128, phase=phase))
        assert_lattice_kept(tile, cuts)


def test_a_wider_border_finds_the_lattice_at_every_phase() -> None:
    """At border 0.2 the overlaps searched span more than a period, so every phase has a line in the overlap."""
    for phase in itertools.product(range(0, 20, 5), range(20)):
        tile, cuts = seamless_tile(grid(120, 128, phase=phase), 0.2)
        assert_lattice_kept(tile, cuts)


# --- make_tileable: size, channels, types, errors -------------------------------------------------

BARK = load_exemplar("bark", 128)[:72, :88]


@pytest.mark.parametrize(
    ("image", "shape"),
    [
        (BARK, (72, 88, 3)),
        (BARK[:, :, 0], (72, 88, 1)),  # (H, W) grey
        (BARK[:, :, :1], (72, 88, 1)),
        (np.concatenate([BARK[:, :, :1], np.full((72, 88, 1), 0.5, np.float32)], axis=2), (72, 88, 2)),
        (np.concatenate([BARK, np.full((72, 88, 1), 0.5, np.float32)], axis=2), (72, 88, 4)),
    ],
)
def test_make_tileable_keeps_the_size_and_the_channels(image: np.ndarray, shape: tuple[int, int, int]) -> None:
    out = make_tileable(image)
    assert out.shape == shape and out.dtype == np.float32 and np.all(np.isfinite(out))
    if shape[2] in (2, 4):
        # Alpha is carried: a constant alpha stays constant and leaves the colour's cut as it was.
        np.testing.assert_allclose(out[:, :, -1], 0.5, atol=1e-6)
        np.testing.assert_array_equal(out[:, :, :-1], make_tileable(image[:, :, :-1]))
    # Cubic resampling overshoots (up to 0.038 above 1 and 0.027 below 0 on the bundled exemplars):
    # an image within [0, 1] is clipped back into it.
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_make_tileable_resamples_the_tile_periodically() -> None:
    tile, _ = seamless_tile(BARK)
    assert tile.shape == (65, 72, 3)
    assert np.array_equal(make_tileable(BARK, keep_size=False), tile)
    # The resampling wraps, so no seam comes back: measured 2.31 before, 1.12 the tile, 1.36 resampled.
    assert seam_score(make_tileable(BARK)) < 1.6 < 2.0 < seam_score(BARK)


def test_make_tileable_takes_bytes() -> None:
    image = np.round(BARK * 255).astype(np.uint8)
    tile, cuts = seamless_tile(image)
    as_float = image.astype(np.float32) / 255
    assert tile.dtype == np.float32 and sources(as_float, tile, cuts).any(axis=2).all()
    assert np.array_equal(tile * 255, np.round(tile * 255))  # still whole bytes
    out = make_tileable(image)
    assert out.shape == (72, 88, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, make_tileable(as_float), atol=1e-6)


def test_make_tileable_is_deterministic() -> None:
    a = make_tileable(BARK)
    assert np.array_equal(a, make_tileable(BARK.copy()))
    np.random.seed(1)  # nothing global is drawn from
    assert np.array_equal(a, make_tileable(BARK))


@pytest.mark.parametrize(("h", "w"), [(31, 64), (64, 31), (12, 12)])
def test_too_small_an_image_is_refused(h: int, w: int) -> None:
    assert MIN_SIDE == 32
    image = noise(h, w)
    message = rf"photo\.png is {w}x{h} pixels; make tileable needs an image of at least 32x32"
    for call in (make_tileable, seamless_tile, seamless_task):
        with pytest.raises(InvalidExemplarError, match=message):
            call(image, name="photo.png")  # type: ignore[operator]
    assert make_tileable(noise(32, 32)).shape == (32, 32, 3)  # the least size runs


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_pixels_that_are_not_finite_are_refused(bad: float) -> None:
    image = BARK.copy()
    image[40, 2, 1] = bad
    image[3, 3] = bad
    for call in (make_tileable, seamless_tile, seamless_task):
        with pytest.raises(GassError, match="image has 2 pixels with NaN or infinite values; all must be finite"):
            call(image)  # type: ignore[operator]


def test_not_an_image_is_refused() -> None:
    with pytest.raises(InvalidExemplarError):
        make_tileable(np.zeros((40, 40, 5), np.float32))
    with pytest.raises(InvalidExemplarError):
        make_tileable(np.zeros((4, 40, 40, 3), np.float32))


def test_the_border_is_checked() -> None:
    from core import InvalidConfigError
    from core.config import BORDER_RANGE

    for border in (BORDER_RANGE[0] - 0.01, BORDER_RANGE[1] + 0.01, float("nan"), float("inf"), 5.0):
        with pytest.raises(InvalidConfigError, match="border is"):
            JobSettings(border=border)
        with pytest.raises(InvalidConfigError, match=r"border is .*; allowed: 0\.02 to 0\.4"):
            make_tileable(BARK, border=border)


def test_a_cutout_alpha_stays_within_0_and_1() -> None:
    """A hard 0/1 alpha edge makes the cubic resampling overshoot (-0.07 to 1.13 unclipped)."""
    rgba = np.concatenate([BARK, (BARK[:, :, :1] > 0.45).astype(np.float32)], axis=2)
    out = make_tileable(rgba)
    assert out.min() >= 0.0 and out.max() <= 1.0


# --- the jobs: steps, progress, results -----------------------------------------------------------


def run(task: object) -> list[object]:
    return list(task.steps())  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["tile", "equalize"])
def test_the_quick_jobs_step_to_one(kind: str) -> None:
    task = Job(kind, (BARK,), JobSettings(border=0.15, equalize_scale=0.25)).task()
    assert task.size == (88, 72) and task.channels == 3 and task.output_slices() == {"": slice(None)}
    with pytest.raises(RuntimeError, match="has not finished"):
        task.result  # noqa: B018
    progress = run(task)
    assert len(progress) == task.total_steps == (5 if kind == "tile" else 1)
    fractions = [p.fraction for p in progress]  # type: ignore[attr-defined]
    assert all(b >= a for a, b in itertools.pairwise(fractions)) and fractions[-1] == 1.0 and fractions[0] > 0
    (result,) = task.results().values()
    assert tuple(task.results()) == ("",) and result.shape == (72, 88, 3) and result.dtype == np.float32
    if kind == "tile":
        np.testing.assert_array_equal(result, make_tileable(BARK, border=0.15))
    else:
        np.testing.assert_array_equal(result, equalize_lighting(BARK, 0.25))


def test_the_tile_stages_say_the_repeat_found() -> None:
    _, (columns, rows) = seamless_tile(BARK, 0.1)
    stages = [p.stage for p in seamless_task(BARK, 0.1).steps()]
    assert stages == [
        f"tile: columns repeat every {columns.period} px",
        "tile: cut the columns",
        f"tile: rows repeat every {rows.period} px",
        "tile: cut the rows",
        f"tile: {columns.period}x{rows.period} px resampled to 88x72",
    ]


def test_a_tile_job_shows_the_image_until_it_is_done() -> None:
    task = seamless_task(BARK)
    assert not task.finished and np.array_equal(task.preview(), BARK)
    steps = task.steps()
    first = next(steps)
    assert np.array_equal(first.preview(), BARK)
    for _ in steps:
        pass
    assert task.finished and np.array_equal(task.preview(), task.result)


def test_tile_with_equalize_equalizes_first() -> None:
    lit = (BARK * np.linspace(0.5, 1.0, 88, dtype=np.float32)[None, :, None]).astype(np.float32)
    task = Job("tile", (lit,), JobSettings(equalize=True, equalize_scale=0.25)).task()
    run(task)
    np.testing.assert_array_equal(task.result, make_tileable(equalize_lighting(lit, 0.25)))


@pytest.mark.parametrize("linear", [False, True])
def test_the_equalize_job_is_equalize_lighting(linear: bool) -> None:
    ramp = np.linspace(0.4, 1.0, 88, dtype=np.float32)[None, :, None]
    rgba = np.concatenate([BARK * ramp, np.full((72, 88, 1), 0.75, np.float32)], axis=2)
    task = Job("equalize", (rgba,), JobSettings(equalize_scale=0.3), linear=linear).task()
    run(task)
    expected = equalize_lighting(rgba, 0.3, linear=linear)
    np.testing.assert_array_equal(task.results()[""], expected)
    assert not np.array_equal(expected, equalize_lighting(rgba, 0.3, linear=not linear))  # linear is passed on
    assert np.array_equal(task.result[:, :, 3], rgba[:, :, 3])  # alpha as it was


def test_the_equalize_job_checks_its_image() -> None:
    bad = BARK.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(InvalidExemplarError, match="1 pixels with NaN"):
        Job("equalize", (bad,)).task()


# --- the command line -------------------------------------------------------------------------------


@pytest.fixture()
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    with Image.open(DATA / "slate_rock.png") as im:
        im.convert("RGB").resize((80, 64)).save(path)
    return path


def test_equalize_writes_the_equalized_image(photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "flat.png"
    assert main(["equalize", str(photo), "-o", str(out), "--scale", "0.25"]) == 0
    err = capsys.readouterr().err
    assert "equalized the lighting" in err and f"wrote {out}" in err
    written, source = read_image(out), read_image(photo)
    assert written.shape == (64, 80, 3)
    assert np.abs(written - equalize_lighting(source, 0.25)).max() <= 0.5 / 255 + 1e-6  # 8-bit rounding
    assert not np.array_equal(written, source)


def test_tile_writes_the_tileable_image(photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tile.png"
    assert main(["tile", str(photo), "-o", str(out), "--border", "0.2"]) == 0
    assert "tile: columns repeat every" in capsys.readouterr().err
    expected = make_tileable(read_image(photo), border=0.2)
    assert np.abs(read_image(out) - expected).max() <= 0.5 / 255 + 1e-6


@pytest.mark.parametrize(
    "argv",
    [
        ["tile", "IN", "-o", "OUT", "--seed", "3"],
        ["equalize", "IN", "-o", "OUT", "--seed", "3"],
        ["tile", "IN", "-o", "OUT", "--quality", "draft"],
        ["equalize", "IN", "-o", "OUT", "--size", "64"],
    ],
)
def test_the_quick_jobs_refuse_what_they_do_not_use(
    argv: list[str], photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.png"
    code = main([{"IN": str(photo), "OUT": str(out)}.get(a, a) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"gass: error: unrecognized arguments: {' '.join(argv[4:])}"), err
    assert not out.exists()


def test_a_photo_of_paving_panels_keeps_whole_panels() -> None:
    """512 px of 128 px panels of 4 x 4 dots: the whole-period overlap (128) lies beyond 2 x border x side
    (102), and is searched anyway on a lattice: the tile is 3 x 3 panels, never a panel of 5 x 5 dots."""
    columns, rows = seamless_tile(load_exemplar("tactile_paving_dots"))[1]
    assert (columns.period, rows.period) == (384, 384)
