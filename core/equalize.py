"""Equalize lighting: take large-scale brightness and colour variation out of a photo.

A photo of a surface carries its lighting: a brighter corner, a vignette, a
colour cast from the sky on one side. Synthesized or tiled, that lighting
repeats as blotches. :func:`equalize_lighting` divides each channel, in
linear light, by a large-scale smooth estimate of itself (a Gaussian blur at
``scale`` x the short side, with mirrored edges) and multiplies by the
channel's mean, so the texture keeps its detail and its mean colour while
the slow variation goes:

    flat = equalize_lighting(photo)                 # (H, W, C) float32 in [0, 1]
    flat = equalize_lighting(photo, scale=0.25)     # only variation slower than 1/4 of the side

Values are treated as sRGB-encoded colour unless ``linear`` is True (float
images from EXR files, data maps). Alpha is kept as it is.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from .errors import InvalidConfigError
from .exemplars import as_float_image, check_finite
from .task import ImageTask

#: Smallest and largest scale, as a fraction of the image's short side.
SCALE_RANGE = (0.02, 1.0)
#: Default scale: variation slower than 1/8 of the short side is lighting.
DEFAULT_SCALE = 0.125


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB-encoded values (any range; negatives mirrored) to linear light, float32."""
    v = np.asarray(values, dtype=np.float32)
    a = np.abs(v)
    out = np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)
    return (np.sign(v) * out).astype(np.float32)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Linear light to sRGB-encoded values (any range; negatives mirrored), float32."""
    v = np.asarray(values, dtype=np.float32)
    a = np.abs(v)
    out = np.where(a <= 0.0031308, a * 12.92, 1.055 * a ** (1 / 2.4) - 0.055)
    return (np.sign(v) * out).astype(np.float32)


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of an (H, W, C) image with mirrored edges, by FFT; float32.

    The image is mirrored to twice its size on each axis, which makes it
    periodic without a jump at the edges, blurred there and cropped back.
    Memory: about 16 x the image in complex64.
    """
    h, w = image.shape[:2]
    mirrored = np.concatenate([image, image[::-1]], axis=0)
    mirrored = np.concatenate([mirrored, mirrored[:, ::-1]], axis=1).astype(np.float32)
    fy = np.fft.fftfreq(2 * h)[:, None]
    fx = np.fft.rfftfreq(2 * w)[None, :]
    kernel = np.exp(-2.0 * (np.pi * sigma) ** 2 * (fy**2 + fx**2)).astype(np.float32)
    spectrum = np.fft.rfft2(mirrored, axes=(0, 1)) * kernel[:, :, None]
    return np.fft.irfft2(spectrum, s=(2 * h, 2 * w), axes=(0, 1))[:h, :w].astype(np.float32)


def equalize_lighting(
    image: object, scale: float = DEFAULT_SCALE, *, linear: bool = False, name: str = "image"
) -> np.ndarray:
    """``image`` with its large-scale brightness and colour variation removed.

    Parameters
    ----------
    image:
        (H, W[, C]) float in [0, 1] or integer; C is 1, 2, 3 or 4 (the last
        channel of 2 and 4 is alpha, kept as it is).
    scale:
        Variation slower than this fraction of the short side counts as
        lighting, 0.02 to 1 (default 0.125): the Gaussian's sigma is
        ``scale x short side / 2``.
    linear:
        The values are linear light already (EXR, data maps); default False:
        sRGB-encoded, converted to linear light and back.
    name:
        The image's name for messages.

    Returns
    -------
    (H, W, C) float32, each colour channel's mean (in linear light) as before,
    clipped to [0, 1] unless the input had values outside it.
    """
    low, high = SCALE_RANGE
    if not (np.isfinite(scale) and low <= scale <= high):
        raise InvalidConfigError(f"scale is {scale!r}; allowed: {low} to {high} (fraction of the short side)")
    pixels = as_float_image(image, name)
    check_finite(pixels, name)
    colour_channels = pixels.shape[2] - (1 if pixels.shape[2] in (2, 4) else 0)
    colour = pixels[:, :, :colour_channels]
    light = colour if linear else srgb_to_linear(colour)
    sigma = scale * min(pixels.shape[:2]) / 2
    floor = np.float32(1e-4)
    smooth = np.maximum(gaussian_blur(light, sigma), floor)
    mean = light.reshape(-1, colour_channels).mean(axis=0)
    ratio = light / smooth
    flat = ratio * (mean / np.maximum(ratio.reshape(-1, colour_channels).mean(axis=0), floor))
    out = flat if linear else linear_to_srgb(flat)
    if pixels.min() >= 0.0 and pixels.max() <= 1.0:
        out = np.clip(out, 0.0, 1.0)
    result = pixels.copy()
    result[:, :, :colour_channels] = out
    return result.astype(np.float32)


def lighting_figures(image: np.ndarray, *, fraction: float = DEFAULT_SCALE) -> tuple[float, float]:
    """(large-scale share, fine-detail std) of an image's luminance, to measure an equalization.

    Large-scale share: the standard deviation of the luminance blurred at
    ``fraction`` x the short side (sigma = half that), over its total standard
    deviation. Fine detail: the standard deviation of the luminance minus
    that blur.
    """
    rgb = image[:, :, :3] if image.shape[2] >= 3 else np.repeat(image[:, :, :1], 3, axis=2)
    luma = (rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32))[:, :, None]
    blurred = gaussian_blur(luma, fraction * min(image.shape[:2]) / 2)
    total = float(luma.std())
    return (float(blurred.std()) / total if total > 0 else 0.0), float((luma - blurred).std())


def equalize_task(
    image: object, scale: float = DEFAULT_SCALE, *, linear: bool = False, name: str = "image"
) -> ImageTask:
    """The equalize job as a stepping :class:`~core.task.ImageTask` (one step; the image is checked now)."""
    pixels = as_float_image(image, name)
    check_finite(pixels, name)

    def work() -> Generator[str, None, np.ndarray]:
        out = equalize_lighting(pixels, scale, linear=linear, name=name)
        yield "equalized the lighting"
        return out

    return ImageTask(pixels, work, total_steps=1)
