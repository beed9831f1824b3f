"""The synthesized texture shows in a Cycles (CPU) render of a plane carrying the material."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from . import figures
from .helpers import Scene, pixels_of

pytestmark = pytest.mark.blender

SIZE = 64


def render(bpy: ModuleType, path: Path) -> np.ndarray:
    """Render the scene to a PNG and read it back: (SIZE*SIZE, 3) sRGB values, bottom row first."""
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 16
    scene.cycles.use_denoising = False
    scene.cycles.filter_width = 0.01  # a sample at each pixel's centre: the texel there, no blur
    scene.render.resolution_x = scene.render.resolution_y = SIZE
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    image = bpy.data.images.load(str(path), check_existing=False)
    rgb = pixels_of(image).reshape(-1, 4)[:, :3].copy()
    bpy.data.images.remove(image)
    return rgb


def setup_view(bpy: ModuleType) -> None:
    """An orthographic camera looking straight down at the 2x2 plane, lit by a white sky."""
    scene = bpy.context.scene
    cam_data = bpy.data.cameras.new("Camera")
    cam_data.type = "ORTHO"
    cam_data.ortho_scale = 2.0
    camera = bpy.data.objects.new("Camera", cam_data)
    camera.location = (0.0, 0.0, 3.0)
    scene.collection.objects.link(camera)
    scene.camera = camera
    world = bpy.data.worlds.new("World")
    if bpy.app.version < (5, 0, 0):
        world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
    scene.world = world


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_texture_shows_in_a_cycles_render(bpy: ModuleType, scene: Scene, tmp_path: Path) -> None:
    _, mat, _ = scene.ready(width=SIZE, height=SIZE, seed=5)
    setup_view(bpy)
    plain = render(bpy, tmp_path / "before.png")  # no texture yet: a flat grey plane
    assert plain.std() < 0.02

    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    texture: Any = next(n for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage").image
    tex = pixels_of(texture).reshape(-1, 4)[:, :3]
    textured = render(bpy, tmp_path / "after.png")

    # Lit by a uniform white sky through the Standard view, a diffuse plane shows its albedo:
    # the render follows the texture pixel for pixel (the pixel filter blurs a little).
    assert textured.std() > 0.5 * tex.std()
    assert correlation(textured.mean(axis=1), tex.mean(axis=1)) > 0.8
    flipped = tex.reshape(SIZE, SIZE, 3)[::-1].reshape(-1, 3)  # a control: same pixels, wrong place
    figures.render_control.assert_within(
        {"flipped": correlation(textured.mean(axis=1), flipped.mean(axis=1))}, "Blender, seed 5"
    )
    assert np.abs(textured.mean(axis=0) - tex.mean(axis=0)).max() < 0.15
