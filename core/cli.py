"""Command line: ``python -m core [new|pbr|tile|fill] ... -o OUT.png``.

    python -m core EXEMPLAR... -o OUT.png          a new texture from exemplars ("new" is the default)
    python -m core tile IMAGE -o OUT.png           IMAGE made seamless, same size
    python -m core fill IMAGE --mask M -o OUT.png  the white part of M filled in
    python -m core pbr color=C.png,normal=N.png -o OUT_{map}.png
                                                   aligned PBR maps

A thin client of :mod:`core.job`: the arguments become a :class:`~core.job.Job`. Progress goes to stderr; on bad
input it prints one line starting with "gass: error:" and exits with 2
(1 if the synthesis itself fails); Ctrl-C exits with 130 and SIGTERM with
143, saying which outputs, if any, were written. Every output path is checked
before any image is read (:func:`core.imageio.check_output_path`), everything
else before the first iteration; an output is written completely or not at
all, never over an input. The Blender command (``blender -c gass``) reuses
:func:`parse`, :func:`check_outputs` and :func:`job_from_args` with its own image reader.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .config import (
    BORDER_RANGE,
    DEFAULT_BORDER,
    DETAILS,
    MAX_OUTPUT_SIDE,
    MAX_SEED,
    MIN_OUTPUT_SIDE,
    OPTIMIZERS,
    QUALITIES,
    REGULARITIES,
    SynthesisConfig,
    check_seed,
)
from .equalize import DEFAULT_SCALE, SCALE_RANGE
from .errors import GassError, ImageFileError, InvalidConfigError, Terminated
from .exemplars import check_weights
from .job import EQUALIZABLE_JOBS, IMAGE_JOBS, JOB_KINDS, SYNTHESIS_JOBS, TEXTURE_JOBS, Job, JobSettings
from .maps import MAP_KINDS, MapSet

if TYPE_CHECKING:
    from .task import Task

#: The jobs besides plain synthesis, chosen by the first argument.
#: The job kinds named by the first argument; without one, "new".
MODES: tuple[str, ...] = JOB_KINDS

#: Largest --seed (the Blender panel's limit too).

#: Allowed range of --border.

#: Exit codes: bad input, the synthesis failed, Ctrl-C, SIGTERM.
EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 1, 130, 143


def parse_size(text: str) -> tuple[int, int]:
    """'1024' -> (1024, 1024); '1024x512' -> (1024, 512) as (width, height), each 16 to 16384."""
    parts = text.lower().split("x")
    size: tuple[int, int] | None = None
    try:
        if len(parts) == 1:
            size = int(parts[0]), int(parts[0])
        elif len(parts) == 2:
            size = int(parts[0]), int(parts[1])
    except ValueError:
        pass
    if size is None:
        raise argparse.ArgumentTypeError(f"size {text!r} is not WIDTHxHEIGHT or a single number, e.g. 1024x1024")
    for name, side in zip(("width", "height"), size):
        if not MIN_OUTPUT_SIDE <= side <= MAX_OUTPUT_SIDE:
            raise argparse.ArgumentTypeError(f"{name} is {side}; allowed: {MIN_OUTPUT_SIDE} to {MAX_OUTPUT_SIDE}")
    return size


def parse_seed(text: str) -> int:
    """A --seed: a whole number from 0 to :data:`MAX_SEED` (:func:`core.config.check_seed`)."""
    try:
        return check_seed(int(text))
    except InvalidConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed {text!r} is not a whole number") from None


def parse_weight(text: str) -> float:
    """A --weights value: a finite number >= 0."""
    try:
        weight = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"weight {text!r} is not a number") from None
    if not (math.isfinite(weight) and weight >= 0):
        raise argparse.ArgumentTypeError(f"weight is {text}; each must be a finite number >= 0")
    return weight


def ranged(name: str, low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number from ``low`` to ``high``, refused with a message naming ``name``."""

    def parse_number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} {text!r} is not a number") from None
        if not low <= value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"{name} is {text}; allowed: {low:g} to {high:g}")
        return value

    return parse_number


def split_kind(argv: Sequence[str]) -> tuple[str, list[str]]:
    """(the job kind: one of :data:`MODES`, 'new' when none is named; the remaining arguments)."""
    args = list(argv)
    if args and args[0] in MODES:
        return args[0], args[1:]
    return "new", args


def parse_map_set(text: str) -> dict[str, str]:
    """'color=a.png,normal=b.png' -> {'color': 'a.png', 'normal': 'b.png'}."""
    maps: dict[str, str] = {}
    for item in text.split(","):
        kind, sep, path = item.partition("=")
        kind = kind.strip().lower()
        if not sep or not path:
            raise argparse.ArgumentTypeError(f"{item!r} is not KIND=FILE (e.g. color=stone.png,normal=stone_n.png)")
        if kind not in MAP_KINDS:
            raise argparse.ArgumentTypeError(f"map kind {kind!r} is unknown; allowed: {', '.join(MAP_KINDS)}")
        if kind in maps:
            raise argparse.ArgumentTypeError(f"map kind {kind!r} is given twice in {text!r}")
        maps[kind] = path
    return maps


def build_parser(prog: str = "python -m core", kind: str = "new") -> argparse.ArgumentParser:
    """The argument parser of one job, shared by ``python -m core`` and ``blender -c gass``."""
    if kind == "tile":
        parser = argparse.ArgumentParser(
            prog=f"{prog} tile",
            description="Make an image tile seamlessly, in about a second: it is cut against a shifted copy of "
            "itself where the two agree best (on a grid of tiles or bricks, a whole number of its periods), so "
            "every pixel stays the image's own; the tile, a little smaller, is resampled to the image's size.",
        )
        parser.add_argument("image", metavar="IMAGE", help="the image to make tileable")
        parser.add_argument(
            "--border",
            type=ranged("border", *BORDER_RANGE),
            default=DEFAULT_BORDER,
            metavar="F",
            help="about how much of each side the cut may take, as a fraction "
            f"({BORDER_RANGE[0]}-{BORDER_RANGE[1]}, default {DEFAULT_BORDER}; 0.5 to 2 times it is searched)",
        )
    elif kind == "equalize":
        parser = argparse.ArgumentParser(
            prog=f"{prog} equalize",
            description="Take large-scale lighting (a brighter corner, a vignette, a colour cast) out of a photo; "
            "its texture and mean colour stay.",
        )
        parser.add_argument("image", metavar="IMAGE", help="the photo to equalize")
        parser.add_argument(
            "--scale",
            type=ranged("scale", *SCALE_RANGE),
            default=DEFAULT_SCALE,
            metavar="S",
            help="variation slower than S x the short side is lighting "
            f"({SCALE_RANGE[0]}-{SCALE_RANGE[1]}, default {DEFAULT_SCALE})",
        )
    elif kind == "fill":
        parser = argparse.ArgumentParser(
            prog=f"{prog} fill",
            description="Fill a masked region of an image with texture continuing its surroundings; "
            "every other pixel stays exactly as it is.",
        )
        parser.add_argument("image", metavar="IMAGE", help="the image with a region to fill")
        parser.add_argument(
            "--mask", metavar="MASK", help="same-size image, white = fill (default: the image's transparent pixels)"
        )
    elif kind == "pbr":
        parser = argparse.ArgumentParser(
            prog=f"{prog} pbr",
            description="Synthesize aligned PBR maps (colour, normal, height, roughness, metallic, ao) together.",
        )
        parser.add_argument(
            "sets",
            nargs="+",
            type=parse_map_set,
            metavar="KIND=FILE[,KIND=FILE...]",
            help=f"one material's maps per argument; kinds: {', '.join(MAP_KINDS)}",
        )
    elif kind == "new":
        parser = argparse.ArgumentParser(
            prog=prog,
            description="Synthesize a new seamless texture from one or more exemplar images.",
            epilog=f"Other jobs: {prog} tile --help, {prog} fill --help, {prog} pbr --help, {prog} equalize --help",
        )
        parser.add_argument("exemplars", nargs="+", metavar="EXEMPLAR", help="exemplar image file(s)")
    else:
        raise ValueError(f"unknown kind {kind!r}")
    output_help = "output image file (.png, .jpg, .tif)"
    if kind == "pbr":
        output_help = "output file name with {map} in it, e.g. out/stone_{map}.png"
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help=output_help)
    if kind in TEXTURE_JOBS:
        parser.add_argument("--weights", nargs="+", type=parse_weight, metavar="W", help="one weight >= 0 per exemplar")
        default = (SynthesisConfig.width, SynthesisConfig.height)
        parser.add_argument(
            "--size", type=parse_size, default=default, help="WIDTHxHEIGHT (default {}x{})".format(*default)
        )
    if kind in SYNTHESIS_JOBS:
        parser.add_argument("--seed", type=parse_seed, default=0, help=f"random seed, 0 to {MAX_SEED} (default 0)")
        parser.add_argument("--quality", choices=QUALITIES, default="standard", help="preset (default standard)")
        parser.add_argument("--optimizer", choices=OPTIMIZERS, help="override the preset's optimizer")
    parser.add_argument(
        "--bits",
        type=int,
        choices=(8, 16),
        default=8,
        help="output bit depth (16: grey PNG/TIFF only; pbr: the grey maps)",
    )
    if kind in EQUALIZABLE_JOBS:
        parser.add_argument(
            "--equalize",
            nargs="?",
            const=DEFAULT_SCALE,
            default=None,
            type=ranged("equalize scale", *SCALE_RANGE),
            metavar="SCALE",
            help="take large-scale lighting out of the inputs first (pbr: the colour map); variation slower than "
            f"SCALE x the short side is lighting ({SCALE_RANGE[0]}-{SCALE_RANGE[1]}, default {DEFAULT_SCALE})",
        )
    if kind in TEXTURE_JOBS:
        parser.add_argument(
            "--regularity",
            choices=REGULARITIES,
            default="auto",
            help="auto (default): an exemplar whose elements sit on a lattice (tiles, bricks shot straight on, "
            "studs, quilting) is synthesized on it, joints straight; off: never; on: whenever any lattice can be "
            "found",
        )
        parser.add_argument(
            "--detail",
            choices=DETAILS,
            default="exemplar",
            help="exemplar (default): the ascent lays the texture out and the finished pixels are quilted from the "
            "exemplar along it, as sharp as the exemplar; ascent: every pixel optimized (softer, never copies)",
        )
    if kind == "new":
        parser.add_argument("--alpha", action="store_true", help="synthesize the exemplars' alpha channel too")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def parse(argv: Sequence[str], prog: str = "python -m core") -> argparse.Namespace | int:
    """The parsed arguments (``kind`` the job kind), or an exit code: 0 after --help, 2 after
    printing one line "gass: error: ... (see PROG --help)" for bad arguments."""
    kind, rest = split_kind(argv)
    parser = build_parser(prog, kind)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            args = parser.parse_args(rest)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 2
        if code == 0:
            return 0
        lines = [line for line in captured.getvalue().splitlines() if line.strip()]
        message = lines[-1].split("error: ", 1)[-1] if lines else "bad arguments"
        where = prog if kind == "new" else f"{prog} {kind}"
        print(f"gass: error: {message} (see {where} --help)", file=sys.stderr)
        return 2
    args.kind = kind
    return args


def settings_from_args(args: argparse.Namespace) -> JobSettings:
    """The :class:`~core.job.JobSettings` the parsed arguments ask for."""
    width, height = getattr(args, "size", None) or (SynthesisConfig.width, SynthesisConfig.height)
    scale = getattr(args, "scale", None) or getattr(args, "equalize", None)
    return JobSettings(
        quality=getattr(args, "quality", "standard"),
        width=width,
        height=height,
        seed=getattr(args, "seed", 0),
        optimizer=getattr(args, "optimizer", None),
        regularity=getattr(args, "regularity", "auto"),
        detail=getattr(args, "detail", "exemplar"),
        alpha=bool(getattr(args, "alpha", False)),
        border=float(getattr(args, "border", DEFAULT_BORDER)),
        equalize=getattr(args, "equalize", None) is not None,
        equalize_scale=float(scale or DEFAULT_SCALE),
    )


def output_paths(args: argparse.Namespace, kinds: Sequence[str]) -> dict[str, str]:
    """Where each output goes: {'': OUT} for one image, kind -> OUT with {map} replaced for pbr."""
    if args.kind != "pbr":
        return {"": args.output}
    if "{map}" not in args.output:
        raise InvalidConfigError(f"output {args.output!r} has no {{map}} in it, e.g. out/stone_{{map}}.png")
    return {kind: args.output.replace("{map}", kind) for kind in kinds}


def input_roles(args: argparse.Namespace) -> dict[str, str]:
    """Every input file of the parsed arguments -> what it is, for messages ("exemplar", "image", "mask")."""
    if args.kind == "new":
        return {path: "exemplar" for path in args.exemplars}
    if args.kind == "pbr":
        return {path: "exemplar" for s in args.sets for path in s.values()}
    roles = {args.image: "image"}
    if getattr(args, "mask", None):
        roles.setdefault(args.mask, "mask")
    return roles


def map_kinds(args: argparse.Namespace) -> tuple[str, ...]:
    """The map kinds of a pbr run (those of its first set, in stacking order); () otherwise."""
    if args.kind != "pbr":
        return ()
    return tuple(k for k in MAP_KINDS if k in args.sets[0])


def output_bits(args: argparse.Namespace, key: str) -> int:
    """Bit depth of one output: --bits, except 8 for the colour maps of a pbr run."""
    return 8 if key and MAP_KINDS[key].channels != 1 else int(args.bits)


def check_outputs(
    args: argparse.Namespace, extensions: Sequence[str] = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
) -> dict[str, str]:
    """:func:`output_paths`, each checked with :func:`core.imageio.check_output_path` (folder,
    extension, bit depth, writable, not an input) before any image is read."""
    from .imageio import check_output_path

    paths = output_paths(args, map_kinds(args))
    inputs = list(input_roles(args))
    for key, path in paths.items():
        check_output_path(path, bits=output_bits(args, key), inputs=inputs, extensions=extensions)
    return paths


def check_bit_depth(args: argparse.Namespace, task: Task) -> None:
    """Refuse --bits 16 for a result that would have colour or alpha (written as 16-bit grey only)."""
    if args.bits != 16:
        return
    kinds = [k for k in task.output_slices() if k]
    if kinds:
        if all(MAP_KINDS[k].channels != 1 for k in kinds):
            raise ImageFileError(
                "--bits 16 applies to the grey maps (height, roughness, metallic, ao) and this set has none; "
                "use --bits 8"
            )
        return
    channels = task.channels
    if channels != 1:
        kind = {2: "grey and alpha", 3: "colour", 4: "colour and alpha"}.get(channels, f"{channels} channels")
        raise ImageFileError(f"--bits 16 is for grey results only and this one is {kind}; use --bits 8")


def match_channels(images: Sequence[object], *, alpha: bool) -> list[np.ndarray]:
    """Grey exemplars broadcast to RGB when another exemplar is colour, as Blender reads them.

    With ``alpha`` (--alpha) and some exemplar with alpha, those without get
    an opaque alpha channel; without it alpha is dropped. Arrays that are not
    (H, W, 1-4) are returned as they are, for the engine's validation to name.
    """
    arrays = [np.asarray(im) for im in images]
    if any(a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4) for a in arrays):
        return arrays
    colour = [a[:, :, : 3 if a.shape[2] >= 3 else 1] for a in arrays]
    if len({c.shape[2] for c in colour}) > 1:
        colour = [np.repeat(c, 3, axis=2) if c.shape[2] == 1 else c for c in colour]
    if not (alpha and any(a.shape[2] in (2, 4) for a in arrays)):
        return colour
    opaque = [a[:, :, -1:] if a.shape[2] in (2, 4) else np.ones_like(a[:, :, :1]) for a in arrays]
    return [np.concatenate([c, o], axis=2) for c, o in zip(colour, opaque)]


def job_from_args(args: argparse.Namespace, read: Callable[[str], object], *, linear: bool = False) -> Job:
    """The :class:`~core.job.Job` the parsed arguments ask for, reading image files with ``read``.

    ``python -m core`` reads with Pillow, ``blender -c gass`` with Blender. Grey
    exemplars among colour ones are broadcast to RGB (:func:`match_channels`).
    ``linear``: the reader gives linear-light values (Blender's float images), for --equalize.
    Raises :class:`GassError` on bad arguments or images (before heavy work).
    """
    settings = settings_from_args(args)
    weights = None if getattr(args, "weights", None) is None else tuple(args.weights)
    if args.kind in IMAGE_JOBS:
        mask = read(args.mask) if args.kind == "fill" and args.mask else None
        image = read(args.image)
        return Job(args.kind, (image,), settings, names=(Path(args.image).name,), mask=mask, linear=linear)
    if args.kind == "pbr":
        kinds = {tuple(k for k in MAP_KINDS if k in s) for s in args.sets}
        if len(kinds) > 1:  # before reading any file
            raise InvalidConfigError("every map set needs the same kinds of maps, e.g. color and normal in each")
        if weights is not None:
            check_weights(weights, len(args.sets))  # before reading any file
        sets = tuple(MapSet({kind: read(path) for kind, path in s.items()}) for s in args.sets)
        names = tuple(Path(next(iter(s.values()))).name for s in args.sets)
        return Job("pbr", sets, settings, weights, names, linear=linear)
    if weights is not None:
        check_weights(weights, len(args.exemplars))  # before reading any file
    images = match_channels([read(path) for path in args.exemplars], alpha=settings.alpha)
    return Job("new", tuple(images), settings, weights, tuple(Path(p).name for p in args.exemplars), linear=linear)


FileState = tuple[int, int, int, int] | None


def file_state(path: str) -> FileState:
    """(device, inode, mtime ns, size) of a file, None if there is none: a rename over it changes it."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


def interrupted_message(verb: str, paths: Sequence[str], before: dict[str, FileState]) -> str:
    """'gass: cancelled; no output written', or which outputs were written when the interruption came.

    ``before`` holds the outputs' :func:`file_state` from before the run; an
    output whose state changed was replaced whole (writes are atomic).
    """
    written = [p for p in paths if p in before and file_state(p) != before[p]]
    if not written:
        return f"gass: {verb}; no output written"
    missing = [p for p in paths if p not in written]
    if not missing:
        return f"gass: {verb} after every output was written completely: {', '.join(written)}"
    return f"gass: {verb} after writing {', '.join(written)}; not written: {', '.join(missing)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from .imageio import sigterm_raises

    args = parse(sys.argv[1:] if argv is None else argv)
    if isinstance(args, int):
        return args
    with sigterm_raises():
        return run(args)


def run(args: argparse.Namespace) -> int:
    """Run parsed arguments: check, synthesize with progress on stderr, write; returns the exit code."""
    from .imageio import read_image, write_image

    start = time.perf_counter()
    tty = sys.stderr.isatty()
    paths: dict[str, str] = {}
    before: dict[str, FileState] = {}
    roles = input_roles(args)
    try:
        paths = check_outputs(args)
        for path in paths.values():
            before[path] = file_state(path)
        synth = job_from_args(args, lambda path: read_image(path, role=roles.get(path, "exemplar"))).task()
        check_bit_depth(args, synth)
        shown = -1.0
        for progress in synth.steps():
            now = time.perf_counter() - start
            if not args.quiet and (now - shown >= 0.25 or progress.fraction >= 1.0):
                shown = now
                line = f"{progress.fraction * 100:5.1f}%  {progress.stage:<32}  {now:6.1f}s"
                print(f"\r{line}" if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)
        if not args.quiet and tty:
            print(file=sys.stderr)
        for key, image in synth.results().items():
            write_image(paths[key], image, bits=output_bits(args, key))
    except GassError as err:
        return _fail(f"gass: error: {err}", EXIT_BAD_INPUT, args)
    except KeyboardInterrupt as err:  # Ctrl-C, and SIGTERM as Terminated
        return _interrupted(err, paths, before, args)
    except RuntimeError as err:
        # A signal that lands inside a lock's bookkeeping (the thread pool's Condition.wait, between
        # releasing the lock and noting it) leaves the lock released, and the `with` around the wait
        # then fails to release it again: a RuntimeError whose context is the interrupt (seen once in a
        # full run of the suite, at SIGTERM; never in 200 runs by hand). It is the signal all the same.
        interrupt = _interrupt_behind(err)
        if interrupt is None:
            raise
        return _interrupted(interrupt, paths, before, args)
    except (FloatingPointError, np.linalg.LinAlgError, MemoryError) as err:
        what = "ran out of memory" if isinstance(err, MemoryError) else f"failed ({err})"
        return _fail(f"gass: error: the synthesis {what}; no output written", EXIT_FAILED, args)
    if not args.quiet:
        print(f"wrote {', '.join(paths.values())} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return 0


def _interrupt_behind(err: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt (Ctrl-C, or SIGTERM as Terminated) ``err`` was raised while handling, if any."""
    seen: BaseException | None = err.__context__
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return seen
        seen = seen.__context__
    return None


def _interrupted(
    err: KeyboardInterrupt, paths: dict[str, str], before: dict[str, FileState], args: argparse.Namespace
) -> int:
    """The one line and exit code of an interrupted run: 143 for SIGTERM, 130 for Ctrl-C."""
    verb = "terminated" if isinstance(err, Terminated) else "cancelled"
    code = EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED
    return _fail(interrupted_message(verb, list(paths.values()), before), code, args)


def _fail(line: str, code: int, args: argparse.Namespace) -> int:
    """Print one line on stderr (after ending a progress line on a terminal); return ``code``."""
    if not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    print(line, file=sys.stderr)
    return code
