"""Regular textures synthesized on their lattice: tiles, bricks, studs, quilting, grates.

Pixel statistics see a grid of tiles as "straight lines and flat squares" and
make them wander. A regular texture is a *lattice* of elements: two
translation vectors a and b such that moving the texture by i a + j b maps
it (nearly) onto itself. This module finds that lattice and synthesizes on
it:

1. :func:`detect_lattice`: the normalized autocorrelation of the
   exemplar's luminance peaks at the lattice vectors. Every pair of its
   strongest peaks is a candidate basis; a pair scores the least
   autocorrelation over a, b, a + b, a - b, 2a, 3a, 2b and 3b (a true lattice
   repeats at every combination, a pair that only looks like one fails at
   some); the best pair above :data:`MIN_CONFIDENCE` is the lattice.
2. :func:`torus_periods`: the shortest horizontal and vertical lattice
   translations (X, Y). An output of nx X by ny Y pixels tiles with every
   joint continuous across the wrap; it is resampled to the requested size
   (a scale within X / 2 and Y / 2 pixels of 1) so that the result still
   tiles.
3. :func:`lattice_quilt`: image quilting (Efros and Freeman 2001) on that
   torus, each block copied from an exemplar position that differs from its
   output position by a lattice translation only (Lefebvre and Hoppe's
   periodicity constraint), so every copied element lands on the lattice
   and joints stay straight and continuous; among the positions, the one
   whose overlap with the blocks already placed agrees best, drawn at random
   among the nearly-best and avoiding its neighbours' source, and cut along
   the least-difference path through each overlap (dynamic programming).

Every output pixel is an exemplar pixel (as sharp as the exemplar), and every
channel (alpha, every map of a PBR set stacked as channels) follows the same
copies.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from .errors import InvalidExemplarError
from .known import LUMA
from .quilt import TOLERANCE, block_side, block_window, grid, paste_block, torus_neighbour_offsets

#: A lattice is used when its weakest combination correlates at least this much.
MIN_CONFIDENCE = 0.45
#: Exemplar positions compared per block, at most (drawn at random beyond it): the overlap errors are
#: computed one position at a time, so a fine lattice on a large exemplar (an 8 px period on 512 px:
#: about 4000 positions) took 10 s at 512 px.
MAX_CANDIDATES = 256
#: Largest side of the part of the exemplar searched for a lattice (periods up to a quarter of it).
DETECT_SIDE = 1024
#: Peaks considered as basis vectors (strongest first).
MAX_PEAKS = 8
#: Peaks within one step of this size count as equally strong (then the shortest come first).
PEAK_BUCKET = 0.05
#: A peak's autocorrelation must exceed the least one on the way to it from lag 0 by this much.
PEAK_DIP = 0.1


@dataclass(frozen=True)
class Lattice:
    """Two translation vectors (dy, dx) of a regular texture, and how regular it is.

    Attributes
    ----------
    a, b:
        Basis vectors in pixels, (dy, dx) integers, not parallel.
    confidence:
        The least normalized autocorrelation over a, b, a + b, a - b, 2a, 2b
        (about 0.9 for printed or cast tiles, below 0.3 for stochastic
        textures and photos with strong perspective).
    """

    a: tuple[int, int]
    b: tuple[int, int]
    confidence: float

    def describe(self) -> str:
        """'lattice (0, 31) x (51, 0), regularity 0.78' for stage texts."""
        return f"lattice {self.a} x {self.b}, regularity {self.confidence:.2f}"


def _luminance(image: np.ndarray) -> np.ndarray:
    """(h, w) Rec. 709 luminance of the first three channels (:data:`core.known.LUMA`), or the first channel."""
    if image.shape[2] >= 3:
        return image[:, :, :3] @ LUMA
    return image[:, :, 0]


def autocorrelation(lum: np.ndarray) -> np.ndarray:
    """Normalized linear autocorrelation of (h, w) at every lag: (2h, 2w), lag (dy, dx) at [dy % 2h, dx % 2w].

    Each lag's sum is divided by its number of overlapping pixel pairs and the variance (1 at lag 0).
    """
    h, w = lum.shape
    x = lum.astype(np.float64) - lum.mean()
    var = float(np.mean(x * x))
    if var <= 0.0:
        return np.zeros((2 * h, 2 * w))
    spectrum = np.fft.rfft2(x, s=(2 * h, 2 * w))
    raw = np.fft.irfft2(spectrum * np.conj(spectrum), s=(2 * h, 2 * w))
    ly = h - np.abs(np.fft.fftfreq(2 * h, 1.0 / (2 * h)))
    lx = w - np.abs(np.fft.fftfreq(2 * w, 1.0 / (2 * w)))
    pairs = np.maximum(np.outer(ly, lx), 1.0)
    return raw / (pairs * var)


def local_maxima(corr: np.ndarray, radius: int, pad: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The lags |dy|, |dx| <= ``radius`` of an :func:`autocorrelation`: (values, dy, dx, is_max), each
    (2 radius + 1, 2 radius + 1); ``is_max`` where the value is the largest within ``pad`` lags each way.
    ``radius + pad`` must stay below the image's sides."""
    lags = np.arange(-radius - pad, radius + pad + 1)
    window = corr[np.ix_(lags % corr.shape[0], lags % corr.shape[1])]
    size = 2 * radius + 1
    local = np.full((size, size), -np.inf)
    for sy in range(2 * pad + 1):
        for sx in range(2 * pad + 1):
            local = np.maximum(local, window[sy : sy + size, sx : sx + size])
    values = window[pad : pad + size, pad : pad + size]
    dy, dx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return values, dy, dx, values >= local


def _dips_before(corr: np.ndarray, v: tuple[int, int]) -> bool:
    """True when the autocorrelation falls by PEAK_DIP somewhere between lag 0 and ``v`` (a real peak).

    Continuous lines correlate at every lag along them: a lag of 4 px along a mortar joint scores as
    high as a true period, with no dip before it, and is no lattice vector.
    """
    steps = max(abs(v[0]), abs(v[1]))
    t = np.arange(1, steps) / steps
    if t.size == 0:
        return False
    ys, xs = np.round(t * v[0]).astype(int), np.round(t * v[1]).astype(int)
    between = corr[ys % corr.shape[0], xs % corr.shape[1]]
    return float(corr[v[0] % corr.shape[0], v[1] % corr.shape[1]] - between.min()) >= PEAK_DIP


def _peaks(corr: np.ndarray, h: int, w: int) -> list[tuple[int, int]]:
    """Local maxima of the autocorrelation at lags 4 px to a quarter of the short side, one of each
    symmetric pair (dy > 0, or dy == 0 < dx), that are real peaks (:func:`_dips_before`): the
    strongest first, by steps of PEAK_BUCKET, and the shortest first within a step (on a clean
    lattice every lattice point correlates almost equally; the shortest ones span it)."""
    values, dy, dx, is_max = local_maxima(corr, min(h, w) // 4)
    keep = is_max & (np.hypot(dy, dx) >= 4) & ((dy > 0) | ((dy == 0) & (dx > 0))) & (values > 0.1)
    bucket = np.round(values[keep] / PEAK_BUCKET)
    order = np.lexsort((np.hypot(dy[keep], dx[keep]), -bucket))
    found = []
    for i in order:
        v = (int(dy[keep][i]), int(dx[keep][i]))
        if _dips_before(corr, v):
            found.append(v)
            if len(found) == MAX_PEAKS:
                break
    return found


def detect_lattice(image: np.ndarray, min_confidence: float = MIN_CONFIDENCE) -> Lattice | None:
    """The lattice of a regular texture, or None when it has none (confidence below ``min_confidence``).

    ``image`` (h, w, C) float32, at least 32 px a side.
    """
    if min(image.shape[:2]) < 32:
        return None
    # A centre crop of at most DETECT_SIDE px a side: the lattice is the same in any part of the texture,
    # at full resolution, and the autocorrelation's memory stays about 16 x DETECT_SIDE^2 x 8 bytes.
    h, w = (min(n, DETECT_SIDE) for n in image.shape[:2])
    top, left = (image.shape[0] - h) // 2, (image.shape[1] - w) // 2
    corr = autocorrelation(_luminance(image[top : top + h, left : left + w]))
    peaks = _peaks(corr, h, w)

    def at(v: tuple[int, int]) -> float | None:
        dy, dx = v
        if abs(dy) >= h // 2 or abs(dx) >= w // 2:
            return None  # too few pixel pairs to trust
        return float(corr[dy % corr.shape[0], dx % corr.shape[1]])

    best: Lattice | None = None
    for i, first in enumerate(peaks):
        for second in peaks[i + 1 :]:
            if first[0] * second[1] - first[1] * second[0] == 0:
                continue
            # The pair's shortest basis must be real peaks too: two peaks 7 px apart along a joint span
            # a lattice whose 4 px step is no period at all.
            a, b = reduced(first, second)
            if not (_dips_before(corr, a) and _dips_before(corr, b)):
                continue
            # ... and the cell's centres must not correlate like its corners: horizontal joints 30 px
            # apart correlate at (30, dx) for every dx, which fits any lattice of rows 30 px apart.
            corners = min(float(corr[v[0] % corr.shape[0], v[1] % corr.shape[1]]) for v in (a, b))
            centres = [at(((a[0] + k * b[0]) // 2, (a[1] + k * b[1]) // 2)) for k in (1, -1)]
            if any(c is not None and c > corners - PEAK_DIP for c in centres):
                continue
            # A true lattice repeats at every combination; multiples also catch a period rounded to
            # whole pixels (15.5 px read as 16 drifts by a pixel at 2a and more at 3a).
            sums = [(a[0] + b[0], a[1] + b[1]), (a[0] - b[0], a[1] - b[1])]
            multiples = [(k * v[0], k * v[1]) for v in (a, b) for k in (2, 3)]
            values = [at(v) for v in [a, b, *sums]]
            if any(v is None for v in values):
                continue
            values += [v for v in map(at, multiples) if v is not None]
            score = min(v for v in values if v is not None)
            area = abs(a[0] * b[1] - a[1] * b[0])
            best_area = 0 if best is None else abs(best.a[0] * best.b[1] - best.a[1] * best.b[0])
            if best is None or score > best.confidence + 0.01 or (score >= best.confidence - 0.01 and area < best_area):
                best = Lattice(a, b, score)
    if best is None or best.confidence < min_confidence:
        return None
    return best


def _canonical(v: tuple[int, int]) -> tuple[int, int]:
    """v or -v, whichever has dy > 0 (or dy == 0 and dx > 0)."""
    return v if v[0] > 0 or (v[0] == 0 and v[1] > 0) else (-v[0], -v[1])


def reduced(a: tuple[int, int], b: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The shortest basis of the lattice a, b span (Lagrange-Gauss reduction): shorter vector first, and
    of two as long the one with the smaller (dy, dx) (so (0, 128) before (128, 0))."""

    def norm(v: tuple[int, int]) -> int:
        return v[0] * v[0] + v[1] * v[1]

    if norm(a) > norm(b):
        a, b = b, a
    while True:
        m = round((a[0] * b[0] + a[1] * b[1]) / norm(a))
        b = (b[0] - m * a[0], b[1] - m * a[1])
        if norm(b) >= norm(a):
            first, second = sorted((_canonical(a), _canonical(b)), key=lambda v: (norm(v), v))
            return first, second
        a, b = b, a


def find_lattice(image: np.ndarray, regularity: str) -> Lattice | None:
    """The lattice to synthesize ``image`` on for a regularity setting ("auto", "off", "on"), or None.

    "auto": :func:`detect_lattice` when it also tiles (:func:`torus_periods`);
    "on": the best candidate however weak; "off": None.

    Raises
    ------
    InvalidExemplarError
        "on" and the exemplar has no two autocorrelation peaks that tile.
    """
    if regularity == "off":
        return None
    lattice = detect_lattice(image, MIN_CONFIDENCE if regularity == "auto" else -np.inf)
    periods = torus_periods(lattice) if lattice is not None else None
    if periods is None:
        lattice = None
    else:
        # Every block needs a lattice translation of itself inside the exemplar: room for a block
        # (up to about twice its planned side at small outputs) plus one period on each axis.
        block = 2 * block_side(image.shape)
        need = (block + periods[0], block + periods[1])
        if image.shape[0] < need[0] or image.shape[1] < need[1]:
            if regularity == "on":
                raise InvalidExemplarError(
                    f"regularity is 'on' but the exemplar ({image.shape[1]}x{image.shape[0]}) is too small for its "
                    f"lattice of {periods[1]}x{periods[0]} px: it needs at least {need[1]}x{need[0]}; use a larger "
                    "exemplar, or 'auto' or 'off'"
                )
            lattice = None
    if lattice is None and regularity == "on":
        raise InvalidExemplarError(
            "regularity is 'on' but the exemplar shows no lattice (no two repeating directions in its "
            "autocorrelation that tile); use 'auto' or 'off'"
        )
    return lattice


def torus_periods(lattice: Lattice, limit: int = 64) -> tuple[int, int] | None:
    """(Y, X): the shortest vertical (Y, 0) and horizontal (0, X) translations i a + j b, |i|, |j| <= limit.

    None if there is none that short (a lattice at an odd angle: then the texture cannot tile on it).
    """
    (ay, ax), (by, bx) = lattice.a, lattice.b
    i, j = np.meshgrid(np.arange(-limit, limit + 1), np.arange(-limit, limit + 1), indexing="ij")
    dy, dx = i * ay + j * by, i * ax + j * bx
    horizontal = np.abs(dx[(dy == 0) & (dx > 0)])
    vertical = np.abs(dy[(dx == 0) & (dy > 0)])
    if horizontal.size == 0 or vertical.size == 0:
        return None
    return int(vertical.min()), int(horizontal.min())


def fitted_size(periods: tuple[int, int], height: int, width: int) -> tuple[int, int]:
    """The torus (ny Y, nx X) nearest to (height, width) that holds whole periods (at least one each)."""
    py, px = periods
    return max(1, round(height / py)) * py, max(1, round(width / px)) * px


def lattice_quilt_steps(
    exemplar: np.ndarray,
    lattice: Lattice,
    size: tuple[int, int],
    rng: np.random.Generator,
    canvas: np.ndarray | None = None,
) -> Generator[str, None, np.ndarray]:
    """Quilt a (height, width) torus from ``exemplar`` with every block on the lattice.

    ``size`` must hold whole periods (:func:`fitted_size`). Yields a stage
    text after each row of blocks (:func:`core.quilt.quilt_rows` of them); returns the
    canvas, (height, width, C) float32 (``canvas`` if given: filled in place,
    for previews).
    """
    h, w, c = exemplar.shape
    ht, wt = size
    rows, cols, overlap = grid(exemplar.shape, size)
    # Every lattice translation i a + j b that can move a block: the candidate source corners are
    # (output corner + translation), kept when the block fits in the exemplar.
    (ay, ax), (by, bx) = lattice.a, lattice.b
    periods = torus_periods(lattice)
    if periods is None:
        raise ValueError("the lattice has no horizontal and vertical translations: it cannot tile")
    # Output corners are reduced modulo the torus periods (themselves lattice translations), so the
    # translations needed only span the exemplar and one period.
    reach = (h + w + sum(periods)) // max(1, int(min(np.hypot(ay, ax), np.hypot(by, bx)))) + 2
    ii, jj = np.meshgrid(np.arange(-reach, reach + 1), np.arange(-reach, reach + 1), indexing="ij")
    ty, tx = (ii * ay + jj * by).ravel(), (ii * ax + jj * bx).ravel()
    if canvas is None:
        canvas = np.zeros((ht, wt, c), dtype=np.float32)
    filled = np.zeros((ht, wt), dtype=bool)
    source: dict[tuple[int, int], tuple[int, int]] = {}  # block -> its copy offset (source - output corner)
    for r in range(len(rows) - 1):
        for k in range(len(cols) - 1):
            ys, xs = block_window(rows, cols, r, k, overlap, size)
            bh, bw = len(ys), len(xs)
            sy, sx = rows[r] % periods[0] + ty, cols[k] % periods[1] + tx
            fit = (sy >= 0) & (sx >= 0) & (sy + bh <= h) & (sx + bw <= w)
            if not fit.any():
                raise ValueError("the exemplar is smaller than a block of the lattice quilt")
            cand = np.stack([sy[fit], sx[fit]], axis=1)
            if len(cand) > MAX_CANDIDATES:  # a fine lattice on a large exemplar: thousands of positions
                cand = cand[np.sort(rng.choice(len(cand), MAX_CANDIDATES, replace=False))]
            known = filled[np.ix_(ys, xs)]
            old = canvas[np.ix_(ys, xs)]
            if known.any():
                errors = np.array(
                    [float(np.sum((exemplar[y : y + bh, x : x + bw] - old)[known] ** 2)) for y, x in cand]
                )
            else:
                errors = np.zeros(len(cand))
            # Not a neighbour's copy offset, on the torus (that continues its copy: one large copied region,
            # a landmark that repeats), unless nothing else fits.
            near = set(torus_neighbour_offsets(source, r, k, (len(rows) - 1, len(cols) - 1), size))
            repeat = np.array([(int(y) - rows[r], int(x) - cols[k]) in near for y, x in cand])
            if (~repeat).any():
                errors = np.where(repeat, np.inf, errors)
            best = float(errors.min())
            pick = np.flatnonzero(errors <= best * (1.0 + TOLERANCE) + 1e-12)
            y0, x0 = (int(v) for v in cand[int(rng.choice(pick))])
            paste_block(canvas, filled, ys, xs, exemplar[y0 : y0 + bh, x0 : x0 + bw], overlap)
            source[(r, k)] = (y0 - rows[r], x0 - cols[k])
        yield f"lattice: row {r + 1} of {len(rows) - 1} of blocks"
    return canvas
