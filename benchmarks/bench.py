"""Speed, memory and quality of :func:`core.synthesize` on the bundled exemplars.

For each exemplar and output size (and optimizer), one synthesis runs in a
fresh worker process (multiprocessing "spawn"), which reports its wall time,
the time to the first preview (from building the :class:`core.Synthesizer`
to the first :class:`core.Progress` and its preview image, enlarged by
nearest neighbour as the add-on's live preview is), how far its progress
bar strays from the elapsed share of the time (lag; in the main table), and its peak
memory: the worker's peak resident set size (``VmHWM`` on Linux,
``ru_maxrss`` elsewhere), which includes the interpreter, NumPy and the
exemplar (the "base" figure printed with the table). The parent then
measures the result with :func:`core.metrics.evaluate` and prints one row
per synthesis. Nothing is asserted: the figures are for people.

``--jobs`` adds the other jobs of the engine, each with its own table. Tile,
fill and equalize take a size x size centre crop of each exemplar (resized
up, and rounded to 8 bits, when the exemplar is smaller: the bundled ones
are 512 px, so 1024 px inputs are upscaled crops); with ``--out`` each writes
its results and one sheet per size (``<job>_<size>_sheet.png``):

* tile (:mod:`core.seamless`): time; seam score before and after; the
  sharpness of the whole against the input; and band / interior ratios of
  sharpness, coherence and lattice order, on the output rolled by half
  (band = within max(24, border x side) px of the wrap seams), beside the
  same ratios of the input rolled likewise (a raw seam) and as it is (a band
  without a seam). Sheet: 2x2 tilings and 1:1 crops where four tiles meet.
* fill (:mod:`core.patchfill`): a centred square hole (``--hole``: a
  fraction of the side, or pixels); time, which method ran (copied or
  synthesized), the largest change of the known pixels (must be 0), the
  boundary step ratio of the hole's outline (beside the input's) and the
  sharpness inside the hole against outside (beside the input's). Sheet:
  1:1 crops around the hole.
* equalize (:mod:`core.equalize`): the crop with synthetic lighting
  multiplied in, and as it is; the large-scale share of the luminance before
  and after and their ratio, and the fine detail's change.
* pbr (:func:`core.synth.synthesize_maps`): a set made from the exemplar
  (colour; height = its smoothed luminance; normal = the height's normals)
  synthesized jointly; how well the output normal matches the normals of the
  output height (beside a 4 px misaligned baseline), the largest deviation
  of a normal from unit length and the colour's normalized distance.

Each table's legend gives the issue's targets, and each row the targets it
missed. ``--peer-dir DIR`` adds GIMP Resynthesizer's tile and heal of the
very same inputs and masks, made by ``benchmarks/peer_photo.sh`` (a row
each, with its engine and wall time)::

    benchmarks/peer_photo.sh --hole 128 out/peer_photo 1024 tests/data/*.png
    python benchmarks/bench.py --jobs tile,fill --sizes 1024 --hole 128 --peer-dir out/peer_photo --out out/photo
    python benchmarks/bench.py --jobs equalize --sizes 512 --out out/photo

Examples::

    python benchmarks/bench.py --quick
    python benchmarks/bench.py --sizes 256 512 --exemplars tests/data/gravel_gray.png --out out/bench
    python benchmarks/bench.py --sizes 256 --optimizers adam cg lbfgs gradient
    python benchmarks/bench.py --jobs tile,fill,equalize,pbr --sizes 256 --quality draft
    python benchmarks/bench.py --quick --jobs all

``--peer-dir DIR`` compares with GIMP Resynthesizer: DIR holds its textures
of the same exemplars, ``<stem>_<size>.png``, made by
``benchmarks/peer_resynth.sh DIR SIZE EXEMPLAR...`` (which runs the peer
folder ../shared/peers/resynth; nothing of Resynthesizer is in this
repository). Each peer texture gets a metrics row of its own
(optimizer "resynth"), and ``--out`` receives ``blind_sheet.png``, rows of
exemplar | A | B with GASS and the peer on sides drawn by ``--blind-seed``,
and the key in ``blind_key.txt`` (look at the sheet before opening it)::

    benchmarks/peer_resynth.sh out/peer 256 tests/data/brick_gray.png tests/data/bark.png
    python benchmarks/bench.py --sizes 256 --exemplars tests/data/brick_gray.png tests/data/bark.png \\
        --peer-dir out/peer --out out/bench

A figure that cannot be measured (an image too small for a metric, a
metric undefined for the exemplar, such as lattice order without a
lattice) prints as n/a.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import OPTIMIZERS, QUALITIES, GassError, SynthesisConfig  # noqa: E402
from core.config import DEFAULT_BORDER  # noqa: E402
from core.equalize import lighting_figures, linear_to_srgb, srgb_to_linear  # noqa: E402
from core.imageio import read_image, write_image  # noqa: E402
from core.job import JOB_KINDS, Job, JobSettings  # noqa: E402
from core.maps import LUMA, MapSet, decode_normal, normal_angle_error, normals_from_height, smooth  # noqa: E402
from core.metrics import (  # noqa: E402
    SHARPNESS_PERCENTILE,
    coherence_distances,
    evaluate,
    lattice_peaks,
    luminance,
    normalized_patch_distance,
    seam_score,
    sharpness,
)
from core.resample import resize  # noqa: E402
from core.seamless import seamless_tile  # noqa: E402

DATA = ROOT / "tests" / "data"
DEFAULT_SIZES = (256, 512, 1024, 2048)
JOBS = JOB_KINDS
#: Strength of the normals made from an exemplar's height for the pbr job.
PBR_STRENGTH = 8.0
#: Shift in pixels of the misaligned baseline of the pbr job.
PBR_SHIFT = 4
TARGETS = (
    "targets (DESIGN.md): 1024 px <= 30 s, 2048 px <= 120 s, first preview <= 2 s, "
    "peak < 1.5 GB at 2048 px, cost linear in pixels; normalized distance near 0, verbatim < 5 %, seam ~1; "
    "issue 10: sharpness 0.9-1.1, lattice order >= 0.8 where defined, no repeat of a region > 1/16 of the exemplar"
)
#: Name of the peer in the optimizer column and the blind sheet's key.
PEER = "resynth"
#: Side of the fill job's centred hole: a fraction of the image's side (below 1) or pixels.
DEFAULT_HOLE = 0.25
#: Least half-width in px of the tile job's band around the wrap seams.
MIN_BAND = 24
#: Lighting multiplied (in linear light) into the equalize job's "lit" input: a ramp from left to
#: right times a vignette 1 - LIGHT_VIGNETTE x (distance from the centre / distance of a corner)^2.
LIGHT_RAMP = (0.6, 1.3)
LIGHT_VIGNETTE = 0.35
#: Targets of the issue: tile a 1024 px photo, fill a 128 px hole in a 1024 px image (seconds);
#: band/interior and inside/outside figures within this fraction of 1; the fill's boundary step ratio at
#: most this; the large-scale share at least this many times smaller; the fine detail's std within this.
TILE_SECONDS, FILL_SECONDS = 5.0, 3.0
RATIO_TOLERANCE = 0.10
MAX_STEP_RATIO = 1.2
MIN_SHARE_REDUCTION = 4.0
DETAIL_TOLERANCE = 0.10


@dataclasses.dataclass(frozen=True)
class Run:
    """One benchmark run, done in a worker process: a core job on one exemplar at one size.

    ``kind`` is a core job kind: "new" on the exemplar, "tile", "fill" and
    "equalize" on a size x size crop of it (:func:`job_input`; fill: a
    centred hole of side ``hole``, :func:`centre_hole`; equalize: with
    synthetic lighting multiplied in when ``lit``, :func:`add_lighting`),
    "pbr" on a set made from it (:func:`pbr_set`). ``iteration_scale`` scales
    the preset's iterations (the optimizer comparison's equal budget).
    """

    kind: str
    exemplar: str
    size: int
    quality: str
    seed: int
    optimizer: str | None = None
    border: float = DEFAULT_BORDER
    iteration_scale: float = 1.0
    hole: float = DEFAULT_HOLE
    lit: bool = False


def job_of(run: Run) -> tuple[Job, np.ndarray | None]:
    """The core :class:`~core.job.Job` of a run, and the image a tile, fill or equalize run changes (else None)."""
    exemplar = read_image(run.exemplar)
    advanced: dict[str, object] = {}
    if run.iteration_scale != 1.0:
        base = SynthesisConfig.preset(run.quality)
        advanced = {
            "iterations_coarse": max(1, round(base.iterations_coarse * run.iteration_scale)),
            "iterations_fine": max(1, round(base.iterations_fine * run.iteration_scale)),
        }
    settings = JobSettings(
        quality=run.quality,
        width=run.size,
        height=run.size,
        seed=run.seed,
        optimizer=run.optimizer,
        border=run.border,
        advanced=advanced,
    )
    if run.kind in ("tile", "fill", "equalize"):
        image = job_input(exemplar, run.size)
        if run.kind == "equalize" and run.lit:
            image = add_lighting(image)
        mask = centre_hole(*image.shape[:2], run.hole).astype(np.float32) if run.kind == "fill" else None
        return Job(run.kind, (image,), settings, mask=mask), image
    if run.kind == "pbr":
        return Job("pbr", (pbr_set(exemplar),), settings), None
    return Job("new", (exemplar,), settings), None


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB.

    Linux: ``VmHWM`` of /proc/self/status, the high-water mark of this
    process's own memory map. ``ru_maxrss`` is not used there because a
    spawned worker inherits its parent's peak at the moment of the fork
    (the kernel carries it across ``exec``). Elsewhere: ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


#: How a job ran, by the type of its task: fill copies a place of the image or synthesizes.
METHODS = {"ImageTask": "copied", "Synthesizer": "synthesized"}


def run_one(run: Run) -> dict[str, Any]:
    """Do one run (in a worker process); return its result and figures."""
    job, image = job_of(run)
    base_mb = _peak_rss_mb()
    start = time.perf_counter()
    synth = job.task()
    first = None
    marks = []  # (seconds since start, the progress bar's fraction) at every step
    for progress in synth.steps():
        if first is None:
            progress.preview(smooth=False)  # as the add-on's live preview (gass_blender.runner)
            first = time.perf_counter() - start
        marks.append((time.perf_counter() - start, progress.fraction))
    wall = time.perf_counter() - start
    outputs = synth.results()
    extra: dict[str, Any] = {}
    if run.kind == "tile" and image is not None:  # where the cuts are (not timed: the task does it once)
        _, cuts = seamless_tile(image, run.border)
        extra["overlaps"] = (cuts[0].overlap, cuts[1].overlap)
    return {
        **extra,
        "method": METHODS.get(type(synth).__name__, type(synth).__name__),
        "input": image,
        "image": synth.result,
        "maps": outputs if run.kind == "pbr" else None,
        "wall": wall,
        "first": first if first is not None else wall,
        "lag": max((abs(fraction - t / wall) for t, fraction in marks if wall > 0), default=0.0),
        "peak_mb": _peak_rss_mb(),
        "base_mb": base_mb,
        "evaluations": getattr(synth, "evaluations", 0),
        "iterations": len(getattr(synth, "history", ())),
        "loss": float(np.mean(synth.history[-10:])) if getattr(synth, "history", None) else float("nan"),
    }


def run_in_worker(run: Run) -> dict[str, Any]:
    """:func:`run_one` in a fresh spawned process, so peak memory is this run's alone."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_one, (run,))


def run_at_budget(run: Run, budget: int | None) -> dict[str, Any]:
    """Do a run; if ``budget`` is set and missed by more than 5 %, again with scaled iterations."""
    result = run_in_worker(run)
    if budget is None or abs(result["evaluations"] - budget) <= 0.05 * budget:
        return result
    scaled = dataclasses.replace(run, iteration_scale=budget / max(1, result["evaluations"]))
    return run_in_worker(scaled)


def job_input(exemplar: np.ndarray, size: int) -> np.ndarray:
    """A size x size centre crop of the exemplar (resized to size when smaller, then rounded to 8 bits,
    so the PNG written for the peer holds the very same pixels): the input of tile, fill and equalize."""
    h, w = exemplar.shape[:2]
    if min(h, w) < size:
        resized = np.clip(resize(exemplar, size, size, periodic=False), 0.0, 1.0)
        return (np.round(resized * 255.0) / 255.0).astype(np.float32)
    y, x = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(exemplar[y : y + size, x : x + size])


def hole_side(side: int, hole: float) -> int:
    """The hole's side on an image side: ``hole`` x side when ``hole`` < 1, else ``hole`` px (at most side - 2)."""
    return max(1, min(side - 2, round(hole * side) if hole < 1 else int(hole)))


def centre_hole(height: int, width: int, hole: float = DEFAULT_HOLE) -> np.ndarray:
    """(H, W) bool, True in the fill job's centred hole (:func:`hole_side` of each side)."""
    hy, hx = hole_side(height, hole), hole_side(width, hole)
    top, left = (height - hy) // 2, (width - hx) // 2
    mask = np.zeros((height, width), dtype=bool)
    mask[top : top + hy, left : left + hx] = True
    return mask


def add_lighting(image: np.ndarray) -> np.ndarray:
    """The image with synthetic lighting multiplied in, in linear light (clipped at white): a ramp
    :data:`LIGHT_RAMP` from left to right times a vignette (:data:`LIGHT_VIGNETTE` darker in the corners)."""
    h, w = image.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = LIGHT_RAMP[0] + (LIGHT_RAMP[1] - LIGHT_RAMP[0]) * x / max(1, w - 1)
    r2 = ((y - (h - 1) / 2) / (h / 2)) ** 2 + ((x - (w - 1) / 2) / (w / 2)) ** 2
    gain = (ramp * (1.0 - LIGHT_VIGNETTE * r2 / 2.0))[:, :, None]
    colour = image.shape[2] if image.shape[2] in (1, 3) else image.shape[2] - 1
    out = image.copy()
    out[:, :, :colour] = linear_to_srgb(np.clip(srgb_to_linear(image[:, :, :colour]) * gain, 0.0, 1.0))
    return out.astype(np.float32)


def seam_band(height: int, width: int, border: float) -> np.ndarray:
    """(H, W) bool, the tile job's band in the output rolled by half (:func:`rolled`): rows and columns
    within max(:data:`MIN_BAND`, border x side) px of the wrap seams, now through the middle."""
    by, bx = band_half_widths(height, width, border)
    band = np.zeros((height, width), dtype=bool)
    band[max(0, height // 2 - by) : height // 2 + by] = True
    band[:, max(0, width // 2 - bx) : width // 2 + bx] = True
    return band


def band_half_widths(height: int, width: int, border: float) -> tuple[int, int]:
    """Half-widths (rows, columns) of :func:`seam_band`."""
    return max(MIN_BAND, int(np.ceil(border * height))), max(MIN_BAND, int(np.ceil(border * width)))


def rolled(image: np.ndarray) -> np.ndarray:
    """The image rolled by half its size: its wrap seams (as tiled) run through the middle."""
    h, w = image.shape[:2]
    return np.roll(image, (h // 2, w // 2), axis=(0, 1))


def gradient_ratio(image: np.ndarray, region: np.ndarray, rest: np.ndarray) -> float:
    """:func:`core.metrics.sharpness` of ``region`` against ``rest`` of one image: the 90th percentile of the
    luminance gradient (central differences, the image's outer frame left out) over the pixels of
    ``region`` divided by that over ``rest`` (nan when either is empty or ``rest`` is flat)."""
    dy, dx = np.gradient(luminance(image))
    grad = np.hypot(dy, dx)
    inner = np.zeros(grad.shape, dtype=bool)
    inner[1:-1, 1:-1] = True
    a, b = grad[region & inner], grad[rest & inner]
    if a.size == 0 or b.size == 0:
        return float("nan")
    reference = float(np.percentile(b, SHARPNESS_PERCENTILE))
    return float(np.percentile(a, SHARPNESS_PERCENTILE)) / reference if reference > 0 else float("nan")


def band_pieces(image: np.ndarray, border: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The rolled image's :func:`seam_band` as two strips (the rows and the columns through the middle)
    and the rest as its four corner blocks."""
    h, w = image.shape[:2]
    by, bx = band_half_widths(h, w, border)
    y0, y1, x0, x1 = max(0, h // 2 - by), h // 2 + by, max(0, w // 2 - bx), w // 2 + bx
    strips = [image[y0:y1], image[:, x0:x1]]
    corners = [image[:y0, :x0], image[:y0, x1:], image[y1:, :x0], image[y1:, x1:]]
    return strips, corners


def coherence_pair(images: list[np.ndarray], exemplar: np.ndarray, split: int) -> tuple[float, float]:
    """:func:`core.metrics.coherence` of each of ``images`` against ``exemplar`` (one shared sample of its
    patches), averaged over ``images[:split]`` and over ``images[split:]`` (nan where too small)."""
    need = 18  # the default scales' largest footprint (downscale 2 x 9 px patches)
    usable = [i for i, im in enumerate(images) if min(im.shape[:2]) >= need]
    if not usable:
        return float("nan"), float("nan")
    try:
        distances, baseline = coherence_distances([images[i] for i in usable], exemplar, rng=0)
    except GassError:
        return float("nan"), float("nan")
    ratios = np.exp(np.mean(np.log(np.maximum(distances, 1e-12) / np.maximum(baseline, 1e-12)), axis=1))
    first = [r for i, r in zip(usable, ratios) if i < split]
    second = [r for i, r in zip(usable, ratios) if i >= split]
    return (float(np.mean(first)) if first else float("nan")), (float(np.mean(second)) if second else float("nan"))


def region_lattice(image: np.ndarray, lags: np.ndarray, values: np.ndarray, region: np.ndarray) -> float:
    """:func:`core.metrics.lattice_order` of the pixels of ``region``: the image's normalized (linear)
    autocorrelation at the exemplar's lattice peaks ``lags`` over the pixel pairs with an end in the
    region (a pair counts half for each end), divided by the exemplar's own there (``values``);
    nan without a lattice or for a flat image."""
    if lags.shape[0] == 0:
        return float("nan")
    x = luminance(image)
    x = x - x.mean()
    var = float(np.mean(x * x))
    if var <= 0.0:
        return float("nan")
    h, w = x.shape
    at_peaks = []
    for dy, dx in lags:
        p = (slice(max(0, -dy), h - max(0, dy)), slice(max(0, -dx), w - max(0, dx)))
        q = (slice(max(0, dy), h - max(0, -dy)), slice(max(0, dx), w - max(0, -dx)))
        prod = x[p] * x[q]
        weight = region[p].astype(np.float64) + region[q]
        total = float(weight.sum())
        at_peaks.append(float((prod * weight).sum()) / total / var if total > 0 else float("nan"))
    return float(np.mean(at_peaks) / values.mean())


def tile_figures(image: np.ndarray, exemplar: np.ndarray, border: float, *, roll: bool = True) -> dict[str, float]:
    """The tile job's figures of one image (an output, or the untouched input), the input as exemplar:
    seam score, sharpness of the whole, and band / interior ratios of sharpness, coherence and lattice
    order (:func:`seam_band` of the image rolled by half; ``roll`` False: of the image as it is, whose
    band then runs through its middle, away from its edges: the ratios of a band without a seam).

    Lattice order is measured at the lattice peaks of the image itself (n/a unless the exemplar has a
    lattice): the output is resampled from a tile a little smaller than the input, so its lattice is
    the input's stretched by a few per cent and the input's own peaks would miss it everywhere alike.
    """
    h, w = image.shape[:2]
    turned = rolled(image) if roll else image
    band = seam_band(h, w, border)
    strips, corners = band_pieces(turned, border)
    band_coh, interior_coh = coherence_pair(strips + corners, exemplar, len(strips))
    lags, values = lattice_peaks(exemplar)
    if lags.shape[0]:
        lags, values = lattice_peaks(image)
    return {
        "seam": seam_score(image),
        "sharp_all": sharpness(image, exemplar),
        "sharp": gradient_ratio(turned, band, ~band),
        "coh": band_coh / interior_coh,
        "order": region_lattice(turned, lags, values, band) / region_lattice(turned, lags, values, ~band),
    }


def fill_figures(image: np.ndarray, before: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    """The fill job's figures of one image: the largest change of the known pixels against ``before``,
    the boundary step ratio (:func:`edge_ratio` of the hole's outline) and the sharpness inside the hole
    against outside (:func:`gradient_ratio`; inside = the hole less its outermost pixels, outside = the
    known pixels not next to the hole)."""
    top, bottom, left, right = hole_box(hole)
    inside = np.zeros_like(hole)
    inside[top + 1 : bottom - 1, left + 1 : right - 1] = True
    near = np.zeros_like(hole)
    near[max(0, top - 1) : bottom + 1, max(0, left - 1) : right + 1] = True
    return {
        "known": float(np.abs(image[~hole] - before[~hole]).max()),
        "step": edge_ratio(image, top, bottom, left, right),
        "sharp": gradient_ratio(image, inside, ~near),
    }


def hole_box(hole: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of a hole's bounding box, bottom and right exclusive."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def equalize_figures(image: np.ndarray, before: np.ndarray, plain: np.ndarray) -> dict[str, float]:
    """The equalize job's figures: :func:`core.equalize.lighting_figures` (large-scale share and
    fine-detail std) before and after, and of the exemplar without added lighting (``plain``)."""
    share_before, detail_before = lighting_figures(before)
    share_after, detail_after = lighting_figures(image)
    _, detail_plain = lighting_figures(plain)
    return {
        "share_before": share_before,
        "share_after": share_after,
        "reduction": share_before / share_after if share_after > 0 else float("inf"),
        "detail_before": detail_before,
        "detail_after": detail_after,
        "detail_change": 100.0 * (detail_after / detail_before - 1.0) if detail_before > 0 else float("nan"),
        "detail_vs_plain": 100.0 * (detail_after / detail_plain - 1.0) if detail_plain > 0 else float("nan"),
    }


def pbr_set(exemplar: np.ndarray) -> MapSet:
    """The pbr job's set: colour = the exemplar, height = its smoothed luminance, normal from the height."""
    colour = exemplar[:, :, :3] if exemplar.shape[2] >= 3 else np.repeat(exemplar[:, :, :1], 3, axis=2)
    height = smooth((colour @ LUMA)[:, :, None])
    return MapSet(
        {"color": colour, "normal": normals_from_height(height, PBR_STRENGTH, periodic=False), "height": height}
    )


def _distance(image: np.ndarray, exemplar: np.ndarray) -> float:
    """Normalized patch distance of an image against the exemplar (nan, printed n/a, when too small to measure)."""
    try:
        return normalized_patch_distance(image, exemplar, rng=0)
    except GassError:
        return float("nan")


def _num(value: float, spec: str) -> str:
    """``value`` in the format ``spec`` (such as ``">5.2f"``), or n/a in the same width when it is nan."""
    if np.isnan(value):
        width = spec.lstrip("<>^").split(".")[0]
        return f"{'n/a':>{width}}" if width else "n/a"
    return format(value, spec)


def edge_ratio(image: np.ndarray, top: int, bottom: int, left: int, right: int) -> float:
    """How visible the outline of the rectangle [top, bottom) x [left, right) is (~1 = not at all).

    For each of its four sides: the mean absolute difference between the pixels on either side of
    it, along its length, divided by the mean absolute difference of all neighbouring pixels across
    that axis; the mean of the four.
    """
    x = image.astype(np.float64)
    dy = np.abs(np.diff(x, axis=0)).mean(axis=2)  # dy[r] is the step from row r to row r + 1
    dx = np.abs(np.diff(x, axis=1)).mean(axis=2)
    sides = [
        dy[top - 1, left:right].mean() / dy.mean(),
        dy[bottom - 1, left:right].mean() / dy.mean(),
        dx[top:bottom, left - 1].mean() / dx.mean(),
        dx[top:bottom, right - 1].mean() / dx.mean(),
    ]
    return float(np.mean(sides))


def pbr_metrics(res: dict[str, Any], exemplar: np.ndarray) -> dict[str, float]:
    """Agreement of the output normal with the output height (and a misaligned baseline), unit length, colour."""
    maps = res["maps"]
    normal, height = maps["normal"], maps["height"]
    shifted = np.roll(height, (PBR_SHIFT, PBR_SHIFT), axis=(0, 1))
    colour = exemplar[:, :, :3] if exemplar.shape[2] >= 3 else np.repeat(exemplar[:, :, :1], 3, axis=2)
    return {
        "angle": float(normal_angle_error(normal, normals_from_height(height, PBR_STRENGTH)).mean()),
        "angle_shifted": float(normal_angle_error(normal, normals_from_height(shifted, PBR_STRENGTH)).mean()),
        "unit_error": float(np.abs(np.linalg.norm(decode_normal(normal), axis=2) - 1.0).max()),
        "min_z": float(decode_normal(normal)[:, :, 2].min()),
        "colour_distance": _distance(maps["color"], colour),
        "height_distance": _distance(height, pbr_set(exemplar).maps["height"]),
    }


TASK_COLUMNS = {
    "pbr": (
        f"{'exemplar':<20} {'size':>5} {'time s':>7} {'1st s':>6} {'peak MB':>8} | "
        f"{'angle':>6} {f'({PBR_SHIFT}px)':>6} | {'|n|-1':>8} {'min z':>6} | {'colour':>6} {'height':>6}"
    ),
    "tile": (
        f"{'exemplar':<20} {'size':>5} {'by':<7} {'time s':>7} {'wall s':>7} {'overlap':>9} | {'seam in':>7} "
        f"{'out':>5} | {'sharp':>5} | {'sharp b/i':>9} {'(in)':>5} {'(mid)':>5} | {'coh b/i':>7} {'(in)':>5} "
        f"{'(mid)':>5} | {'order b/i':>9} {'(in)':>5} {'(mid)':>5} | misses"
    ),
    "fill": (
        f"{'exemplar':<20} {'size':>5} {'hole':>7} {'by':<7} {'method':<11} {'time s':>7} {'wall s':>7} | "
        f"{'known':>6} | {'step':>5} {'(in)':>5} | {'sharp i/o':>9} {'(in)':>5} | misses"
    ),
    "equalize": (
        f"{'exemplar':<20} {'size':>5} {'input':<6} {'time s':>7} | {'share in':>8} {'out':>6} {'ratio':>6} | "
        f"{'detail in':>9} {'out':>7} {'chg %':>6} | {'vs plain %':>10} | misses"
    ),
}

TASK_LEGENDS = {
    "tile": f"""\
tile (core.seamless, the image cut against a shifted copy of itself, resampled back to its size) of a
size x size centre crop of each exemplar; the bundled exemplars are 512 px, so 1024 px inputs are crops
upscaled 2x (periodic=False cubic, rounded to 8 bits). by = gass or {PEER} (GIMP Resynthesizer's tile.sh, the
same input PNG: a band of border x side at each edge resynthesized with wrap-around, interior kept);
time = the job alone (gass: the task's steps in a worker, no start-up; {PEER}: its engine process);
wall = the peer's whole command, GIMP start-up included; overlap = the column and row overlaps the cuts
took (px of the input; the cuts lie within them). seam in/out = seam score of the input and the output
(~1 = none); sharp = sharpness of the whole output against the input (the resampling softens a little).
Band/interior, each figure measured against the input as exemplar, on the output rolled by half so its
wrap seams run through the middle: band = the rows and columns within max({MIN_BAND}, border x side) px of
them, interior = the rest. sharp b/i = sharpness (90th percentile of the luminance gradient) of the band
over the interior's; coh b/i = coherence of the band (the two strips) over the interior's (the four
corner blocks); order b/i = lattice order (autocorrelation at the lattice peaks, over pixel pairs
with an end in the region) of band over interior, n/a where the input has no lattice. (in) = the same
ratio of the untouched input rolled likewise, whose raw seam lies in its band: what a seam scores; (mid) = the
same of the input as it is, its band through its middle: a band without a seam (how much the figure
varies with the content alone). Lattice order is read at the lattice peaks of each image itself (the
output is resampled from a slightly smaller tile, so its lattice is the input's stretched). Targets: each ratio
within {RATIO_TOLERANCE:.0%} of 1; a 1024 px photo in <= {TILE_SECONDS:g} s (time). misses = the targets missed.""",
    "fill": f"""\
fill (core.patchfill: the best-matching place of the image copied and blended in the gradient domain,
or the engine's synthesis when no single copy fits) of a centred square hole in a size x size centre crop
of each exemplar (1024 px inputs: 512 px exemplars upscaled 2x, rounded to 8 bits). by = gass or {PEER}
(GIMP Resynthesizer's fill.sh, Heal Selection's defaults, on the same input and mask PNGs); method =
copied or synthesized (gass), heal ({PEER}); time = the job alone (gass: in a worker, no start-up;
{PEER}: its engine process); wall = the peer's whole command, GIMP start-up included. known = largest
change of a known pixel (must be 0); step = boundary step ratio: the mean step across the hole's outline
over the image's mean neighbour step, per side, averaged (~1 = invisible); (in) = the same lines of the
untouched input. sharp i/o = sharpness (90th percentile of the luminance gradient) inside the hole (less
its outermost pixels) over outside (the known pixels not next to it); (in) = the same of the input.
Targets: step <= {MAX_STEP_RATIO:g}; sharp i/o within {RATIO_TOLERANCE:.0%} of 1; a hole of at most 128 px in an image
of at most 1024 px in <= {FILL_SECONDS:g} s (time). misses = the targets missed.""",
    "equalize": f"""\
equalize (core.equalize) of a size x size centre crop of each exemplar: lit = with synthetic lighting
multiplied in (linear light, clipped at white: a ramp {LIGHT_RAMP[0]:g} -> {LIGHT_RAMP[1]:g} from left to right times
a vignette {LIGHT_VIGNETTE:g} darker in the corners); plain = the exemplar as it is. time = the job alone (in a worker).
share = large-scale share: std of the luminance blurred at 1/8 of the short side (sigma = 1/16) over its
total std (core.equalize.lighting_figures), in = the job's input, out = its output, ratio = in / out;
detail = std of the luminance minus that blur, chg % = out against in; vs plain % = out against the
plain exemplar's detail (what the lighting hid). Targets: lit: ratio >= {MIN_SHARE_REDUCTION:g}; both: |chg %| <
{DETAIL_TOLERANCE:.0%}. misses = the targets missed.""",
    "pbr": f"""\
pbr: colour = exemplar, height = its smoothed luminance, normal = normals_from_height(height, {PBR_STRENGTH:g}).
angle = mean angle (degrees) between the output normal and the normals of the output height;
({PBR_SHIFT}px) = the same with the height shifted by {PBR_SHIFT} px (a misaligned baseline); |n|-1 = largest
deviation of an output normal from unit length; min z = smallest z (must be >= 0); colour, height =
normalized patch distance of those maps (0 = exemplar, 1 = noise).""",
}


def _off(value: float, tolerance: float = RATIO_TOLERANCE) -> bool:
    """True when a ratio is measured and further than ``tolerance`` from 1."""
    return bool(not np.isnan(value) and abs(value - 1.0) > tolerance)


def tile_row(
    name: str, size: int, by: str, time_s: float, wall: float, overlaps: Any, m: dict, m_in: dict, m_mid: dict
) -> str:
    """One row of the tile table: figures ``m`` of a result beside ``m_in`` of the untouched input rolled
    by half (its raw seam in the band) and ``m_mid`` of the input as it is (a band without a seam)."""
    misses = [
        what
        for what, missed in (
            ("time", size <= 1024 and time_s > TILE_SECONDS),
            ("sharp", _off(m["sharp"])),
            ("coh", _off(m["coh"])),
            ("order", _off(m["order"])),
        )
        if missed
    ]
    lap = f"{overlaps[0]},{overlaps[1]}" if overlaps else "n/a"
    return (
        f"{name[:20]:<20} {size:>5} {by:<7} {_num(time_s, '>7.2f')} {_num(wall, '>7.1f')} {lap:>9} | "
        f"{m_in['seam']:>7.2f} {m['seam']:>5.2f} | {_num(m['sharp_all'], '>5.2f')} | "
        + " | ".join(
            f"{_num(m[k], f'>{width}.2f')} {_num(m_in[k], '>5.2f')} {_num(m_mid[k], '>5.2f')}"
            for k, width in (("sharp", 9), ("coh", 7), ("order", 9))
        )
        + f" | {','.join(misses) or 'ok'}"
    )


def fill_row(
    name: str, size: int, side: int, by: str, method: str, time_s: float, wall: float, m: dict, m_in: dict
) -> str:
    """One row of the fill table: figures ``m`` of a result beside ``m_in`` of the untouched input."""
    misses = [
        what
        for what, missed in (
            ("time", side <= 128 and size <= 1024 and time_s > FILL_SECONDS),
            ("known", m["known"] != 0),
            ("step", m["step"] > MAX_STEP_RATIO),
            ("sharp", _off(m["sharp"])),
        )
        if missed
    ]
    return (
        f"{name[:20]:<20} {size:>5} {f'{side}x{side}':>7} {by:<7} {method:<11} {_num(time_s, '>7.2f')} "
        f"{_num(wall, '>7.1f')} | {m['known']:>6.2g} | {m['step']:>5.2f} {m_in['step']:>5.2f} | "
        f"{_num(m['sharp'], '>9.2f')} {_num(m_in['sharp'], '>5.2f')} | {','.join(misses) or 'ok'}"
    )


def equalize_row(name: str, size: int, lit: bool, time_s: float, m: dict) -> str:
    """One row of the equalize table."""
    misses = [
        what
        for what, missed in (
            ("ratio", lit and m["reduction"] < MIN_SHARE_REDUCTION),
            ("detail", _off(1.0 + m["detail_change"] / 100.0, DETAIL_TOLERANCE)),
        )
        if missed
    ]
    return (
        f"{name[:20]:<20} {size:>5} {'lit' if lit else 'plain':<6} {time_s:>7.2f} | {m['share_before']:>8.3f} "
        f"{m['share_after']:>6.3f} {m['reduction']:>6.1f} | {m['detail_before']:>9.4f} {m['detail_after']:>7.4f} "
        f"{_num(m['detail_change'], '>6.1f')} | {_num(m['detail_vs_plain'], '>10.1f')} | {','.join(misses) or 'ok'}"
    )


def pbr_row(job: Run, res: dict[str, Any], m: dict[str, float]) -> str:
    """One table row of a pbr job."""
    name = Path(job.exemplar).stem[:20]
    timing = f"{res['wall']:>7.1f} {res['first']:>6.2f} {res['peak_mb']:>8.0f}"
    return (
        f"{name:<20} {job.size:>5} {timing} | {m['angle']:>6.2f} {m['angle_shifted']:>6.2f} | "
        f"{m['unit_error']:>8.1e} {m['min_z']:>6.3f} | "
        f"{_num(m['colour_distance'], '>6.2f')} {_num(m['height_distance'], '>6.2f')}"
    )


def run_pbr(
    exemplars: dict[Path, np.ndarray], args: argparse.Namespace
) -> tuple[list[float], list[tuple[str, np.ndarray, np.ndarray]]]:
    """Run and print the table of pbr jobs; returns the base RSS figures and sheet rows."""
    print()
    print(TASK_COLUMNS["pbr"], flush=True)
    bases = []
    sheet = []
    for path, exemplar in exemplars.items():
        for size in args.sizes:
            job = Run("pbr", str(path), size, args.quality, args.seed, border=args.border)
            res = run_in_worker(job)
            bases.append(res["base_mb"])
            print(pbr_row(job, res, pbr_metrics(res, exemplar)), flush=True)
            if args.out:
                stem = f"{path.stem}_{size}_pbr"
                for map_kind, image in res["maps"].items():
                    write_image(args.out / f"{stem}_{map_kind}.png", image)
                sheet.append((f"{stem} colour  {res['wall']:.1f}s", exemplar, res["maps"]["color"]))
    print(TASK_LEGENDS["pbr"])
    return bases, sheet


def peer_photo(
    peer_dir: Path | None, stem: str, size: int, job: str, image: np.ndarray, hole: np.ndarray | None
) -> tuple[np.ndarray | None, str]:
    """The peer's result ``<stem>_<size>_<job>.png`` in ``peer_dir`` (by :file:`peer_photo.sh`), or None and why.

    The peer's input (and mask) PNGs beside it must hold the very pixels of this run's input (and hole).
    """
    if peer_dir is None:
        return None, ""
    path = peer_dir / f"{stem}_{size}_{job}.png"
    if not path.is_file():
        return None, f"no {path}"
    given = peer_dir / f"{stem}_{size}_input.png"
    if not given.is_file() or read_image(given).shape != image.shape or np.abs(read_image(given) - image).max() > 1e-3:
        return None, f"{given} is not this run's input: run peer_photo.sh again"
    if hole is not None:
        mask = peer_dir / f"{stem}_{size}_mask.png"
        if not mask.is_file() or not np.array_equal(read_image(mask)[:, :, 0] >= 0.5, hole):
            return None, f"{mask} is not this run's hole (--hole): run peer_photo.sh again"
    out = read_image(path)
    if out.shape != image.shape:
        return None, f"{path} is {out.shape}, not {image.shape}"
    return out, ""


def peer_photo_times(peer_dir: Path | None) -> dict[tuple[str, int, str], tuple[float, float]]:
    """(wall, engine) seconds per (stem, size, job) from ``peer_dir``/times.tsv as peer_photo.sh writes it
    (stem, size, job, rc, wall, cpu, engine; the last successful line wins; engine nan when NA)."""
    times: dict[tuple[str, int, str], tuple[float, float]] = {}
    log = peer_dir / "times.tsv" if peer_dir else None
    if log is not None and log.is_file():
        for line in log.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 7 and parts[3] == "0":
                engine = float(parts[6]) if parts[6] not in ("NA", "") else float("nan")
                times[(parts[0], int(parts[1]), parts[2])] = (float(parts[4]), engine)
    return times


def run_photo(kind: str, exemplars: dict[Path, np.ndarray], args: argparse.Namespace) -> list[float]:
    """Run and print the table of one photo job (tile, fill or equalize), with the peer's rows where
    ``--peer-dir`` has them; with ``--out``, write the results and one sheet per size. Returns the base RSS figures."""
    print()
    print(TASK_COLUMNS[kind], flush=True)
    bases: list[float] = []
    times = peer_photo_times(args.peer_dir)
    notes: list[str] = []
    for size in args.sizes:
        sheet: list[tuple[str, list[np.ndarray | None]]] = []
        for path, exemplar in exemplars.items():
            name = path.stem
            if kind == "equalize":
                plain = job_input(exemplar, size)
                images: list[np.ndarray | None] = []
                for lit in (True, False):
                    res = run_in_worker(Run(kind, str(path), size, args.quality, args.seed, lit=lit))
                    bases.append(res["base_mb"])
                    m = equalize_figures(res["image"], res["input"], plain)
                    print(equalize_row(name, size, lit, res["wall"], m), flush=True)
                    images += [res["input"], res["image"]]
                    if args.out:
                        tag = "lit" if lit else "plain"
                        write_image(args.out / f"{name}_{size}_equalize_{tag}_in.png", res["input"])
                        write_image(args.out / f"{name}_{size}_equalize_{tag}_out.png", res["image"])
                sheet.append((name, images))
                continue
            run = Run(kind, str(path), size, args.quality, args.seed, border=args.border, hole=args.hole)
            res = run_in_worker(run)
            bases.append(res["base_mb"])
            before, after = res["input"], res["image"]
            hole = centre_hole(*before.shape[:2], args.hole) if kind == "fill" else None
            peer, why = peer_photo(args.peer_dir, name, size, kind, before, hole)
            if why and args.peer_dir:
                notes.append(f"{PEER} {name} {size} {kind}: {why}")
            wall, engine = times.get((name, size, kind), (float("nan"), float("nan")))
            if kind == "tile":
                m_in = tile_figures(before, before, args.border)
                m_mid = tile_figures(before, before, args.border, roll=False)
                print(
                    tile_row(
                        name,
                        size,
                        "gass",
                        res["wall"],
                        float("nan"),
                        res.get("overlaps"),
                        tile_figures(after, before, args.border),
                        m_in,
                        m_mid,
                    ),
                    flush=True,
                )
                if peer is not None:
                    print(
                        tile_row(
                            name, size, PEER, engine, wall, None, tile_figures(peer, before, args.border), m_in, m_mid
                        ),
                        flush=True,
                    )
                sheet.append(
                    (
                        name,
                        [
                            tiled(before),
                            tiled(after),
                            seam_crop(after, SHEET_CELL["tile"]),
                            tiled(peer) if peer is not None else None,
                            seam_crop(peer, SHEET_CELL["tile"]) if peer is not None else None,
                        ],
                    )
                )
                if args.out:
                    write_image(args.out / f"{name}_{size}_tile.png", after)
                    write_image(args.out / f"{name}_{size}_tile_2x2.png", tiled(after))
                    if peer is not None:
                        write_image(args.out / f"{name}_{size}_tile_{PEER}_2x2.png", tiled(peer))
            else:
                assert hole is not None
                side = hole_box(hole)[1] - hole_box(hole)[0]
                m_in = fill_figures(before, before, hole)
                print(
                    fill_row(
                        name,
                        size,
                        side,
                        "gass",
                        res["method"],
                        res["wall"],
                        float("nan"),
                        fill_figures(after, before, hole),
                        m_in,
                    ),
                    flush=True,
                )
                if peer is not None:
                    print(
                        fill_row(name, size, side, PEER, "heal", engine, wall, fill_figures(peer, before, hole), m_in),
                        flush=True,
                    )
                sheet.append(
                    (
                        f"{name} ({res['method']})",
                        [
                            outlined(hole_crop(before, hole), hole_crop_mask(hole)),
                            hole_crop(after, hole),
                            hole_crop(peer, hole) if peer is not None else None,
                        ],
                    )
                )
                if args.out:
                    write_image(args.out / f"{name}_{size}_fill.png", after)
                    if peer is not None:
                        write_image(args.out / f"{name}_{size}_fill_{PEER}.png", peer)
        if args.out and sheet:
            sheet_path = args.out / f"{kind}_{size}_sheet.png"
            grid_sheet(sheet, SHEET_HEADERS[kind], sheet_path, SHEET_CELL[kind])
            print(f"wrote {sheet_path}", flush=True)
    print(TASK_LEGENDS[kind])
    for note in notes:
        print(f"  {note}")
    return bases


#: Columns and cell sides (px) of each photo job's sheet.
SHEET_HEADERS = {
    "tile": [
        "input 2x2",
        "gass 2x2",
        "gass: where 4 tiles meet, 1:1",
        f"{PEER} 2x2",
        f"{PEER}: where 4 tiles meet, 1:1",
    ],
    "fill": ["input, hole outlined (red), 1:1", "gass, 1:1", f"{PEER}, 1:1"],
    "equalize": ["lit input", "lit equalized", "plain input", "plain equalized"],
}
SHEET_CELL = {"tile": 512, "fill": 256, "equalize": 256}


def seam_crop(image: np.ndarray, cell: int) -> np.ndarray:
    """A cell x cell crop, at 1:1, of the image tiled 2 x 2 around the point where the four copies meet."""
    h, w = image.shape[:2]
    big = tiled(image)
    ch, cw = min(cell, 2 * h), min(cell, 2 * w)
    return big[h - ch // 2 : h - ch // 2 + ch, w - cw // 2 : w - cw // 2 + cw]


def _hole_window(hole: np.ndarray) -> tuple[slice, slice]:
    """The hole's bounding box grown by half its side each way (clipped to the image)."""
    top, bottom, left, right = hole_box(hole)
    my, mx = (bottom - top) // 2, (right - left) // 2
    h, w = hole.shape
    return slice(max(0, top - my), min(h, bottom + my)), slice(max(0, left - mx), min(w, right + mx))


def hole_crop(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The image around the hole (:func:`_hole_window`)."""
    return image[_hole_window(hole)]


def hole_crop_mask(hole: np.ndarray) -> np.ndarray:
    """The hole around itself (:func:`_hole_window`)."""
    return hole[_hole_window(hole)]


def outlined(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """An RGB copy of the image with the known pixels next to the hole painted red."""
    rgb = np.repeat(image[:, :, :1], 3, axis=2) if image.shape[2] < 3 else image[:, :, :3].copy()
    grown = hole.copy()
    grown[1:] |= hole[:-1]
    grown[:-1] |= hole[1:]
    grown[:, 1:] |= hole[:, :-1]
    grown[:, :-1] |= hole[:, 1:]
    rgb[grown & ~hole] = (1.0, 0.0, 0.0)
    return rgb


def grid_sheet(rows: list[tuple[str, list[np.ndarray | None]]], headers: list[str], path: Path, cell: int) -> None:
    """Write a sheet: a header line, then per row a label and its images, each in a cell x cell square,
    shrunk to fit when larger (else at 1:1; the cell is no larger than the largest image); a missing image
    (None) leaves its cell blank."""
    from PIL import Image, ImageDraw

    cell = min(cell, max((max(im.shape[:2]) for _, ims in rows for im in ims if im is not None), default=cell))
    label_h, gap = 14, 4
    cols = len(headers)
    sheet = Image.new("RGB", (cols * (cell + gap) - gap, label_h + len(rows) * (cell + label_h)), "white")
    draw = ImageDraw.Draw(sheet)
    for c, header in enumerate(headers):
        draw.text((c * (cell + gap) + 4, 1), header, fill="black")
    for r, (label, images) in enumerate(rows):
        y = label_h + r * (cell + label_h)
        draw.text((4, y + 1), label, fill="black")
        for c, img in enumerate(images):
            x = c * (cell + gap)
            if img is None:
                draw.text((x + 4, y + label_h + 4), "n/a", fill="gray")
                continue
            scale = min(1.0, cell / max(img.shape[:2]))
            sheet.paste(_to_pil(img, scale, cell), (x, y + label_h))
    sheet.save(path)


def write_inputs(folder: Path, exemplars: dict[Path, np.ndarray], sizes: list[int], hole: float) -> None:
    """Write each tile/fill input and fill mask for the peer: ``<stem>_<size>_input.png`` and
    ``<stem>_<size>_mask.png`` (white = the hole) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for path, exemplar in exemplars.items():
        for size in sizes:
            image = job_input(exemplar, size)
            write_image(folder / f"{path.stem}_{size}_input.png", image)
            mask = centre_hole(*image.shape[:2], hole).astype(np.float32)[:, :, None]
            write_image(folder / f"{path.stem}_{size}_mask.png", mask)
            print(f"{folder / f'{path.stem}_{size}_input.png'}")


def parse_jobs(text: str) -> tuple[str, ...]:
    """'tile,fill' -> ('tile', 'fill'); 'all' -> every job."""
    names = tuple(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
    if names == ("all",):
        return JOBS
    unknown = [n for n in names if n not in JOBS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"jobs {text!r}: use a comma-separated list of {', '.join(JOBS)}, or all")
    return names


def tiled(image: np.ndarray, times: int = 2) -> np.ndarray:
    """An image repeated ``times`` x ``times`` (shows seams and repetition)."""
    return np.tile(image, (times, times, 1))


def _to_pil(image: np.ndarray, scale: float, cell: int) -> Any:
    """An image as an 8-bit RGB Pillow image resized by ``scale`` and cropped to ``cell``."""
    from PIL import Image

    a = np.clip(image, 0.0, 1.0)
    a = np.repeat(a, 3, axis=2) if a.shape[2] == 1 else a[:, :, :3]
    pil = Image.fromarray(np.round(a * 255).astype(np.uint8))
    size = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
    # enlarge with NEAREST so single pixels stay visible; shrink with LANCZOS
    pil = pil.resize(size, Image.Resampling.NEAREST if scale > 1 else Image.Resampling.LANCZOS)
    return pil.crop((0, 0, min(cell, pil.width), min(cell, pil.height)))


def contact_sheet(rows: list[tuple[str, np.ndarray, np.ndarray]], path: Path, cell: int = 256) -> None:
    """Write a sheet with one row per result: exemplar | result | result tiled 2 x 2.

    Within a row the exemplar and the result share one pixel scale (the
    result fills its cell; the exemplar is cropped to its cell), so their
    features can be compared; the 2 x 2 tiles are shown at half that scale.
    """
    from PIL import Image, ImageDraw

    label_h = 14
    sheet = Image.new("RGB", (3 * cell, len(rows) * (cell + label_h)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (label, exemplar, result) in enumerate(rows):
        y = r * (cell + label_h)
        scale = cell / max(result.shape[:2])
        note = f"exemplar and result at {scale:.3g}x, tiles at {scale / 2:.3g}x"
        draw.text((4, y + 1), f"{label}  ({note})", fill="black")
        for c, (img, s) in enumerate(((exemplar, scale), (result, scale), (tiled(result), scale / 2))):
            sheet.paste(_to_pil(img, s, cell), (c * cell, y + label_h))
    sheet.save(path)


def peer_texture(peer_dir: Path, stem: str, size: int, channels: int) -> np.ndarray | None:
    """The peer's ``<stem>_<size>.png`` in ``peer_dir`` with ``channels`` channels, or None when it is missing."""
    path = peer_dir / f"{stem}_{size}.png"
    if not path.is_file():
        return None
    image = read_image(path)
    if image.shape[2] == channels:
        return image
    colour = np.repeat(image[:, :, :1], 3, axis=2) if image.shape[2] < 3 else image[:, :, :3]
    return colour[:, :, :1] if channels == 1 else colour


def peer_times(peer_dir: Path) -> dict[tuple[str, int], float]:
    """Wall seconds per (stem, size) from ``peer_dir``/times.tsv (written by peer_resynth.sh); the last line wins."""
    times: dict[tuple[str, int], float] = {}
    log = peer_dir / "times.tsv"
    if log.is_file():
        for line in log.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                times[(parts[0], int(parts[1]))] = float(parts[2])
    return times


def blind_sheet(
    rows: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], path: Path, key_path: Path, seed: int
) -> None:
    """Write a blind side-by-side sheet and, separately, its key.

    ``rows``: (label, exemplar, GASS result, peer result). Each row of the
    sheet is exemplar | A | B at one pixel scale (the results fill their
    cells, the exemplar is cropped to its cell), labelled with the row number
    and the label only; which of A and B is GASS is drawn per row from
    ``seed`` and written to ``key_path`` alone (row, label, A, B).
    """
    from PIL import Image, ImageDraw

    cell = max(max(gass.shape[:2]) for _, _, gass, _ in rows)
    label_h, gap = 14, 4
    sheet = Image.new("RGB", (3 * cell + 2 * gap, len(rows) * (cell + label_h)), "white")
    draw = ImageDraw.Draw(sheet)
    swap = np.random.default_rng(seed).integers(0, 2, size=len(rows)).astype(bool)
    key = ["row\tlabel\tA\tB"]
    for r, ((label, exemplar, gass, peer), swapped) in enumerate(zip(rows, swap), start=1):
        y = (r - 1) * (cell + label_h)
        a, b = (peer, gass) if swapped else (gass, peer)
        draw.text((4, y + 1), f"{r}. {label}: exemplar | A | B", fill="black")
        for c, image in enumerate((exemplar, a, b)):
            sheet.paste(_to_pil(image, cell / max(gass.shape[:2]), cell), (c * (cell + gap), y + label_h))
        names = (PEER, "gass") if swapped else ("gass", PEER)
        key.append(f"{r}\t{label}\t{names[0]}\t{names[1]}")
    sheet.save(path)
    key_path.write_text("\n".join(key) + "\n", encoding="utf-8")


COLUMNS = (
    f"{'exemplar':<20} {'size':>5} {'optimizer':<9} {'evals':>6} {'loss':>9} {'time s':>7} {'1st s':>6} "
    f"{'lag':>5} {'peak MB':>8} | {'coh':>5} {'(noise)':>7} | {'dist':>5} {'(noise)':>7} {'norm':>6} | "
    f"{'verb%':>6} {'(exem)':>6} | {'seam':>5} {'(exem)':>6} | {'dmean':>6} {'dstd':>6} | "
    f"{'sharp':>5} {'(exem)':>6} | {'order':>5} {'(exem)':>6} | {'copy%':>6} {'(exem)':>6} {'rep':>3} | {'eval s':>6}"
)


def measure(image: np.ndarray, exemplar: np.ndarray) -> tuple[dict[str, float], str | None, float]:
    """:func:`core.metrics.evaluate` of an image, why it could not be measured (or None), and the seconds it took.

    An image the metrics refuse (a :class:`core.GassError`: too small, mismatched channels) gets
    nan for every figure, printed as n/a.
    """
    start = time.perf_counter()
    try:
        metrics, error = evaluate(image, exemplar, rng=0), None
    except GassError as err:
        metrics, error = defaultdict(lambda: float("nan")), str(err)
    return metrics, error, time.perf_counter() - start


def metric_cells(m: dict[str, float], eval_s: float) -> str:
    """The quality columns of a row (after the peak memory), n/a where a figure is nan."""
    return (
        f"{_num(m['coherence'], '>5.2f')} {_num(m['coherence_noise'], '>7.2f')} | "
        f"{_num(m['patch_distance'], '>5.2f')} {_num(m['patch_distance_noise'], '>7.2f')} "
        f"{_num(m['normalized_distance'], '>6.2f')} | "
        f"{_num(100 * m['verbatim_fraction'], '>6.1f')} {_num(100 * m['verbatim_exemplar'], '>6.1f')} | "
        f"{_num(m['seam'], '>5.2f')} {_num(m['seam_exemplar'], '>6.2f')} | "
        f"{_num(m['mean_error'], '>6.3f')} {_num(m['std_error'], '>6.3f')} | "
        f"{_num(m['sharpness'], '>5.2f')} {_num(m['sharpness_exemplar'], '>6.2f')} | "
        f"{_num(m['lattice_order'], '>5.2f')} {_num(m['lattice_order_exemplar'], '>6.2f')} | "
        f"{_num(100 * m['repetition_largest'], '>6.1f')} {_num(100 * m['repetition_largest_exemplar'], '>6.1f')} "
        f"{_num(m['repetition_repeats'], '>3.0f')} | {eval_s:>6.1f}"
    )


def row(name: str, size: int, optimizer: str, res: dict[str, Any], m: dict[str, float], eval_s: float) -> str:
    return (
        f"{name[:20]:<20} {size:>5} {optimizer:<9} {res['evaluations']:>6} {res['loss']:>9.3g} "
        f"{res['wall']:>7.1f} {res['first']:>6.2f} {res['lag']:>5.2f} {res['peak_mb']:>8.0f} | "
        f"{metric_cells(m, eval_s)}"
    )


def peer_row(name: str, size: int, wall: float, m: dict[str, float], eval_s: float) -> str:
    """A row of the peer's texture: its wall time (GIMP start-up included) if recorded, its metrics."""
    return (
        f"{name[:20]:<20} {size:>5} {PEER:<9} {'n/a':>6} {'n/a':>9} {_num(wall, '>7.1f')} "
        f"{'n/a':>6} {'n/a':>5} {'n/a':>8} | "
        f"{metric_cells(m, eval_s)}"
    )


LEGEND = """\
columns: evals = gradient evaluations; loss = mean style loss of the last 10 iterations (comparable
between optimizers of one row group only); time = wall time of the synthesis; 1st = time to the first
preview; lag = how far the progress bar strays from the elapsed share of the time (largest |fraction - t /
time| over the steps); peak MB = peak RSS of the worker process (VmHWM; ru_maxrss without /proc), including the
interpreter, NumPy and exemplar (base, printed below); coh = coherence (1 = exemplar, noise baseline
beside it); dist = patch distance (1 = exemplar, noise beside it); norm = normalized distance
(0 = exemplar, 1 = noise); verb% = verbatim-copied area (exem = exemplar top half vs bottom half);
seam = seam score (~1 = none; exem = the exemplar tiled as is); dmean/dstd = largest per-channel
mean/std error; sharp = sharpness, 90th percentile of the luminance gradient over the exemplar's (1 = as
sharp; exem = exemplar bottom half vs top half); order = lattice order at the exemplar's autocorrelation
peaks (1 = lattice kept, n/a = the exemplar has no lattice; exem = the exemplar's halves); copy% =
largest region copied from one exemplar offset, % of the exemplar's area (exem = bottom half vs top
half); rep = repeats of exemplar regions larger than 1/16 of it; eval s = metrics time. n/a = not
measurable. See core/metrics.py for what each figure can and cannot see."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Speed, memory and quality of core.synthesize on exemplar images.")
    parser.add_argument("--exemplars", nargs="+", metavar="PNG", help="exemplar files (default: tests/data/*.png)")
    parser.add_argument(
        "--sizes", nargs="+", type=int, default=list(DEFAULT_SIZES), help="output sides (default 256 512 1024 2048)"
    )
    parser.add_argument("--quality", choices=QUALITIES, default="standard", help="preset (default standard)")
    parser.add_argument(
        "--optimizers",
        nargs="+",
        choices=OPTIMIZERS,
        help="compare optimizers at the evaluation budget of the first one (default: the preset's only)",
    )
    parser.add_argument("--seed", type=int, default=0, help="synthesis seed (default 0)")
    parser.add_argument("--out", type=Path, help="folder for result PNGs, 2x2 tiles and contact_sheet.png")
    parser.add_argument("--quick", action="store_true", help="smoke run: one exemplar, 128 px, draft")
    parser.add_argument(
        "--jobs",
        type=parse_jobs,
        default=("new",),
        metavar="JOB[,JOB...]",
        help="comma-separated jobs to measure, each with its own table: new (new textures), tile "
        "(make tileable a crop), fill (a centred hole), equalize (a crop with added lighting, and without), "
        "pbr (joint colour/normal/height maps); 'all' for every job (default: new)",
    )
    parser.add_argument(
        "--peer-dir",
        type=Path,
        metavar="DIR",
        help="GIMP Resynthesizer's results on the same exemplars: new textures DIR/<stem>_<size>.png made by "
        "benchmarks/peer_resynth.sh (a metrics row each, and with --out a blind sheet against GASS); tile and "
        "fill results DIR/<stem>_<size>_tile.png, _fill.png made by benchmarks/peer_photo.sh (a row each)",
    )
    parser.add_argument(
        "--blind-seed",
        type=int,
        default=0,
        help="seed of the sides (A or B) of GASS and the peer on the blind sheet (default 0)",
    )
    parser.add_argument(
        "--hole",
        type=float,
        default=DEFAULT_HOLE,
        help=f"side of the fill job's centred square hole: a fraction of the image side below 1, else pixels "
        f"(default {DEFAULT_HOLE}; 128 at --sizes 1024 is the issue's 128 px hole in a 1024 px image)",
    )
    parser.add_argument(
        "--write-inputs",
        type=Path,
        metavar="DIR",
        help="only write the tile/fill inputs and fill masks (<stem>_<size>_input.png, _mask.png) to DIR "
        "for the peer and exit (benchmarks/peer_photo.sh calls this)",
    )
    parser.add_argument(
        "--border",
        type=float,
        default=DEFAULT_BORDER,
        help=f"band width of the tile job, fraction of each side (default {DEFAULT_BORDER})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.quick:
        args.exemplars = args.exemplars[:1] if args.exemplars else [str(DATA / "gravel_gray.png")]
        args.sizes = [128]
        args.quality = "draft"
    paths = [Path(p) for p in args.exemplars] if args.exemplars else sorted(DATA.glob("*.png"))
    if not paths:
        print(f"bench: no exemplars found in {DATA}", file=sys.stderr)
        return 2
    try:
        exemplars = {path: read_image(path) for path in paths}
    except GassError as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 2
    if not 0 < args.hole < min(args.sizes):
        print(
            f"bench: error: --hole {args.hole:g}: give a fraction in (0, 1) or pixels below the sizes", file=sys.stderr
        )
        return 2
    if args.write_inputs:
        write_inputs(args.write_inputs, exemplars, args.sizes, args.hole)
        return 0
    optimizers = args.optimizers or [SynthesisConfig.preset(args.quality).optimizer]
    if args.peer_dir is not None and not args.peer_dir.is_dir():
        print(
            f"bench: error: --peer-dir {args.peer_dir} is not a folder (make it with peer_resynth.sh)", file=sys.stderr
        )
        return 2
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"jobs {','.join(args.jobs)}, quality {args.quality}, seed {args.seed}, sizes {args.sizes}, "
        f"optimizers {optimizers}"
    )
    sheet: list[tuple[str, np.ndarray, np.ndarray]] = []
    bases: list[float] = []
    if "new" in args.jobs:
        synth_bases, synth_sheet = run_synth(exemplars, optimizers, args)
        bases += synth_bases
        sheet += synth_sheet
    for kind in args.jobs:
        if kind == "pbr":
            task_bases, task_sheet = run_pbr(exemplars, args)
            bases += task_bases
            sheet += task_sheet
        elif kind != "new":
            bases += run_photo(kind, exemplars, args)
    print(f"base RSS of a worker before synthesis (interpreter, NumPy, exemplar): {min(bases):.0f}-{max(bases):.0f} MB")
    if args.out and sheet:
        contact_sheet(sheet, args.out / "contact_sheet.png")
        print(f"wrote {len(sheet)} results, their 2x2 tiles and contact_sheet.png to {args.out}")
    return 0


def run_synth(
    exemplars: dict[Path, np.ndarray], optimizers: list[str], args: argparse.Namespace
) -> tuple[list[float], list[tuple[str, np.ndarray, np.ndarray]]]:
    """Run and print the table of new-texture syntheses; returns the base RSS figures and sheet rows."""
    if len(optimizers) > 1:
        print(
            f"optimizer comparison at a fixed budget: the gradient evaluations of {optimizers[0]}; an optimizer "
            "that misses it by more than 5 % is run again with its iterations scaled to fit"
        )
    print(TARGETS)
    print(COLUMNS, flush=True)
    sheet: list[tuple[str, np.ndarray, np.ndarray]] = []
    blind: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    bases = []
    times = peer_times(args.peer_dir) if args.peer_dir else {}
    for path, exemplar in exemplars.items():
        for size in args.sizes:
            budget = None
            for optimizer in optimizers:
                res = run_at_budget(Run("new", str(path), size, args.quality, args.seed, optimizer), budget)
                if budget is None and len(optimizers) > 1:
                    budget = res["evaluations"]
                bases.append(res["base_mb"])
                metrics, error, eval_s = measure(res["image"], exemplar)
                print(row(path.stem, size, optimizer, res, metrics, eval_s), flush=True)
                if error:
                    print(f"  n/a: {error}", flush=True)
                if args.out:
                    stem = f"{path.stem}_{size}_{optimizer}"
                    write_image(args.out / f"{stem}.png", res["image"])
                    write_image(args.out / f"{stem}_tiled.png", tiled(res["image"]))
                    sheet.append((f"{stem}  {res['wall']:.1f}s", exemplar, res["image"]))
                peer = peer_texture(args.peer_dir, path.stem, size, res["image"].shape[2]) if args.peer_dir else None
                if peer is not None and optimizer == optimizers[0]:
                    peer_metrics, peer_error, peer_s = measure(peer, exemplar)
                    wall = times.get((path.stem, size), float("nan"))
                    print(peer_row(path.stem, size, wall, peer_metrics, peer_s), flush=True)
                    if peer_error:
                        print(f"  n/a: {peer_error}", flush=True)
                    blind.append((f"{path.stem} {size} px", exemplar, res["image"], peer))
    print(LEGEND)
    if args.peer_dir:
        print(f"{PEER}: GIMP Resynthesizer's texture from {args.peer_dir} (time: peer_resynth.sh's wall time).")
    if args.out and blind:
        blind_sheet(blind, args.out / "blind_sheet.png", args.out / "blind_key.txt", args.blind_seed)
        print(f"wrote blind_sheet.png ({len(blind)} rows, sides by --blind-seed {args.blind_seed}) to {args.out};")
        print("its key is in blind_key.txt: judge the sheet before opening it")
    return bases, sheet


if __name__ == "__main__":
    sys.exit(main())
