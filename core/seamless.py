"""Make an image tileable in seconds: cut it against a shifted copy of itself.

A photo does not tile because its right edge does not continue into its left
edge. Lay a copy of the photo to its right, overlapping it by ``b``
columns, and cut through the overlap along the path where the two agree
best (Efros and Freeman's image quilting; the cut found by dynamic
programming). Left of the cut is the end of the photo (the copy), right of
it the photo's start, so the strip of width W - b continues into itself:
it tiles across. The same across the rows of that strip makes it tile both
ways. Every output pixel is one of the photo's own pixels (as sharp as the
photo), and nothing is synthesized, so it takes a fraction of a second per
megapixel.

The overlap is chosen by search: the one where the two copies agree best
along their best path. On a regular layout (tiles, bricks, studs) that is a
translation of its lattice, so joints meet joints and the grid runs
straight through the cut, and W - b is a whole number of its periods. The
tile is W - b by H - b' pixels; :func:`make_tileable` resamples it to the
photo's size (periodic cubic, a scale of about 1.1) unless ``keep_size`` is
False.

    flat = make_tileable(photo)                       # same size, tiles both ways
    tile, cuts = seamless_tile(photo, border=0.1)     # W - b x H - b', and the two cuts
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from .config import BORDER_RANGE
from .errors import InvalidConfigError
from .exemplars import as_float_image, check_finite, check_image_size
from .lattice import find_lattice, torus_periods
from .quilt import dp_cut
from .resample import resize
from .task import ImageTask, result_of

#: Least overlap in pixels: a cut needs room to wander.
MIN_OVERLAP = 4
#: Overlaps searched: from this fraction of the band to this multiple of it (room to meet a period).
OVERLAP_SPAN = (0.5, 2.0)
#: Downsampling of the coarse search.
SEARCH_FACTOR = 4
#: Smallest side of an image to make tileable this way.
MIN_SIDE = 32


@dataclass(frozen=True)
class Cut:
    """One cut, across the columns (``axis`` 1: they wrap) or the rows (``axis`` 0).

    Attributes
    ----------
    axis:
        1 for the cut that makes the columns wrap, 0 for the rows.
    period:
        Side of the tile on that axis: the translation between the image and its copy.
    overlap:
        Pixels the copy overlaps the image by (side - period).
    cost:
        Mean squared difference of the two copies along the cut, per channel.
    contrast:
        Mean squared difference of neighbouring pixels of the image on that axis:
        :attr:`visibility` is cost over contrast.
    """

    axis: int
    period: int
    overlap: int
    cost: float
    contrast: float

    @property
    def visibility(self) -> float:
        """cost / contrast: 0 invisible, 1 as strong as an ordinary step between neighbours."""
        return self.cost / self.contrast if self.contrast > 0 else 0.0


def _zone_cost(image: np.ndarray, overlap: int) -> np.ndarray:
    """(H, overlap) squared differences, summed over channels, of the first ``overlap`` columns
    against the last ``overlap`` ones."""
    w = image.shape[1]
    return np.sum((image[:, w - overlap :] - image[:, :overlap]) ** 2, axis=2)


def _overlap_score(cost: np.ndarray) -> float:
    """How well an overlap fits, from its squared differences ``cost`` (H, B); lower is better.

    The best cut's cost, estimated cheaply (per row the least of the costs
    averaged over 5 rows, since a path moves at most a column per row), plus
    the mean over the whole overlap. The cut alone can thread between the
    elements of a regular layout (through the mortar, around the studs) at a
    shift that is not a period and double or halve a row of them; the mean is
    the autocorrelation at that shift, which only a period makes small. On a
    texture without a lattice it hardly depends on the shift.
    """
    c = np.cumsum(np.pad(cost, [(3, 2), (0, 0)], mode="edge"), axis=0)
    smooth = (c[5:] - c[:-5]) / np.float32(5)
    return float(np.mean(np.min(smooth, axis=1))) + float(np.mean(cost))


def _downsampled(image: np.ndarray) -> tuple[np.ndarray, int]:
    """A box-downsampled copy for the coarse search, and its factor (1 for small images)."""
    f = SEARCH_FACTOR if min(image.shape[:2]) >= 16 * SEARCH_FACTOR else 1
    h, w = image.shape[:2]
    small = image[: h - h % f, : w - w % f].reshape(h // f, f, w // f, f, -1).mean(axis=(1, 3))
    return small, f


def _search(image: np.ndarray, low: int, high: int, period: int = 0) -> int:
    """The overlap in low..high with the cheapest estimated cut: every overlap on a downsampled copy,
    then the best three refined at full resolution within one coarse step.

    ``period`` > 0 (the lattice's, along the cut's axis): only overlaps that leave a whole number of
    periods, from ``low`` up to a third of the side (a wider search than the border asks for: a tile of
    paving panels 128 px wide needs an overlap of 128 on 512 px), when there are any; they are few, so
    all are scored at full resolution.
    """
    side = image.shape[1]
    if period > 0:
        whole = [b for b in range(low, max(high, side // 3) + 1) if (side - b) % period == 0]
        if whole:
            return min(whole, key=lambda b: _overlap_score(_zone_cost(image, b)))
    small, f = _downsampled(image)
    coarse = range(max(1, low // f), max(1, high // f) + 1)
    ranked = sorted(coarse, key=lambda b: _overlap_score(_zone_cost(small, b)))
    fine = {b for b0 in ranked[:3] for b in range(max(low, b0 * f - f + 1), min(high, b0 * f + f - 1) + 1)}
    return min(sorted(fine) or [low], key=lambda b: _overlap_score(_zone_cost(image, b)))


def _cut_columns(image: np.ndarray, overlap: int, *, periodic: bool) -> tuple[np.ndarray, float]:
    """The image made to wrap across its columns: (H, W - overlap, C), and the cut's mean cost per channel.

    Columns 0..overlap-1 of the result come, left of the cut, from the
    image's last columns (the copy) and, right of it, from its first ones.
    ``periodic``: the image's rows already wrap (the cut must close on itself).
    """
    w = image.shape[1]
    cost = _zone_cost(image, overlap)
    path = dp_cut(cost, periodic=periodic)
    out = image[:, : w - overlap].copy()
    from_copy = np.arange(overlap)[None, :] < path[:, None]
    out[:, :overlap] = np.where(from_copy[:, :, None], image[:, w - overlap :], image[:, :overlap])
    along = float(np.mean(cost[np.arange(cost.shape[0]), path]))
    return out, along / image.shape[2]


def _contrast(image: np.ndarray, axis: int) -> float:
    """Mean squared difference of neighbouring pixels along ``axis``, per channel."""
    return float(np.mean(np.diff(image, axis=axis) ** 2))


def overlap_range(side: int, border: float) -> tuple[int, int]:
    """Overlaps searched on a side: OVERLAP_SPAN x border x side, at least MIN_OVERLAP, at most side / 3."""
    band = border * side
    low = max(MIN_OVERLAP, round(OVERLAP_SPAN[0] * band))
    return low, max(low, min(round(OVERLAP_SPAN[1] * band), side // 3))


def seamless_steps(image: np.ndarray, border: float) -> Generator[str, None, tuple[np.ndarray, tuple[Cut, Cut]]]:
    """:func:`seamless_tile` a step at a time on a checked float image: yields a stage text after
    each of its four steps, returns (tile, (column cut, row cut))."""
    cuts = []
    work = image
    # On a regular layout the tile holds whole periods of its lattice (when one fits the overlaps searched).
    lattice = find_lattice(image, "auto")
    periods = (torus_periods(lattice) or (0, 0)) if lattice is not None else (0, 0)
    for axis in (1, 0):
        # The row cut is the column cut of the transposed strip, whose rows (the columns) now wrap.
        turned = work if axis == 1 else np.ascontiguousarray(work.transpose(1, 0, 2))
        side = turned.shape[1]
        low, high = overlap_range(side, border)
        period = periods[1] if axis == 1 else periods[0]
        overlap = _search(turned, low, high, period)
        word = "columns" if axis == 1 else "rows"
        yield f"tile: {word} repeat every {side - overlap} px"
        cut, cost = _cut_columns(turned, overlap, periodic=axis == 0)
        cuts.append(Cut(axis, side - overlap, overlap, cost, _contrast(image, axis)))
        work = cut if axis == 1 else np.ascontiguousarray(cut.transpose(1, 0, 2))
        yield f"tile: cut the {word}"
    return work, (cuts[0], cuts[1])


def _resized(tile: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The tile resampled to the image's size (periodic cubic), clipped to [0, 1] when the image is
    within it (cubic overshoots at hard edges: a cutout alpha would leave [0, 1])."""
    out = resize(tile, image.shape[0], image.shape[1], periodic=True)
    if image.min() >= 0.0 and image.max() <= 1.0:
        out = np.clip(out, 0.0, 1.0)
    return out


def _checked(image: object, name: str, border: float) -> np.ndarray:
    low, high = BORDER_RANGE
    if isinstance(border, bool) or not isinstance(border, int | float | np.floating | np.integer):
        raise InvalidConfigError(f"border is {border!r}; it must be a number from {low} to {high}")
    if not (np.isfinite(border) and low <= border <= high):
        raise InvalidConfigError(f"border is {border!r}; allowed: {low} to {high} (fraction of each side)")
    img = as_float_image(image, name)
    check_finite(img, name)
    check_image_size(img.shape[1], img.shape[0], name, job="make tileable", min_side=MIN_SIDE)
    return img


def seamless_tile(image: object, border: float = 0.1, *, name: str = "image") -> tuple[np.ndarray, tuple[Cut, Cut]]:
    """The image cut to a tile that wraps both ways, at its own pixel scale.

    Parameters
    ----------
    image:
        (H, W[, C]) float in [0, 1] or integer, at least :data:`MIN_SIDE` px a side.
    border:
        About how much of each side the cut may take, as a fraction (the
        overlaps searched are :func:`overlap_range`).

    Returns
    -------
    The tile, (H - b', W - b, C) float32, and the two :class:`Cut` s (columns, then rows).
    """
    return result_of(seamless_steps(_checked(image, name, border), border))


def make_tileable(image: object, *, border: float = 0.1, keep_size: bool = True, name: str = "image") -> np.ndarray:
    """:func:`seamless_tile`, resampled back to the image's size when ``keep_size`` (periodic cubic)."""
    img = _checked(image, name, border)
    tile, _ = result_of(seamless_steps(img, border))
    return _resized(tile, img) if keep_size else tile


def seamless_task(image: object, border: float = 0.1, *, name: str = "image") -> ImageTask:
    """The make-tileable job as a stepping :class:`~core.task.ImageTask`: :func:`make_tileable` with
    ``keep_size`` in five steps (the image is checked now); the stages say the repeat found."""
    img = _checked(image, name, border)

    def work() -> Generator[str, None, np.ndarray]:
        tile, _ = yield from seamless_steps(img, border)
        out = _resized(tile, img)
        yield f"tile: {tile.shape[1]}x{tile.shape[0]} px resampled to {img.shape[1]}x{img.shape[0]}"
        return out

    return ImageTask(img, work, total_steps=5)
