"""core.metrics: each measure tells apart what it should, on crops of the bundled exemplars."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from core import metrics
from core.imageio import read_image
from core.resample import resize

DATA = Path(__file__).resolve().parent / "data"


@functools.cache
def _exemplar(name: str) -> np.ndarray:
    image = read_image(DATA / f"{name}.png")
    image.setflags(write=False)
    return image


def _blur(image: np.ndarray, factor: int) -> np.ndarray:
    """Shrink by ``factor`` and enlarge back: the detail finer than ``factor`` px is lost."""
    h, w = image.shape[:2]
    small = resize(image, h // factor, w // factor, periodic=False)
    return np.clip(resize(small, h, w, periodic=False), 0.0, 1.0)


def _wavy(image: np.ndarray, amplitude: float = 2.0, period: float = 32.0) -> np.ndarray:
    """Bend the image with a sinusoidal displacement (bilinear), like a wavy synthesis."""
    h, w, _ = image.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    sx = np.clip(xx + amplitude * np.sin(2 * np.pi * yy / period), 0, w - 1.001)
    sy = np.clip(yy + amplitude * np.sin(2 * np.pi * xx / period), 0, h - 1.001)
    x0, y0 = sx.astype(int), sy.astype(int)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    top = image[y0, x0] * (1 - fx) + image[y0, x0 + 1] * fx
    bottom = image[y0 + 1, x0] * (1 - fx) + image[y0 + 1, x0 + 1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


# --------------------------------------------------------------------------- random-phase noise


@pytest.mark.parametrize(("name", "height", "width"), [("bark", 128, 96), ("gravel_gray", 160, 300)])
def test_random_phase_noise_keeps_mean_and_contrast_and_tiles(name: str, height: int, width: int) -> None:
    exemplar = _exemplar(name)[:192, :256]
    noise = metrics.random_phase_noise(exemplar, height, width, rng=1)
    assert noise.shape == (height, width, 3)
    assert noise.dtype == np.float32
    assert noise.min() >= 0.0 and noise.max() <= 1.0
    np.testing.assert_allclose(noise.mean(axis=(0, 1)), exemplar.mean(axis=(0, 1)), atol=0.02)
    np.testing.assert_allclose(noise.std(axis=(0, 1)), exemplar.std(axis=(0, 1)), rtol=0.12)
    assert metrics.seam_score(noise) < 1.35
    assert np.array_equal(noise, metrics.random_phase_noise(exemplar, height, width, rng=1))
    assert not np.array_equal(noise, metrics.random_phase_noise(exemplar, height, width, rng=2))


def test_periodic_component_removes_the_border_jump_and_keeps_the_mean() -> None:
    crop = _exemplar("bark")[:128, :160]
    periodic = metrics.periodic_component(crop).astype(np.float32)
    assert metrics.seam_score(crop) > 1.8
    assert metrics.seam_score(periodic) < 1.3
    np.testing.assert_allclose(periodic.mean(axis=(0, 1)), crop.mean(axis=(0, 1)), atol=1e-5)


# --------------------------------------------------------------------------- coherence


def test_coherence_ranks_noise_blur_and_waviness_below_another_piece_of_tiles() -> None:
    tiles = _exemplar("long_white_tiles")
    exemplar, other = tiles[256:], tiles[:128, :128]
    scores = {
        "other": metrics.coherence(other, exemplar),
        "copy": metrics.coherence(exemplar[:128, 200:328], exemplar),
        "noise": metrics.coherence(metrics.random_phase_noise(exemplar, 128, 128, rng=3), exemplar),
        "blur": metrics.coherence(_blur(other, 4), exemplar),
        "wavy": metrics.coherence(_wavy(other), exemplar),
    }
    assert 0.8 < scores["other"] < 1.3, scores
    assert scores["copy"] < 0.8 * scores["other"], scores
    assert scores["noise"] > 2.0 * scores["other"], scores
    assert scores["blur"] > 1.3 * scores["other"], scores
    assert scores["wavy"] > 1.3 * scores["other"], scores


def test_coherence_is_deterministic_for_a_seed() -> None:
    gravel = _exemplar("gravel_gray")[:256, :256]
    output = _exemplar("gravel_gray")[256:384, 256:384]
    assert metrics.coherence(output, gravel, rng=5) == metrics.coherence(output, gravel, rng=5)
    assert metrics.coherence(output, gravel, rng=5) != metrics.coherence(output, gravel, rng=6)


# --------------------------------------------------------------------------- patch distance


def test_normalized_distance_is_near_zero_for_another_piece_and_one_for_noise() -> None:
    gravel = _exemplar("gravel_gray")
    exemplar, other = gravel[256:], gravel[:256, :256]
    noise = metrics.random_phase_noise(exemplar, 256, 256, rng=11)
    other_d = metrics.normalized_patch_distance(other, exemplar)
    noise_d = metrics.normalized_patch_distance(noise, exemplar)
    blur_d = metrics.normalized_patch_distance(_blur(other, 4), exemplar)
    assert abs(other_d) < 0.3
    assert 0.75 < noise_d < 1.25
    assert blur_d > 1.0
    assert metrics.patch_distance(noise, exemplar) > 2.0 * metrics.patch_distance(other, exemplar)


# --------------------------------------------------------------------------- verbatim copies


def test_verbatim_fraction_finds_crops_and_nothing_in_new_texture() -> None:
    gravel = _exemplar("gravel_gray")
    exemplar = gravel[256:]
    crop = exemplar[40:168, 100:228]
    jittered = np.clip(crop + np.random.default_rng(0).normal(0.0, 0.005, crop.shape).astype(np.float32), 0, 1)
    assert metrics.verbatim_fraction(crop, exemplar) > 0.95
    assert metrics.verbatim_fraction(jittered, exemplar) > 0.9
    assert metrics.verbatim_fraction(gravel[:128, :128], exemplar) < 0.02
    assert metrics.verbatim_fraction(metrics.random_phase_noise(exemplar, 128, 128, rng=4), exemplar) < 0.02
    assert metrics.verbatim_fraction(np.full((128, 128, 3), 0.5, np.float32), exemplar) == 0.0


def test_verbatim_fraction_counts_the_copied_part_only() -> None:
    exemplar = _exemplar("rusty_metal")[256:]
    output = metrics.random_phase_noise(exemplar, 192, 192, rng=9)
    output[:96] = exemplar[10:106, 50:242]  # the top half is a copy
    assert 0.3 < metrics.verbatim_fraction(output, exemplar) < 0.7


# --------------------------------------------------------------------------- seam and colour


def test_seam_score_is_one_for_rolled_periodic_noise_and_high_for_a_crop() -> None:
    bark = _exemplar("bark")
    noise = np.roll(metrics.random_phase_noise(bark, 160, 160, rng=2), (37, 51), axis=(0, 1))
    crop = bark[100:260, 200:360]
    assert metrics.seam_score(noise) < 1.3
    assert metrics.seam_score(crop) > 1.8
    assert metrics.seam_score(np.full((16, 16, 3), 0.3, np.float32)) == 1.0


def test_colour_stats_reports_mean_and_std_differences() -> None:
    exemplar = _exemplar("leather_red")[:64, :64]
    output = exemplar * 0.5 + 0.2
    mean_diff, std_diff = metrics.colour_stats(output, exemplar)
    expected_mean = 0.2 - 0.5 * exemplar.mean(axis=(0, 1), dtype=np.float64)
    expected_std = -0.5 * exemplar.std(axis=(0, 1), dtype=np.float64)
    np.testing.assert_allclose(mean_diff, expected_mean, atol=1e-5)
    np.testing.assert_allclose(std_diff, expected_std, atol=1e-5)


# --------------------------------------------------------------------------- evaluate


def test_evaluate_reports_every_figure_and_is_deterministic() -> None:
    exemplar = _exemplar("gravel_gray")[:256, :256]
    output = np.roll(metrics.random_phase_noise(exemplar, 128, 128, rng=7), 5, axis=0)
    first = metrics.evaluate(output, exemplar, rng=0)
    assert set(first) == {
        "coherence",
        "coherence_noise",
        "patch_distance",
        "patch_distance_noise",
        "normalized_distance",
        "verbatim_fraction",
        "verbatim_exemplar",
        "seam",
        "seam_exemplar",
        "mean_error",
        "std_error",
    }
    assert all(isinstance(v, float) and np.isfinite(v) for v in first.values())
    assert first == metrics.evaluate(output, exemplar, rng=0)
    expected = (first["patch_distance"] - 1) / (first["patch_distance_noise"] - 1)
    assert first["normalized_distance"] == pytest.approx(expected)
    assert first["verbatim_fraction"] == 0.0
    assert first["seam"] < 1.3 < first["seam_exemplar"]


# --------------------------------------------------------------------------- errors


def test_mismatched_channels_are_refused() -> None:
    with pytest.raises(ValueError, match="channels"):
        metrics.coherence(np.zeros((64, 64, 1), np.float32), np.zeros((128, 128, 3), np.float32))


def test_integer_and_non_finite_images_are_refused() -> None:
    with pytest.raises(ValueError, match="pixel type"):
        metrics.seam_score(np.zeros((8, 8, 3), np.uint8))
    bad = np.zeros((8, 8, 3), np.float32)
    bad[2, 2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        metrics.seam_score(bad)


def test_too_small_images_name_the_argument() -> None:
    exemplar = _exemplar("gravel_gray")[:256, :256]
    with pytest.raises(ValueError, match="output is 16x16"):
        metrics.patch_distance(np.zeros((16, 16, 3), np.float32), exemplar)
    with pytest.raises(ValueError, match="exemplar is 128x128"):
        metrics.patch_distance(exemplar[:64, :64], exemplar[:128, :128])


def test_bad_parameters_name_the_parameter() -> None:
    exemplar = _exemplar("gravel_gray")[:64, :64]
    with pytest.raises(ValueError, match="patch_size"):
        metrics.verbatim_fraction(exemplar, exemplar, patch_size=4)
    with pytest.raises(ValueError, match="height"):
        metrics.random_phase_noise(exemplar, 1, 64)
