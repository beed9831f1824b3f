#!/usr/bin/env python3
"""The main job, end to end, in a real headless Blender (the bpy module).

Installs the built extension (dist/gass_blender-<version>.zip, made by
build.py) into a temporary Blender user folder, makes a scene with a plane
and a material, synthesizes a texture from a bundled CC0 exemplar with the
documented scripting contract, and writes:

    out/gass_demo.blend    the scene; the texture is packed inside
    out/gass_texture.png   the synthesized texture
    out/gass_render.png    a Cycles (CPU) render of the textured plane

Run ``python3 dev.py demo`` (builds first), or after ``python build.py``:
``.venv/bin/python scripts/demo.py [--size 512] [--quality standard] [--exemplar PATH]``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "out"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Synthesize a texture into a material in headless Blender.")
    parser.add_argument("--size", type=int, default=512, help="texture side in pixels (default 512)")
    parser.add_argument("--quality", choices=("draft", "standard", "high"), default="standard")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--exemplar", type=Path, default=ROOT / "tests" / "data" / "bark.png")
    parser.add_argument("--render-size", default="640x400", help="render WIDTHxHEIGHT (default 640x400)")
    parser.add_argument("--samples", type=int, default=32, help="Cycles samples (default 32)")
    parser.add_argument("--out", type=Path, default=OUT)
    return parser.parse_args()


def install_extension(bpy: Any) -> str:
    """Install and enable the built zip like Install from Disk; returns the add-on's module name."""
    zips = sorted((ROOT / "dist").glob("gass_blender-*.zip"), key=lambda p: p.stat().st_mtime)
    if not zips:
        sys.exit("demo: no dist/gass_blender-*.zip; run python build.py first (python3 dev.py demo does)")
    bpy.ops.extensions.package_install_files(filepath=str(zips[-1]), repo="user_default", enable_on_install=True)
    names = [n for n in bpy.context.preferences.addons.keys() if n.endswith(".gass_blender")]  # noqa: SIM118 (bpy collections iterate values)
    if not names:
        sys.exit(f"demo: installing {zips[-1].name} did not enable the add-on")
    print(f"demo: installed {zips[-1].name} as {names[0]}")
    return names[0]


def build_scene(bpy: Any, exemplar: Path) -> tuple[Any, Any, Any]:
    """An empty file with a 4 m plane (texture repeated 2x2 to show it tiles), a material, camera and sun."""
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    mesh = bpy.data.meshes.new("Ground")
    mesh.from_pydata([(-2, -2, 0), (2, -2, 0), (2, 2, 0), (-2, 2, 0)], [], [(0, 1, 2, 3)])
    uv = mesh.uv_layers.new(name="UVMap")
    for loop, coords in zip(uv.data, [(0, 0), (2, 0), (2, 2), (0, 2)]):  # 2x2 repeats: seams would show
        loop.uv = coords
    plane = bpy.data.objects.new("Ground", mesh)
    scene.collection.objects.link(plane)
    material = bpy.data.materials.new("Synthesized bark")
    if bpy.app.version < (5, 0, 0):
        material.use_nodes = True
    mesh.materials.append(material)
    bpy.context.view_layer.objects.active = plane
    plane.select_set(True)

    cam_data = bpy.data.cameras.new("Camera")
    cam_data.lens = 35
    camera = bpy.data.objects.new("Camera", cam_data)
    camera.location = (0.0, -3.4, 1.45)
    camera.rotation_euler = (math.radians(66), 0.0, 0.0)
    scene.collection.objects.link(camera)
    scene.camera = camera
    sun_data = bpy.data.lights.new("Sun", "SUN")
    sun_data.energy = 3.5
    sun_data.angle = math.radians(3)
    sun = bpy.data.objects.new("Sun", sun_data)
    sun.rotation_euler = (math.radians(55), math.radians(-15), math.radians(40))
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("Sky")
    if bpy.app.version < (5, 0, 0):
        world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.55, 0.65, 0.8, 1.0)
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.4
    scene.world = world

    image = bpy.data.images.load(str(exemplar))
    return scene, material, image


def write_png(bpy: Any, image: Any, path: Path) -> None:
    """Write an image's pixels to a PNG untouched (a temporary Non-Color copy: the result stays packed)."""
    import numpy as np

    width, height = image.size
    flat = np.empty(width * height * 4, dtype=np.float32)
    image.pixels.foreach_get(flat)
    copy = bpy.data.images.new("png-copy", width, height)
    copy.colorspace_settings.name = "Non-Color"
    copy.file_format = "PNG"
    copy.pixels.foreach_set(flat)
    copy.filepath_raw = str(path)
    copy.save()
    bpy.data.images.remove(copy)


def render(bpy: Any, scene: Any, path: Path, size: str, samples: int) -> float:
    width, height = (int(v) for v in size.lower().split("x"))
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.compression = 100
    scene.render.filepath = str(path)
    start = time.perf_counter()
    bpy.ops.render.render(write_still=True)
    return time.perf_counter() - start


def main() -> int:
    args = parse_args()
    user = tempfile.mkdtemp(prefix="gass-demo-user-")
    os.environ["BLENDER_USER_RESOURCES"] = user  # before importing bpy: nothing lands in ~/.config/blender
    import bpy

    print(f"demo: Blender {bpy.app.version_string} (bpy module, headless), user folder {user}")
    install_extension(bpy)
    scene, material, exemplar = build_scene(bpy, args.exemplar)

    # The scripting contract of README "Batch and pipelines".
    s = bpy.context.scene.gass
    item = s.exemplars.add()
    item.image = exemplar
    item.weight = 1.0
    s.width, s.height, s.seed = args.size, args.size, args.seed
    s.quality = args.quality
    start = time.perf_counter()
    result = bpy.ops.gass.synthesize()
    seconds = time.perf_counter() - start
    if result != {"FINISHED"}:
        sys.exit(f"demo: synthesize returned {result}")
    texture = material.node_tree.nodes.active.image
    print(f"demo: synthesized '{texture.name}' {args.size}x{args.size} ({args.quality}) in {seconds:.1f} s")

    args.out.mkdir(parents=True, exist_ok=True)
    blend = args.out / "gass_demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    write_png(bpy, texture, args.out / "gass_texture.png")
    render_seconds = render(bpy, scene, args.out / "gass_render.png", args.render_size, args.samples)
    print(f"demo: Cycles render in {render_seconds:.1f} s")
    for name in ("gass_demo.blend", "gass_texture.png", "gass_render.png"):
        path = args.out / name
        print(f"demo: wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    shutil.rmtree(user, ignore_errors=True)
    sys.stdout.flush()
    if bpy.app.version < (5, 0, 0):
        os._exit(0)  # the bpy 4.2 module crashes at exit once add-ons registered classes (tests/blender/conftest.py)
    return 0


if __name__ == "__main__":
    sys.exit(main())
