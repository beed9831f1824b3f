"""Nearest exemplar patches for output patches: a vectorized PatchMatch.

Patches are compared in a PCA subspace of the exemplar's patches (16
components by default), which keeps almost all of their energy and makes a
comparison ten times cheaper than in the full k x k x C space. The search is
PatchMatch (Barnes et al. 2009) run on all queries at once: each round
tries the matches of the four grid neighbours, shifted by their offset
(propagation), then random candidates in windows that halve in size (random
search). Matches persist between calls, so each call only refines them.
"""

from __future__ import annotations

import numpy as np

from .patches import PatchGrid, exemplar_patches, periodic_patches

_CHUNK_ELEMENTS = 1 << 22


class PatchMatcher:
    """Approximate nearest-neighbour field from output patches to one exemplar.

    Parameters
    ----------
    exemplar:
        (h, w, C) float32, h and w >= k.
    patch_size:
        k.
    rng:
        Random generator for initialization and random search.
    features:
        PCA components kept (at most k*k*C).
    valid:
        Optional (h - k + 1, w - k + 1) bool: the exemplar patch corners a
        match may use (fill: patches clear of the hole). At least one.
    """

    def __init__(
        self,
        exemplar: np.ndarray,
        patch_size: int,
        rng: np.random.Generator,
        features: int = 16,
        *,
        valid: np.ndarray | None = None,
    ) -> None:
        self.k = patch_size
        self.rng = rng
        h, w, c = exemplar.shape
        self.rows, self.cols = h - patch_size + 1, w - patch_size + 1
        dim = patch_size * patch_size * c
        total = self.rows * self.cols
        self.allowed: np.ndarray | None = None
        self.penalty: np.ndarray | None = None
        if valid is not None and not valid.all():
            self.allowed = np.flatnonzero(valid)
            if self.allowed.size == 0:
                raise ValueError("PatchMatcher needs at least one valid exemplar patch")
            self.penalty = np.where(valid.ravel(), np.float32(0.0), np.float32(np.inf))
        pool = self.allowed if self.allowed is not None else np.arange(total)
        pick = pool if pool.size <= 8192 else np.sort(rng.choice(pool, 8192, replace=False))
        sample = exemplar_patches(exemplar, patch_size, pick).astype(np.float64)
        self.mean = sample.mean(axis=0).astype(np.float32)
        centered = sample - sample.mean(axis=0)
        _, vecs = np.linalg.eigh(centered.T @ centered)
        q = min(features, dim)
        self.basis = np.ascontiguousarray(vecs[:, ::-1][:, :q]).astype(np.float32)
        feats = np.empty((total, q), dtype=np.float32)
        step = max(1, _CHUNK_ELEMENTS // (self.cols * dim))
        for r0 in range(0, self.rows, step):
            r1 = min(self.rows, r0 + step)
            idx = np.arange(r0 * self.cols, r1 * self.cols)
            feats[idx] = (exemplar_patches(exemplar, patch_size, idx) - self.mean) @ self.basis
        self.features = feats
        #: Mean squared norm of the exemplar's patch features: the scale of a match distance.
        self.variance = float(np.mean(np.einsum("ij,ij->i", feats, feats)))
        self.ey: np.ndarray | None = None
        self.ex: np.ndarray | None = None
        self._prior: tuple[np.ndarray, np.ndarray, float] | None = None  # a coarser level's field

    def _features_of(self, x: np.ndarray, grid: PatchGrid) -> np.ndarray:
        out = np.empty((grid.count, self.basis.shape[1]), dtype=np.float32)
        dim = self.basis.shape[0]
        step = max(1, _CHUNK_ELEMENTS // (grid.cols * dim))
        for r0 in range(0, grid.rows, step):
            r1 = min(grid.rows, r0 + step)
            out[r0 * grid.cols : r1 * grid.cols] = (periodic_patches(x, grid, r0, r1) - self.mean) @ self.basis
        return out

    def seed_from(self, other: PatchMatcher, scale: float) -> None:
        """Start from another matcher's field (of a coarser level), scaled by ``scale``."""
        if other.ey is not None and other.ex is not None:
            self._prior = (other.ey, other.ex, scale)

    def _initial(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        prior = self._prior
        if prior is not None:
            pey, pex, scale = prior
            ry = np.minimum((np.arange(shape[0]) * pey.shape[0]) // shape[0], pey.shape[0] - 1)
            rx = np.minimum((np.arange(shape[1]) * pex.shape[1]) // shape[1], pex.shape[1] - 1)
            ey = np.round(pey[np.ix_(ry, rx)] * scale).astype(np.int64)
            ex = np.round(pex[np.ix_(ry, rx)] * scale).astype(np.int64)
            return np.clip(ey, 0, self.rows - 1), np.clip(ex, 0, self.cols - 1)
        if self.allowed is not None:
            flat = self.rng.choice(self.allowed, size=shape)
            return flat // self.cols, flat % self.cols
        return (
            self.rng.integers(0, self.rows, size=shape),
            self.rng.integers(0, self.cols, size=shape),
        )

    def _cost(self, fo: np.ndarray, ey: np.ndarray, ex: np.ndarray) -> np.ndarray:
        flat = (ey * self.cols + ex).ravel()
        diff = fo - self.features[flat]
        cost = np.einsum("ij,ij->i", diff, diff)
        if self.penalty is not None:
            cost += self.penalty[flat]
        return cost.reshape(ey.shape)

    def match(
        self,
        x: np.ndarray,
        grid: PatchGrid,
        *,
        iterations: int = 2,
        shift: tuple[int, int] = (0, 0),
        jumps: tuple[int, ...] = (1,),
    ) -> tuple[np.ndarray, np.ndarray]:
        """Refine and return the matches of the output patches on ``grid``.

        ``shift`` is how far the grid moved since the last call (rows,
        columns): the kept matches move with it. ``jumps``: grid distances a
        match propagates over in one round (1 is PatchMatch's neighbour step;
        adding 4, 16, ... spreads a good match across the image in fewer
        rounds, as jump flooding does, since a vectorized round cannot scan
        sequentially).

        Returns
        -------
        index:
            (n,) int64 flat indices into the exemplar's valid patch corners.
        distance:
            (n,) float32 squared distances in the PCA subspace.
        """
        shape = (grid.rows, grid.cols)
        fo = self._features_of(x, grid)
        if self.ey is None or self.ex is None or self.ey.shape != shape:
            self.ey, self.ex = self._initial(shape)
        ey = np.clip(self.ey + shift[0], 0, self.rows - 1)
        ex = np.clip(self.ex + shift[1], 0, self.cols - 1)
        best = self._cost(fo, ey, ex)
        s = grid.stride

        def consider(cy: np.ndarray, cx: np.ndarray) -> None:
            nonlocal ey, ex, best
            cy = np.clip(cy, 0, self.rows - 1)
            cx = np.clip(cx, 0, self.cols - 1)
            cost = self._cost(fo, cy, cx)
            better = cost < best
            ey = np.where(better, cy, ey)
            ex = np.where(better, cx, ex)
            best = np.where(better, cost, best)

        for _ in range(iterations):
            for jump in jumps:
                for axis, sign in ((1, 1), (1, -1), (0, 1), (0, -1)):
                    cy = np.roll(ey, sign * jump, axis=axis)
                    cx = np.roll(ex, sign * jump, axis=axis)
                    if axis == 0:
                        cy = cy + sign * jump * s
                    else:
                        cx = cx + sign * jump * s
                    consider(cy, cx)
            radius = max(self.rows, self.cols)
            while radius >= 1:
                consider(
                    ey + self.rng.integers(-radius, radius + 1, size=shape),
                    ex + self.rng.integers(-radius, radius + 1, size=shape),
                )
                radius //= 2
        if self.allowed is not None:
            stuck = ~np.isfinite(best)
            if stuck.any():  # still on a forbidden patch (e.g. seeded from a coarser level): any allowed one
                flat = self.rng.choice(self.allowed, size=int(stuck.sum()))
                ey[stuck], ex[stuck] = flat // self.cols, flat % self.cols
                best[stuck] = self._cost(fo[stuck.ravel()], ey[stuck], ex[stuck])
        self.ey, self.ex = ey, ex
        return (ey * self.cols + ex).ravel(), best.ravel().astype(np.float32)
