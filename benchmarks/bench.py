"""Speed, memory and quality of :func:`core.synthesize` on the bundled exemplars.

For each exemplar and output size (and optimizer), one synthesis runs in a
fresh worker process (multiprocessing "spawn"), which reports its wall time,
the time to the first preview (from building the :class:`core.Synthesizer`
to the first :class:`core.Progress` and its preview image) and its peak
memory: the worker's peak resident set size (``VmHWM`` on Linux,
``ru_maxrss`` elsewhere), which includes the interpreter, NumPy and the
exemplar (the "base" figure printed with the table). The parent then
measures the result with :func:`core.metrics.evaluate` and prints one row
per synthesis. Nothing is asserted: the figures are for people.

``--jobs`` adds the other jobs of the engine, each with its own table (the
input is a centre crop of each exemplar at each size, or the exemplar
resized when it is smaller):

* tile (:func:`core.synth.make_tileable`): seam score before and after, the
  largest change outside the band (must be 0) and the normalized patch
  distance of the band across the seam;
* fill (:func:`core.synth.fill`): a centred hole of 1/4 of each side; the
  largest change of the known pixels (must be 0) and the normalized patch
  distance of the area around the hole, beside the same for a naive fill
  (the known mean colour) and for the untouched image;
* pbr (:func:`core.synth.synthesize_maps`): a set made from the exemplar
  (colour; height = its smoothed luminance; normal = the height's normals)
  synthesized jointly; how well the output normal matches the normals of the
  output height (beside a 4 px misaligned baseline), the largest deviation
  of a normal from unit length and the colour's normalized distance.

Examples::

    python benchmarks/bench.py --quick
    python benchmarks/bench.py --sizes 256 512 --exemplars tests/data/gravel_gray.png --out out/bench
    python benchmarks/bench.py --sizes 256 --optimizers adam cg lbfgs gradient
    python benchmarks/bench.py --jobs tile,fill,pbr --sizes 256 --quality draft
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
from core.imageio import read_image, write_image  # noqa: E402
from core.job import JOB_KINDS, Job, JobSettings  # noqa: E402
from core.maps import LUMA, MapSet, decode_normal, normal_angle_error, normals_from_height, smooth  # noqa: E402
from core.metrics import evaluate, normalized_patch_distance, seam_score  # noqa: E402
from core.resample import resize  # noqa: E402

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


@dataclasses.dataclass(frozen=True)
class Run:
    """One benchmark run, done in a worker process: a core job on one exemplar at one size.

    ``kind`` is a core job kind: "new" on the exemplar, "tile" and "fill" on
    a size x size crop of it (fill: a centred hole), "pbr" on a set made from
    it (:func:`pbr_set`). ``iteration_scale`` scales the preset's iterations
    (the optimizer comparison's equal budget).
    """

    kind: str
    exemplar: str
    size: int
    quality: str
    seed: int
    optimizer: str | None = None
    border: float = DEFAULT_BORDER
    iteration_scale: float = 1.0


def job_of(run: Run) -> tuple[Job, np.ndarray | None]:
    """The core :class:`~core.job.Job` of a run, and the image a tile or fill run changes (else None)."""
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
    if run.kind in ("tile", "fill"):
        image = job_input(exemplar, run.size)
        mask = centre_hole(*image.shape[:2]).astype(np.float32) if run.kind == "fill" else None
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


def run_one(run: Run) -> dict[str, Any]:
    """Do one run (in a worker process); return its result and figures."""
    job, image = job_of(run)
    base_mb = _peak_rss_mb()
    start = time.perf_counter()
    synth = job.task()
    first = None
    for progress in synth.steps():
        if first is None:
            progress.preview()
            first = time.perf_counter() - start
    wall = time.perf_counter() - start
    outputs = synth.results()
    return {
        "input": image,
        "image": synth.result,
        "maps": outputs if run.kind == "pbr" else None,
        "wall": wall,
        "first": first if first is not None else wall,
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
    """A size x size centre crop of the exemplar (resized to size when smaller): the input of tile and fill."""
    h, w = exemplar.shape[:2]
    if min(h, w) < size:
        return resize(exemplar, size, size, periodic=False)
    y, x = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(exemplar[y : y + size, x : x + size])


def centre_hole(height: int, width: int) -> np.ndarray:
    """(H, W) bool, True in a centred rectangle of a quarter of each side: the fill job's hole."""
    hole = np.zeros((height, width), dtype=bool)
    hole[height * 3 // 8 : height * 5 // 8, width * 3 // 8 : width * 5 // 8] = True
    return hole


def band_mask(height: int, width: int, border: float) -> np.ndarray:
    """(H, W) bool, True in make-tileable's band: ceil(border x side) at each edge."""
    by, bx = max(1, int(np.ceil(border * height))), max(1, int(np.ceil(border * width)))
    band = np.ones((height, width), dtype=bool)
    band[by : height - by, bx : width - bx] = False
    return band


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


def tile_metrics(res: dict[str, Any], exemplar: np.ndarray, border: float) -> dict[str, float]:
    """Seam before/after, change outside the band, and distance of the band across the seam."""
    before, after = res["input"], res["image"]
    h, w = after.shape[:2]
    band = band_mask(h, w, border)
    # The band across each seam, as a strip through the middle of the image rolled by half:
    # rows (or columns) within max(band, 24) of the seam, so the strip is at least 48 px.
    by, bx = max(24, int(np.ceil(border * h))), max(24, int(np.ceil(border * w)))
    rolled = np.roll(after, (h // 2, w // 2), axis=(0, 1))
    rolled_in = np.roll(before, (h // 2, w // 2), axis=(0, 1))

    def strips(img: np.ndarray) -> float:
        rows = img[max(0, h // 2 - by) : h // 2 + by]
        cols = img[:, max(0, w // 2 - bx) : w // 2 + bx]
        return float(np.mean([_distance(rows, exemplar), _distance(cols, exemplar)]))

    ty, tx = int(np.ceil(border * h)), int(np.ceil(border * w))
    return {
        "seam_before": seam_score(before),
        "seam_after": seam_score(after),
        "edge": edge_ratio(after, ty, h - ty, tx, w - tx),
        "edge_input": edge_ratio(before, ty, h - ty, tx, w - tx),
        "interior_change": float(np.abs(after[~band] - before[~band]).max()),
        "band_distance": strips(rolled),
        "input_distance": strips(rolled_in),
    }


def fill_metrics(res: dict[str, Any], exemplar: np.ndarray) -> dict[str, float]:
    """Change of the known pixels, and distance around the hole for the fill, a naive fill and the original."""
    before, after = res["input"], res["image"]
    h, w = after.shape[:2]
    hole = centre_hole(h, w)
    naive = before.copy()
    naive[hole] = before[~hole].mean(axis=0)
    # The hole and a margin of 1/8 of each side around it.
    area = (slice(h // 4, h - h // 4), slice(w // 4, w - w // 4))
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    outline = (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1)
    return {
        "known_change": float(np.abs(after[~hole] - before[~hole]).max()),
        "edge": edge_ratio(after, *outline),
        "edge_input": edge_ratio(before, *outline),
        "fill_distance": _distance(after[area], exemplar),
        "naive_distance": _distance(naive[area], exemplar),
        "original_distance": _distance(before[area], exemplar),
    }


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
    "tile": (
        f"{'exemplar':<20} {'size':>5} {'border':>6} {'time s':>7} {'1st s':>6} {'peak MB':>8} | "
        f"{'seam in':>7} {'out':>5} | {'edge':>5} {'(input)':>7} | {'interior':>8} | {'band':>5} {'(input)':>7}"
    ),
    "fill": (
        f"{'exemplar':<20} {'size':>5} {'hole':>7} {'time s':>7} {'1st s':>6} {'peak MB':>8} | "
        f"{'known':>6} | {'edge':>5} {'(input)':>7} | {'fill':>5} {'(naive)':>7} {'(orig)':>6}"
    ),
    "pbr": (
        f"{'exemplar':<20} {'size':>5} {'time s':>7} {'1st s':>6} {'peak MB':>8} | "
        f"{'angle':>6} {f'({PBR_SHIFT}px)':>6} | {'|n|-1':>8} {'min z':>6} | {'colour':>6} {'height':>6}"
    ),
}

TASK_LEGENDS = {
    "tile": """\
tile: make_tileable of a centre crop. seam in/out = seam score of the input and the output (~1 = none);
edge = how visible the band's inner outline is (the step across it / the mean step between neighbours,
~1 = invisible; input = the same lines of the input); interior = largest change outside the band (must
be 0); band = normalized patch distance (0 = exemplar, 1 = noise) of the band across both seams (strips
of at least 48 px through the seams of the output rolled by half); input = the same strips of the input
(its own texture with its seam).""",
    "fill": """\
fill: a centred hole of 1/4 of each side. known = largest change of the known pixels (must be 0);
edge = how visible the hole's outline is (the step across it / the mean step between neighbours,
~1 = invisible; input = the same lines of the untouched image); fill = normalized patch distance
(0 = exemplar, 1 = noise) of the hole and a 1/8 margin around it; naive = the same with the hole set to
the known mean colour; orig = the same area of the untouched image.""",
    "pbr": f"""\
pbr: colour = exemplar, height = its smoothed luminance, normal = normals_from_height(height, {PBR_STRENGTH:g}).
angle = mean angle (degrees) between the output normal and the normals of the output height;
({PBR_SHIFT}px) = the same with the height shifted by {PBR_SHIFT} px (a misaligned baseline); |n|-1 = largest
deviation of an output normal from unit length; min z = smallest z (must be >= 0); colour, height =
normalized patch distance of those maps (0 = exemplar, 1 = noise).""",
}


def task_row(job: Run, res: dict[str, Any], m: dict[str, float]) -> str:
    """One table row of a tile, fill or pbr job."""
    name = Path(job.exemplar).stem[:20]
    timing = f"{res['wall']:>7.1f} {res['first']:>6.2f} {res['peak_mb']:>8.0f}"
    if job.kind == "tile":
        return (
            f"{name:<20} {job.size:>5} {job.border:>6.2f} {timing} | "
            f"{m['seam_before']:>7.2f} {m['seam_after']:>5.2f} | {m['edge']:>5.2f} {m['edge_input']:>7.2f} | "
            f"{m['interior_change']:>8.2g} | "
            f"{_num(m['band_distance'], '>5.2f')} {_num(m['input_distance'], '>7.2f')}"
        )
    if job.kind == "fill":
        side = job.size * 5 // 8 - job.size * 3 // 8
        return (
            f"{name:<20} {job.size:>5} {f'{side}x{side}':>7} {timing} | {m['known_change']:>6.2g} | "
            f"{m['edge']:>5.2f} {m['edge_input']:>7.2f} | {_num(m['fill_distance'], '>5.2f')} "
            f"{_num(m['naive_distance'], '>7.2f')} {_num(m['original_distance'], '>6.2f')}"
        )
    return (
        f"{name:<20} {job.size:>5} {timing} | {m['angle']:>6.2f} {m['angle_shifted']:>6.2f} | "
        f"{m['unit_error']:>8.1e} {m['min_z']:>6.3f} | "
        f"{_num(m['colour_distance'], '>6.2f')} {_num(m['height_distance'], '>6.2f')}"
    )


def run_tasks(
    kind: str, exemplars: dict[Path, np.ndarray], args: argparse.Namespace
) -> tuple[list[float], list[tuple[str, np.ndarray, np.ndarray]]]:
    """Run and print one table of tile, fill or pbr jobs; returns the base RSS figures and sheet rows."""
    print()
    print(TASK_COLUMNS[kind], flush=True)
    bases = []
    sheet = []
    for path, exemplar in exemplars.items():
        for size in args.sizes:
            job = Run(kind, str(path), size, args.quality, args.seed, border=args.border)
            res = run_in_worker(job)
            bases.append(res["base_mb"])
            if kind == "tile":
                m = tile_metrics(res, exemplar, args.border)
            elif kind == "fill":
                m = fill_metrics(res, exemplar)
            else:
                m = pbr_metrics(res, exemplar)
            print(task_row(job, res, m), flush=True)
            if args.out:
                stem = f"{path.stem}_{size}_{kind}"
                if kind == "pbr":
                    for map_kind, image in res["maps"].items():
                        write_image(args.out / f"{stem}_{map_kind}.png", image)
                    sheet.append((f"{stem} colour  {res['wall']:.1f}s", exemplar, res["maps"]["color"]))
                else:
                    write_image(args.out / f"{stem}.png", res["image"])
                    write_image(args.out / f"{stem}_tiled.png", tiled(res["image"]))
                    sheet.append((f"{stem}  {res['wall']:.1f}s", res["input"], res["image"]))
    print(TASK_LEGENDS[kind])
    return bases, sheet


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
    f"{'peak MB':>8} | {'coh':>5} {'(noise)':>7} | {'dist':>5} {'(noise)':>7} {'norm':>6} | "
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
        f"{res['wall']:>7.1f} {res['first']:>6.2f} {res['peak_mb']:>8.0f} | {metric_cells(m, eval_s)}"
    )


def peer_row(name: str, size: int, wall: float, m: dict[str, float], eval_s: float) -> str:
    """A row of the peer's texture: its wall time (GIMP start-up included) if recorded, its metrics."""
    return (
        f"{name[:20]:<20} {size:>5} {PEER:<9} {'n/a':>6} {'n/a':>9} {_num(wall, '>7.1f')} {'n/a':>6} {'n/a':>8} | "
        f"{metric_cells(m, eval_s)}"
    )


LEGEND = """\
columns: evals = gradient evaluations; loss = mean style loss of the last 10 iterations (comparable
between optimizers of one row group only); time = wall time of the synthesis; 1st = time to the first
preview; peak MB = peak RSS of the worker process (VmHWM; ru_maxrss without /proc), including the
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
        "(make_tileable of a crop), fill (a centred hole), pbr (joint colour/normal/height maps); "
        "'all' for every job (default: new)",
    )
    parser.add_argument(
        "--peer-dir",
        type=Path,
        metavar="DIR",
        help="GIMP Resynthesizer's textures of the same exemplars, DIR/<stem>_<size>.png, made by "
        "benchmarks/peer_resynth.sh: a metrics row each, and with --out a blind sheet against GASS",
    )
    parser.add_argument(
        "--blind-seed",
        type=int,
        default=0,
        help="seed of the sides (A or B) of GASS and the peer on the blind sheet (default 0)",
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
        if kind != "new":
            task_bases, task_sheet = run_tasks(kind, exemplars, args)
            bases += task_bases
            sheet += task_sheet
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
