"""Validation and preparation of exemplar images and their weights.

Everything a user can get wrong about exemplars is caught here, before any
heavy allocation, with a message that names the exemplar, the value and what
is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import InvalidExemplarError

if TYPE_CHECKING:
    from .maps import MapLayout

#: Most pixels an exemplar (or an image to make tileable or fill) may have: 4096 x 4096,
#: 16.8 megapixels (268 MB as RGBA float32). Larger exemplars cost minutes and gigabytes for
#: statistics a scaled-down copy gives as well. Hosts check it before decoding a file.
MAX_EXEMPLAR_PIXELS = 4096 * 4096

#: Largest magnitude of an exemplar's pixel values. The optimizer's step sizes are in units of
#: [0, 1] images, so values far outside that range synthesize poorly (measured on bark at
#: 64 px: the normalized patch distance goes 0.78 / 4.3 / 23 for values x1 / x4 / x100), and
#: values near 1e10 and beyond overflow the colour covariance and the patch statistics.
#: Scale HDR exemplars down (to about 0-1) before synthesis.
MAX_PIXEL_VALUE = 1e4


@dataclass(frozen=True)
class PreparedExemplars:
    """Exemplars ready for synthesis.

    Attributes
    ----------
    images:
        (h, w, c) float32 arrays, one per exemplar with a weight > 0.
    weights:
        Their weights, normalized to sum to 1.
    output_channels:
        Channels of the output image (1, 3 or 4): grey exemplars stored as
        RGB are synthesized as one channel and expanded back to three.
    low, high:
        Range of the exemplars' values; the output is clipped to it.
    layout:
        For PBR map sets: where each map lives in the channels (see
        :mod:`core.maps`); the output is the maps stacked.
    """

    images: tuple[np.ndarray, ...]
    weights: tuple[float, ...]
    output_channels: int
    low: float
    high: float
    layout: MapLayout | None = None

    @property
    def channels(self) -> int:
        """Channels that are synthesized (1 for grey)."""
        return int(self.images[0].shape[2])

    def to_output(self, x: np.ndarray) -> np.ndarray:
        """Clip a synthesized (H, W, c) image and give it the output's channels."""
        if self.layout is not None:
            return self.layout.decode(x)
        out = np.clip(x, self.low, self.high).astype(np.float32, copy=False)
        if out.shape[2] == 1 and self.output_channels == 3:
            out = np.repeat(out, 3, axis=2)
        return np.ascontiguousarray(out)


def as_float_image(array: object, name: str, *, check_size: bool = True) -> np.ndarray:
    """An exemplar as (H, W, C) float32; integer images are scaled to [0, 1].

    Raises :class:`InvalidExemplarError` on a bad type, shape or channel
    count, or (with ``check_size``, the default) more than
    :data:`MAX_EXEMPLAR_PIXELS` pixels (checked before any copy).
    """
    a = np.asarray(array)
    if a.dtype == np.bool_ or not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise InvalidExemplarError(f"{name} has pixel type {a.dtype}; expected float or integer pixels")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise InvalidExemplarError(
            f"{name} has {a.ndim} dimensions (shape {a.shape}); expected (height, width) or (height, width, channels)"
        )
    if a.shape[2] not in (1, 2, 3, 4):
        raise InvalidExemplarError(
            f"{name} has {a.shape[2]} channels; expected 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)"
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise InvalidExemplarError(f"{name} is empty ({a.shape[1]}x{a.shape[0]} pixels)")
    if check_size:
        check_exemplar_size(a.shape[1], a.shape[0], name)
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        return (a.astype(np.float32) / np.float32(info.max)).clip(0.0, 1.0)
    return a.astype(np.float32, copy=False)


def prepare_exemplars(
    exemplars: Sequence[object],
    weights: Sequence[float] | None,
    *,
    min_side: int,
    synthesize_alpha: bool,
    names: Sequence[str] | None = None,
) -> PreparedExemplars:
    """Validate exemplars and weights and bring them to a common form.

    Parameters
    ----------
    exemplars:
        Arrays (H, W[, C]); float in [0, 1] (any finite values up to
        :data:`MAX_PIXEL_VALUE` in magnitude are accepted and the output keeps
        their range) or integer (scaled by the type's maximum). At most
        :data:`MAX_EXEMPLAR_PIXELS` pixels. C is 1, 2, 3 or 4; channels 2
        and 4 are alpha.
    weights:
        One non-negative weight per exemplar (None: equal weights). At least
        one must be positive. Exemplars of weight 0 are dropped.
    min_side:
        Smallest allowed exemplar side (twice the patch size).
    synthesize_alpha:
        Keep alpha as a synthesized channel instead of dropping it.
    names:
        Names for messages (default "exemplar 1", "exemplar 2", ...).

    Raises
    ------
    InvalidExemplarError
        On any problem, naming the exemplar (1-based) and the value.
    """
    if isinstance(exemplars, np.ndarray) or len(exemplars) == 0:
        raise InvalidExemplarError("exemplars must be a non-empty list of images")
    w = check_weights(weights, len(exemplars))

    images: list[np.ndarray] = []
    kept: list[float] = []
    for i, (ex, wi) in enumerate(zip(exemplars, w), start=1):
        name = f"exemplar {i}" if names is None or i > len(names) else f"exemplar {names[i - 1]!r}"
        a = as_float_image(ex, name)
        h, wd = a.shape[:2]
        if min(h, wd) < min_side:
            raise InvalidExemplarError(
                f"{name} is {wd}x{h} pixels; at least {min_side}x{min_side} is needed (twice the patch size)"
            )
        check_finite(a, name)
        if a.shape[2] in (2, 4) and not synthesize_alpha:
            a = a[:, :, :-1]
        if wi > 0:
            images.append(np.ascontiguousarray(a))
            kept.append(float(wi))

    channels = {im.shape[2] for im in images}
    if len(channels) > 1:
        raise InvalidExemplarError(
            f"exemplars have different channel counts {sorted(channels)}; use all grey or all colour images"
        )
    out_channels = images[0].shape[2]
    if out_channels == 3 and all(is_grey(im) for im in images):
        images = [np.ascontiguousarray(im[:, :, :1]) for im in images]
    total = sum(kept)
    low = float(min(im.min() for im in images))
    high = float(max(im.max() for im in images))
    return PreparedExemplars(
        images=tuple(images),
        weights=tuple(k / total for k in kept),
        output_channels=out_channels,
        low=min(low, 0.0),
        high=max(high, 1.0) if high > 1.0 else 1.0,
    )


def check_exemplar_size(width: int, height: int, name: str) -> None:
    """Raise :class:`InvalidExemplarError` if a width x height exemplar exceeds :data:`MAX_EXEMPLAR_PIXELS`."""
    if width * height > MAX_EXEMPLAR_PIXELS:
        raise InvalidExemplarError(
            f"{name} is {width}x{height} pixels; exemplars can be at most {MAX_EXEMPLAR_PIXELS / 1e6:.1f} megapixels "
            "(4096x4096): use a scaled-down copy"
        )


def check_image_size(width: int, height: int, name: str, *, job: str, min_side: int) -> None:
    """Raise :class:`InvalidExemplarError` unless an image to make tileable or fill is large enough.

    ``job`` names the job in the message ("make tileable", "fill"); ``min_side``
    is the smallest side it needs (the output's minimum, and twice the patch size).
    """
    if min(width, height) < min_side:
        raise InvalidExemplarError(
            f"{name} is {width}x{height} pixels; {job} needs an image of at least {min_side}x{min_side}"
        )


def check_finite(image: np.ndarray, name: str) -> None:
    """Raise :class:`InvalidExemplarError` unless every value of an (H, W, C) image is finite and
    at most :data:`MAX_PIXEL_VALUE` in magnitude, counting the pixels that are not."""
    finite = np.isfinite(image)
    if not np.all(finite):
        bad = int(np.count_nonzero(~finite.all(axis=2)))
        raise InvalidExemplarError(f"{name} has {bad} pixels with NaN or infinite values; all must be finite")
    largest = float(np.abs(image).max()) if image.size else 0.0
    if largest > MAX_PIXEL_VALUE:
        bad = int(np.count_nonzero((np.abs(image) > MAX_PIXEL_VALUE).any(axis=2)))
        raise InvalidExemplarError(
            f"{name} has {bad} pixels with values beyond +-{MAX_PIXEL_VALUE:g} (up to {largest:.3g}); "
            "scale it to about 0-1 first (HDR images too)"
        )


def check_weights(weights: Sequence[float] | None, count: int) -> np.ndarray:
    """Exemplar weights as a (count,) float64 array (None: all 1); raises on bad values."""
    if weights is None:
        weights = [1.0] * count
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != count:
        raise InvalidExemplarError(f"weights has {w.size} values for {count} exemplars; give one weight per exemplar")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidExemplarError(f"weights are {_numbers(w)}; each must be a finite number >= 0")
    if w.sum() <= 0:
        raise InvalidExemplarError(f"weights are {_numbers(w)}; at least one must be > 0")
    return w


def _numbers(values: np.ndarray) -> str:
    """'[0.7, 0.3]' whatever the NumPy version (NumPy 2 would show np.float64(0.7))."""
    return "[" + ", ".join(f"{float(v):g}" for v in values) + "]"


def is_grey(image: np.ndarray) -> bool:
    """True when an (H, W, 3+) image is grey stored as colour: its first three channels agree within 1/1024."""
    return bool(np.all(np.abs(image[:, :, 0:1] - image[:, :, 1:3]) <= 1.0 / 1024))
