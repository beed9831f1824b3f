"""Fill a hole by copying the best-matching region of the same image, blended in the gradient domain.

A hole in a photo (a blemish, a sign, a bolt) is usually smaller than the
texture around it, and the photo holds many places that look like the hole's
surroundings. :func:`copy_fill_task` finds the offset d where the image, shifted
by d, best matches the ring of known pixels around the hole (sum of squared
differences over the ring, for every offset at once by FFT), copies the
shifted pixels into the hole, and adds the harmonic (smoothest) correction
that makes them meet the hole's edge exactly (Poisson image editing, Perez
et al. 2003). The filled pixels are then the image's own detail (as sharp as
its surroundings), the edge has the copy's own steps across it (no outline),
and every known pixel is kept bit for bit.

It needs one offset that moves the whole hole and its ring onto known
pixels: a hole up to about a third of the image's side. :func:`copy_fill_task`
returns None when there is none (holes spread over the image, or one too
large), and the fill job then synthesizes instead.

    task = copy_fill_task(fill_region(image, mask))   # None if no offset fits: synthesize instead
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from .config import SynthesisConfig
from .known import KnownRegion, erode, fill_region
from .synth import Synthesizer, region_synthesizer
from .task import ImageTask

#: Ring of known pixels matched around the hole: this fraction of the hole's larger side, clipped.
RING_FRACTION = 0.2
RING_RANGE = (3, 24)
#: Places tried: the best-matching ones by the ring, blended each; the least step across the edge wins.
CANDIDATES = 6
#: Blends whose mean correction is within this factor of the least one's compete on their edge step.
HAZE_TOLERANCE = 1.5
#: The search for a place to copy covers the hole's region grown by this many times its side on every
#: side (at least SEARCH_MIN px): the cost and memory follow the hole's size, not the image's.
SEARCH_MARGIN = 3
SEARCH_MIN = 256
#: Bytes of the search per pixel and channel of its window (FFTs in float64 and complex128): measured
#: 472 MiB for a 2048 x 2048 RGB window, about 10 x 8.
SEARCH_BYTES_PER_VALUE = 80
#: Conjugate-gradient iterations of the harmonic correction, at most (converged long before on most holes).
MAX_CG_ITERATIONS = 2000


def _correlate(a: np.ndarray, template: np.ndarray) -> np.ndarray:
    """sum_p template(p) a(p + d) for every offset d (circular; valid where the template fits): (H, W)."""
    h, w = a.shape
    fa = np.fft.rfft2(a)
    ft = np.fft.rfft2(template, s=(h, w))
    return np.fft.irfft2(fa * np.conj(ft), s=(h, w))


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the True pixels of ``mask``, bottom and right exclusive."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def allowed_offsets(hole: np.ndarray, ring: np.ndarray) -> np.ndarray | None:
    """(H, W) bool over template positions t (offset d = t - the region's corner): True where the hole
    and its ring, moved there, lie inside the image on known pixels only; None if there is no such t."""
    h, w = hole.shape
    r0, r1, c0, c1 = _box(hole | ring)
    ok = np.zeros((h, w), dtype=bool)
    ok[: h - (r1 - r0) + 1, : w - (c1 - c0) + 1] = True
    if ok.any():
        unknown = _correlate(hole.astype(np.float64), (hole | ring)[r0:r1, c0:c1].astype(np.float64))
        ok &= unknown < 0.5
    return ok if ok.any() else None


def best_offsets(
    image: np.ndarray, hole: np.ndarray, ring: np.ndarray, allowed: np.ndarray, count: int = 1
) -> list[tuple[int, int]]:
    """The ``count`` offsets (dy, dx) among ``allowed`` (:func:`allowed_offsets`) whose shifted image best
    matches ``image`` over ``ring`` (least sum of squared differences, every offset at once by FFT), best
    first, each at least a ring's width from the ones before it (different places, not the same one
    shifted by a pixel).

    ``image`` (H, W, C) with anything in the hole; ``hole`` and ``ring`` (H, W) bool.
    """
    h, w = hole.shape
    r0, r1, c0, c1 = _box(hole | ring)
    tpl_ring = ring[r0:r1, c0:c1].astype(np.float64)
    known_image = np.where(hole[:, :, None], 0.0, image).astype(np.float64)
    ssd = np.zeros((h, w))
    for ch in range(image.shape[2]):
        plane = known_image[:, :, ch]
        ssd += _correlate(plane**2, tpl_ring) - 2.0 * _correlate(plane, tpl_ring * plane[r0:r1, c0:c1])
    score = np.where(allowed, ssd, np.inf)
    apart = ring_width(hole)
    found: list[tuple[int, int]] = []
    for _ in range(count):
        flat = int(np.argmin(score))
        if not np.isfinite(score.flat[flat]):
            break
        ty, tx = np.unravel_index(flat, score.shape)
        found.append((int(ty) - r0, int(tx) - c0))
        score[max(0, ty - apart) : ty + apart + 1, max(0, tx - apart) : tx + apart + 1] = np.inf
    return found


def push_pull(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``values`` (h, w, C) with the pixels where ``known`` (h, w) is False filled smoothly from the known
    ones: averaged down a pyramid of 2 x 2 blocks until every cell holds some known value, then
    interpolated back up (Gortler et al.'s push-pull). Returns float64; known pixels unchanged."""
    h, w = known.shape
    if known.all() or not known.any() or min(h, w) < 2:
        return values.astype(np.float64)
    hh, ww = h + h % 2, w + w % 2
    weight = np.pad(known.astype(np.float64), ((0, hh - h), (0, ww - w)))
    total = np.pad(values * known[:, :, None], ((0, hh - h), (0, ww - w), (0, 0)))
    cw = weight.reshape(hh // 2, 2, ww // 2, 2).sum(axis=(1, 3))
    ct = total.reshape(hh // 2, 2, ww // 2, 2, -1).sum(axis=(1, 3))
    coarse = push_pull(ct / np.maximum(cw, 1e-12)[:, :, None], cw > 0)
    up = np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1)[:h, :w]
    return np.where(known[:, :, None], values, up)


def harmonic_correction(hole: np.ndarray, edge_values: np.ndarray) -> np.ndarray:
    """The smoothest field inside ``hole`` that takes ``edge_values`` on the known pixels around it.

    Solves Laplace's equation (4 neighbours) in the hole with the known
    pixels' values as boundary (Dirichlet) by conjugate gradients; across the
    array's own border nothing is imposed (Neumann: the image's edge).
    ``hole`` (h, w) bool; ``edge_values`` (h, w, C).
    Returns (h, w, C) float64, equal to ``edge_values`` outside the hole.
    """
    field = np.where(hole[:, :, None], 0.0, edge_values).astype(np.float64)
    inside = hole[:, :, None]

    def neighbours(x: np.ndarray) -> np.ndarray:
        out = np.zeros_like(x)
        out[1:] += x[:-1]
        out[:-1] += x[1:]
        out[:, 1:] += x[:, :-1]
        out[:, :-1] += x[:, 1:]
        return out

    # Each pixel's number of neighbours inside the array: a hole pixel on the array's border (the
    # image's edge) has fewer, so nothing is imposed across the edge (zero normal derivative).
    degree = neighbours(np.ones_like(field[:, :, :1]))

    def apply(x: np.ndarray) -> np.ndarray:  # the Laplacian on the unknowns (zero outside the hole)
        return np.where(inside, degree * x - neighbours(x), 0.0)

    b = np.where(inside, neighbours(field), 0.0)
    # Start from a smooth guess (push-pull of the edge values): the error left is mostly fine-scale,
    # which conjugate gradients removes in a few dozen iterations instead of hundreds.
    x = np.where(inside, push_pull(field, ~hole), 0.0)
    r = b - apply(x)
    p = r.copy()
    rr = np.sum(r * r, axis=(0, 1))
    tol = 1e-5 * max(float(np.sum(b * b)), 1e-30)
    for _ in range(MAX_CG_ITERATIONS):
        if float(rr.sum()) <= tol:
            break
        ap = apply(p)
        alpha = rr / np.maximum(np.sum(p * ap, axis=(0, 1)), 1e-300)
        x += alpha * p
        r -= alpha * ap
        rr_new = np.sum(r * r, axis=(0, 1))
        p = r + (rr_new / np.maximum(rr, 1e-300)) * p
        rr = rr_new
    return np.where(inside, x, field)


def ring_width(hole: np.ndarray) -> int:
    """Width of the matched ring: :data:`RING_FRACTION` of the hole's larger side, within :data:`RING_RANGE`."""
    top, bottom, left, right = _box(hole)
    return int(np.clip(round(RING_FRACTION * max(bottom - top, right - left)), *RING_RANGE))


def copy_fill_task(region: KnownRegion, memory_budget_mb: int | None = None) -> ImageTask | None:
    """The fill of ``region`` by copying, as a stepping :class:`~core.task.ImageTask` (2 steps); None
    when no single offset moves the hole and its ring onto known pixels, or when the search would need
    more than ``memory_budget_mb`` (then synthesize instead, which checks its own budget).

    The offsets are searched in a window of :data:`SEARCH_MARGIN` around the hole (the whole image for
    holes spread over it). The result is like :meth:`KnownRegion.finish`'s: (H, W, C) float32, known
    pixels exactly as given.
    """
    hole = ~region.known
    ring = ~erode(~hole, ring_width(hole)) & region.known
    window = _search_window(hole | ring)
    h, w = hole[window].shape
    channels = region.original.shape[2]
    if memory_budget_mb is not None and SEARCH_BYTES_PER_VALUE * h * w * channels > memory_budget_mb * (1 << 20):
        return None
    allowed = allowed_offsets(hole[window], ring[window])
    if allowed is None:
        return None

    def work() -> Generator[str, None, np.ndarray]:
        image = region.exemplar()  # colour (alpha dropped when it is the mask); free pixels neutral
        offsets = best_offsets(image[window], hole[window], ring[window], allowed, CANDIDATES)
        yield f"fill: {len(offsets)} places match the surroundings"
        # The ring's match is a proxy: each place is blended; among those that need little correction
        # (a large one shows as a haze, or as bands turning inside the hole), the one whose blend steps
        # least across the hole's edge wins.
        box = _blend_box(hole)
        inside = hole[box]
        blends = []
        for dy, dx in offsets:
            source = _shifted(image, box, dy, dx)
            crop = _blend_copy(image[box], source, inside)
            blends.append(((dy, dx), crop, _edge_step(crop, inside), _correction(crop, source, inside)))
        least = min(haze for *_, haze in blends)
        (dy, dx), crop, _, _ = min((b for b in blends if b[3] <= HAZE_TOLERANCE * least), key=lambda b: b[2])
        filled = image.copy()
        filled[box] = crop
        yield f"fill: copied from {_direction(dy, dx)} and blended in"
        return region.finish(filled)

    return ImageTask(region.original, work, total_steps=2)


def _search_window(region: np.ndarray) -> tuple[slice, slice]:
    """The part of the image searched for a place to copy: the region's box grown by SEARCH_MARGIN
    (at least SEARCH_MIN px) on every side, clipped to the image."""
    h, w = region.shape
    top, bottom, left, right = _box(region)
    margin = max(SEARCH_MIN, SEARCH_MARGIN * max(bottom - top, right - left))
    return slice(max(0, top - margin), min(h, bottom + margin)), slice(max(0, left - margin), min(w, right + margin))


def _blend_box(hole: np.ndarray) -> tuple[slice, slice]:
    """The hole's bounding box grown by one pixel (its edge values), clipped to the image."""
    h, w = hole.shape
    top, bottom, left, right = _box(hole)
    return slice(max(0, top - 1), min(h, bottom + 1)), slice(max(0, left - 1), min(w, right + 1))


def _shifted(image: np.ndarray, box: tuple[slice, slice], dy: int, dx: int) -> np.ndarray:
    """The pixels ``(dy, dx)`` away from ``box``."""
    rows, cols = box
    return image[rows.start + dy : rows.stop + dy, cols.start + dx : cols.stop + dx]


def _correction(crop: np.ndarray, source: np.ndarray, inside: np.ndarray) -> float:
    """Mean correction a blended copy needed inside the hole (summed over channels)."""
    return float(np.abs(crop[inside].astype(np.float64) - source[inside]).sum(axis=1).mean())


def _edge_step(image: np.ndarray, hole: np.ndarray) -> float:
    """Mean absolute step between neighbours across the hole's edge (one inside, one outside)."""
    steps = []
    for axis in (0, 1):
        inside = np.diff(hole.astype(np.int8), axis=axis) != 0
        if inside.any():
            steps.append(np.abs(np.diff(image, axis=axis)).sum(axis=2)[inside])
    return float(np.mean(np.concatenate(steps))) if steps else 0.0


def _direction(dy: int, dx: int) -> str:
    """'12 px up, 40 px right' for an offset (dy, dx)."""
    return f"{abs(dy)} px {'up' if dy < 0 else 'down'}, {abs(dx)} px {'left' if dx < 0 else 'right'}"


def _blend_copy(crop: np.ndarray, source: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """``crop`` (the hole's box in the image) with its hole set to ``source`` (the same box elsewhere)
    plus the harmonic correction that makes it meet the hole's edge; float32, clipped to the known
    pixels' range's sign: at or above 0 when they are, within [0, 1] when they are."""
    correction = harmonic_correction(inside, crop.astype(np.float64) - source)
    out = np.where(inside[:, :, None], source + correction, crop).astype(np.float32)
    known = crop[~inside]
    if known.size and known.min() >= 0.0:
        out = np.clip(out, 0.0, 1.0 if known.max() <= 1.0 else None)
    return out


def fill_task(
    image: object,
    mask: object | None = None,
    *,
    config: SynthesisConfig | None = None,
    seed: int = 0,
    name: str = "image",
) -> ImageTask | Synthesizer:
    """The fill of ``image``'s masked region, a step at a time: copied from the best-matching place when
    one fits within ``config``'s memory budget (:func:`copy_fill_task`), else synthesized
    (:func:`core.synth.region_synthesizer`, with ``config`` and ``seed``). The image and mask are read
    and checked once, for both."""
    budget = (config if config is not None else SynthesisConfig()).memory_budget_mb
    region = fill_region(image, mask, name=name)
    copied = copy_fill_task(region, memory_budget_mb=budget)
    if copied is not None:
        return copied
    return region_synthesizer(region, config, seed, name=name)


def fill(
    image: object,
    mask: object | None = None,
    *,
    config: SynthesisConfig | None = None,
    seed: int = 0,
) -> np.ndarray:
    """``image`` with its masked region filled (:func:`fill_task` run to the end).

    ``mask``: same size, white (> 0.5) = fill; None = the image's transparent pixels. Known pixels
    are returned exactly as given. Returns (H, W, C) float32 with the image's channels.
    """
    task = fill_task(image, mask, config=config, seed=seed)
    for _ in task.steps():
        pass
    return task.result
