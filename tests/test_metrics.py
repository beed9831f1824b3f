"""core.metrics: each measure tells apart what it should, on crops of the bundled exemplars."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from core import GassError, InvalidConfigError, InvalidExemplarError, metrics
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


# --------------------------------------------------------------------------- sharpness


def _gaussian_blur(image: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Separable Gaussian blur of ``sigma`` px, edges reflected."""
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    a = image.astype(np.float64)
    for axis in (0, 1):
        pad = [(radius, radius) if ax == axis else (0, 0) for ax in range(a.ndim)]
        padded = np.pad(a, pad, mode="reflect")
        a = sum(t * np.take(padded, np.arange(i, i + a.shape[axis]), axis=axis) for i, t in enumerate(taps))
    return a.astype(np.float32)


@pytest.mark.parametrize("name", ["bark", "gravel_gray", "long_white_tiles", "tactile_paving_dots"])
def test_sharpness_is_one_for_the_other_half_and_falls_with_a_one_pixel_blur(name: str) -> None:
    image = _exemplar(name)
    exemplar, other = image[:256], image[256:]
    assert metrics.sharpness(exemplar, exemplar) == 1.0
    assert 0.9 < metrics.sharpness(other, exemplar) < 1.1
    blurred = metrics.sharpness(_gaussian_blur(other), exemplar)
    assert 0.35 < blurred < 0.8
    assert metrics.sharpness(_gaussian_blur(other, 2.0), exemplar) < blurred
    doubled = metrics.sharpness(other * 2.0 - 0.5, exemplar)  # twice the contrast
    assert doubled == pytest.approx(2.0 * metrics.sharpness(other, exemplar))


def test_sharpness_of_a_flat_exemplar_is_undefined() -> None:
    flat = np.full((32, 32, 3), 0.4, np.float32)
    assert np.isnan(metrics.sharpness(_exemplar("bark")[:32, :32], flat))
    assert metrics.sharpness(flat, _exemplar("bark")[:32, :32]) == 0.0


# --------------------------------------------------------------------------- lattice order


def _dots(height: int, width: int, period: int, *, jitter: float = 0.0, seed: int = 0) -> np.ndarray:
    """Grey Gaussian dots (sigma 2 px) on a square grid of ``period`` px, periodic; centres moved by
    ``jitter`` px (standard deviation) at random."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    image = np.zeros((height, width))
    for cy in range(period // 2, height, period):
        for cx in range(period // 2, width, period):
            y0, x0 = cy + jitter * rng.standard_normal(), cx + jitter * rng.standard_normal()
            dy = (yy - y0 + height / 2) % height - height / 2
            dx = (xx - x0 + width / 2) % width - width / 2
            image += np.exp(-(dy**2 + dx**2) / 8.0)
    return (0.2 + 0.6 * image).astype(np.float32)[:, :, None]


def test_lattice_peaks_are_the_grid_vectors_of_a_dot_grid() -> None:
    lags, values = metrics.lattice_peaks(_dots(128, 128, 16))
    found = {tuple(int(v) for v in lag) for lag in lags}
    assert {(0, 16), (16, 0), (16, 16), (16, -16)} <= found
    assert all(abs(dy) % 16 == 0 and abs(dx) % 16 == 0 for dy, dx in found)
    assert len(lags) <= metrics.LATTICE_MAX_PEAKS and np.all(values > metrics.LATTICE_THRESHOLD)
    assert np.all(np.diff(values) <= 0)  # strongest first


def test_lattice_order_is_one_for_the_grid_and_falls_when_it_is_jittered_bent_or_shuffled() -> None:
    exemplar = _dots(128, 128, 16)
    grid = _dots(256, 256, 16)
    assert metrics.lattice_order(grid, exemplar) == pytest.approx(1.0, abs=0.02)
    jittered = metrics.lattice_order(_dots(256, 256, 16, jitter=3.0), exemplar)
    wavy = metrics.lattice_order(_wavy(grid, amplitude=4.0, period=64.0), exemplar, periodic=False)
    blocks = [grid[y : y + 40, x : x + 40] for y in range(0, 240, 40) for x in range(0, 240, 40)]
    order = np.random.default_rng(1).permutation(len(blocks))
    shuffled = np.concatenate([np.concatenate([blocks[i] for i in row], axis=1) for row in order.reshape(6, 6)])
    assert jittered < 0.6
    assert wavy < 0.8
    assert metrics.lattice_order(shuffled, exemplar, periodic=False) < 0.8


@pytest.mark.parametrize("name", ["long_white_tiles", "tactile_paving_dots", "leather_red"])
def test_lattice_order_of_an_exemplars_own_half_is_near_one(name: str) -> None:
    image = _exemplar(name)
    assert len(metrics.lattice_peaks(image)[0]) > 0
    for half in (image[:256], image[256:], image[:, :256], image[:, 256:]):
        assert 0.85 < metrics.lattice_order(half, image, periodic=False) < 1.15


def test_lattice_order_is_undefined_without_a_lattice() -> None:
    gravel = _exemplar("gravel_gray")
    assert metrics.lattice_peaks(gravel)[0].shape == (0, 2)
    assert np.isnan(metrics.lattice_order(gravel[:256], gravel))


def test_lattice_order_needs_an_output_twice_the_longest_lag() -> None:
    with pytest.raises(InvalidExemplarError, match="output is 20x20"):
        metrics.lattice_order(_dots(20, 20, 16), _dots(128, 128, 16))


# --------------------------------------------------------------------------- repetition


def test_repetition_finds_a_crop_and_nothing_in_new_texture_or_noise() -> None:
    gravel = _exemplar("gravel_gray")
    exemplar = gravel[256:]
    crop = exemplar[40:168, 100:228]
    found = metrics.repetition(crop, exemplar)
    assert found.largest == pytest.approx(128 * 128 / exemplar[:, :, 0].size, rel=0.05)
    assert found.repeats == 0 and found.copied > 0.95
    jittered = np.clip(crop + np.random.default_rng(0).normal(0.0, 0.002, crop.shape).astype(np.float32), 0, 1)
    assert metrics.repetition(jittered, exemplar).largest > 0.9 * found.largest
    for other in (gravel[:256, :256], metrics.random_phase_noise(exemplar, 256, 256, rng=4)):
        assert metrics.repetition(other, exemplar) == metrics.Repetition(0.0, 0, 0.0)


def test_repetition_counts_a_landmark_that_appears_twice() -> None:
    exemplar = _exemplar("bark")[:256, :256]
    output = metrics.random_phase_noise(exemplar, 256, 384, rng=2)
    landmark = exemplar[100:180, 60:140]  # 80 x 80 = 6400 px, more than 1/16 of the exemplar
    output[20:100, 20:100] = landmark
    once = metrics.repetition(output, exemplar)
    assert once.repeats == 0 and once.largest == pytest.approx(6400 / 256**2, rel=0.05)
    output[150:230, 250:330] = landmark
    assert metrics.repetition(output, exemplar).repeats == 1


def test_repetition_of_a_tiled_or_shuffled_exemplar() -> None:
    exemplar = _exemplar("rusty_metal")[:256, :256]
    tiled = metrics.repetition(np.tile(exemplar, (2, 2, 1)), exemplar)
    assert tiled.largest == pytest.approx(1.0, abs=0.01) and tiled.repeats == 3
    blocks = [exemplar[y : y + 64, x : x + 64] for y in range(0, 256, 64) for x in range(0, 256, 64)]
    order = np.array([5, 15, 0, 10, 2, 8, 13, 7, 11, 1, 6, 14, 4, 9, 3, 12])  # no two neighbours kept
    shuffled = np.concatenate([np.concatenate([blocks[i] for i in row], axis=1) for row in order.reshape(4, 4)])
    found = metrics.repetition(shuffled, exemplar)
    assert found.largest == pytest.approx(1 / 16, rel=0.02) and found.repeats == 0 and found.copied > 0.95


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
        "sharpness",
        "sharpness_exemplar",
        "lattice_order",
        "lattice_order_exemplar",
        "repetition_largest",
        "repetition_largest_exemplar",
        "repetition_repeats",
        "repetition_copied",
    }
    assert all(isinstance(v, float) for v in first.values())
    undefined = {"lattice_order", "lattice_order_exemplar"}  # gravel has no lattice
    assert all(np.isnan(first[k]) for k in undefined)
    assert all(np.isfinite(v) for k, v in first.items() if k not in undefined)
    assert metrics.evaluate(output, exemplar, rng=0).keys() == first.keys()
    assert all(metrics.evaluate(output, exemplar, rng=0)[k] == v for k, v in first.items() if k not in undefined)
    expected = (first["patch_distance"] - 1) / (first["patch_distance_noise"] - 1)
    assert first["normalized_distance"] == pytest.approx(expected)
    assert first["verbatim_fraction"] == 0.0
    assert first["seam"] < 1.3 < first["seam_exemplar"]


# --------------------------------------------------------------------------- errors


def test_mismatched_channels_are_refused() -> None:
    with pytest.raises(InvalidExemplarError, match="channels"):
        metrics.coherence(np.zeros((64, 64, 1), np.float32), np.zeros((128, 128, 3), np.float32))
    with pytest.raises(InvalidExemplarError, match="channels"):
        metrics.colour_stats(np.zeros((64, 64, 1), np.float32), np.zeros((128, 128, 3), np.float32))


def test_images_are_validated_as_the_engine_validates_exemplars() -> None:
    grey = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    assert metrics.seam_score(grey) == metrics.seam_score(grey.astype(np.float32) / 255)  # integers scaled
    with pytest.raises(InvalidExemplarError, match="pixel type"):
        metrics.seam_score(np.zeros((8, 8, 3), bool))
    with pytest.raises(InvalidExemplarError, match="5 channels"):
        metrics.seam_score(np.zeros((8, 8, 5), np.float32))
    bad = np.zeros((8, 8, 3), np.float32)
    bad[2, 2, 0] = np.nan
    with pytest.raises(InvalidExemplarError, match="NaN"):
        metrics.seam_score(bad)
    # Outputs may be larger than an exemplar may be (4096 x 4096).
    assert metrics.seam_score(np.broadcast_to(np.float32(0.5), (8, 4096 * 4096 // 8 + 8, 1))) == 1.0


def test_grey_stored_as_colour_is_measured_as_one_channel_within_the_engines_tolerance() -> None:
    gravel = _exemplar("gravel_gray")  # grey stored as RGB
    exemplar, output = gravel[:256], gravel[256:, :256]
    tinted = output + np.array([0.0, 0.5 / 1024, -0.5 / 1024], np.float32)  # grey to the engine too
    assert metrics.coherence(tinted, exemplar) == pytest.approx(metrics.coherence(output[:, :, :1], exemplar[:, :, :1]))


def test_too_small_images_raise_a_gass_error_naming_the_argument() -> None:
    exemplar = _exemplar("gravel_gray")[:256, :256]
    with pytest.raises(InvalidExemplarError, match="output is 16x16"):
        metrics.patch_distance(np.zeros((16, 16, 3), np.float32), exemplar)
    with pytest.raises(InvalidExemplarError, match="exemplar is 128x128"):
        metrics.patch_distance(exemplar[:64, :64], exemplar[:128, :128])
    with pytest.raises(GassError, match="output is 32x32"):
        metrics.normalized_patch_distance(exemplar[:32, :32], exemplar)
    with pytest.raises(GassError, match="exemplar is 200x200"):
        metrics.evaluate(exemplar[:64, :64], exemplar[:200, :200])
    with pytest.raises(InvalidExemplarError, match="output is 12x12"):
        metrics.repetition(exemplar[:12, :12], exemplar)
    with pytest.raises(InvalidExemplarError, match="exemplar is 16x16"):
        metrics.lattice_peaks(exemplar[:16, :16])


def test_bad_parameters_name_the_parameter() -> None:
    exemplar = _exemplar("gravel_gray")[:64, :64]
    with pytest.raises(InvalidConfigError, match="patch_size"):
        metrics.verbatim_fraction(exemplar, exemplar, patch_size=4)
    with pytest.raises(InvalidConfigError, match="height"):
        metrics.random_phase_noise(exemplar, 1, 64)
    with pytest.raises(InvalidConfigError, match="width"):
        metrics.random_phase_noise(exemplar, 64, True)
    with pytest.raises(InvalidConfigError, match="seed_stride"):
        metrics.repetition(exemplar, exemplar, seed_stride=2)
    with pytest.raises(InvalidConfigError, match="tolerance"):
        metrics.CopyCriteria(tolerance=2.0, max_difference=0.01)
