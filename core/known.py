"""Known pixels: make-tileable and fill-a-region as synthesis with some pixels fixed.

Both jobs are the same problem. An image is given; some of its pixels are
*known* and stay exactly as they are, the others are *free* and are
synthesized so that every patch touching them looks like a patch of the
image itself (the image is its own exemplar):

* make tileable: the free pixels are a band along the edges, and output
  patches wrap around, so the band is filled with content that continues
  across the opposite edge: the seam is gone, the interior is untouched;
* fill: the free pixels are the masked region, and exemplar patches may only
  come from pixels outside it.

:class:`KnownRegion` holds the full-size masks; :func:`level_masks` gives a
pyramid level's version of them (a coarse pixel is known only when every
fine pixel its resampling kernel reads is known).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InvalidExemplarError
from .exemplars import as_float_image, check_finite

#: Luminance weights (Rec. 709) used when a colour image serves as a mask.
LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


@dataclass(frozen=True)
class KnownRegion:
    """Which pixels of an image are kept and which may serve as exemplar.

    Attributes
    ----------
    original:
        (H, W, C) float32, the image as given: known pixels are copied from
        it into the result bit for bit.
    known:
        (H, W) bool, True where the pixel is kept.
    valid:
        (H, W) bool, True where the pixel may be part of an exemplar patch.
    wrap:
        Output patches may wrap around the image's edges (make-tileable);
        otherwise only patches inside the image count (fill).
    alpha_is_mask:
        The mask came from the image's alpha: the result's alpha is the
        original where known and 1 (opaque) where filled.
    """

    original: np.ndarray
    known: np.ndarray
    valid: np.ndarray
    wrap: bool
    alpha_is_mask: bool = False

    @property
    def free_fraction(self) -> float:
        """Fraction of the pixels that are synthesized."""
        return float(1.0 - self.known.mean())

    def exemplar(self) -> np.ndarray:
        """The image as exemplar: colour channels, free pixels set to the known mean.

        The free pixels' values never reach a patch that is used (``valid``
        excludes them); a neutral value keeps resampling near them tame.
        """
        image = self.original[:, :, :-1] if self.alpha_is_mask else self.original
        if self.valid.all():
            return image
        mean = image[self.valid].mean(axis=0)
        return np.where(self.valid[:, :, None], image, mean).astype(np.float32)

    def finish(self, synthesized: np.ndarray) -> np.ndarray:
        """The result: known pixels from the original (exactly), free ones synthesized."""
        out = synthesized
        if self.alpha_is_mask:
            alpha = np.where(self.known, self.original[:, :, -1], np.float32(1.0))
            out = np.concatenate([synthesized, alpha[:, :, None]], axis=2)
        if out.shape[2] != self.original.shape[2]:
            raise ValueError(f"result has {out.shape[2]} channels, the original {self.original.shape[2]}")
        return np.ascontiguousarray(np.where(self.known[:, :, None], self.original, out).astype(np.float32))


def fill_region(image: object, mask: object | None = None, *, name: str = "image") -> KnownRegion:
    """Masks for filling a region of ``image``.

    Parameters
    ----------
    image:
        (H, W[, C]) float or integer image.
    mask:
        (H, W[, C]) image of the same size: pixels brighter than 0.5 (white)
        are filled, the others kept. None: the image's alpha is the mask,
        and pixels with alpha below 0.5 (transparent) are filled.

    Raises
    ------
    InvalidExemplarError
        No mask and no alpha, sizes differ, nothing or everything masked.
    """
    original = as_float_image(image, name)
    h, w, c = original.shape
    alpha_is_mask = mask is None
    if mask is None:
        if c not in (2, 4):
            raise InvalidExemplarError(
                f"{name} has no alpha channel and no mask was given; give a mask image (white = fill) "
                "or an image whose transparent pixels mark the region to fill"
            )
        free = original[:, :, -1] < 0.5
    else:
        m = as_float_image(mask, "the mask")
        if m.shape[:2] != (h, w):
            raise InvalidExemplarError(
                f"the mask is {m.shape[1]}x{m.shape[0]} pixels but {name} is {w}x{h}; they must be the same size"
            )
        if m.shape[2] in (2, 4):
            m = m[:, :, :-1]
        grey = m[:, :, 0] if m.shape[2] == 1 else m[:, :, :3] @ LUMA
        free = grey > 0.5
    colour = original[:, :, :-1] if alpha_is_mask else original
    known = ~free
    check_finite(np.where(known[:, :, None], colour, 0.0), name)
    if not free.any():
        raise InvalidExemplarError(f"the mask of {name} marks no pixel to fill (white or transparent = fill)")
    if not known.any():
        raise InvalidExemplarError(f"the mask of {name} marks every pixel; some must be kept to learn from")
    return KnownRegion(original, known, known.copy(), wrap=False, alpha_is_mask=alpha_is_mask)


def window_sum(mask: np.ndarray, size: int, *, periodic: bool) -> np.ndarray:
    """Sum of ``mask`` over every size x size window, indexed by the window's top-left corner.

    ``mask``: (H, W, ...) bool or integer (summed as int64) or float (summed
    as float64, summed-area table); axes after the first two are summed
    separately (channels). Periodic: (H, W, ...), windows wrap around.
    Otherwise (H - size + 1, W - size + 1, ...).
    """
    a = mask.astype(np.float64 if np.issubdtype(mask.dtype, np.floating) else np.int64)
    if periodic:
        a = np.pad(a, ((0, size - 1), (0, size - 1)) + ((0, 0),) * (a.ndim - 2), mode="wrap")
    s = np.zeros((a.shape[0] + 1, a.shape[1] + 1, *a.shape[2:]), dtype=a.dtype)
    s[1:, 1:] = a.cumsum(axis=0).cumsum(axis=1)
    return s[size:, size:] - s[:-size, size:] - s[size:, :-size] + s[:-size, :-size]


def erode(mask: np.ndarray, radius: int) -> np.ndarray:
    """True where every pixel within ``radius`` (a square, edges clamped) is True."""
    if radius <= 0:
        return mask.copy()
    padded = np.pad(mask, radius, mode="edge")
    return window_sum(~padded, 2 * radius + 1, periodic=False) == 0


def level_masks(region: KnownRegion, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(known, valid) masks for a pyramid level of ``height`` x ``width``.

    A level pixel is known (or valid) when every full-size pixel its
    antialiased cubic kernel reads is; the full-size level gets the masks
    unchanged.
    """
    h, w = region.known.shape
    if (height, width) == (h, w):
        return region.known, region.valid
    radius = math.ceil(2.0 * max(h / height, w / width)) + 1
    rows = np.clip(np.round((np.arange(height) + 0.5) * h / height - 0.5).astype(np.int64), 0, h - 1)
    cols = np.clip(np.round((np.arange(width) + 0.5) * w / width - 0.5).astype(np.int64), 0, w - 1)
    known = erode(region.known, radius)[np.ix_(rows, cols)]
    valid = region.valid if region.valid.all() else erode(region.valid, radius)
    return known, valid[np.ix_(rows, cols)]


def valid_corners(valid: np.ndarray, size: int) -> np.ndarray:
    """(h - size + 1, w - size + 1) bool: exemplar patch corners whose patch is all valid."""
    return window_sum(~valid, size, periodic=False) == 0


def free_corners(known: np.ndarray, size: int, *, wrap: bool) -> np.ndarray:
    """(H, W) bool: output patch corners whose (periodic) patch touches a free pixel.

    Without ``wrap``, patches that would wrap around an edge are left out.
    """
    touches = window_sum(~known, size, periodic=True) > 0
    if not wrap:
        h, w = known.shape
        touches[h - size + 1 :, :] = False
        touches[:, w - size + 1 :] = False
    return touches


@dataclass(frozen=True)
class LevelConstraints:
    """What known pixels mean at one pyramid level (nothing, for a plain synthesis).

    Attributes
    ----------
    known:
        (H, W) bool, True where the level's pixel is known, or None (no pixel known).
    valid:
        Per exemplar, (h - k + 1, w - k + 1) bool of the patch corners a
        statistic may use, or None for all of them.
    region:
        (H, W) bool over output patch corners: the patches that count (those
        touching free pixels), or None for all.
    free:
        (H, W, 1) float32 of 0 (known) and 1 (free) masking the gradient, or None.
    """

    known: np.ndarray | None = None
    valid: list[np.ndarray | None] | None = None
    region: np.ndarray | None = None
    free: np.ndarray | None = None

    @classmethod
    def at(cls, region: KnownRegion | None, height: int, width: int, patch_size: int) -> LevelConstraints:
        """The constraints of ``region`` at a level of ``height`` x ``width`` (none without a region)."""
        if region is None:
            return cls()
        known, valid_pixels = level_masks(region, height, width)
        return cls(
            known=known,
            valid=[None if valid_pixels.all() else valid_corners(valid_pixels, patch_size)],
            region=free_corners(known, patch_size, wrap=region.wrap),
            free=(~known)[:, :, None].astype(np.float32),
        )

    def paste(self, x: np.ndarray, exemplar: np.ndarray) -> np.ndarray:
        """``x`` (H, W, C) with the known pixels set from ``exemplar`` (the image at this level)."""
        if self.known is None:
            return x
        return np.where(self.known[:, :, None], exemplar, x).astype(np.float32)
