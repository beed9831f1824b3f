"""The ``blender -c gass`` command: synthesize from image files without writing Python.

    blender -c gass EXEMPLAR... -o OUT.png --size 1024x1024 --seed 7
    blender -c gass tile IMAGE -o OUT.png [--border 0.1]
    blender -c gass fill IMAGE [--mask MASK] -o OUT.png
    blender -c gass pbr color=C.png,normal=N.png,roughness=R.png -o out/stone_{map}.png

Arguments are those of ``python -m core`` (:func:`core.cli.build_parser`).
Blender itself reads the exemplars and writes the output (PNG, JPEG, TIFF,
OpenEXR), so no Pillow is needed. Every output path is checked before any
image is read (folder, extension, bit depth, writable, not an input). Bad
input prints one line starting with "gass: error:" and returns 2; nothing
is written unless the synthesis finishes, and then each output is written
beside its target and renamed over it.
"""

from __future__ import annotations

import argparse
import sys
import time

import bpy
import numpy as np

from . import files, images
from .core import GassError
from .core.cli import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    FileState,
    check_outputs,
    file_state,
    input_roles,
    interrupted_message,
    job_from_args,
    output_bits,
    parse,
)
from .core.errors import Terminated
from .core.imageio import sigterm_raises
from .core.job import IMAGE_JOBS
from .runner import JobState, Runner, Snapshot, describe_error

COMMAND = "gass"
PROG = "blender -c gass"

_handle: object | None = None


def _error(err: GassError) -> int:
    """Bad input: one line ``gass: error: ...`` (:func:`runner.describe_error`), exit code 2."""
    print(f"gass: error: {describe_error(err)}", file=sys.stderr)
    return EXIT_BAD_INPUT


def command(argv: list[str]) -> int:
    """Handler registered with ``bpy.utils.register_cli_command``; returns the exit code.

    0 done; 2 bad input (one line ``gass: error: ...``, nothing written); 1
    the synthesis failed; 130 Ctrl-C and 143 SIGTERM (one line saying which
    outputs, if any, were written completely: each is written beside its
    target and renamed over it, so an output is either the previous file or
    the complete new one).
    """
    parsed = parse(list(argv), prog=PROG)
    if isinstance(parsed, int):
        return parsed
    with sigterm_raises():
        return _run(parsed)


def _run(args: argparse.Namespace) -> int:
    loaded: list[bpy.types.Image] = []
    start = time.perf_counter()
    paths: dict[str, str] = {}
    before: dict[str, FileState] = {}
    try:
        paths = check_outputs(args, extensions=tuple(files.FILE_FORMATS))  # everything, before any reading
        for path in paths.values():
            before[path] = file_state(path)
        runner, formats = _runner(args, loaded)
        start = time.perf_counter()
        shown = [-1.0]

        def report(snap: Snapshot) -> None:
            now = time.perf_counter() - start
            if not args.quiet and (now - shown[0] >= 1.0 or snap.state is not JobState.RUNNING):
                shown[0] = now
                print(f"gass: {snap.fraction * 100:5.1f}%  {snap.stage:<28} {now:6.1f}s", file=sys.stderr, flush=True)

        final = runner.run(report)
        if final.state is not JobState.FINISHED:
            print(f"gass: error: {final.why_unfinished()}; no output written", file=sys.stderr)
            return EXIT_BAD_INPUT if isinstance(runner.exception, GassError) else EXIT_FAILED
        for key, path in paths.items():
            files.save_image_file(runner.output(key), path, formats[key], bits=output_bits(args, key))
    except GassError as err:
        return _error(err)
    except KeyboardInterrupt as err:  # Ctrl-C, and SIGTERM (core.errors.Terminated)
        verb = "terminated" if isinstance(err, Terminated) else "cancelled"
        print(interrupted_message(verb, list(paths.values()), before), file=sys.stderr)
        return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED
    finally:
        for image in loaded:
            bpy.data.images.remove(image)
    if not args.quiet:
        print(f"gass: wrote {', '.join(paths.values())} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return 0


def _read_inputs(
    args: argparse.Namespace, loaded: list[bpy.types.Image]
) -> tuple[dict[str, np.ndarray], dict[str, images.OutputFormat]]:
    """Every input file, read by Blender: path -> the engine's pixels, path -> its output encoding.

    A new texture's exemplars share one encoding (:func:`images.plan_output`
    over all of them); tile, fill and pbr keep each file's own (sRGB,
    Non-Color, float), and alpha where it is used.
    """
    roles = input_roles(args)
    read = {}
    for i, path in enumerate(roles, start=1):
        image = files.load_image_file(path, role=roles[path])
        loaded.append(image)
        read[path] = images.read_exemplar(image, i, min_side=1)
    if args.kind == "new":
        fmt, arrays = images.plan_output(list(read.values()), alpha=bool(args.alpha))
        return dict(zip(read, arrays)), dict.fromkeys(read, fmt)
    alpha_is_mask = args.kind == "fill" and not args.mask
    pixels: dict[str, np.ndarray] = {}
    formats: dict[str, images.OutputFormat] = {}
    for path, exemplar in read.items():
        keep = images.keeps_alpha(exemplar, alpha_is_mask=alpha_is_mask)
        formats[path], (pixels[path],) = images.plan_output([exemplar], alpha=keep)
    return pixels, formats


def _runner(args: argparse.Namespace, loaded: list[bpy.types.Image]) -> tuple[Runner, dict[str, images.OutputFormat]]:
    """The engine run of the arguments (through :func:`core.cli.job_from_args`) and each output's encoding."""
    pixels, formats = _read_inputs(args, loaded)
    # The input whose encoding the result takes (PBR: the colour map, which --equalize reads).
    if args.kind == "pbr":
        source = args.sets[0].get("color")
    else:
        source = args.image if args.kind in IMAGE_JOBS else args.exemplars[0]
    linear = source is not None and formats[source].linear  # Blender's float images hold linear light
    synth = job_from_args(args, pixels.__getitem__, linear=linear).task()
    slices = synth.output_slices()
    if args.kind == "pbr":
        return Runner(synth, outputs=slices), {k: formats[args.sets[0][k]] for k in slices}
    return Runner(synth), {"": formats[source]}


def register() -> None:
    """Register ``blender -c gass`` (Blender 4.2+)."""
    global _handle
    _handle = bpy.utils.register_cli_command(COMMAND, command)


def unregister() -> None:
    global _handle
    if _handle is not None:
        bpy.utils.unregister_cli_command(_handle)
        _handle = None
