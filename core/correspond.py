"""The correspondence finish: output pixels gathered from the exemplar through a coordinate map.

At the finest pyramid levels the engine stops optimizing pixel values and
carries instead a *correspondence map*: for every output pixel, the
coordinates of the exemplar pixel it shows (Lefebvre and Hoppe 2005; the
"repeat transform" of Embark's texture-synthesis). One pass of the finish:

1. gather: the output is the exemplar read through the map, so every pixel
   is an exemplar pixel (detail exactly as sharp as the exemplar's, and
   every channel: colour, alpha, every map of a PBR set, follows the same
   map);
2. match: output patches on a strided periodic grid (random offset per pass)
   find their nearest exemplar patches with the vectorized PatchMatch of
   :mod:`core.nearest`, starting from the patches the map already points at
   (propagation over the grid and random search over coordinates refine it);
3. vote: every output pixel is covered by several matched patches, each
   proposing one exemplar coordinate for it. The pixel takes the proposal
   whose exemplar value is nearest the weighted mean of all proposals' values
   (the weighted medoid; weights favour good matches and patch centres).
   Where neighbouring patches agree (inside a coherent region) that is their
   common coordinate; across the boundary between two regions the majority
   wins pixel by pixel, so the cut follows where the two copies agree best,
   and nothing is ever averaged (no blur).

Between levels the map is upsampled (each pixel's coordinate moves with its
position), so the coarse layout found by the style-space ascent carries over.
Every step costs O(output pixels): the finish is what makes large outputs
fast.

A map can only copy, never mix: blends of several exemplars keep the pixel
optimization (the sliced Wasserstein barycenter).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .known import window_sum
from .nearest import PatchMatcher
from .patches import PatchGrid

#: Strength of the occurrence penalty: matching an exemplar patch used u times as often as
#: uniform use would costs USAGE_WEIGHT * u * (mean squared patch feature norm) extra.
USAGE_WEIGHT = 0.1

#: Output pixels per chunk of the vote (bounds its memory: about 40 bytes per
#: proposal and channel, ~16 proposals per pixel: 1 << 16 pixels ~ 60 MB at RGB).
_VOTE_CHUNK = 1 << 16


@dataclass
class CoordinateMap:
    """Exemplar coordinates of every output pixel.

    Attributes
    ----------
    rows, cols:
        (H, W) int32 each: the exemplar row and column shown at each output
        pixel, in [0, h) and [0, w) of the exemplar of the level.
    """

    rows: np.ndarray
    cols: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the output."""
        return self.rows.shape  # type: ignore[return-value]

    def gather(self, exemplar: np.ndarray) -> np.ndarray:
        """The output: (H, W, C) float32, the exemplar's pixels read through the map.

        ``exemplar`` (h, w, C) float32. Memory: one output image.
        """
        return np.ascontiguousarray(exemplar[self.rows, self.cols])

    def offsets(self) -> np.ndarray:
        """(H, W, 2) int32: exemplar coordinate minus output position (constant inside a copied region)."""
        h, w = self.shape
        return np.stack(
            [self.rows - np.arange(h, dtype=np.int32)[:, None], self.cols - np.arange(w, dtype=np.int32)[None, :]],
            axis=2,
        )

    def upsampled(
        self, height: int, width: int, exemplar_shape: tuple[int, int], coarse_exemplar: tuple[int, int]
    ) -> CoordinateMap:
        """The map for a finer level: (height, width) output, exemplar of ``exemplar_shape`` (h, w).

        ``coarse_exemplar`` is the (h, w) of the exemplar this map indexes.
        Each fine pixel takes the coordinate of the nearest coarse pixel plus
        its own sub-pixel offset from it, both scaled to the finer exemplar:
        a region copied at the coarse level stays one copied region (one
        offset, up to rounding) at the fine level.
        """
        ch, cw = self.shape
        qy, fy = _nearest_source(height, ch)
        qx, fx = _nearest_source(width, cw)
        rows = self.rows[np.ix_(qy, qx)].astype(np.float32) + fy[:, None]
        cols = self.cols[np.ix_(qy, qx)].astype(np.float32) + fx[None, :]
        return CoordinateMap(
            _rescale(rows, coarse_exemplar[0], exemplar_shape[0]),
            _rescale(cols, coarse_exemplar[1], exemplar_shape[1]),
        )

    @classmethod
    def identity(cls, height: int, width: int) -> CoordinateMap:
        """Each output pixel shows the exemplar pixel at its own position (output = exemplar)."""
        rows, cols = np.meshgrid(np.arange(height, dtype=np.int32), np.arange(width, dtype=np.int32), indexing="ij")
        return cls(rows, cols)


def _nearest_source(n_out: int, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of n_out fine positions, the nearest of n_in coarse ones (int64) and the offset from it (float32)."""
    u = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    q = np.clip(np.round(u).astype(np.int64), 0, n_in - 1)
    return q, (u - q).astype(np.float32)


def _rescale(coord: np.ndarray, n_from: int, n_to: int) -> np.ndarray:
    """Pixel coordinates (float32) on an axis of n_from pixels moved to one of n_to: int32, clipped."""
    fine = (coord + np.float32(0.5)) * np.float32(n_to / n_from) - np.float32(0.5)
    return np.clip(np.round(fine), 0, n_to - 1).astype(np.int32)


def grid_start(coords: CoordinateMap, grid: PatchGrid, matcher: PatchMatcher) -> tuple[np.ndarray, np.ndarray]:
    """Exemplar patch corners the map points at for the patches of ``grid``: (rows, cols) int64 each.

    A patch with output corner g shows, at its centre g + c, exemplar pixel
    coords(g + c); its exemplar patch then starts at coords(g + c) - c
    (clipped to the exemplar's patch corners).
    """
    c = grid.side // 2
    ys = (grid.offset[0] + grid.stride * np.arange(grid.rows) + c) % grid.height
    xs = (grid.offset[1] + grid.stride * np.arange(grid.cols) + c) % grid.width
    ey = np.clip(coords.rows[np.ix_(ys, xs)].astype(np.int64) - c, 0, matcher.rows - 1)
    ex = np.clip(coords.cols[np.ix_(ys, xs)].astype(np.int64) - c, 0, matcher.cols - 1)
    return ey, ex


def _covering(n: int, offset: int, stride: int, size: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Along one periodic axis of length n: the grid patches covering each position.

    Grid corners are offset, offset + stride, ... (< n); the patch at corner
    g covers g .. g + size - 1 (mod n). Returns, for each position, up to M
    covering patches: grid index (n, M) int64, position inside the patch
    (n, M) int64 in [0, size) and a validity flag (n, M) bool.
    """
    pos = np.arange(n)[:, None]
    inside = np.arange(size)[None, :]
    corner = (pos - inside) % n  # (n, size): the corner a patch would need to cover pos at 'inside'
    on = (corner >= offset) & ((corner - offset) % stride == 0) & ((corner - offset) // stride < count)
    width = max(1, int(on.sum(axis=1).max()))
    order = np.argsort(~on, axis=1, kind="stable")[:, :width]
    index = np.take_along_axis((corner - offset) // stride, order, axis=1)
    return (
        np.where(np.take_along_axis(on, order, axis=1), index, 0),
        np.take_along_axis(np.broadcast_to(inside, on.shape), order, axis=1),
        np.take_along_axis(on, order, axis=1),
    )


def vote(
    exemplar: np.ndarray,
    grid: PatchGrid,
    ey: np.ndarray,
    ex: np.ndarray,
    distance: np.ndarray,
    *,
    fixed: tuple[np.ndarray, CoordinateMap] | None = None,
) -> CoordinateMap:
    """Each output pixel's exemplar coordinate from the matched patches covering it.

    Parameters
    ----------
    exemplar:
        (h, w, C) float32, the exemplar the coordinates index (the values
        compared are its pixels).
    grid:
        The periodic output grid the matches belong to.
    ey, ex:
        (grid.rows, grid.cols) int64: each grid patch's exemplar corner.
    distance:
        (grid.rows * grid.cols,) float32 squared match distances (any
        scale): better matches weigh more, exp(-d / mean d).
    fixed:
        Optional (mask (H, W) bool, map): pixels where mask is True keep the
        map's coordinates (known pixels of make-tileable and fill).

    Returns
    -------
    The new :class:`CoordinateMap` (grid.height, grid.width).

    Notes
    -----
    Proposals of one pixel: the patches covering it, about
    ceil(k / stride)^2. The weighted medoid under squared differences is the
    proposal nearest the weighted mean of all proposals' values. Chunked by
    output rows: memory about 16 proposals x (C + 4) x 4 bytes x 65536 pixels.
    """
    h, w = grid.height, grid.width
    k = grid.side
    iy, dy, vy = _covering(h, grid.offset[0], grid.stride, k, grid.rows)
    ix, dx, vx = _covering(w, grid.offset[1], grid.stride, k, grid.cols)
    d = distance.reshape(grid.rows, grid.cols).astype(np.float32)
    scale = float(np.mean(d[np.isfinite(d)])) if np.isfinite(d).any() else 1.0
    weight = np.exp(-np.minimum(d, 1e30) / np.float32(max(scale, 1e-12))).astype(np.float32)
    half = (k - 1) / 2.0
    centre_y = np.exp(-(((dy - half) / max(half, 1.0)) ** 2)).astype(np.float32)
    centre_x = np.exp(-(((dx - half) / max(half, 1.0)) ** 2)).astype(np.float32)
    rows = np.empty((h, w), dtype=np.int32)
    cols = np.empty((h, w), dtype=np.int32)
    step = max(1, _VOTE_CHUNK // max(w, 1))
    pairs = [(a, b) for a in range(iy.shape[1]) for b in range(ix.shape[1])]
    for r0 in range(0, h, step):
        r1 = min(h, r0 + step)
        band = slice(r0, r1)
        cand_r = np.empty((len(pairs), r1 - r0, w), dtype=np.int32)
        cand_c = np.empty_like(cand_r)
        wts = np.empty((len(pairs), r1 - r0, w), dtype=np.float32)
        for j, (a, b) in enumerate(pairs):
            gi, gj = iy[band, a][:, None], ix[:, b][None, :]
            cand_r[j] = ey[gi, gj] + dy[band, a][:, None]
            cand_c[j] = ex[gi, gj] + dx[:, b][None, :]
            wts[j] = weight[gi, gj] * (centre_y[band, a][:, None] * centre_x[:, b][None, :])
            wts[j] *= vy[band, a][:, None] & vx[:, b][None, :]
        # Weighted mode of the proposed coordinates: each proposal scores the total weight of the
        # proposals that agree with it exactly (same exemplar pixel, i.e. same copy offset).
        key = cand_r * np.int32(exemplar.shape[1]) + cand_c
        score = wts.copy()
        for i in range(len(pairs)):
            for j in range(i + 1, len(pairs)):
                same = key[i] == key[j]
                score[i] += np.where(same, wts[j], np.float32(0.0))
                score[j] += np.where(same, wts[i], np.float32(0.0))
        best = np.argmax(score, axis=0)[None]
        rows[band] = np.take_along_axis(cand_r, best, axis=0)[0]
        cols[band] = np.take_along_axis(cand_c, best, axis=0)[0]
    out = CoordinateMap(rows, cols)
    if fixed is not None:
        mask, known = fixed
        out = CoordinateMap(np.where(mask, known.rows, out.rows), np.where(mask, known.cols, out.cols))
    return out


def match_histograms(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``image`` (H, W, C) with each channel's values replaced by ``reference``'s at the same rank.

    Exact (sorts): every channel of the result has the reference's
    distribution, resampled to H * W values. Returns (H, W, C) float32.
    Memory: two int64 and two float32 arrays of H * W.
    """
    h, w, c = image.shape
    out = np.empty_like(image, dtype=np.float32)
    n = h * w
    for ch in range(c):
        ref = np.sort(reference[:, :, ch].ravel())
        levels = ((np.arange(n) + 0.5) * (ref.size / n)).astype(np.int64)
        order = np.argsort(image[:, :, ch].ravel(), kind="stable")
        flat = np.empty(n, dtype=np.float32)
        flat[order] = ref[levels]
        out[:, :, ch] = flat.reshape(h, w)
    return out


def usage_penalty(coords: CoordinateMap, matcher: PatchMatcher, exemplar_shape: tuple[int, int]) -> np.ndarray:
    """Extra match cost of each exemplar patch for how much the map already uses its pixels.

    Correspondence synthesis left alone favours the exemplar patches that
    match blurred or ambiguous output best (smooth areas) and copies them
    everywhere (Kaspar et al. 2015 measured the same). Each exemplar patch's
    usage u is the mean, over its k x k pixels, of how many output pixels show
    that pixel, divided by the count if every exemplar pixel were used
    equally. Returns (rows, cols) float32: USAGE_WEIGHT * u * matcher.variance.
    """
    h, w = exemplar_shape
    k = matcher.k
    count = np.bincount((coords.rows.astype(np.int64) * w + coords.cols).ravel(), minlength=h * w).reshape(h, w)
    expected = coords.rows.size / float(h * w)
    usage = window_sum(count, k, periodic=False).astype(np.float32) / np.float32(k * k * expected)
    return np.maximum(usage - np.float32(1.0), np.float32(0.0)) * np.float32(USAGE_WEIGHT * matcher.variance)


def refine(
    coords: CoordinateMap | None,
    exemplar: np.ndarray,
    matcher: PatchMatcher,
    rng: np.random.Generator,
    *,
    stride: int,
    image: np.ndarray | None = None,
    iterations: int = 2,
    jumps: tuple[int, ...] = (1,),
    fixed: tuple[np.ndarray, CoordinateMap] | None = None,
) -> CoordinateMap:
    """One pass of the finish: gather (unless ``image`` is given), match, vote.

    Parameters
    ----------
    coords:
        The current map, (H, W) into ``exemplar``; None for the first pass
        (then ``image`` is matched from the matcher's own start: a coarser
        level's field or random).
    exemplar:
        (h, w, C) float32 at the level's scale: the pixels gathered and voted on.
    matcher:
        A :class:`~core.nearest.PatchMatcher` of an exemplar of the same
        size (the same one, or a blurred copy for the first match of an
        upsampled image).
    rng:
        Draws the grid offset and PatchMatch's random search.
    stride:
        Step of the matched grid (1 to k): proposals per pixel about
        ceil(k / stride)^2.
    image:
        (H, W, C) float32 to match instead of the gathered one (the
        upsampled pixel-optimized image, for the first pass of the finish).
    iterations:
        PatchMatch rounds (propagation + random search).
    fixed:
        Known pixels: see :func:`vote`.
    """
    if image is None:
        if coords is None:
            raise ValueError("refine needs a map or an image")
        image = coords.gather(exemplar)
    # Matched with each channel's histogram set to the exemplar's: nearest-patch search on its own
    # drifts toward the exemplar's smooth, mid-grey patches (measured on gravel at 512 px: output
    # std 0.136 against the exemplar's 0.152, normalized distance 3.3); with the histogram matched,
    # std 0.144 and 1.26.
    image = match_histograms(image, exemplar)
    h, w = image.shape[:2]
    offset = (int(rng.integers(stride)), int(rng.integers(stride)))
    grid = PatchGrid(h, w, matcher.k, stride, offset)
    start = None if coords is None else grid_start(coords, grid, matcher)
    side = (exemplar.shape[0], exemplar.shape[1])
    matcher.set_bias(None if coords is None else usage_penalty(coords, matcher, side))
    index, distance = matcher.match(image, grid, iterations=iterations, start=start, jumps=jumps)
    return vote(
        exemplar,
        grid,
        (index // matcher.cols).reshape(grid.rows, grid.cols),
        (index % matcher.cols).reshape(grid.rows, grid.cols),
        distance,
        fixed=fixed,
    )
