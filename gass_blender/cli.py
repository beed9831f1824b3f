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
import math
import sys
import time

import bpy
import numpy as np

from . import bridge
from .core import GassError, InvalidConfigError
from .core.cli import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    FileState,
    check_outputs,
    config_from_args,
    file_state,
    input_roles,
    interrupted_message,
    make_synthesizer,
    output_bits,
    parse,
)
from .core.errors import Terminated
from .core.imageio import sigterm_raises
from .job import JobState, Snapshot, SynthesisJob

COMMAND = "gass"
PROG = "blender -c gass"

_handle: object | None = None


def _error(message: str) -> int:
    print(f"gass: error: {message}", file=sys.stderr)
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
        paths = check_outputs(args, extensions=tuple(bridge.FILE_FORMATS))  # everything, before any reading
        for path in paths.values():
            before[path] = file_state(path)
        if args.mode == "synth":
            job, formats = _new_texture_job(args, loaded)
        else:
            job, formats = _job(args, loaded)
        start = time.perf_counter()
        shown = [-1.0]

        def report(snap: Snapshot) -> None:
            now = time.perf_counter() - start
            if not args.quiet and (now - shown[0] >= 1.0 or snap.state is not JobState.RUNNING):
                shown[0] = now
                print(f"gass: {snap.fraction * 100:5.1f}%  {snap.stage:<28} {now:6.1f}s", file=sys.stderr, flush=True)

        final = job.run(report)
        if final.state is not JobState.FINISHED:
            message = final.error or f"the synthesis stopped ({final.state.value})"
            print(f"gass: error: {message}; no output written", file=sys.stderr)
            return EXIT_BAD_INPUT if isinstance(job.exception, GassError) else EXIT_FAILED
        for key, path in paths.items():
            bridge.save_image_file(job.output(key), path, formats[key], bits=output_bits(args, key))
    except GassError as err:
        return _error(str(err))
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


def _new_texture_job(
    args: argparse.Namespace, loaded: list[bpy.types.Image]
) -> tuple[SynthesisJob, dict[str, bridge.OutputFormat]]:
    """The job of a plain synthesis: all exemplars share one output encoding."""
    if args.weights is not None and len(args.weights) != len(args.exemplars):
        raise InvalidConfigError(
            f"--weights has {len(args.weights)} values for {len(args.exemplars)} exemplars; give one per exemplar"
        )
    config = config_from_args(args)
    exemplars = []
    for i, path in enumerate(args.exemplars, start=1):
        image = bridge.load_image_file(path)
        loaded.append(image)
        exemplars.append(bridge.read_exemplar(image, i, min_side=2 * config.patch_size))
    fmt, arrays = bridge.plan_output(exemplars, alpha=config.synthesize_alpha)
    names = [e.name for e in exemplars]
    job = SynthesisJob.for_exemplars(arrays, args.weights, config, args.seed, preview_interval=math.inf, names=names)
    return job, {"": fmt}


def _job(
    args: argparse.Namespace, loaded: list[bpy.types.Image]
) -> tuple[SynthesisJob, dict[str, bridge.OutputFormat]]:
    """The job of tile, fill or pbr: each file keeps its own encoding (sRGB, Non-Color, float)."""
    formats: dict[str, bridge.OutputFormat] = {}
    alpha_is_mask = args.mode == "fill" and not args.mask

    roles = input_roles(args)

    def read(path: str) -> np.ndarray:
        image = bridge.load_image_file(path, role=roles.get(path, "exemplar"))
        loaded.append(image)
        pixels = bridge.read_exemplar(image, len(loaded), min_side=1)
        keep = pixels.pixels.shape[2] in (2, 4) and (alpha_is_mask or float(pixels.pixels[:, :, -1].min()) < 1.0)
        formats[path], (array,) = bridge.plan_output([pixels], alpha=keep)
        return array

    synth = make_synthesizer(args, read)
    layout = synth.prepared.layout
    if layout is None:
        return SynthesisJob(synth, preview_interval=math.inf), {"": formats[args.image]}
    first = args.sets[0]
    job = SynthesisJob(synth, outputs={k: layout.output[k] for k in layout.kinds}, preview_interval=math.inf)
    return job, {k: formats[first[k]] for k in layout.kinds}


def register() -> None:
    """Register ``blender -c gass`` (Blender 4.2+)."""
    global _handle
    _handle = bpy.utils.register_cli_command(COMMAND, command)


def unregister() -> None:
    global _handle
    if _handle is not None:
        bpy.utils.unregister_cli_command(_handle)
        _handle = None
