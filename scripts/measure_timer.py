#!/usr/bin/env python3
"""Measure the main-thread cost of the modal operator's timer events.

Runs the add-on's synthesis in module-mode Blender and calls what each
TIMER event of the modal operator calls (``SynthesisSession.step_for``: a
slice of engine steps on the main thread; ``update``: copy a new preview
into the image), and prints the time spent per event: how long the UI waits
at most between two answers. Timers never fire in module mode, so this loop
stands in for them.

    .venv/bin/python build.py && .venv/bin/python scripts/measure_timer.py --size 1024 --seconds 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1024, help="output side in pixels (default 1024)")
    parser.add_argument("--quality", default="standard")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to measure (default 20)")
    parser.add_argument("--exemplar", default=str(ROOT / "tests" / "data" / "bark.png"))
    args = parser.parse_args()

    os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="gass-measure-")
    import bpy

    zips = sorted((ROOT / "dist").glob("gass_blender-*.zip"))
    if not zips:
        sys.exit("build the extension first: python build.py")
    bpy.ops.extensions.package_install_files(filepath=str(zips[-1]), repo="user_default", enable_on_install=True)
    name = next(n for n in bpy.context.preferences.addons.keys() if n.endswith(".gass_blender"))  # noqa: SIM118
    session_mod = sys.modules[f"{name}.session"]
    runner_mod = sys.modules[f"{name}.runner"]

    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.mesh.primitive_plane_add()
    material = bpy.data.materials.new("Material")
    if bpy.app.version < (5, 0, 0):
        material.use_nodes = True
    bpy.context.active_object.data.materials.append(material)
    s = bpy.context.scene.gass
    s.exemplars.add().image = bpy.data.images.load(args.exemplar)
    s.width = s.height = args.size
    s.quality = args.quality

    operators = sys.modules[f"{name}.operators"]
    session = session_mod.SynthesisSession.from_context(bpy.context)
    session.begin()
    times = []
    end = time.perf_counter() + args.seconds
    while time.perf_counter() < end and session.runner.snapshot().state is not runner_mod.JobState.FINISHED:
        t = time.perf_counter()
        session.step_for(operators.STEP_SECONDS)  # what one timer event of the modal operator does
        session.update()
        times.append(time.perf_counter() - t)
    snap = session.runner.snapshot()
    session.cancel()
    ms = sorted(t * 1000 for t in times)
    print(
        f"Blender {bpy.app.version_string}, {args.size}x{args.size} {args.quality}: {len(ms)} timer events in "
        f"{args.seconds:.0f} s, {session.previews_written} previews, reached {snap.fraction * 100:.1f}%\n"
        f"main thread per event: median {statistics.median(ms):.2f} ms, 95th percentile "
        f"{ms[int(0.95 * (len(ms) - 1))]:.2f} ms, max {ms[-1]:.2f} ms"
    )
    sys.stdout.flush()
    os._exit(0)  # skip the bpy 4.2 module's crash at exit (see tests/blender/conftest.py)


if __name__ == "__main__":
    sys.exit(main())
