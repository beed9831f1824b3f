"""The correspondence finish: coordinate maps, voting, PatchMatch refinement, and its use by the Synthesizer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import load_exemplar
from core import InvalidConfigError, MapSet, SynthesisConfig, Synthesizer
from core.correspond import CoordinateMap, match_histograms, refine, vote
from core.nearest import PatchMatcher
from core.optim import make_optimizer
from core.patches import PatchGrid
from seeded import seeded

SMALL = {"width": 48, "height": 40, "patch_size": 5, "coarsest_size": 16, "iterations_coarse": 30}
FINISH = SynthesisConfig.preset("draft", **SMALL, iterations_fine=10, correspondence_levels=2)


def test_upsampled_map_keeps_a_copy_a_copy() -> None:
    """A region copied at one offset stays one copied region at the finer level."""
    coarse = CoordinateMap.identity(30, 30)
    coarse = CoordinateMap(coarse.rows + 5, coarse.cols + 7)  # output (y, x) shows exemplar (y + 5, x + 7)
    fine = coarse.upsampled(40, 40, (80, 80), (60, 60))
    offsets = fine.offsets()[4:-4, 4:-4]
    # At the finer scale the offset is 5 / 0.75 and 7 / 0.75 (up to rounding of the scales).
    assert np.ptp(offsets[..., 0]) <= 1 and np.ptp(offsets[..., 1]) <= 1
    assert abs(float(offsets[..., 0].mean()) - 5 * 80 / 60) < 1 and abs(float(offsets[..., 1].mean()) - 7 * 80 / 60) < 1
    assert fine.rows.max() < 80 and fine.cols.max() < 80 and fine.rows.min() >= 0


def test_vote_of_coherent_matches_is_their_copy() -> None:
    """Every patch matched at one offset: every pixel takes that offset, whatever the grid's phase."""
    k, s = 5, 2
    exemplar = np.random.default_rng(0).random((40, 40, 3)).astype(np.float32)
    grid = PatchGrid(24, 20, k, s, (1, 0))
    gy = grid.offset[0] + s * np.arange(grid.rows)[:, None] + np.zeros((1, grid.cols), dtype=np.int64)
    gx = grid.offset[1] + s * np.arange(grid.cols)[None, :] + np.zeros((grid.rows, 1), dtype=np.int64)
    coords = vote(exemplar, grid, gy + 3, gx + 6, np.ones(grid.count, np.float32))
    offsets = coords.offsets()
    inside = offsets[4:-4, 4:-4]  # away from the wrap (the grid does not continue across it at this size)
    assert np.all(inside[..., 0] == 3) and np.all(inside[..., 1] == 6)


def test_vote_keeps_fixed_pixels() -> None:
    exemplar = np.random.default_rng(1).random((30, 30, 1)).astype(np.float32)
    grid = PatchGrid(16, 16, 5, 3, (0, 0))
    ey = np.full((grid.rows, grid.cols), 4, dtype=np.int64)
    mask = np.zeros((16, 16), dtype=bool)
    mask[5:9, 2:12] = True
    known = CoordinateMap.identity(16, 16)
    coords = vote(exemplar, grid, ey, ey, np.ones(grid.count, np.float32), fixed=(mask, known))
    assert np.array_equal(coords.rows[mask], known.rows[mask]) and np.array_equal(coords.cols[mask], known.cols[mask])


def test_histogram_matching_gives_the_reference_values() -> None:
    rng = np.random.default_rng(2)
    image = rng.random((32, 32, 2)).astype(np.float32)
    reference = rng.normal(size=(32, 32, 2)).astype(np.float32)
    out = match_histograms(image, reference)
    for c in range(2):
        np.testing.assert_array_equal(np.sort(out[..., c].ravel()), np.sort(reference[..., c].ravel()))
        # ranks are kept
        assert np.array_equal(np.argsort(out[..., c].ravel()), np.argsort(image[..., c].ravel()))


@seeded(found=(">", 0.8))
def crop_found_again(seed: int) -> dict[str, float]:
    """Fraction of a 96 px crop of bark whose pixels are mapped back to their true place by three passes.

    Measured 0.90-1.0 over seeds 0-7 (worst 0.897: 12 % margin; PatchMatch with jump-flooding propagation: with
    neighbour steps only, two rounds found 0.4 %).
    """
    bark = load_exemplar("bark")[:160, :160]
    crop = np.ascontiguousarray(bark[30:126, 40:136])
    rng = np.random.default_rng(seed)
    matcher = PatchMatcher(bark, 7, rng)
    coords = refine(None, bark, matcher, rng, stride=3, image=crop, iterations=3, jumps=(1, 4, 16))
    for _ in range(2):
        coords = refine(coords, bark, matcher, rng, stride=3, jumps=(1, 4, 16), image=crop)
    offsets = coords.offsets()[8:-8, 8:-8]  # the crop does not wrap: its border patches cannot match exactly
    return {"found": float(np.mean((offsets[..., 0] == 30) & (offsets[..., 1] == 40)))}


def test_refine_finds_a_crop_of_the_exemplar() -> None:
    crop_found_again.assert_holds(0)


def test_finished_output_is_made_of_exemplar_pixels(bark64: np.ndarray) -> None:
    synth = Synthesizer([bark64], config=FINISH, seed=0)
    assert [lv.finish for lv in synth.levels][-2:] == [True, True] and not synth.levels[0].finish
    out = synth.run()
    assert out.shape == (40, 48, 3)
    colours = {tuple(v) for v in bark64.reshape(-1, 3)}
    assert all(tuple(v) in colours for v in out.reshape(-1, 3))


def test_finish_is_deterministic(bark64: np.ndarray) -> None:
    a = Synthesizer([bark64], config=FINISH, seed=4).run()
    b = Synthesizer([bark64], config=FINISH, seed=4).run()
    assert np.array_equal(a, b)


def test_every_map_of_a_set_follows_one_map(bark64: np.ndarray) -> None:
    """Colour and height come from the same exemplar pixel: the pairs of the output exist in the exemplar."""
    height = bark64.mean(axis=2, keepdims=True) ** 2
    synth = Synthesizer([MapSet({"color": bark64, "height": height})], config=FINISH, seed=1)
    synth.run()
    maps = synth.result_maps()
    pairs = {(*np.round(c, 4), round(float(h), 4)) for c, h in zip(bark64.reshape(-1, 3), height.reshape(-1))}
    out = zip(maps["color"].reshape(-1, 3), maps["height"].reshape(-1))
    found = np.mean([(*np.round(c, 4), round(float(h), 4)) in pairs for c, h in out])
    assert found > 0.99, found


def test_blends_keep_the_pixel_optimization(bark64: np.ndarray, gravel64: np.ndarray) -> None:
    """A map can only copy: two exemplars with weights strictly between 0 and 1 never finish by correspondence."""
    grey = np.repeat(gravel64, 3, axis=2)
    blend = Synthesizer([bark64, grey], weights=[0.5, 0.5], config=FINISH, seed=0)
    assert not any(lv.finish for lv in blend.levels)
    single = Synthesizer([bark64, grey], weights=[1.0, 0.0], config=FINISH, seed=0)
    assert single.levels[-1].finish


def test_known_pixels_keep_the_pixel_optimization(bark64: np.ndarray) -> None:
    """The synthesized fill (the one run with known pixels) never finishes by correspondence."""
    from core import fill_synthesizer

    hole = np.zeros((64, 64), np.float32)
    hole[20:40, 24:44] = 1.0
    config = dataclasses.replace(FINISH, width=64, height=64)
    assert Synthesizer([bark64], config=config, seed=0).levels[-1].finish  # without known pixels it would
    synth = fill_synthesizer(bark64, hole, config=config, seed=0)
    assert synth.known is not None and not any(lv.finish for lv in synth.levels)


def test_correspondence_levels_are_validated() -> None:
    with pytest.raises(InvalidConfigError, match="correspondence_levels"):
        SynthesisConfig(correspondence_levels=9)
    with pytest.raises(InvalidConfigError, match="correspondence_levels"):
        SynthesisConfig(correspondence_levels=True)  # type: ignore[arg-type]


def test_optimizers_say_how_often_they_redraw() -> None:
    assert make_optimizer("adam", learning_rate=0.01, resample_every=10).draws_in(10) == 10
    assert make_optimizer("gradient", learning_rate=0.01, resample_every=10).draws_in(10) == 10
    assert make_optimizer("cg", learning_rate=0.01, resample_every=5).draws_in(10) == 2
    assert make_optimizer("lbfgs", learning_rate=0.01, resample_every=20).draws_in(10) == 1
