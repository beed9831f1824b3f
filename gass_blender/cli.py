"""The ``blender -c gass`` command: synthesize from image files without writing Python.

    blender -c gass EXEMPLAR... -o OUT.png --size 1024x1024 --seed 7

Arguments are those of ``python -m core`` (:func:`core.cli.build_parser`).
Blender itself reads the exemplars and writes the output (PNG, JPEG, TIFF,
OpenEXR), so no Pillow is needed. Bad input prints one line starting with
"gass: error:" and returns 2; nothing is written unless the synthesis
finishes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

import bpy

from . import bridge
from .core import GassError, InvalidConfigError
from .core.cli import build_parser, config_from_args
from .job import JobState, Snapshot, SynthesisJob

COMMAND = "gass"
PROG = "blender -c gass"

_handle: object | None = None


def _error(message: str) -> int:
    print(f"gass: error: {message}", file=sys.stderr)
    return 2


def _parse(argv: list[str]) -> argparse.Namespace | int:
    """Parsed arguments, or an exit code (0 after --help, 2 after one error line)."""
    parser = build_parser(prog=PROG)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            return parser.parse_args(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 2
        if code == 0:
            return 0
        lines = [line for line in captured.getvalue().splitlines() if line.strip()]
        message = lines[-1] if lines else "bad arguments"
        message = message.split("error: ", 1)[-1]
        return _error(f"{message} (see {PROG} --help)")


def command(argv: list[str]) -> int:
    """Handler registered with ``bpy.utils.register_cli_command``; returns the exit code."""
    parsed = _parse(list(argv))
    if isinstance(parsed, int):
        return parsed
    args = parsed
    loaded: list[bpy.types.Image] = []
    try:
        if args.weights is not None and len(args.weights) != len(args.exemplars):
            raise InvalidConfigError(
                f"--weights has {len(args.weights)} values for {len(args.exemplars)} exemplars; give one per exemplar"
            )
        config = config_from_args(args)
        output = Path(args.output)
        bridge.check_output_path(args.output, args.bits)
        exemplars = []
        for i, path in enumerate(args.exemplars, start=1):
            image = bridge.load_image_file(path)
            loaded.append(image)
            exemplars.append(bridge.read_exemplar(image, i, min_side=2 * config.patch_size))
        fmt, arrays = bridge.plan_output(exemplars, alpha=config.synthesize_alpha)
        job = SynthesisJob(
            arrays, args.weights, config, args.seed, preview_interval=float("inf"), names=[e.name for e in exemplars]
        )
        start = time.perf_counter()
        shown = [-1.0]

        def report(snap: Snapshot) -> None:
            now = time.perf_counter() - start
            if not args.quiet and (now - shown[0] >= 1.0 or snap.state is not JobState.RUNNING):
                shown[0] = now
                print(f"gass: {snap.fraction * 100:5.1f}%  {snap.stage:<28} {now:6.1f}s", file=sys.stderr, flush=True)

        final = job.run(report)
        if final.state is not JobState.FINISHED:
            return _error(final.error or f"the synthesis stopped ({final.state.value})")
        bridge.save_image_file(job.result, str(output), fmt, bits=args.bits)
    except GassError as err:
        return _error(str(err))
    except KeyboardInterrupt:
        print("gass: cancelled; no output written", file=sys.stderr)
        return 130
    finally:
        for image in loaded:
            bpy.data.images.remove(image)
    if not args.quiet:
        print(f"gass: wrote {args.output} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return 0


def register() -> None:
    """Register ``blender -c gass`` (Blender 4.2+)."""
    global _handle
    _handle = bpy.utils.register_cli_command(COMMAND, command)


def unregister() -> None:
    global _handle
    if _handle is not None:
        bpy.utils.unregister_cli_command(_handle)
        _handle = None
