"""Command line: ``python -m core EXEMPLAR [EXEMPLAR ...] -o OUT.png``.

A thin client of :func:`core.synthesize`. Progress goes to stderr; on bad
input it prints one line starting with "gass: error:" and exits with 2;
Ctrl-C exits with 130. No output file is written unless the synthesis
finishes. The Blender command (``blender -c gass``) reuses :func:`build_parser`
and :func:`config_from_args`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from .config import OPTIMIZERS, QUALITIES, SynthesisConfig
from .errors import GassError, InvalidConfigError


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


def build_parser(prog: str = "python -m core") -> argparse.ArgumentParser:
    """The argument parser shared by ``python -m core`` and ``blender -c gass``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Synthesize a new seamless texture from one or more exemplar images.",
    )
    parser.add_argument("exemplars", nargs="+", metavar="EXEMPLAR", help="exemplar image file(s)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="output image file (.png, .jpg, .tif)")
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
    parser.add_argument("--bits", type=int, choices=(8, 16), default=8, help="output bit depth (16: grey PNG/TIFF)")
    parser.add_argument("--alpha", action="store_true", help="synthesize the exemplars' alpha channel too")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def config_from_args(args: argparse.Namespace) -> SynthesisConfig:
    """The :class:`SynthesisConfig` the parsed arguments ask for."""
    width, height = args.size
    overrides: dict[str, object] = {
        "width": width,
        "height": height,
        "synthesize_alpha": bool(args.alpha),
        "spectrum_weight": float(args.regularity),
    }
    if args.optimizer:
        overrides["optimizer"] = args.optimizer
    return SynthesisConfig.preset(args.quality, **overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from .imageio import read_image, write_image
    from .synth import Synthesizer

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.weights is not None and len(args.weights) != len(args.exemplars):
            raise InvalidConfigError(
                f"--weights has {len(args.weights)} values for {len(args.exemplars)} exemplars; give one per exemplar"
            )
        config = config_from_args(args)
        images = [read_image(path) for path in args.exemplars]
        synth = Synthesizer(images, args.weights, config, args.seed)
        start = time.perf_counter()
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
        write_image(args.output, synth.result, bits=args.bits)
    except GassError as err:
        print(f"gass: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ngass: cancelled; no output written", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"wrote {args.output} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return 0
