"""Command line: ``python -m core [tile|fill|pbr] ... -o OUT.png``.

    python -m core EXEMPLAR... -o OUT.png          a new texture from exemplars
    python -m core tile IMAGE -o OUT.png           IMAGE made seamless, same size
    python -m core fill IMAGE --mask M -o OUT.png  the white part of M filled in
    python -m core pbr color=C.png,normal=N.png -o OUT_{map}.png
                                                   aligned PBR maps

A thin client of :mod:`core.synth`. Progress goes to stderr; on bad
input it prints one line starting with "gass: error:" and exits with 2;
Ctrl-C exits with 130. No output file is written unless the synthesis
finishes. The Blender command (``blender -c gass``) reuses :func:`build_parser`
and :func:`config_from_args`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .config import OPTIMIZERS, QUALITIES, SynthesisConfig
from .errors import GassError, InvalidConfigError
from .maps import MAP_KINDS, MapSet

if TYPE_CHECKING:
    from .synth import Synthesizer

#: The jobs besides plain synthesis, chosen by the first argument.
MODES: tuple[str, ...] = ("tile", "fill", "pbr")


def parse_size(text: str) -> tuple[int, int]:
    """'1024' -> (1024, 1024); '1024x512' -> (1024, 512) as (width, height)."""
    parts = text.lower().split("x")
    try:
        if len(parts) == 1:
            side = int(parts[0])
            return side, side
        if len(parts) == 2:
            return int(parts[0]), int(parts[1])
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"size {text!r} is not WIDTHxHEIGHT or a single number, e.g. 1024x1024")


def split_mode(argv: Sequence[str]) -> tuple[str, list[str]]:
    """('synth' | 'tile' | 'fill' | 'pbr', the remaining arguments)."""
    args = list(argv)
    if args and args[0] in MODES:
        return args[0], args[1:]
    return "synth", args


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


def build_parser(prog: str = "python -m core", mode: str = "synth") -> argparse.ArgumentParser:
    """The argument parser of one job, shared by ``python -m core`` and ``blender -c gass``."""
    if mode == "tile":
        parser = argparse.ArgumentParser(
            prog=f"{prog} tile",
            description="Make an image tile seamlessly: the same size, only a band along its edges changes.",
        )
        parser.add_argument("image", metavar="IMAGE", help="the image to make tileable")
        parser.add_argument(
            "--border",
            type=float,
            default=0.1,
            metavar="F",
            help="width of the band resynthesized at each edge, as a fraction of the side (0.02-0.4, default 0.1)",
        )
    elif mode == "fill":
        parser = argparse.ArgumentParser(
            prog=f"{prog} fill",
            description="Fill a masked region of an image with texture continuing its surroundings; "
            "every other pixel stays exactly as it is.",
        )
        parser.add_argument("image", metavar="IMAGE", help="the image with a region to fill")
        parser.add_argument(
            "--mask", metavar="MASK", help="same-size image, white = fill (default: the image's transparent pixels)"
        )
    elif mode == "pbr":
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
    elif mode == "synth":
        parser = argparse.ArgumentParser(
            prog=prog,
            description="Synthesize a new seamless texture from one or more exemplar images.",
            epilog=f"Other jobs: {prog} tile --help, {prog} fill --help, {prog} pbr --help",
        )
        parser.add_argument("exemplars", nargs="+", metavar="EXEMPLAR", help="exemplar image file(s)")
    else:
        raise ValueError(f"unknown mode {mode!r}")
    output_help = "output image file (.png, .jpg, .tif)"
    if mode == "pbr":
        output_help = "output file name with {map} in it, e.g. out/stone_{map}.png"
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help=output_help)
    if mode in ("synth", "pbr"):
        parser.add_argument("--weights", nargs="+", type=float, metavar="W", help="one weight >= 0 per exemplar")
        parser.add_argument("--size", type=parse_size, default=(512, 512), help="WIDTHxHEIGHT (default 512x512)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--quality", choices=QUALITIES, default="standard", help="preset (default standard)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="override the preset's optimizer")
    parser.add_argument(
        "--regularity",
        type=float,
        default=0.0,
        metavar="W",
        help="pull toward the exemplar's Fourier spectrum (0-10, default 0; try 0.5 for dot grids, quilting, tiles)",
    )
    parser.add_argument(
        "--bits", type=int, choices=(8, 16), default=8, help="output bit depth (16: grey PNG/TIFF; pbr: the grey maps)"
    )
    if mode == "synth":
        parser.add_argument("--alpha", action="store_true", help="synthesize the exemplars' alpha channel too")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def parse(argv: Sequence[str], prog: str = "python -m core") -> argparse.Namespace | int:
    """The parsed arguments (``mode`` the job), or an exit code: 0 after --help, 2 after
    printing one line "gass: error: ... (see PROG --help)" for bad arguments."""
    mode, rest = split_mode(argv)
    parser = build_parser(prog, mode)
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
        print(f"gass: error: {message} (see {prog} --help)", file=sys.stderr)
        return 2
    args.mode = mode
    return args


def config_from_args(args: argparse.Namespace) -> SynthesisConfig:
    """The :class:`SynthesisConfig` the parsed arguments ask for (size: the image's for tile and fill)."""
    overrides: dict[str, object] = {
        "synthesize_alpha": bool(getattr(args, "alpha", False)),
        "spectrum_weight": float(args.regularity),
    }
    if getattr(args, "size", None) is not None:
        overrides["width"], overrides["height"] = args.size
    if args.optimizer:
        overrides["optimizer"] = args.optimizer
    return SynthesisConfig.preset(args.quality, **overrides)


def output_paths(args: argparse.Namespace, kinds: Sequence[str]) -> dict[str, str]:
    """Where each output goes: {'': OUT} for one image, kind -> OUT with {map} replaced for pbr."""
    if args.mode != "pbr":
        return {"": args.output}
    if "{map}" not in args.output:
        raise InvalidConfigError(f"output {args.output!r} has no {{map}} in it, e.g. out/stone_{{map}}.png")
    return {kind: args.output.replace("{map}", kind) for kind in kinds}


def make_synthesizer(args: argparse.Namespace, read: Callable[[str], object]) -> Synthesizer:
    """The engine run the parsed arguments ask for, reading image files with ``read``.

    Raises :class:`GassError` on bad arguments or images (before heavy work).
    """
    from .synth import Synthesizer, fill_synthesizer, tileable_synthesizer

    config = config_from_args(args)
    if args.mode == "tile":
        return tileable_synthesizer(read(args.image), config, args.seed, border=args.border, name=Path(args.image).name)
    if args.mode == "fill":
        mask = read(args.mask) if args.mask else None
        return fill_synthesizer(read(args.image), mask, config, args.seed, name=Path(args.image).name)
    sources = args.exemplars if args.mode == "synth" else args.sets
    if args.weights is not None and len(args.weights) != len(sources):
        raise InvalidConfigError(
            f"--weights has {len(args.weights)} values for {len(sources)} exemplars; give one per exemplar"
        )
    if args.mode == "pbr":
        kinds = [tuple(k for k in MAP_KINDS if k in s) for s in args.sets]
        if len(set(kinds)) > 1:
            raise InvalidConfigError("every map set needs the same kinds of maps, e.g. color and normal in each")
        sets = [MapSet({kind: read(path) for kind, path in s.items()}) for s in args.sets]
        names = [Path(next(iter(s.values()))).name for s in args.sets]
        return Synthesizer(sets, args.weights, config, args.seed, names=names)
    images = [read(path) for path in args.exemplars]
    return Synthesizer(images, args.weights, config, args.seed, names=[Path(p).name for p in args.exemplars])


def results(synth: Synthesizer) -> dict[str, np.ndarray]:
    """The finished outputs: {'': image}, or kind -> map for a PBR run."""
    if synth.prepared.layout is not None:
        return dict(synth.result_maps())
    return {"": synth.result}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from .imageio import read_image, write_image

    args = parse(sys.argv[1:] if argv is None else argv)
    if isinstance(args, int):
        return args
    start = time.perf_counter()
    try:
        synth = make_synthesizer(args, read_image)
        paths = output_paths(args, synth.prepared.layout.kinds if synth.prepared.layout is not None else ())
        shown = -1.0
        for progress in synth.steps():
            now = time.perf_counter() - start
            if not args.quiet and (now - shown >= 0.25 or progress.fraction >= 1.0):
                shown = now
                line = f"{progress.fraction * 100:5.1f}%  {progress.stage:<32}  {now:6.1f}s"
                print(f"\r{line}" if sys.stderr.isatty() else line, end="", file=sys.stderr, flush=True)
                if not sys.stderr.isatty():
                    print(file=sys.stderr)
        if not args.quiet and sys.stderr.isatty():
            print(file=sys.stderr)
        for key, image in results(synth).items():
            bits = 8 if key and image.shape[2] != 1 else args.bits  # pbr: 16 bits for the grey maps
            write_image(paths[key], image, bits=bits)
    except GassError as err:
        print(f"gass: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ngass: cancelled; no output written", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"wrote {', '.join(paths.values())} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return 0
