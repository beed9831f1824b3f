"""The detail finish: the ascent lays the texture out, the quilt copies the exemplar's own pixels along it."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from conftest import load_exemplar
from core import MapSet, SynthesisConfig, Synthesizer, quilt, synthesize, synthesize_maps
from core.errors import InvalidConfigError
from core.job import Job, JobSettings
from core.metrics import coherence, normalized_patch_distance, repetition, seam_score, sharpness
from core.quilt import (
    FLOW_WEIGHT,
    MIN_QUILT_SIDE,
    PERIODIC_RISE,
    _final_choice,
    _refine,
    across_grain_rise,
    blend_seams,
    block_aspect,
    grid,
    guided_quilt_steps,
    score_factor,
)
from core.resample import resize
from core.style import SlicedPatchTerm, grid_count, patch_stride
from core.synth import GUIDE_SCALE, fill_synthesizer
from core.task import result_of
from seeded import seeded

#: Small and fast; the default finish (detail="exemplar").
TINY = SynthesisConfig.preset(
    "draft", width=48, height=40, patch_size=5, coarsest_size=16, iterations_coarse=40, iterations_fine=10
)


def _rows(image: np.ndarray) -> set[bytes]:
    """Every pixel of ``image`` as bytes (its channels together)."""
    flat = np.ascontiguousarray(image.reshape(-1, image.shape[2]))
    return {row.tobytes() for row in flat}


def test_every_pixel_is_an_exemplar_pixel_until_the_seams_are_blended(
    bark64: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    blended = Synthesizer([bark64], config=TINY, seed=1).run()
    monkeypatch.setattr(quilt, "SEAM_BLEND", False)
    synth = Synthesizer([bark64], config=TINY, seed=1)
    out = synth.run()
    assert synth.detail and out.shape == (40, 48, 3)
    assert _rows(out) <= _rows(bark64)
    # Blending moves pixels near the cuts by a smooth correction, not far from the copies.
    assert not _rows(blended) <= _rows(bark64) and np.abs(blended - out).mean() < 0.05
    ascent = synthesize([bark64], config=dataclasses.replace(TINY, detail="ascent"), seed=1)
    assert not _rows(ascent) <= _rows(bark64)  # the control: optimized pixels are new values


def test_every_map_follows_the_same_copies(bark64: np.ndarray) -> None:
    """A roughness map that is the colour's red channel stays exactly that, pixel for pixel."""
    material = MapSet({"color": bark64, "roughness": bark64[:, :, :1].copy()})
    maps = synthesize_maps([material], config=TINY, seed=2)
    np.testing.assert_allclose(maps["roughness"][:, :, 0], maps["color"][:, :, 0], atol=1e-5)
    ascent = synthesize_maps([material], config=dataclasses.replace(TINY, detail="ascent"), seed=2)
    assert np.abs(ascent["roughness"][:, :, 0] - ascent["color"][:, :, 0]).max() > 1e-3  # the control


def test_alpha_follows_the_same_copies(bark64: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """Alpha is copied with the colour; the seam blend leaves it as copied (a cutout keeps its hard edges)."""
    rgba = np.concatenate([bark64, bark64[:, :, 1:2]], axis=2)
    config = dataclasses.replace(TINY, synthesize_alpha=True)
    blended = synthesize([rgba], config=config, seed=3)
    assert blended.shape == (40, 48, 4)
    assert _rows(blended[:, :, 3:]) <= _rows(rgba[:, :, 3:])  # alpha: exemplar values only
    assert 0 < np.abs(blended[:, :, 1] - blended[:, :, 3]).mean() < 0.05  # green: blended near the cuts
    monkeypatch.setattr(quilt, "SEAM_BLEND", False)
    out = synthesize([rgba], config=config, seed=3)
    np.testing.assert_array_equal(out[:, :, 3], out[:, :, 1])


def test_blends_fill_and_small_exemplars_keep_the_ascent_to_the_end(bark64: np.ndarray) -> None:
    gravel = load_exemplar("gravel_gray", 64)
    blend = Synthesizer([bark64, gravel], weights=[0.5, 0.5], config=TINY)
    assert not blend.detail and blend.levels[-1].scale == 1.0  # a map can only copy: a blend stays a blend
    one = Synthesizer([bark64, gravel], weights=[1.0, 0.0], config=TINY)
    assert one.detail  # a weight of 0 removes the exemplar
    small = load_exemplar("bark", MIN_QUILT_SIDE - 1)
    assert not Synthesizer([small], config=TINY).detail
    assert not Synthesizer([bark64], config=dataclasses.replace(TINY, detail="ascent")).detail
    image = bark64.copy()
    mask = np.zeros(image.shape[:2], dtype=np.float32)
    mask[20:30, 20:30] = 1.0
    assert not fill_synthesizer(image, mask, config=TINY).detail


def test_the_ascent_stops_at_a_fifth_of_the_size(bark64: np.ndarray) -> None:
    config = dataclasses.replace(TINY, width=256, height=256)
    bark = load_exemplar("bark", 128)
    synth = Synthesizer([bark], config=config)
    ascent = Synthesizer([bark], config=dataclasses.replace(config, detail="ascent"))
    assert synth.levels[-1].scale <= GUIDE_SCALE < synth.levels[-1].scale / config.scale_factor
    assert [lv.scale for lv in synth.levels] == [lv.scale for lv in ascent.levels[: len(synth.levels)]]
    # The schedule spans the levels kept: the last one gets the fine iterations. The layout pulls toward
    # nearest exemplar patches at its last level only; the ascent to full size at its finest ones.
    assert synth.levels[-1].iterations == config.iterations_fine
    assert [lv.coherence for lv in synth.levels] == [False] * (len(synth.levels) - 1) + [True]
    assert sum(lv.coherence for lv in ascent.levels) > 1 and ascent.levels[-1].coherence
    # An exemplar with too few levels for that keeps its coarsest level only.
    coarsest = Synthesizer([bark64], config=dataclasses.replace(config, detail="ascent")).levels[0]
    assert [lv.scale for lv in Synthesizer([bark64], config=config).levels] == [coarsest.scale]


def test_progress_previews_and_steps_of_the_finish(bark64: np.ndarray) -> None:
    synth = Synthesizer([bark64], config=TINY, seed=0)
    seen = list(synth.steps())
    fractions = [p.fraction for p in seen]
    assert len(seen) == synth.total_steps
    assert all(b >= a for a, b in itertools.pairwise(fractions)) and fractions[-1] == pytest.approx(1.0)
    rows = [p for p in seen if p.stage.startswith("detail: row")]
    assert rows and rows[-1].stage.endswith(f"row {len(rows)} of {len(rows)} of blocks")
    preview = rows[0].preview()
    assert preview.shape == (40, 48, 3) and np.isfinite(preview).all()


@pytest.mark.parametrize(
    ("height", "width", "max_patches"), [(40, 43, 16384), (137, 140, 16384), (137, 137, 1000), (200, 90, 4096)]
)
def test_the_progress_model_strides_as_the_sliced_term(height: int, width: int, max_patches: int) -> None:
    """Progress.fraction models an iteration's time by the patches it projects: the same grid as the term's."""
    exemplar = np.random.default_rng(1).random((32, 32, 3), dtype=np.float32)
    term = SlicedPatchTerm(
        [exemplar],
        [1.0],
        patch_size=7,
        directions=4,
        max_patches=max_patches,
        exemplar_samples=256,
        rng=np.random.default_rng(0),
    )
    term.resample(height, width)
    assert term.stride == patch_stride(height, width, 7, max_patches)
    # The least stride that keeps the whole image's grid within max_patches (or the patch size).
    stride = term.stride
    assert stride == 7 or term.grid(height, width).count <= max_patches
    assert stride == 1 or grid_count(height, width, stride - 1) > max_patches


def test_the_quilt_copies_only_exemplar_pixels_and_fills_the_torus() -> None:
    rng = np.random.default_rng(0)
    exemplar = rng.random((160, 140, 2)).astype(np.float32)  # every pixel unique
    guide = rng.random((30, 25, 2)).astype(np.float32)
    canvas = np.full((120, 100, 2), -1.0, dtype=np.float32)
    steps = guided_quilt_steps(exemplar, guide, (120, 100), np.random.default_rng(1), canvas=canvas, blend=False)
    out = result_of(steps)
    assert out is canvas and _rows(out) <= _rows(exemplar)


def test_the_usage_penalty_spreads_the_copies_over_the_exemplar() -> None:
    """A guide that one corner of the exemplar fits best: without the penalty the quilt keeps coming
    back to it; with it every part of the exemplar is used."""
    rng = np.random.default_rng(0)
    exemplar = rng.random((256, 256, 1)).astype(np.float32) * 0.2 + 0.4
    exemplar[:64, :64] = 0.5  # the place a flat grey guide fits best
    guide = np.full((64, 64, 1), 0.5, dtype=np.float32)

    def unused(weight: float) -> float:
        rng = np.random.default_rng(0)
        steps = guided_quilt_steps(exemplar, guide, (256, 256), rng, usage_weight=weight, blend=False)
        out = result_of(steps)
        return float(np.mean(np.abs(out - 0.5) < 1e-6))  # the share of the flat corner's pixels

    assert unused(0.0) > 0.5 > 0.25 > unused(2.0)


def test_the_usage_penalty_counts_in_units_of_the_mean_use() -> None:
    """Twice the copies everywhere weigh the same once the exemplar is used more than once on average
    (a 2048 px quilt copies a 512 px exemplar about 16 times over); below that, plain copies."""
    scores = quilt._Candidates(np.random.default_rng(0).random((64, 64, 3)).astype(np.float32), 4)
    scores.used(0, 0, 8, 8)
    once = scores.usage_penalty(4, 4)  # the mean use is 1/4: plain copies
    np.testing.assert_allclose(once.max(), scores.unit)
    scores.usage += 1.0
    scores.used(0, 0, 8, 8)
    uneven = scores.usage_penalty(4, 4)
    scores.usage *= 2.0
    np.testing.assert_allclose(scores.usage_penalty(4, 4), uneven)
    assert uneven.max() > uneven.min()  # the corner used twice more still pays more


def test_detail_is_validated_and_reaches_the_job() -> None:
    with pytest.raises(InvalidConfigError, match="detail is 'sharp'; allowed: exemplar, ascent"):
        SynthesisConfig(detail="sharp")  # type: ignore[arg-type]
    with pytest.raises(InvalidConfigError, match="detail is 'x'"):
        JobSettings(detail="x")
    assert JobSettings(detail="ascent").config().detail == "ascent"
    assert JobSettings().config().detail == "exemplar"


@seeded(
    sharpness=(">", 0.85),
    distance=("<", 0.7),
    coherence=("<", 1.0),
    largest_copy=("<", 1 / 16),
    repeats=("<", 0.5),
    seam=("<", 1.6),
)
def detail_of_the_gravel(seed: int) -> dict[str, float]:
    """The gravel at 256 px through the job: sharpness, normalized distance, coherence, largest copied
    region, repeated regions, seam.

    Measured over seeds 0-23 (the layout pulled toward nearest patches at its last level only):
    sharpness 0.958-1.001, distance 0.047-0.383 (0.474 at worst with the pull at three levels, 0.628
    with none), coherence 0.718-0.865 (the ascent alone scores about 1.0), largest copy 0.016-0.024 of
    the exemplar, no repeated region, seam 0.78-1.18 (margins 13 %, 45 %, 14 %, 62 %, -, 26 %); with
    OPENBLAS_CORETYPE=Sandybridge distance at most 0.580, coherence 0.893 and seam 1.418. The seam
    blend raised the distance by 0.02-0.09 on each of seeds 0-11 (copies alone: 0.000-0.477; limit 0.6
    then): it evens the tone near the cuts, whose steps between gravel regions were part of the
    statistics. 1 = noise.
    """
    exemplar = load_exemplar("gravel_gray")
    task = Job("new", (exemplar,), JobSettings(width=256, height=256, seed=seed)).task()
    for _ in task.steps():
        pass
    out = task.results()[""]
    copies = repetition(out, exemplar)
    return {
        "sharpness": sharpness(out, exemplar),
        "distance": normalized_patch_distance(out, exemplar),
        "coherence": coherence(out, exemplar),
        "largest_copy": copies.largest,
        "repeats": float(copies.repeats),
        "seam": seam_score(out),
    }


def test_detail_of_the_gravel() -> None:
    detail_of_the_gravel.assert_holds(0)


def test_scoring_scale_follows_the_exemplar_and_refining_finds_the_pixel() -> None:
    assert [score_factor((s, s, 3)) for s in (100, 512, 2048, 4096)] == [1, 4, 8, 16]
    assert score_factor((127, 2048, 3)) == 2  # a long thin exemplar is shrunk too: a block costs the same
    rng = np.random.default_rng(3)
    exemplar = resize(rng.random((25, 25, 3)).astype(np.float32), 200, 200, periodic=False)  # smooth, as photos are
    known = np.zeros((40, 40), dtype=bool)
    known[:10], known[:, :10] = True, True  # the overlaps already placed: top and left
    old = exemplar[57:97, 83:123]
    for start in [(57 + dy, 83 + dx) for dy in (-4, 0, 3) for dx in (-3, 1, 4)]:
        assert _refine(exemplar, old, known, *start, reach=4) == (57, 83, 0.0)


def _striped() -> np.ndarray:
    """128 px: horizontal stripes on the left two thirds, vertical ones on the right third."""
    y, x = np.mgrid[0:128, 0:128].astype(np.float32)
    lum = np.where(x < 85, np.sin(2 * np.pi * y / 8), np.sin(2 * np.pi * x / 8)) * 0.4 + 0.5
    return np.repeat(lum[:, :, None], 3, axis=2).astype(np.float32)


def _vertical_share(image: np.ndarray) -> float:
    """Share of the gradient energy across columns: that of vertical stripes (the exemplar's: 0.36)."""
    lum = image.mean(axis=2)
    gx, gy = np.roll(lum, -1, axis=1) - lum, np.roll(lum, -1, axis=0) - lum
    return float((gx**2).sum() / ((gx**2).sum() + (gy**2).sum()))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_flow_prior_keeps_the_grain_one_way(seed: int) -> None:
    """Most of the exemplar runs one way: the quilt uses the few places where it turns less.

    Measured over seeds 0-7: vertical share 0.33-0.37 without the prior (the exemplar's 0.36: the usage
    penalty spreads the copies evenly), 0.20-0.23 with it; lower by 0.11-0.17 on each seed.
    """
    exemplar, guide = _striped(), np.full((32, 32, 3), 0.5, dtype=np.float32)
    shares = []
    for weight in (0.0, FLOW_WEIGHT):
        steps = guided_quilt_steps(
            exemplar, guide, (128, 128), np.random.default_rng(seed), flow_weight=weight, blend=False
        )
        shares.append(_vertical_share(result_of(steps)))
    assert shares[1] < shares[0] - 0.04, shares


def test_the_final_choice_weighs_the_whole_score() -> None:
    """Of the shortlist, the least agreement per pixel plus the guide and usage terms wins, not the
    agreement alone (which favours flat borders: clouds thinned out)."""
    refined = [(0, 0, 10.0), (4, 8, 12.0)]  # sums over 10 sampled pixels: 1.0 and 1.2 per pixel
    assert _final_choice(refined, [0.0, 0.0], samples=10) == (0, 0)
    assert _final_choice(refined, [0.5, 0.0], samples=10) == (4, 8)  # its guide or usage term decides
    assert _final_choice(refined, [0.0, 0.1], samples=10) == (0, 0)  # 1.0 against 1.3
    assert _final_choice(refined, [0.3, 0.0], samples=1000) == (4, 8)  # agreement per pixel: 0.31 against 0.012
    assert _final_choice([(2, 3, 0.0)], [0.0], samples=0) == (2, 3)  # nothing sampled yet


def test_the_final_choice_gets_each_candidates_guide_term(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quilt hands :func:`_final_choice` each shortlisted position's guide term (usage and flow off),
    recomputed here from the exemplar's f x f cell means and the guide cells the block was scored on."""
    rng = np.random.default_rng(5)
    exemplar = resize(rng.random((24, 24, 3)).astype(np.float32), 160, 160, periodic=False)
    f = score_factor(exemplar.shape)
    cells = exemplar[: 160 // f * f, : 160 // f * f].reshape(160 // f, f, 160 // f, f, 3).mean(axis=(1, 3))
    targets: list[np.ndarray] = []
    shortlists: list[list[tuple[int, int]]] = []
    calls: list[tuple[list[float], int]] = []
    errors, shortlist, final_choice = quilt._Candidates.errors, quilt._shortlist, quilt._final_choice

    def spy_errors(self: object, placed: np.ndarray, weight: np.ndarray, target: np.ndarray, gw: float) -> np.ndarray:
        if gw > 0:
            targets.append(target.copy())
        return errors(self, placed, weight, target, gw)

    def spy_shortlist(*args: object) -> list[tuple[int, int]]:
        shortlists.append(shortlist(*args))
        return shortlists[-1]

    def spy_final(refined: list[tuple[int, int, float]], others: list[float], samples: int) -> tuple[int, int]:
        calls.append((list(others), samples))
        return final_choice(refined, others, samples)

    monkeypatch.setattr(quilt._Candidates, "errors", spy_errors)
    monkeypatch.setattr(quilt, "_shortlist", spy_shortlist)
    monkeypatch.setattr(quilt, "_final_choice", spy_final)
    guide = rng.random((30, 30, 3)).astype(np.float32)
    steps = guided_quilt_steps(exemplar, guide, (120, 120), rng, guide_weight=1.5, usage_weight=0.0, flow_weight=0.0)
    result_of(steps)
    assert len(targets) == len(shortlists) == len(calls) + 1  # the first block has nothing placed to continue
    for target, positions, (others, samples) in zip(targets[1:], shortlists[1:], calls):
        sh, sw = target.shape[:2]
        expected = [
            1.5 * np.mean(np.sum((cells[y // f : y // f + sh, x // f : x // f + sw] - target) ** 2, axis=2))
            for y, x in positions
        ]
        np.testing.assert_allclose(others, expected, rtol=1e-6, atol=1e-9)
        # Every other placed pixel in each direction, as _refine sums them: at most a quarter of the block.
        assert 0 < samples <= -(-(sh + 1) * f // 2) * -(-(sw + 1) * f // 2)


@pytest.mark.parametrize("size", [(16, 16), (120, 400), (400, 100)])
def test_a_thin_torus_has_no_uncut_seam(size: tuple[int, int]) -> None:
    """One row (or column) of blocks would meet itself across the torus along a straight, uncut line."""
    rows, cols, overlap = grid((512, 512, 3), size)
    assert len(rows) >= 3 and len(cols) >= 3  # at least two blocks a side
    assert overlap <= min(np.diff(rows).min(), np.diff(cols).min())  # so no block wraps onto itself
    # An exemplar that carries its own coordinates (small, so that the texture channel decides the cuts).
    where = np.stack(np.meshgrid(np.arange(512), np.arange(512), indexing="ij"), axis=-1) / 1024.0
    texture = np.random.default_rng(1).random((512, 512, 1))
    exemplar = np.concatenate([where, texture], axis=2).astype(np.float32)
    guide = np.full((32, 32, 3), 0.5, dtype=np.float32)
    out = result_of(guided_quilt_steps(exemplar, guide, size, np.random.default_rng(0), blend=False))
    source = np.rint(out[:, :, :2] * 1024).astype(int)
    # Across every row and column boundary some pixels continue their copy: a seam no cut crosses
    # continues none (measured with one block a side: 0.0 at 16x16, 120x400 and 400x100).
    down = np.all(np.roll(source, -1, axis=0) - source == (1, 0), axis=2).mean(axis=1)
    right = np.all(np.roll(source, -1, axis=1) - source == (0, 1), axis=2).mean(axis=0)
    assert min(down.min(), right.min()) > 0.2


def _grain(columns: bool, period: int | None = None, seed: int = 0) -> np.ndarray:
    """256 px of streaks running down (``columns``) or across: noise smoothed 8 px along them, with dark
    joints every ``period`` px across them when given (brick columns)."""
    noise = np.random.default_rng(seed).random((256 // 8 + 1, 256)).astype(np.float32)
    lum = resize(noise[:, :, None], 256, 256, periodic=True)[:, :, 0]
    if period is not None:
        lum = np.where((np.arange(256) % period < 3)[None, :], 0.0, lum)
    lum = lum if columns else lum.T
    return np.repeat(lum[:, :, None], 3, axis=2).astype(np.float32)


def test_blocks_run_along_a_strong_grain_unless_its_spacing_is_periodic() -> None:
    """Streaks down: blocks half as wide as tall; across: twice as wide; columns every 16 or 38 px
    (brick_gray's layout: tall blocks cut across the columns whose spacing is the pattern) and
    isotropic noise: square. Over seeds 0-23 the streaks' rise is 0.044-0.066, the columns' 0.25-0.56."""
    for seed in range(3):
        assert block_aspect(_grain(columns=True, seed=seed)) == pytest.approx(0.5)
        assert block_aspect(_grain(columns=False, seed=seed)) == pytest.approx(2.0)
        assert block_aspect(_grain(columns=True, period=16, seed=seed)) == 1.0
        assert block_aspect(_grain(columns=False, period=38, seed=seed)) == 1.0
        noise = resize(np.random.default_rng(seed).random((32, 32, 3)).astype(np.float32), 256, 256, periodic=True)
        assert block_aspect(noise) == 1.0
    # The periodicity measure itself: joints every 16 px rise far above streaks' wander, along their axis only.
    assert across_grain_rise(_grain(columns=True, period=16)[:, :, 0], axis=1) > 3 * PERIODIC_RISE
    assert across_grain_rise(_grain(columns=True)[:, :, 0], axis=1) < 0.7 * PERIODIC_RISE
    assert across_grain_rise(np.zeros((64, 64)), axis=0) == 0.0


def test_elongated_blocks_keep_their_area_and_the_finish_counts_their_rows() -> None:
    square_rows, square_cols, square_overlap = grid((512, 512, 3), (1024, 1024))
    rows, cols, overlap = grid((512, 512, 3), (1024, 1024), aspect=2.0)
    tall, wide = float(np.diff(rows).mean()), float(np.diff(cols).mean())
    assert 1.8 < wide / tall < 2.6  # the overlap is taken from each side
    assert overlap < square_overlap  # a quarter of the short side
    # Blocks (cells plus overlap) of about the square block's area: 13092 px^2 against 12769.
    block = float(np.diff(square_rows).mean()) + square_overlap
    assert abs((tall + overlap) * (wide + overlap) / block**2 - 1.0) < 0.05
    # Square blocks are the grid of before: block_side, an overlap of a quarter, corners spread evenly.
    side = quilt.block_side((512, 512, 3))
    even = quilt.positions(1024, round(1024 / (side - side // 4)))
    assert (square_rows, square_cols, square_overlap) == (even, even, side // 4)
    # The Synthesizer elongates them for a streaked exemplar, and its progress counts the rows it places.
    config = dataclasses.replace(TINY, width=160, height=128)
    streaks = _grain(columns=True)
    synth = Synthesizer([streaks], config=config, seed=0)
    assert synth.block_aspect == pytest.approx(0.5)
    seen = list(synth.steps())
    assert len(seen) == synth.total_steps
    rows_seen = [p for p in seen if p.stage.startswith("detail: row")]
    assert len(rows_seen) == len(grid(streaks.shape, (128, 160), aspect=0.5)[0]) - 1
    assert Synthesizer([streaks], config=dataclasses.replace(TINY, detail="ascent")).block_aspect == 1.0


def test_blending_takes_each_cuts_step_from_the_exemplar_and_clips_to_its_range() -> None:
    """A ramp of 0.01 per column copied from two places: across the cut between them the canvas steps by
    the copies' difference, the blend toward the ramp's own 0.01 (not toward 0). Values stay within
    the exemplar's range where the blend would lift them above it."""
    ramp = np.tile((np.arange(64) * 0.01 + 0.2).astype(np.float32)[None, :, None], (64, 1, 1))
    rows, cols = np.meshgrid(np.arange(32), np.arange(48), indexing="ij")
    source = np.stack([rows, np.where(cols < 24, cols, cols - 24 + 30)], axis=-1).astype(np.int32)
    canvas = ramp[source[..., 0], source[..., 1]]  # columns 0-23, then 30-53: a step of 0.07 at x = 23
    blended = canvas.copy()
    blend_seams(blended, ramp, source, 4.0)
    assert np.mean(canvas[:, 24] - canvas[:, 23]) == pytest.approx(0.07, abs=1e-6)
    # The screened solve leaves about an eighth of the copies' excess: 0.017 (a step of 0 gives 0.008).
    assert 0.013 < np.mean(blended[:, 24] - blended[:, 23]) < 0.022
    # A bright column (1.0) before a dark one (0.0) in a grey exemplar, cut right after the bright one:
    # the exemplar steps down by 1.0 there, the canvas by 0.5 into grey, so the blend lifts the bright
    # side by about a quarter: clipped at the exemplar's 1.0.
    grey = np.full((32, 40, 1), 0.5, dtype=np.float32)
    grey[:, 10], grey[:, 11] = 1.0, 0.0
    bright = np.stack([rows, np.where(cols <= 10, cols, cols - 11)], axis=-1).astype(np.int32)
    flat = grey[bright[..., 0], bright[..., 1]]
    blend_seams(flat, grey, bright, 4.0)
    assert flat.max() == 1.0 and flat[:, 11].mean() < 0.4  # the grey side pulled down, the bright one held


def test_blending_takes_the_exemplars_step_across_a_cut_and_keeps_the_rest() -> None:
    """Copies of a dark and a light part of the exemplar meet along two vertical cuts (the torus wraps):
    the tone step at each cut becomes the exemplar's own step there, the change fades over about the
    given length, and the detail inside each copy and the mean stay."""
    rng = np.random.default_rng(0)
    detail = resize(rng.random((32, 32, 2)).astype(np.float32), 128, 128, periodic=True) * 0.2
    exemplar = detail + np.where(np.arange(128) < 64, 0.3, 0.6)[:, None, None].astype(np.float32)
    rows, cols = np.meshgrid(np.arange(48), np.arange(128), indexing="ij")
    source = np.stack([np.where(cols < 64, rows + 8, rows + 72), cols], axis=-1).astype(np.int32)
    canvas = exemplar[source[..., 0], source[..., 1]]
    out = canvas.copy()
    blend_seams(out, exemplar, source, 8.0)

    def step(image: np.ndarray, x: int) -> float:
        return float(np.abs(image[:, (x + 1) % 128] - image[:, x]).mean())

    assert step(canvas, 63) > 0.25 and step(canvas, 127) > 0.25  # the tone steps of the cuts
    assert step(out, 63) < 0.05 and step(out, 127) < 0.05  # about the exemplar's own steps
    np.testing.assert_allclose(out.mean(axis=(0, 1)), canvas.mean(axis=(0, 1)), atol=1e-3)
    # 3 lengths and more from the vertical cuts, 2 from the horizontal one where the torus wraps.
    far = np.ix_(np.arange(16, 32), np.arange(24, 40))
    assert np.abs(out[far] - canvas[far]).max() < 0.03
    # Inside each copy the steps between neighbours stay the exemplar's (the correction is smooth).
    inner = np.abs(np.diff(out[:, 8:56], axis=1) - np.diff(canvas[:, 8:56], axis=1)).max()
    assert inner < 0.2 * float(np.abs(np.diff(canvas[:, 8:56], axis=1)).max()) + 0.01


def test_a_metallic_map_stays_as_copied() -> None:
    """Metal or not, nothing between: the seam blend leaves a metallic map as copied, and blends the rest."""
    bark = load_exemplar("bark", 64)
    metallic = (bark.mean(axis=2, keepdims=True) > 0.45).astype(np.float32)
    maps = synthesize_maps([MapSet({"color": bark, "metallic": metallic})], config=TINY, seed=2)
    assert set(np.unique(maps["metallic"])) <= {0.0, 1.0}
    assert len(np.unique(maps["metallic"])) == 2
