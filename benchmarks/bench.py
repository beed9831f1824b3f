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

Examples::

    python benchmarks/bench.py --quick
    python benchmarks/bench.py --sizes 256 512 --exemplars tests/data/gravel_gray.png --out out/bench
    python benchmarks/bench.py --sizes 256 --optimizers adam cg lbfgs gradient
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import OPTIMIZERS, QUALITIES, GassError, SynthesisConfig, Synthesizer  # noqa: E402
from core.imageio import read_image, write_image  # noqa: E402
from core.metrics import evaluate  # noqa: E402

DATA = ROOT / "tests" / "data"
DEFAULT_SIZES = (256, 512, 1024, 2048)
TARGETS = (
    "targets (DESIGN.md): 1024 px <= 30 s, 2048 px <= 120 s, first preview <= 2 s, "
    "peak < 1.5 GB at 2048 px, cost linear in pixels; normalized distance near 0, verbatim < 5 %, seam ~1"
)


@dataclasses.dataclass(frozen=True)
class Job:
    """One synthesis to run in a worker."""

    exemplar: str
    size: int
    quality: str
    optimizer: str
    seed: int
    iteration_scale: float = 1.0


def _config(job: Job) -> SynthesisConfig:
    base = SynthesisConfig.preset(job.quality, width=job.size, height=job.size, optimizer=job.optimizer)
    if job.iteration_scale == 1.0:
        return base
    return dataclasses.replace(
        base,
        iterations_coarse=max(1, round(base.iterations_coarse * job.iteration_scale)),
        iterations_fine=max(1, round(base.iterations_fine * job.iteration_scale)),
    )


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


def run_job(job: Job) -> dict[str, Any]:
    """Run one synthesis (in a worker process) and return its result and figures."""
    exemplar = read_image(job.exemplar)
    base_mb = _peak_rss_mb()
    start = time.perf_counter()
    synth = Synthesizer([exemplar], config=_config(job), seed=job.seed)
    first = None
    for progress in synth.steps():
        if first is None:
            progress.preview()
            first = time.perf_counter() - start
    wall = time.perf_counter() - start
    return {
        "image": synth.result,
        "wall": wall,
        "first": first if first is not None else wall,
        "peak_mb": _peak_rss_mb(),
        "base_mb": base_mb,
        "evaluations": synth.evaluations,
        "iterations": len(synth.history),
        "loss": float(np.mean(synth.history[-10:])) if synth.history else float("nan"),
    }


def run_in_worker(job: Job) -> dict[str, Any]:
    """:func:`run_job` in a fresh spawned process, so peak memory is this job's alone."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_job, (job,))


def run_at_budget(job: Job, budget: int | None) -> dict[str, Any]:
    """Run a job; if ``budget`` is set and missed by more than 5 %, rerun with scaled iterations."""
    result = run_in_worker(job)
    if budget is None or abs(result["evaluations"] - budget) <= 0.05 * budget:
        return result
    scaled = dataclasses.replace(job, iteration_scale=budget / max(1, result["evaluations"]))
    return run_in_worker(scaled)


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


COLUMNS = (
    f"{'exemplar':<20} {'size':>5} {'optimizer':<9} {'evals':>6} {'loss':>9} {'time s':>7} {'1st s':>6} "
    f"{'peak MB':>8} | {'coh':>5} {'(noise)':>7} | {'dist':>5} {'(noise)':>7} {'norm':>6} | "
    f"{'verb%':>6} {'(exem)':>6} | {'seam':>5} {'(exem)':>6} | {'dmean':>6} {'dstd':>6} | {'eval s':>6}"
)


def row(name: str, size: int, optimizer: str, res: dict[str, Any], m: dict[str, float], eval_s: float) -> str:
    return (
        f"{name[:20]:<20} {size:>5} {optimizer:<9} {res['evaluations']:>6} {res['loss']:>9.3g} "
        f"{res['wall']:>7.1f} {res['first']:>6.2f} {res['peak_mb']:>8.0f} | "
        f"{m['coherence']:>5.2f} {m['coherence_noise']:>7.2f} | "
        f"{m['patch_distance']:>5.2f} {m['patch_distance_noise']:>7.2f} {m['normalized_distance']:>6.2f} | "
        f"{100 * m['verbatim_fraction']:>6.1f} {100 * m['verbatim_exemplar']:>6.1f} | "
        f"{m['seam']:>5.2f} {m['seam_exemplar']:>6.2f} | {m['mean_error']:>6.3f} {m['std_error']:>6.3f} | "
        f"{eval_s:>6.1f}"
    )


LEGEND = """\
columns: evals = gradient evaluations; loss = mean style loss of the last 10 iterations (comparable
between optimizers of one row group only); time = wall time of the synthesis; 1st = time to the first
preview; peak MB = peak RSS of the worker process (VmHWM; ru_maxrss without /proc), including the
interpreter, NumPy and exemplar (base, printed below); coh = coherence (1 = exemplar, noise baseline
beside it); dist = patch distance (1 = exemplar, noise beside it); norm = normalized distance
(0 = exemplar, 1 = noise); verb% = verbatim-copied area (exem = exemplar top half vs bottom half);
seam = seam score (~1 = none; exem = the exemplar tiled as is); dmean/dstd = largest per-channel
mean/std error; eval s = metrics time. See core/metrics.py for what each figure can and cannot see."""


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
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    print(f"quality {args.quality}, seed {args.seed}, sizes {args.sizes}, optimizers {optimizers}")
    if len(optimizers) > 1:
        print(
            f"optimizer comparison at a fixed budget: the gradient evaluations of {optimizers[0]}; an optimizer "
            "that misses it by more than 5 % is run again with its iterations scaled to fit"
        )
    print(TARGETS)
    print(COLUMNS, flush=True)
    sheet: list[tuple[str, np.ndarray, np.ndarray]] = []
    bases = []
    for path, exemplar in exemplars.items():
        for size in args.sizes:
            budget = None
            for optimizer in optimizers:
                job = Job(str(path), size, args.quality, optimizer, args.seed)
                res = run_at_budget(job, budget)
                if budget is None and len(optimizers) > 1:
                    budget = res["evaluations"]
                bases.append(res["base_mb"])
                start = time.perf_counter()
                metrics = evaluate(res["image"], exemplar, rng=0)
                eval_s = time.perf_counter() - start
                print(row(path.stem, size, optimizer, res, metrics, eval_s), flush=True)
                if args.out:
                    stem = f"{path.stem}_{size}_{optimizer}"
                    write_image(args.out / f"{stem}.png", res["image"])
                    write_image(args.out / f"{stem}_tiled.png", tiled(res["image"]))
                    sheet.append((f"{stem}  {res['wall']:.1f}s", exemplar, res["image"]))
    print(LEGEND)
    print(f"base RSS of a worker before synthesis (interpreter, NumPy, exemplar): {min(bases):.0f}-{max(bases):.0f} MB")
    if args.out and sheet:
        contact_sheet(sheet, args.out / "contact_sheet.png")
        print(f"wrote {len(sheet)} results, their 2x2 tiles and contact_sheet.png to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
