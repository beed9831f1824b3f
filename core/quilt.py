"""Image quilting: a texture made of exemplar blocks cut along their least-difference paths.

The pieces the copying parts of the engine share: the least-difference path
through an overlap (:func:`dp_cut`, dynamic programming; make-tileable's cut
too), the block grid on a torus (:func:`grid`) and the cut of a block against
what is already there (:func:`cut_mask`). :mod:`core.lattice` quilts regular
textures on their lattice with them.

The detail finish of every other single exemplar lives here too
(:func:`guided_quilt_steps`): the style-space ascent lays the texture out
at about a fifth of the output's size, and the full-size texture is then
quilted from exemplar blocks that agree with the blocks already placed *and*
with the ascent's image there (Efros and Freeman's texture transfer). The
layout is the ascent's; every edge is the exemplar's own, so detail is as
sharp as the exemplar's at any size, and every channel (alpha, each PBR map)
follows the same copies. Last, the cuts are blended (:func:`blend_seams`): the
tone step between two copies is spread over the overlap's width, so no block
shows as a rectangle of its own tone.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import numpy as np

from .resample import resize

#: Blocks: about this fraction of the exemplar's short side, within BLOCK_RANGE; overlap a quarter of it.
#: Below a quarter, so a copied block (cut in its overlaps) covers less than 1/16 of the exemplar: no
#: landmark that large can repeat.
BLOCK_FRACTION = 0.22
BLOCK_RANGE = (24, 160)
#: Candidates within (1 + tolerance) x the best error are drawn at random.
TOLERANCE = 0.2
#: The guided quilt scores candidates on copies shrunk by this factor (exemplar positions every
#: SCORE_FACTOR px, then refined to the pixel within half of it): a few ms per block. Larger
#: exemplars are shrunk further, to about SCORE_SIDE^2 cells, so that a block costs the same whatever
#: the exemplar's size (a 2048 px exemplar to 1024 px: the quilt took 7.6 s at 4x, 6.1 s at 8x).
SCORE_FACTOR = 4
SCORE_SIDE = 256
#: Weight of the agreement with the ascent's image against that with the blocks already placed.
GUIDE_WEIGHT = 1.0
#: The guided quilt's shortlist: the best-scored positions (at least a quarter block apart). Each is
#: moved to the pixel that best continues the placed pixels, and the one whose score is least once
#: that agreement is measured at full size is taken (:func:`_final_choice`). Against one drawn at
#: random within TOLERANCE of the best it keeps brick joints and marble bands running across block
#: edges (normalized distance and coherence unchanged within 0.05 on bark, gravel, onyx and brick_gray).
CANDIDATES = 8
#: Weight of the usage penalty: a candidate pays USAGE_WEIGHT x (the exemplar's variance) x (how many
#: times its exemplar area was already copied, over the mean use of the exemplar so far once that
#: exceeds 1). Without it the quilt keeps returning to the exemplar places that fit best (bark: its
#: few moss patches everywhere, normalized distance 1.37); with it every place is used about as often,
#: as the exemplar's own statistics ask (bark -0.00). Measured at 0, 0.5, 1, 2 and 4 on 8 exemplars: 2
#: is the best or within 0.1 of it on each. Counted in plain copies, the penalty grew with the output
#: (at 2048 px a 512 px exemplar is copied about 16 times over) until it outweighed the agreement of
#: the blocks: brick_gray's lattice order fell to 0.76 at 2048 px (0.76 on seeds 0-2; 0.88-0.94 in
#: units of the mean use; 0.77-0.98 at 512 px either way); preferred blind at 2048 px on brick_gray,
#: slightly on onyx and slate, bark a tie.
USAGE_WEIGHT = 2.0
#: Exemplars with a shorter side take the ascent to the end: two of the smallest blocks.
MIN_QUILT_SIDE = 2 * BLOCK_RANGE[0]
#: Weight of the flow prior: a candidate pays FLOW_WEIGHT x (the exemplar's variance) x (how strongly
#: the exemplar's grain runs one way, 0-1) x (the squared distance between its block's anisotropy and
#: the whole exemplar's, :func:`_anisotropy`). Where the grain runs one way (marble bands, wood,
#: brushed metal) the quilt keeps it so, instead of mixing in blocks from the few places where it
#: turns (onyx, strength 0.40: preferred blind on 3 of 3 seeds at an effective 12); isotropic
#: textures pay next to nothing (gravel 0.05, grass 0.01). Without the strength factor the prior
#: cost gravel's variety (its seeded distance reached 0.58 of a limit of 0.6).
FLOW_WEIGHT = 30.0
#: Blocks are elongated along the grain (same area, sides in a ratio of up to ASPECT_LIMIT) where the
#: exemplar's grain strength (:func:`_anisotropy`'s length over the whole exemplar) is at least
#: GRAIN_MIN and the spacing across the grain is not periodic (:func:`across_grain_rise` below
#: PERIODIC_RISE): marble bands and bark plates then run longer within a block and cross fewer block
#: edges. Width / height = exp(-ASPECT_GAIN x the anisotropy's horizontal part). Blind against square
#: blocks: onyx (strength 0.40, 1.97 wide) preferred on 5 of 5 seeds (512 and 1024 px), bark (0.34,
#: half as wide) on 4 of 6, 1 lost, 1 tied; rusty_metal (0.13, its streaks in one corner) lost 2 of 2
#: with tall blocks, and brick_gray (0.62; columns every 38 px, a rise of 0.33) lost lattice order
#: (mean 0.80 against 0.85 over 8 seeds): tall blocks cut across the columns whose spacing is the
#: layout. The other shared exemplars have a strength of 0.13 or less, or a lattice. Bark's rise is
#: 0.04 and onyx's 0.03; a small exemplar with long streaks measures noisier and may stay square.
#: Seam-aware blending of the guided quilt (:func:`blend_seams`): across each cut the step between two
#: copies is replaced by the exemplar's own step there, and the difference is spread over about the
#: overlap's width on both sides (screened Poisson), so blocks stop showing as lighter or darker
#: rectangles with hard edges, while every edge inside a block stays the exemplar's. Judged blind
#: against the unblended quilt (512 and 1024 px): preferred on onyx (2 of 2), slate (2 of 3, 1 undecided),
#: bark, brick_gray, grass and rust (1 of 2, 1 tie), tied on gravel and clouds (1024 px), lost narrowly on
#: clouds at 512 px (its flat sky shows the correction; that was with an unscreened solve). Costs 0.3 s
#: at 1024 px, 1.5 s at 2048, 5.9 s at 4096. Alpha is left as copied (``keep``).
SEAM_BLEND = True
GRAIN_MIN = 0.25
PERIODIC_RISE = 0.1
ASPECT_GAIN = 4.0
ASPECT_LIMIT = 2.0


def positions(n: int, count: int) -> list[int]:
    """``count`` + 1 block corners spread evenly over 0..n (the last is n: the torus closes)."""
    return [round(k * n / count) for k in range(count + 1)]


def block_side(exemplar_shape: tuple[int, ...]) -> int:
    """The planned side of a block: :data:`BLOCK_FRACTION` of the exemplar's short side, within BLOCK_RANGE."""
    return int(np.clip(round(BLOCK_FRACTION * min(exemplar_shape[:2])), *BLOCK_RANGE))


def grid(
    exemplar_shape: tuple[int, ...], size: tuple[int, int], aspect: float = 1.0
) -> tuple[list[int], list[int], int]:
    """Block corners along the rows and columns of the torus (the last equal to its side), and the overlap.

    Blocks of :func:`block_side`'s area, ``aspect`` times as wide as tall (:func:`block_aspect`); the
    overlap a quarter of the short side. At least two blocks along each side, and an overlap no wider
    than the narrowest cell, so that no block wraps onto itself: a single row of blocks would meet
    itself across the torus along a straight line that no cut ever crosses (a seam across the whole
    texture).
    """
    block = block_side(exemplar_shape)
    height, width = block / math.sqrt(aspect), block * math.sqrt(aspect)
    overlap = max(4, int(min(height, width)) // 4)
    ht, wt = size
    rows = positions(ht, max(2, round(ht / (height - overlap))))
    cols = positions(wt, max(2, round(wt / (width - overlap))))
    narrowest = min(min(np.diff(rows)), min(np.diff(cols)))
    return rows, cols, int(min(overlap, narrowest))


def quilt_rows(exemplar_shape: tuple[int, ...], size: tuple[int, int], aspect: float = 1.0) -> int:
    """How many rows of blocks a quilt of ``size`` places (and stage texts its steps yield)."""
    return len(grid(exemplar_shape, size, aspect)[0]) - 1


def across_grain_rise(values: np.ndarray, axis: int) -> float:
    """How periodic ``values`` (h, w) is along ``axis``: the largest rise of its mean autocorrelation along
    that axis (normalized, lags 4 px to a quarter of the side) over the lowest value at a shorter lag.
    Brick columns every 38 px: 0.33; marble bands, bark plates, gravel: 0.04 or less."""
    lines = np.moveaxis(values, axis, 1)
    mean = float(lines.mean(dtype=np.float64))
    var = float(np.mean((lines - mean) ** 2, dtype=np.float64))
    n = lines.shape[1]
    limit = n // 4
    if var <= 0.0 or limit < 5:
        return 0.0
    # The mean of the lines' autocorrelations is the transform of their mean power spectrum: summed
    # over blocks of lines, so that a 4096 px exemplar needs a few MB, not a GB.
    power = np.zeros(n + 1)
    for start in range(0, lines.shape[0], 256):
        chunk = lines[start : start + 256].astype(np.float64) - mean
        power += np.sum(np.abs(np.fft.rfft(chunk, n=2 * n, axis=1)) ** 2, axis=0)
    corr = np.fft.irfft(power / lines.shape[0], n=2 * n)[: limit + 2]
    corr = corr / (var * (n - np.arange(limit + 2)))
    lowest = np.minimum.accumulate(corr)
    lags = np.arange(4, limit + 1)
    peaks = lags[(corr[lags] >= corr[lags - 1]) & (corr[lags] >= corr[lags + 1])]
    return float(np.max(corr[peaks] - lowest[peaks], initial=0.0))


def block_aspect(exemplar: np.ndarray) -> float:
    """Width / height of the guided quilt's blocks for ``exemplar`` (h, w, C): elongated along a strong
    grain whose spacing across is not periodic (see :data:`GRAIN_MIN`), else 1 (square)."""
    mean = exemplar.mean(axis=2, dtype=np.float32)
    gy, gx = np.gradient(mean)
    flow = _anisotropy(np.array([np.mean(gx * gx), np.mean(gy * gy), np.mean(gx * gy)], dtype=np.float64))
    if float(np.hypot(*flow)) < GRAIN_MIN:
        return 1.0
    # Structures run vertically where horizontal gradients dominate (flow[0] > 0): across is along x.
    if across_grain_rise(mean, axis=1 if flow[0] > 0 else 0) >= PERIODIC_RISE:
        return 1.0
    return float(np.clip(math.exp(-ASPECT_GAIN * float(flow[0])), 1.0 / ASPECT_LIMIT, ASPECT_LIMIT))


def dp_cut(cost: np.ndarray, *, periodic: bool) -> np.ndarray:
    """The cheapest top-to-bottom path through ``cost`` (H, B), moving at most one column per row.

    Returns (H,) int: the path's column in each row. ``periodic``: the rows
    wrap, so the path ends in the column it starts in (run again from the
    first run's best end column, held at both ends).
    """
    h, b = cost.shape
    rows = cost.astype(np.float64)

    def run(start: int | None) -> tuple[np.ndarray, np.ndarray]:
        total = rows[0].copy()
        if start is not None:
            total = np.where(np.arange(b) == start, total, np.inf)
        back = np.zeros((h, b), dtype=np.int8)
        left, right = np.full(b, np.inf), np.full(b, np.inf)  # the path's total arriving from either side
        for y in range(1, h):
            left[1:], right[:-1] = total[:-1], total[1:]
            # Ties go left, then straight, then right (as argmin over [left, straight, right] would, for the
            # finite costs the quilt makes; argmin would also take a NaN first, these comparisons never do).
            back[y] = np.where(left <= np.minimum(total, right), -1, np.where(total <= right, 0, 1))
            total = np.minimum(np.minimum(left, total), right) + rows[y]
        return total, back

    total, back = run(None)
    end = int(np.argmin(total))
    if periodic:
        total, back = run(end)
    path = np.empty(h, dtype=np.int64)
    path[-1] = end
    for y in range(h - 1, 0, -1):
        path[y - 1] = path[y] + back[y, path[y]]
    return path


def cut_mask(old: np.ndarray, new: np.ndarray, known: np.ndarray, overlap: int) -> np.ndarray:
    """(bh, bw) bool: where the new block's pixels are taken, cutting each filled edge strip of the
    block along its least-difference path (a filled strip on the left, right, top or bottom)."""
    bh, bw = known.shape
    cost = np.sum((old - new) ** 2, axis=2)
    take = np.ones((bh, bw), dtype=bool)
    o = min(overlap, bw, bh)
    strips: list[tuple[tuple[slice, slice], bool, bool]] = [
        ((slice(None), slice(0, o)), False, False),  # left: a vertical path, new pixels right of it
        ((slice(None), slice(bw - o, bw)), True, False),  # right: new pixels left of it
        ((slice(0, o), slice(None)), False, True),  # top: the same on the transposed strip
        ((slice(bh - o, bh), slice(None)), True, True),  # bottom
    ]
    for strip, flip, turn in strips:
        if not known[strip].all():
            continue
        c = cost[strip]
        c = c.T if turn else c
        c = c[:, ::-1] if flip else c
        path = dp_cut(np.ascontiguousarray(c), periodic=False)
        keep = np.arange(c.shape[1])[None, :] >= path[:, None]  # new pixels from the path inward
        keep = keep[:, ::-1] if flip else keep
        keep = keep.T if turn else keep
        take[strip] &= keep
    return take


def block_window(
    rows: list[int], cols: list[int], r: int, k: int, overlap: int, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The output rows and columns of block (r, k) of :func:`grid`, its overlaps included, wrapped on the torus."""
    bh = rows[r + 1] - rows[r] + overlap
    bw = cols[k + 1] - cols[k] + overlap
    return (rows[r] + np.arange(bh)) % size[0], (cols[k] + np.arange(bw)) % size[1]


def paste_block(
    canvas: np.ndarray, filled: np.ndarray, ys: np.ndarray, xs: np.ndarray, new: np.ndarray, overlap: int
) -> np.ndarray:
    """Cut ``new`` into the canvas at rows ``ys``, columns ``xs`` along least-difference paths through the
    overlaps already ``filled`` (:func:`cut_mask`), and mark the block filled. Returns where the new
    block's pixels were taken: (len(ys), len(xs)) bool."""
    window = np.ix_(ys, xs)
    old = canvas[window]
    take = cut_mask(old, new, filled[window], overlap)
    canvas[window] = np.where(take[:, :, None], new, old)
    filled[window] = True
    return take


def torus_neighbour_offsets(
    offsets: dict[tuple[int, int], tuple[int, int]], r: int, k: int, blocks: tuple[int, int], size: tuple[int, int]
) -> list[tuple[int, int]]:
    """The copy offsets (source - block corner) that would continue the copy of an already placed
    neighbour of block (r, k) into it: the eight neighbours on the torus of ``blocks`` (rows, columns) of
    blocks, an offset across the wrap shifted by the torus's ``size``."""
    found = []
    for dr in (-1, 0, 1):
        for dk in (-1, 0, 1):
            nr, nk = r + dr, k + dk
            o = offsets.get((nr % blocks[0], nk % blocks[1]))
            if o is not None:
                found.append((o[0] - size[0] * (nr // blocks[0]), o[1] - size[1] * (nk // blocks[1])))
    return found


def score_factor(exemplar_shape: tuple[int, ...]) -> int:
    """The scale 1 / f at which :func:`guided_quilt_steps` scores candidates.

    :data:`SCORE_FACTOR` for exemplars whose short side is 32 x SCORE_FACTOR px or more (1 below:
    too few positions to shrink), raised until the shrunk exemplar has about SCORE_SIDE^2 cells (a
    block costs the same whatever the exemplar's size or shape), and at most a sixth of a block.
    """
    h, w = exemplar_shape[:2]
    base = SCORE_FACTOR if min(h, w) >= 32 * SCORE_FACTOR else 1
    by_area = math.ceil(math.sqrt(h * w) / SCORE_SIDE)
    return max(1, min(max(base, by_area), block_side(exemplar_shape) // 6))


def _box_down(image: np.ndarray, f: int) -> np.ndarray:
    """Means over f x f cells (the image cropped to multiples of f): (h // f, w // f, C) float64."""
    h, w = image.shape[0] // f * f, image.shape[1] // f * f
    c = image.shape[2] if image.ndim == 3 else 1
    return image[:h, :w].reshape(h // f, f, w // f, f, c).mean(axis=(1, 3))


def _window_means(values: np.ndarray, sh: int, sw: int) -> np.ndarray:
    """Mean of ``values`` (hs, ws) over every sh x sw window inside it: (hs - sh + 1, ws - sw + 1)."""
    cum = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    cum[1:, 1:] = values.cumsum(axis=0).cumsum(axis=1)
    return (cum[sh:, sw:] - cum[:-sh, sw:] - cum[sh:, :-sw] + cum[:-sh, :-sw]) / (sh * sw)


def _anisotropy(tensor: np.ndarray) -> np.ndarray:
    """(..., 2): the anisotropy of mean structure tensors (..., 3) = means of (gx^2, gy^2, gx gy):
    ((gx^2 - gy^2), 2 gx gy) / (gx^2 + gy^2), a vector whose angle is twice the gradients' main
    direction and whose length is how strongly they keep to it (0 isotropic, 1 stripes)."""
    total = tensor[..., 0] + tensor[..., 1] + 1e-12
    return np.stack([(tensor[..., 0] - tensor[..., 1]) / total, 2.0 * tensor[..., 2] / total], axis=-1)


class _Candidates:
    """Every exemplar position of a block, scored at once by FFT on the shrunk exemplar."""

    def __init__(self, exemplar: np.ndarray, f: int) -> None:
        # Exact f x f means, as the placed pixels are shrunk: cell p is pixels p f .. p f + f - 1.
        self.small = _box_down(exemplar.astype(np.float64), f) if f > 1 else exemplar.astype(np.float64)
        self.shape = self.small.shape[:2]
        self.spectra = np.fft.rfft2(self.small, axes=(0, 1))
        self.squares = np.fft.rfft2((self.small**2).sum(axis=2))
        self.unit = float(self.small.reshape(-1, self.small.shape[2]).var(axis=0).sum())
        self.usage = np.zeros(self.shape)
        # Structure tensors of the channels' mean, by cell, and the whole exemplar's anisotropy.
        gy, gx = np.gradient(exemplar.mean(axis=2, dtype=np.float32))
        pairs = ((gx, gx), (gy, gy), (gx, gy))  # one full-size product at a time
        self.tensor = np.concatenate([_box_down(a * b, f) for a, b in pairs], axis=2)[: self.shape[0], : self.shape[1]]
        self.flow = _anisotropy(self.tensor.reshape(-1, 3).mean(axis=0))
        self._flow_penalties: dict[tuple[int, int], np.ndarray] = {}

    def flow_penalty(self, sh: int, sw: int) -> np.ndarray:
        """The flow prior of every position (see :data:`FLOW_WEIGHT`), before its weight."""
        if (sh, sw) not in self._flow_penalties:
            means = np.stack([_window_means(self.tensor[:, :, i], sh, sw) for i in range(3)], axis=2)
            strength = float(np.hypot(*self.flow))
            distance = np.sum((_anisotropy(means) - self.flow) ** 2, axis=-1)
            self._flow_penalties[(sh, sw)] = self.unit * strength * distance
        return self._flow_penalties[(sh, sw)]

    def errors(self, placed: np.ndarray, weight: np.ndarray, target: np.ndarray, guide_weight: float) -> np.ndarray:
        """Weighted mean squared difference of every position's block (sh, sw cells) to the placed pixels'
        means ``placed`` where ``weight`` (the placed fraction of each cell) is positive, plus
        ``guide_weight`` times that to ``target`` (the guide): (hs - sh + 1, ws - sw + 1)."""
        hs, ws = self.shape
        sh, sw = weight.shape
        n_placed = float(weight.sum())
        a_placed = weight / n_placed if n_placed > 0 else np.zeros_like(weight)
        a_guide = np.full((sh, sw), guide_weight / (sh * sw))
        mean = placed / np.maximum(weight, 1e-9)[:, :, None]
        at = a_placed[:, :, None] * mean + a_guide[:, :, None] * target
        cross = self.squares * np.conj(np.fft.rfft2(a_placed + a_guide, s=(hs, ws)))
        cross -= 2.0 * np.sum(self.spectra * np.conj(np.fft.rfft2(at, s=(hs, ws), axes=(0, 1))), axis=2)
        constant = float(np.sum(a_placed[:, :, None] * mean**2 + a_guide[:, :, None] * target**2))
        return np.fft.irfft2(cross, s=(hs, ws))[: hs - sh + 1, : ws - sw + 1] + constant

    def used(self, y: int, x: int, sh: int, sw: int) -> None:
        """Count a copy of the block at cell (y, x) in the usage map."""
        self.usage[y : y + sh, x : x + sw] += 1

    def usage_penalty(self, sh: int, sw: int) -> np.ndarray:
        """The usage penalty of every position (see :data:`USAGE_WEIGHT`), before its weight: the copies
        of its area counted in units of the mean use so far (at least 1), so that it weighs the same
        against the agreement terms at any output size."""
        return self.unit * _window_means(self.usage, sh, sw) / max(1.0, float(self.usage.mean()))


def _refine(
    exemplar: np.ndarray, old: np.ndarray, known: np.ndarray, y0: int, x0: int, reach: int
) -> tuple[int, int, float]:
    """The position within ``reach`` px of (y0, x0) whose block agrees best with the placed pixels
    (``old`` where ``known``) at full size, and its sum of squared differences over every other placed
    pixel in each direction (a quarter of them: the quilt's time at 1024 px fell from 3.7 s to 2.2 s,
    its figures unchanged within sampling noise on brick_gray, onyx, bark and gravel).

    Searched coarse to fine: every ``step`` px within ``reach`` (step about reach / 2), then every pixel
    within ``step`` of the best; 25 + 8 trials where an exhaustive search of reach 4 would take 81.
    """
    h, w, channels = exemplar.shape
    bh, bw = known.shape
    flat = exemplar.reshape(h * w, channels)  # np.take on flat indices: 2-3x faster than indexing by row and column
    ys, xs = np.nonzero(known[::2, ::2])
    ys, xs = ys * 2, xs * 2
    if ys.size == 0:
        return y0, x0, 0.0
    target = old[ys, xs]
    best = (y0, x0, np.inf)
    step = max(1, reach // 2)
    for radius, spacing in ((reach, step), (step - 1, 1)):
        cy, cx = best[:2] if np.isfinite(best[2]) else (y0, x0)
        d = np.arange(-radius, radius + 1, spacing)
        dy, dx = (a.ravel() + c for a, c in zip(np.meshgrid(d, d, indexing="ij"), (cy, cx)))
        ok = (dy >= 0) & (dy <= h - bh) & (dx >= 0) & (dx <= w - bw)
        if np.isfinite(best[2]):
            ok &= (dy != cy) | (dx != cx)  # the best so far is not tried again
        if not ok.any():
            continue
        dy, dx = dy[ok], dx[ok]
        errors = np.sum((np.take(flat, (dy[:, None] + ys) * w + dx[:, None] + xs, axis=0) - target) ** 2, axis=(1, 2))
        k = int(np.argmin(errors))
        if errors[k] < best[2]:
            best = (int(dy[k]), int(dx[k]), float(errors[k]))
    return best if np.isfinite(best[2]) else (y0, x0, 0.0)


def _shortlist(err: np.ndarray, py: np.ndarray, px: np.ndarray, apart: int, count: int) -> list[tuple[int, int]]:
    """Up to ``count`` positions (py, px) of least finite ``err``, each at least ``apart`` px from the others."""
    chosen: list[tuple[int, int]] = []
    flat = err.ravel()
    for idx in np.argsort(flat, kind="stable"):
        if not np.isfinite(flat[idx]) or len(chosen) == count:
            break
        y, x = int(py.ravel()[idx]), int(px.ravel()[idx])
        if all(max(abs(y - a), abs(x - b)) >= apart for a, b in chosen):
            chosen.append((y, x))
    return chosen


def _final_choice(refined: list[tuple[int, int, float]], others: list[float], samples: int) -> tuple[int, int]:
    """The shortlisted position to cut in: least mean squared difference to the placed pixels at full
    size (``refined``: position and sum over ``samples`` pixels, from :func:`_refine`) plus its guide,
    usage and flow terms from the shrunk scoring (``others``).

    The whole score, not the agreement with the placed pixels alone: that alone favours blocks whose
    borders are flat (blue sky continues blue sky at no cost), and the clouds thinned out (satellite
    clouds at 512 px, seeds 0-5: sharpness 0.76-0.97 and normalized distance -0.16..0.39 by the
    agreement alone, 0.84-0.95 and -0.25..0.03 by the whole score).
    """
    scores = [found[2] / max(1, samples) + other for found, other in zip(refined, others)]
    y, x, _ = refined[int(np.argmin(scores))]
    return y, x


def _copy_steps(exemplar: np.ndarray, source: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Along ``axis`` (0 down, 1 right) on the torus: where each pixel's next pixel does not continue its
    copy (a cut), and the step the exemplar itself makes there: the mean of the step after this pixel's
    source and the step before the next pixel's source, each where it lies inside the exemplar (0
    where neither does). Returns (cut (H, W) bool, step (H, W, C) float32)."""
    h, w = exemplar.shape[:2]
    unit = np.array([1, 0] if axis == 0 else [0, 1], dtype=source.dtype)
    cut = np.zeros(source.shape[:2], dtype=bool)
    for i in range(2):  # a plane at a time: source is (H, W, 2) int32, 128 MB at 4096 px
        plane = source[:, :, i]
        cut |= np.roll(plane, -1, axis=axis) != plane + unit[i]
    ys, xs = np.nonzero(cut)
    next_ys, next_xs = ((ys + 1) % source.shape[0], xs) if axis == 0 else (ys, (xs + 1) % source.shape[1])
    a, b = source[ys, xs], source[next_ys, next_xs]  # sources on either side of each cut
    a_next, b_prev = a + unit, b - unit
    ok_a = (a_next[:, 0] < h) & (a_next[:, 1] < w)
    ok_b = (b_prev[:, 0] >= 0) & (b_prev[:, 1] >= 0)
    a_next = np.where(ok_a[:, None], a_next, a)
    b_prev = np.where(ok_b[:, None], b_prev, b)
    step_a = exemplar[a_next[:, 0], a_next[:, 1]] - exemplar[a[:, 0], a[:, 1]]
    step_b = exemplar[b[:, 0], b[:, 1]] - exemplar[b_prev[:, 0], b_prev[:, 1]]
    count = ok_a.astype(np.float32) + ok_b.astype(np.float32)
    mean = (step_a * ok_a[:, None] + step_b * ok_b[:, None]) / np.maximum(count, 1.0)[:, None]
    return cut, mean.astype(np.float32)


def blend_seams(
    canvas: np.ndarray, exemplar: np.ndarray, source: np.ndarray, length: float, keep: tuple[int, ...] = ()
) -> None:
    """Blend the cuts of the quilt ``canvas`` (H, W, C) away (:data:`SEAM_BLEND`), in place, on the torus.

    ``source`` (H, W, 2) int: the exemplar pixel each canvas pixel was copied from. The result x keeps
    every step between neighbours that continue one copy and takes the exemplar's own step across each
    cut (:func:`_copy_steps`), least squares, screened by the canvas at a length of ``length`` px:
    min |grad x - g|^2 + |x - canvas|^2 / length^2, solved exactly by FFT on the torus (a few FFTs per
    channel). A step between two copies is spread over about ``length`` px each side and fades beyond;
    the mean is kept. Values are clipped to the exemplar's range per channel. Channels in ``keep`` stay
    as copied (alpha: a cutout's edges stay where they were, and as hard).
    """
    h, w, c = canvas.shape
    lam = 1.0 / float(length) ** 2
    cuts = [_copy_steps(exemplar, source, axis) for axis in (0, 1)]
    # Eigenvalues of the periodic Laplacian (<= 0), and the screened operator's.
    ky = 2.0 * np.cos(2.0 * np.pi * np.arange(h) / h) - 2.0
    kx = 2.0 * np.cos(2.0 * np.pi * np.arange(w // 2 + 1) / w) - 2.0
    operator = ky[:, None] + kx[None, :] - lam
    low, high = exemplar.reshape(-1, c).min(axis=0), exemplar.reshape(-1, c).max(axis=0)
    kept = {k % c for k in keep}
    for ch in (ch for ch in range(c) if ch not in kept):  # a channel at a time: 4096 px is 64 MB a plane
        x = canvas[:, :, ch]
        rhs = x * np.float32(-lam)  # div g - lam x, whose transform over the operator's is the result's
        for axis, (cut, step) in enumerate(cuts):
            g = np.roll(x, -1, axis=axis)
            g -= x
            g[cut] = step[:, ch]
            rhs += g
            rhs -= np.roll(g, 1, axis=axis)
        del g
        spectrum = np.fft.rfft2(rhs)
        del rhs
        spectrum /= operator
        canvas[:, :, ch] = np.clip(np.fft.irfft2(spectrum, s=(h, w)), low[ch], high[ch])


def guided_quilt_steps(
    exemplar: np.ndarray,
    guide: np.ndarray,
    size: tuple[int, int],
    rng: np.random.Generator,
    canvas: np.ndarray | None = None,
    *,
    guide_weight: float = GUIDE_WEIGHT,
    usage_weight: float = USAGE_WEIGHT,
    flow_weight: float = FLOW_WEIGHT,
    aspect: float | None = None,
    blend: bool | None = None,
    keep: tuple[int, ...] = (),
) -> Generator[str, None, np.ndarray]:
    """Quilt a torus of ``size`` from ``exemplar`` blocks that follow ``guide``.

    Parameters
    ----------
    exemplar:
        (h, w, C) float32, each side at least :data:`MIN_QUILT_SIDE`.
    guide:
        (H', W', C) float32 in the exemplar's space: the layout to follow (the
        ascent's image at a coarse level); resized to the scoring scale.
    size:
        (H, W) of the texture.
    rng:
        Draws where the grid of blocks starts (so that the torus's wrap is not
        a block edge) and the first block among the shortlist.
    canvas:
        (H, W, C) float32 filled in place (for previews), or None.
    guide_weight, usage_weight, flow_weight:
        See :data:`GUIDE_WEIGHT`, :data:`USAGE_WEIGHT` and :data:`FLOW_WEIGHT`.
    aspect:
        The blocks' width / height (:func:`grid`); None: :func:`block_aspect` of the exemplar.
    blend:
        Blend the cuts (:func:`blend_seams`) once every block is placed; None: :data:`SEAM_BLEND`.
    keep:
        Channels left as copied by the blend (alpha).

    For each block of :func:`grid`, every exemplar position (every f px, f =
    :func:`score_factor`) is scored at once on the shrunk copies: the mean
    squared difference to the pixels already placed in the block's overlaps,
    plus ``guide_weight`` times that to the guide, plus the usage penalty and
    the flow prior.
    Positions continuing a neighbour's copy (an offset within a quarter block
    of the neighbour's) are left out, so no copied region grows beyond about a
    block. Of the :data:`CANDIDATES` best, each moved to the pixel (within f / 2)
    that best continues the placed pixels, the one of least score with that
    agreement measured at full size (:func:`_final_choice`) is cut in along
    least-difference paths. Yields a stage text after each row of blocks;
    returns the canvas.
    """
    exemplar = np.ascontiguousarray(exemplar)  # _refine reads it through a flat view
    h, w, c = exemplar.shape
    ht, wt = size
    if min(h, w) < MIN_QUILT_SIDE:
        raise ValueError(f"the exemplar is smaller than {MIN_QUILT_SIDE} px, two blocks of the quilt")
    rows, cols, overlap = grid(exemplar.shape, (ht, wt), block_aspect(exemplar) if aspect is None else aspect)
    phase_y, phase_x = int(rng.integers(ht)), int(rng.integers(wt))
    rows, cols = [phase_y + y for y in rows], [phase_x + x for x in cols]
    f = score_factor(exemplar.shape)
    scores = _Candidates(exemplar, f)
    hs, ws = scores.shape
    guide = resize(guide, max(1, ht // f), max(1, wt // f), periodic=True).astype(np.float64)
    if canvas is None:
        canvas = np.zeros((ht, wt, c), dtype=np.float32)
    filled = np.zeros((ht, wt), dtype=bool)
    blend = SEAM_BLEND if blend is None else blend
    source = np.zeros((ht, wt, 2), dtype=np.int32) if blend else None  # the exemplar pixel of each pixel
    offsets: dict[tuple[int, int], tuple[int, int]] = {}
    blocks = (len(rows) - 1, len(cols) - 1)
    for r in range(blocks[0]):
        for k in range(blocks[1]):
            ys, xs = block_window(rows, cols, r, k, overlap, size)
            bh, bw = len(ys), len(xs)
            known = filled[np.ix_(ys, xs)]
            old = canvas[np.ix_(ys, xs)]
            sh, sw = max(1, bh // f), max(1, bw // f)
            placed = _box_down(np.where(known[:, :, None], old, 0.0), f)[:sh, :sw]
            weight = _box_down(known.astype(np.float64), f)[:sh, :sw, 0]
            gy = ((rows[r] % ht) // f + np.arange(sh)) % guide.shape[0]
            gx = ((cols[k] % wt) // f + np.arange(sw)) % guide.shape[1]
            target = guide[np.ix_(gy, gx)]
            err = scores.errors(placed, weight, target, guide_weight)
            if usage_weight > 0:
                err = err + usage_weight * scores.usage_penalty(sh, sw)
            if flow_weight > 0:
                err = err + flow_weight * scores.flow_penalty(sh, sw)
            py, px = np.mgrid[0 : hs - sh + 1, 0 : ws - sw + 1] * f
            inside = (py + bh <= h) & (px + bw <= w)
            apart = max(f, bh // 4)
            ok = inside.copy()
            for oy, ox in torus_neighbour_offsets(offsets, r, k, blocks, size):
                ok &= np.maximum(np.abs(py - rows[r] - oy), np.abs(px - cols[k] - ox)) >= apart
            shortlist = _shortlist(np.where(ok if ok.any() else inside, err, np.inf), py, px, apart, CANDIDATES)
            if known.any():
                refined = [_refine(exemplar, old, known, y, x, f // 2) for y, x in shortlist]
                # The guide, usage and flow terms: the score less its agreement with the placed pixels.
                others = err - scores.errors(placed, weight, target, 0.0)
                samples = int(np.count_nonzero(known[::2, ::2]))
                y0, x0 = _final_choice(refined, [float(others[y // f, x // f]) for y, x in shortlist], samples)
            else:
                y0, x0 = shortlist[int(rng.integers(len(shortlist)))]
            take = paste_block(canvas, filled, ys, xs, exemplar[y0 : y0 + bh, x0 : x0 + bw], overlap)
            if source is not None:
                ty, tx = np.nonzero(take)
                source[ys[ty], xs[tx]] = np.stack([y0 + ty, x0 + tx], axis=-1)
            offsets[(r, k)] = (y0 - rows[r], x0 - cols[k])
            scores.used(y0 // f, x0 // f, sh, sw)
        if source is not None and r == blocks[0] - 1:  # before the last row's step: the preview shows it
            blend_seams(canvas, exemplar, source, overlap, keep)
        yield f"detail: row {r + 1} of {blocks[0]} of blocks"
    return canvas
