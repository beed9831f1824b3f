"""Equalize lighting: the slow variation goes, the detail and the mean colour stay."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_exemplar
from core import InvalidConfigError, InvalidExemplarError
from core.equalize import equalize_lighting, gaussian_blur, lighting_figures, linear_to_srgb, srgb_to_linear


def lit(image: np.ndarray) -> np.ndarray:
    """``image`` under uneven light: a left-to-right ramp (0.35 to 1.25) and a colour cast top to bottom."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    light = (0.35 + 0.9 * xx)[:, :, None]
    cast = np.stack([np.ones_like(xx), 0.9 + 0.2 * yy, 1.1 - 0.2 * yy], axis=2)
    return np.clip(linear_to_srgb(srgb_to_linear(image) * light * cast), 0.0, 1.0).astype(np.float32)


@pytest.mark.parametrize("name", ["bark", "gravel_gray", "brick_gray", "long_white_tiles"])
def test_slow_lighting_goes_and_detail_stays(name: str) -> None:
    photo = lit(load_exemplar(name, 256))
    share, detail = lighting_figures(photo)
    flat = equalize_lighting(photo)
    share_after, detail_after = lighting_figures(flat)
    # Measured at 512 px: large-scale share 4.7x to 13x smaller, detail within 3.3 %.
    assert share_after < share / 4, (share, share_after)
    assert abs(detail_after / detail - 1) < 0.1, (detail, detail_after)
    # The mean colour (linear light) is kept; clipping at 1 moves it a little at most.
    before = srgb_to_linear(photo).reshape(-1, 3).mean(axis=0)
    after = srgb_to_linear(flat).reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(after, before, atol=0.01)


def test_the_colour_cast_goes_too() -> None:
    grey = lit(np.full((64, 64, 3), 0.5, np.float32))
    flat = equalize_lighting(grey)
    before = float(np.ptp(grey.reshape(-1, 3), axis=0).min())
    after = float(np.ptp(flat.reshape(-1, 3), axis=0).max())
    assert after < 0.2 * before, (before, after)  # nearly flat grey again (measured 0.032 against 0.25)


def test_alpha_and_grey_and_integers() -> None:
    rgba = np.concatenate([lit(load_exemplar("bark", 64)), np.linspace(0, 1, 64 * 64).reshape(64, 64, 1)], axis=2)
    out = equalize_lighting(rgba.astype(np.float32))
    assert out.shape == (64, 64, 4) and np.array_equal(out[:, :, 3], rgba[:, :, 3].astype(np.float32))
    grey = load_exemplar("gravel_gray", 64, grey=True)
    assert equalize_lighting(grey).shape == (64, 64, 1)
    as8 = np.round(lit(load_exemplar("bark", 64)) * 255).astype(np.uint8)
    out8 = equalize_lighting(as8)
    assert out8.dtype == np.float32 and out8.min() >= 0.0 and out8.max() <= 1.0


def test_a_flat_image_stays_flat_and_linear_data_is_not_encoded() -> None:
    flat = np.full((32, 48, 3), 0.3, np.float32)
    np.testing.assert_allclose(equalize_lighting(flat), flat, atol=1e-5)
    ramp = np.tile(np.linspace(1.0, 3.0, 48, dtype=np.float32), (32, 1))[:, :, None]  # HDR, linear
    out = equalize_lighting(ramp, scale=0.25, linear=True)
    assert out.max() > 1.0  # not clipped: the input was outside [0, 1]
    assert float(out.std()) < 0.2 * float(ramp.std())
    assert float(out.mean()) == pytest.approx(float(ramp.mean()), rel=1e-3)


def test_blur_keeps_the_mean_and_mirrors_the_edges() -> None:
    rng = np.random.default_rng(0)
    image = rng.random((40, 30, 2)).astype(np.float32)
    blurred = gaussian_blur(image, 4.0)
    assert blurred.shape == image.shape
    np.testing.assert_allclose(blurred.mean(axis=(0, 1)), image.mean(axis=(0, 1)), atol=1e-4)
    assert float(blurred.std()) < 0.2 * float(image.std())
    ramp = np.tile(np.linspace(0, 1, 30, dtype=np.float32), (40, 1))[:, :, None]
    # Mirrored, not wrapped: a ramp stays a ramp (no bleed from the far edge).
    assert np.all(np.diff(gaussian_blur(ramp, 2.0)[20, :, 0]) > 0)


@pytest.mark.parametrize("scale", [0.0, 0.01, 1.5, float("nan")])
def test_scale_out_of_range(scale: float) -> None:
    with pytest.raises(InvalidConfigError, match=r"scale is .*; allowed: 0\.02 to 1\.0"):
        equalize_lighting(np.zeros((16, 16, 3), np.float32), scale=scale)


def test_bad_pixels_are_named() -> None:
    image = np.zeros((16, 16, 3), np.float32)
    image[3, 4, 1] = np.nan
    with pytest.raises(InvalidExemplarError, match=r"photo\.png has 1 pixels with NaN"):
        equalize_lighting(image, name="photo.png")
