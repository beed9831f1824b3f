"""Image quilting: a texture made of exemplar blocks cut along their least-difference paths.

The pieces the copying parts of the engine share: the least-difference path
through an overlap (:func:`dp_cut`, dynamic programming; make-tileable's cut
too), the block grid on a torus (:func:`grid`) and the cut of a block against
what is already there (:func:`cut_mask`). :mod:`core.lattice` quilts regular
textures on their lattice with them.
"""

from __future__ import annotations

import numpy as np

#: Blocks: about this fraction of the exemplar's short side, within BLOCK_RANGE; overlap a quarter of it.
#: Below a quarter, so a copied block (cut in its overlaps) covers less than 1/16 of the exemplar: no
#: landmark that large can repeat.
BLOCK_FRACTION = 0.22
BLOCK_RANGE = (24, 160)
#: Candidates within (1 + tolerance) x the best error are drawn at random.
TOLERANCE = 0.2


def positions(n: int, count: int) -> list[int]:
    """``count`` + 1 block corners spread evenly over 0..n (the last is n: the torus closes)."""
    return [round(k * n / count) for k in range(count + 1)]


def block_side(exemplar_shape: tuple[int, ...]) -> int:
    """The planned side of a block: :data:`BLOCK_FRACTION` of the exemplar's short side, within BLOCK_RANGE."""
    return int(np.clip(round(BLOCK_FRACTION * min(exemplar_shape[:2])), *BLOCK_RANGE))


def grid(exemplar_shape: tuple[int, ...], size: tuple[int, int]) -> tuple[list[int], list[int], int]:
    """Block corners along the rows and columns of the torus (the last equal to its side), and the overlap."""
    block = block_side(exemplar_shape)
    overlap = max(4, block // 4)
    step = block - overlap
    ht, wt = size
    return positions(ht, max(1, round(ht / step))), positions(wt, max(1, round(wt / step))), overlap


def dp_cut(cost: np.ndarray, *, periodic: bool) -> np.ndarray:
    """The cheapest top-to-bottom path through ``cost`` (H, B), moving at most one column per row.

    Returns (H,) int: the path's column in each row. ``periodic``: the rows
    wrap, so the path ends in the column it starts in (run again from the
    first run's best end column, held at both ends).
    """
    h, b = cost.shape
    inf = np.full(1, np.inf)

    def run(start: int | None) -> tuple[np.ndarray, np.ndarray]:
        total = cost[0].astype(np.float64)
        if start is not None:
            total = np.where(np.arange(b) == start, total, np.inf)
        back = np.zeros((h, b), dtype=np.int8)
        cols = np.arange(b)
        for y in range(1, h):
            stacked = np.stack([np.concatenate([inf, total[:-1]]), total, np.concatenate([total[1:], inf])])
            move = np.argmin(stacked, axis=0)
            back[y] = move - 1
            total = stacked[move, cols] + cost[y]
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
