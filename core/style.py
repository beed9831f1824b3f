"""The style score S(x) and its gradient: the statistics phi_i of exemplars.

The engine *minimizes* the style loss L(x) = -S(x), a weighted sum of two
terms measured on k x k patches:

* :class:`SlicedPatchTerm`: the sliced Wasserstein distance between the
  distribution of the output's patches and the weighted barycenter of the
  exemplars' patch distributions. Patches are projected on random unit
  directions; along each direction, each output projection is pulled toward
  the target quantile at its own rank (1-D optimal transport). With several
  exemplars the target quantile function is the weighted mean of theirs:
  the sliced Wasserstein barycenter (Rabin et al. 2011).
* :class:`CoherenceTerm`: the squared distance of output patches to their
  nearest exemplar patches (Kwatra et al. 2005), with the matches held fixed
  between searches. It sharpens edges and keeps shapes whole.

Both terms are exact gradients of the function they state for a fixed random
draw (directions, grid offset, matches); ``resample``/``refresh`` change the
draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .nearest import PatchMatcher
from .parallel import parallel_map
from .patches import PatchGrid, exemplar_patches, fold_periodic, periodic_patches, sample_corners

_HIST_BINS = 1024  # most bins per direction when matching by histogram
_SORT_BELOW = 16384  # quantile tables of fewer samples are exact (sorting is cheaper there)
_QUANTILE_LEVELS = 2048


def grid_count(height: int, width: int, stride: int) -> int:
    """Patches of a strided periodic grid over a whole (height, width) image."""
    return (-(-height // stride)) * (-(-width // stride))


def patch_stride(height: int, width: int, patch_size: int, max_patches: int, *, free: int | None = None) -> int:
    """The stride of the output patches one iteration of the sliced term projects: 1, or the least stride
    (at most the patch size) that keeps them within ``max_patches``. ``free``: the patches of the region
    that counts at stride 1 (fill), or None for the whole image."""

    def count_at(stride: int) -> int:
        return grid_count(height, width, stride) if free is None else free // (stride * stride)

    stride = 1
    while stride < patch_size and count_at(stride) > max_patches:
        stride += 1
    return stride


def random_directions(dim: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """(dim, count) float32 matrix of random unit column vectors."""
    d = rng.standard_normal((dim, count)).astype(np.float32)
    d /= np.linalg.norm(d, axis=0, keepdims=True)
    return d


def quantile_table(projections: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Exact quantiles of each column of ``projections`` at ``levels`` in (0, 1).

    Returns (len(levels), columns) float32. Sorts: used by the exact mode.
    """
    srt = np.sort(projections, axis=0)
    n = srt.shape[0]
    pos = levels * n - 0.5
    lo = np.clip(np.floor(pos).astype(np.int64), 0, n - 1)
    hi = np.clip(lo + 1, 0, n - 1)
    frac = np.clip(pos - lo, 0.0, 1.0).astype(np.float32)[:, None]
    return (srt[lo] * (1.0 - frac) + srt[hi] * frac).astype(np.float32)


def _histograms(p: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-column histograms of (n, D) values.

    Returns bin index (n, D) int32 with the column offset ``j * bins`` added,
    position inside the bin (n, D) in [0, 1], cumulative fractions at the bin
    edges (D, bins + 1), and each column's low end and bin width (D,).
    """
    n, dcount = p.shape
    lo = p.min(axis=0)
    width = np.maximum(p.max(axis=0) - lo, 1e-12) / bins
    pos = (p - lo) * (1.0 / width).astype(np.float32)
    b = np.minimum(pos.astype(np.int32), bins - 1)
    frac = pos - b
    b += (np.arange(dcount, dtype=np.int32) * bins)[None, :]
    counts = np.bincount(b.ravel(), minlength=dcount * bins).reshape(dcount, bins)
    edges = np.zeros((dcount, bins + 1), dtype=np.float64)
    edges[:, 1:] = np.cumsum(counts, axis=1)
    edges /= n
    return b, frac, edges, lo, width


def quantile_table_fast(projections: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles of each column at ``levels``: sorted when few, else from a histogram.

    In the histogram, values are taken as spread evenly inside each bin (at
    least 16 samples a bin on average). Returns (L, D) float32.
    """
    n = projections.shape[0]
    if n < _SORT_BELOW:
        return quantile_table(projections, levels)
    bins = int(np.clip(n // 16, 256, 4 * _HIST_BINS))
    _, _, edges, lo, width = _histograms(projections, bins)
    dcount = projections.shape[1]
    table = np.empty((levels.size, dcount), dtype=np.float32)
    grid = np.arange(bins + 1, dtype=np.float64)
    for j in range(dcount):
        table[:, j] = lo[j] + width[j] * np.interp(levels, edges[j], grid)
    return table


def _table_at(u: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Evaluate quantile tables at ranks u in [0, 1]; u (D, m), table (L, D). Returns (D, m).

    The table's levels are the uniform grid (i + 0.5) / L; ends are held flat.
    """
    count = table.shape[0]
    pos = np.clip(u * count - 0.5, 0.0, count - 1.0)
    i0 = np.minimum(pos.astype(np.int64), count - 2)
    frac = pos - i0
    cols = np.arange(table.shape[1])[:, None]
    t0 = table[i0, cols]
    return (t0 + frac * (table[i0 + 1, cols] - t0)).astype(np.float32)


def match_exact(p: np.ndarray, levels: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Targets by exact ranks: each value maps to the quantile at its rank.

    p: (n, D) projections; table: (L, D) quantiles at ``levels``. Returns (n, D).
    """
    n, dcount = p.shape
    order = np.argsort(p, axis=0, kind="stable")
    u = np.broadcast_to((np.arange(n, dtype=np.float64) + 0.5) / n, (dcount, n))
    sorted_targets = _table_at(u, table)
    targets = np.empty_like(p)
    for j in range(dcount):
        targets[order[:, j], j] = sorted_targets[j]
    return targets


def match_histogram(p: np.ndarray, levels: np.ndarray, table: np.ndarray, bins: int | None = None) -> np.ndarray:
    """Targets by histogram (CDF) matching: ranks estimated from a histogram.

    Linear in n (no sort): each value's rank is its bin's cumulative count
    plus its position inside the bin. ``bins`` defaults to n / 8 within
    [32, 1024]. p: (n, D); table: (L, D). Returns (n, D).
    """
    n, dcount = p.shape
    if bins is None:
        bins = int(np.clip(n // 8, 32, _HIST_BINS))
    b, frac, edges, _, _ = _histograms(p, bins)
    flat = _table_at(edges, table).ravel()  # targets at the bin edges, (D, bins + 1)
    b += (np.arange(dcount, dtype=np.int32))[None, :]  # column offset j * bins -> j * (bins + 1)
    t0 = flat[b]
    return t0 + frac * (flat[b + 1] - t0)


class SlicedPatchTerm:
    """Sliced Wasserstein distance of output patches to exemplar patches.

    Parameters
    ----------
    exemplars:
        List of (h, w, C) float32 exemplars at this level.
    weights:
        Non-negative weights, one per exemplar, summing to 1.
    patch_size:
        k.
    directions:
        Number of random projection directions.
    max_patches:
        Most output patches per evaluation (a random strided grid beyond).
    exemplar_samples:
        Patches sampled from each exemplar for its quantile function.
    rng:
        Source of every random draw.
    exact:
        Match by exact ranks (sort) instead of histogram matching. Exact is
        what the finite-difference tests check; histogram matching is the
        fast default.
    valid:
        Optional per exemplar: (h - k + 1, w - k + 1) bool, the patch
        corners that may be sampled (fill: patches clear of the hole).
    region:
        Optional (H, W) bool over output patch corners: only these patches
        count (fill and make-tileable: the patches touching free pixels).

    Notes
    -----
    Memory: the patch matrix (n, k*k*C) and its backprojection, plus the
    projections (n, directions), float32; n is at most max_patches, or one
    patch per k x k block on larger images. The directions are processed
    as two halves in parallel threads.
    """

    def __init__(
        self,
        exemplars: Sequence[np.ndarray],
        weights: Sequence[float],
        *,
        patch_size: int,
        directions: int,
        max_patches: int,
        exemplar_samples: int,
        rng: np.random.Generator,
        exact: bool = False,
        valid: Sequence[np.ndarray | None] | None = None,
        region: np.ndarray | None = None,
    ) -> None:
        self.k = patch_size
        self.channels = exemplars[0].shape[2]
        self.dim = patch_size * patch_size * self.channels
        self.count = directions
        self.max_patches = max_patches
        self.weights = np.asarray(weights, dtype=np.float64)
        self.rng = rng
        self.exact = exact
        self.levels = (np.arange(_QUANTILE_LEVELS) + 0.5) / _QUANTILE_LEVELS
        masks = list(valid) if valid is not None else [None] * len(exemplars)
        self.samples = [
            exemplar_patches(e, patch_size, sample_corners(h, w, patch_size, exemplar_samples, rng, m))
            for (h, w, _), e, m in ((e.shape, e, m) for e, m in zip(exemplars, masks))
        ]
        self.region = region
        self.directions = np.zeros((self.dim, directions), dtype=np.float32)
        self.table = np.zeros((_QUANTILE_LEVELS, directions), dtype=np.float32)
        self.stride = 1
        self.offset = (0, 0)

    def grid(self, height: int, width: int) -> PatchGrid:
        """The output patch grid of the current draw for an image of that size."""
        return PatchGrid(height, width, self.k, self.stride, self.offset)

    def resample(self, height: int, width: int) -> None:
        """Draw new directions and grid offset; recompute the target quantiles."""
        self.directions = random_directions(self.dim, self.count, self.rng)
        quantiles = quantile_table if self.exact else quantile_table_fast

        def table_of(cols: slice) -> np.ndarray:
            table = np.zeros((_QUANTILE_LEVELS, cols.stop - cols.start), dtype=np.float64)
            for w, s in zip(self.weights, self.samples):
                if w > 0:
                    table += w * quantiles(s @ self.directions[:, cols], self.levels)
            return table.astype(np.float32)

        self.table = np.concatenate(parallel_map(table_of, self._parts()), axis=1)
        free = None if self.region is None else int(np.count_nonzero(self.region))
        stride = patch_stride(height, width, self.k, self.max_patches, free=free)
        self.stride = stride
        self.offset = (int(self.rng.integers(stride)), int(self.rng.integers(stride)))

    def _parts(self) -> list[slice]:
        """The direction blocks processed in parallel (always the same split, so
        results do not depend on the number of cores)."""
        half = self.count // 2
        return [slice(0, half), slice(half, self.count)]

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss 0.5 * mean((p - t)^2) over patches and directions, and its gradient.

        x: (H, W, C) float32. Returns (loss, (H, W, C) float32 gradient).
        """
        h, w, c = x.shape
        grid = self.grid(h, w)
        patches = periodic_patches(x, grid)
        chosen = None
        if self.region is not None:
            r0, c0 = grid.offset
            chosen = self.region[r0 :: grid.stride, c0 :: grid.stride].ravel()
            patches = patches[chosen]
            if patches.shape[0] == 0:
                return 0.0, np.zeros_like(x)
        match = match_exact if self.exact else match_histogram
        scale = 1.0 / (patches.shape[0] * self.count)

        def part(cols: slice) -> tuple[float, np.ndarray]:
            proj = patches @ self.directions[:, cols]
            resid = proj - match(proj, self.levels, self.table[:, cols])
            loss = 0.5 * scale * float(np.einsum("ij,ij->", resid, resid, dtype=np.float64))
            resid *= np.float32(scale)
            return loss, self.directions[:, cols] @ resid.T  # (k*k*C, n): folds fastest

        (loss0, back), (loss1, back1) = parallel_map(part, self._parts())
        back += back1
        if chosen is not None:
            full = np.zeros((back.shape[0], grid.count), dtype=np.float32)
            full[:, chosen] = back
            back = full
        return loss0 + loss1, fold_periodic(back, grid, c, transposed=True)


class CoherenceTerm:
    """Squared distance of the output to a mosaic of its nearest exemplar patches.

    Output patches on a strided periodic grid (stride s, a random offset
    per refresh) are matched to exemplar patches by
    :class:`~core.nearest.PatchMatcher`; each match contributes only its
    central s x s block, and the blocks tile the output into a target image
    Z. L_c(x) = sum_i w_i ||x - Z_i||^2 / (2 n), with Z held fixed between
    :meth:`refresh` calls; its gradient is (cover * x - target) / n.

    Averaging whole overlapping matches instead (Kwatra et al. 2005) blurs:
    misaligned neighbours average into mush (measured on bark at 512 px:
    normalized distance 1.9 against 0.4 without the term). Central blocks
    keep the target as sharp as the exemplar; moving the grid at every
    refresh keeps its block edges from settling anywhere.
    """

    def __init__(
        self,
        exemplars: Sequence[np.ndarray],
        weights: Sequence[float],
        *,
        patch_size: int,
        stride: int,
        rng: np.random.Generator,
        valid: Sequence[np.ndarray | None] | None = None,
    ) -> None:
        self.k = patch_size
        self.stride = min(stride, patch_size)
        self.rng = rng
        self.weights = [float(w) for w in weights]
        self.exemplars = list(exemplars)
        masks = list(valid) if valid is not None else [None] * len(exemplars)
        self.matchers = [PatchMatcher(e, patch_size, rng, valid=m) for e, m in zip(exemplars, masks)]
        self.offset = (0, 0)
        self.cover: np.ndarray | None = None
        self.target: np.ndarray | None = None
        self.const = 0.0
        self.norm = 1.0

    def refresh(self, x: np.ndarray, *, iterations: int = 2) -> None:
        """Move the grid, improve the matches for the current image, fix the target."""
        h, w, c = x.shape
        k, s = self.k, self.stride
        offset = (int(self.rng.integers(s)), int(self.rng.integers(s)))
        moved = (offset[0] - self.offset[0], offset[1] - self.offset[1])
        self.offset = offset
        grid = PatchGrid(h, w, k, s, offset)
        blocks = PatchGrid(h, w, s, s, offset)  # same corners, s x s patches
        centre = (k - s) // 2
        cover = np.zeros((h, w, 1), dtype=np.float32)
        target = np.zeros((h, w, c), dtype=np.float32)
        const = 0.0
        for weight, matcher, ex in zip(self.weights, self.matchers, self.exemplars):
            if weight <= 0:
                continue
            index = matcher.match(x, grid, iterations=iterations, shift=moved)[0]
            patches = exemplar_patches(ex, k, index).reshape(-1, k, k, c)
            core = np.ascontiguousarray(patches[:, centre : centre + s, centre : centre + s]).reshape(-1, s * s * c)
            fold_periodic(np.full((core.shape[0], s * s), weight, np.float32), blocks, 1, out=cover)
            fold_periodic(core * np.float32(weight), blocks, c, out=target)
            const += weight * float(np.einsum("ij,ij->", core, core, dtype=np.float64))
        # Block (i, j) covers the centre of its patch: shift from corners to centres.
        self.cover = np.roll(cover, (centre, centre), axis=(0, 1))
        self.target = np.roll(target, (centre, centre), axis=(0, 1))
        self.const = const
        self.norm = float(h * w * c)

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and (H, W, C) float32 gradient for the matches of the last refresh."""
        if self.cover is None or self.target is None:
            raise RuntimeError("CoherenceTerm.refresh must run before value_and_grad")
        cx = self.cover * x
        quad = float(np.einsum("ijk,ijk->", cx, x, dtype=np.float64))
        cross = float(np.einsum("ijk,ijk->", self.target, x, dtype=np.float64))
        loss = 0.5 * (quad - 2.0 * cross + self.const) / self.norm
        grad = (cx - self.target) * np.float32(1.0 / self.norm)
        return loss, grad


class AnchoredTerm(Protocol):
    """A loss term pulling toward a target that ``refresh`` recomputes and then holds."""

    def refresh(self, x: np.ndarray) -> None:
        """Recompute the target for the current image."""
        ...

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and (H, W, C) float32 gradient for the held target."""
        ...


def exemplar_spectrum(exemplar: np.ndarray, height: int, width: int) -> np.ndarray:
    """The exemplar's Fourier transform on a (height, width) periodic grid.

    The mean-free exemplar is windowed at its borders (so its own edges add
    no spurious frequencies), centred on a zero canvas of the output's size
    (or cropped to it), and rescaled to keep its variance per pixel.
    Returns (C, height, width // 2 + 1) complex64, from ``np.fft.rfft2``,
    with a zero mean (DC) term.
    """
    h, w, c = exemplar.shape
    e = exemplar.astype(np.float64) - exemplar.reshape(-1, c).mean(axis=0)
    e = e[max(0, (h - height) // 2) :][:height, max(0, (w - width) // 2) :][:, :width]
    hh, ww = e.shape[:2]
    taper = np.outer(edge_taper(hh), edge_taper(ww))[:, :, None]
    windowed = e * taper
    canvas = np.zeros((height, width, c))
    y0, x0 = (height - hh) // 2, (width - ww) // 2
    canvas[y0 : y0 + hh, x0 : x0 + ww] = windowed
    energy = float(np.sum(windowed**2))
    if energy > 0:
        canvas *= np.sqrt(float(np.sum(e**2)) / energy * (height * width) / (hh * ww))
    spectrum = np.fft.rfft2(canvas, axes=(0, 1)).transpose(2, 0, 1).astype(np.complex64)
    spectrum[:, 0, 0] = 0  # the mean is the image's own (the sliced term matches it)
    return spectrum


def edge_taper(n: int, fraction: float = 0.1) -> np.ndarray:
    """(n,) float64 window: 1 inside, a raised cosine over ``fraction`` of the length (at least 1) at each end."""
    ramp = max(1, int(n * fraction))
    t = np.ones(n)
    edge = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
    t[:ramp] = edge
    t[n - ramp :] = edge[::-1]
    return t


class SpectrumTerm:
    """Distance to the image's projection on the exemplars' Fourier spectrum.

    The projection keeps the image's own phase (shared by all channels, so
    colours stay correlated) and imposes the exemplar's magnitude: for
    output transform X and exemplar transform E (per channel c),
    Y_c = E_c * <X, E> / |<X, E>| with <X, E> = sum_c X_c conj(E_c)
    (Liu, Gousseau and Xia 2016). L_s(x) = ||x - y||^2 / (2 n) with y held
    fixed between refreshes. It restores long-range regularity (grids of
    dots, quilting) that 7 x 7 patch statistics cannot see. With several
    exemplars their transforms are averaged with the weights.
    """

    def __init__(self, exemplars: Sequence[np.ndarray], weights: Sequence[float], height: int, width: int) -> None:
        self.spectrum = sum(
            np.float32(w) * exemplar_spectrum(e, height, width) for e, w in zip(exemplars, weights) if w > 0
        )
        self.target: np.ndarray | None = None

    def refresh(self, x: np.ndarray) -> None:
        """Project the current image on the spectrum."""
        mean = x.reshape(-1, x.shape[2]).mean(axis=0)
        fx = np.fft.rfft2(x - mean, axes=(0, 1)).transpose(2, 0, 1)
        inner = np.sum(fx * np.conj(self.spectrum), axis=0)
        phase = inner / np.maximum(np.abs(inner), 1e-12)
        y = np.fft.irfft2(self.spectrum * phase, s=x.shape[:2], axes=(1, 2)).transpose(1, 2, 0)
        self.target = (y + mean).astype(np.float32)

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and gradient for the projection of the last refresh."""
        if self.target is None:
            raise RuntimeError("SpectrumTerm.refresh must run before value_and_grad")
        diff = x - self.target
        n = diff.size
        return 0.5 * float(np.einsum("ijk,ijk->", diff, diff, dtype=np.float64)) / n, diff * np.float32(1.0 / n)
