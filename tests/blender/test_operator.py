"""bpy.ops.gass.synthesize end to end: result, colourspace, links, save and reload, undo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from . import figures
from .helpers import Scene, pixels_of, tree_state

pytestmark = pytest.mark.blender


def result_image(bpy: ModuleType, before: set[str]) -> Any:
    new = [im for im in bpy.data.images if im.name not in before]
    assert len(new) == 1, [im.name for im in new]
    return new[0]


def base_color_source(material: Any) -> Any:
    bsdf = next(n for n in material.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    socket = bsdf.inputs["Base Color"]
    return socket.links[0].from_node if socket.is_linked else None


def test_batch_contract_from_the_readme(bpy: ModuleType, scene: Scene, images_of: Callable[[], set[str]]) -> None:
    _, mat = scene.plane()
    exemplar = scene.load("bark64.png")
    exemplar.name = "bricks.png"
    before = images_of()
    pixels_before = pixels_of(exemplar)

    # The documented contract, verbatim except for a small size and the draft preset.
    s = bpy.context.scene.gass
    item = s.exemplars.add()
    item.image = bpy.data.images["bricks.png"]
    item.weight = 1.0
    s.width, s.height, s.seed = 48, 32, 7
    s.quality = "draft"
    assert bpy.ops.gass.synthesize() == {"FINISHED"}

    out = result_image(bpy, before)
    assert tuple(out.size) == (48, 32)
    assert out.packed_file is not None
    assert out.colorspace_settings.name == "sRGB" and not out.is_float
    node = base_color_source(mat)
    assert node is not None and node.bl_idname == "ShaderNodeTexImage" and node.image == out
    assert mat.node_tree.nodes.active == node
    # Looks like the exemplar: same mean colour, real texture (not flat).
    got = pixels_of(out).reshape(-1, 4)
    ref = pixels_before.reshape(-1, 4)
    assert np.allclose(got[:, 3], 1.0)
    figures.batch_contract.assert_within(
        {
            "mean_error": float(np.abs(got[:, :3].mean(axis=0) - ref[:, :3].mean(axis=0)).max()),
            "spread": float(got[:, :3].std() / ref[:, :3].std()),
        },
        "Blender, seed 7",
    )
    # The exemplar was only read.
    assert np.array_equal(pixels_of(exemplar), pixels_before)
    assert not exemplar.is_dirty and exemplar.packed_file is None


def test_into_the_active_image_texture_node(bpy: ModuleType, scene: Scene, images_of: Callable[[], set[str]]) -> None:
    _, mat, exemplar = scene.ready()
    tree = mat.node_tree
    node = tree.nodes.new("ShaderNodeTexImage")
    node.image = exemplar
    tree.nodes.active = node
    count = len(tree.nodes)
    before = images_of()
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    out = result_image(bpy, before)
    assert node.image == out and len(tree.nodes) == count
    assert exemplar.name in images_of()  # replaced in the node, not removed


def test_same_seed_same_texture_other_seed_other(bpy: ModuleType, scene: Scene) -> None:
    scene.ready()
    results = []
    for seed in (3, 3, 4):
        scene.settings.seed = seed
        names = {im.name for im in bpy.data.images}
        assert bpy.ops.gass.synthesize() == {"FINISHED"}
        results.append(pixels_of(result_image(bpy, names)))
    assert np.array_equal(results[0], results[1])
    assert not np.array_equal(results[0], results[2])


def test_non_color_data_maps_give_a_non_color_output(bpy: ModuleType, scene: Scene) -> None:
    _, _, exemplar = scene.ready()
    exemplar.colorspace_settings.name = "Non-Color"
    names = {im.name for im in bpy.data.images}
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    out = result_image(bpy, names)
    assert out.colorspace_settings.name == "Non-Color" and not out.is_float


def test_float_exemplar_gives_a_float_linear_output(bpy: ModuleType, scene: Scene) -> None:
    scene.plane()
    exemplar = scene.load("gravel64_16bit.png")
    assert exemplar.is_float
    scene.add_exemplar(exemplar)
    scene.configure()
    names = {im.name for im in bpy.data.images}
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    out = result_image(bpy, names)
    assert out.is_float and out.colorspace_settings.name != "Non-Color"
    px = pixels_of(out).reshape(-1, 4)
    assert np.allclose(px[:, 0], px[:, 1]) and np.allclose(px[:, 1], px[:, 2])  # grey stays grey


def test_exemplar_with_alpha_gives_an_opaque_colour_texture(bpy: ModuleType, scene: Scene) -> None:
    """Alpha is not synthesized by default; the colour under it is, and the result is opaque."""
    scene.plane()
    exemplar = scene.load("bark64_alpha.png")
    before_pixels = pixels_of(exemplar).copy()
    scene.add_exemplar(exemplar)
    scene.configure()
    names = {im.name for im in bpy.data.images}
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    px = pixels_of(result_image(bpy, names)).reshape(-1, 4)
    assert np.all(px[:, 3] == 1.0)
    figures.alpha_exemplar.assert_within({"colour_spread": float(px[:, :3].std())}, "Blender")  # not a flat fill
    np.testing.assert_array_equal(pixels_of(exemplar), before_pixels)  # the exemplar is only read


def test_alpha_is_synthesized_when_asked(bpy: ModuleType, scene: Scene) -> None:
    scene.plane()
    scene.add_exemplar(scene.load("bark64_alpha.png"))
    scene.configure()
    scene.settings.alpha = True
    names = {im.name for im in bpy.data.images}
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    alpha = pixels_of(result_image(bpy, names)).reshape(-1, 4)[:, 3]
    mean = float(alpha.mean())  # the exemplar's alpha runs from 0 to 1
    figures.alpha_exemplar.assert_within(
        {"alpha_spread": float(alpha.std()), "alpha_low": mean, "alpha_high": mean}, "Blender"
    )


def test_grey_exemplar_gives_grey_rgb(bpy: ModuleType, scene: Scene) -> None:
    scene.ready("gravel64.png")
    names = {im.name for im in bpy.data.images}
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    px = pixels_of(result_image(bpy, names)).reshape(-1, 4)
    assert np.array_equal(px[:, 0], px[:, 1]) and np.array_equal(px[:, 1], px[:, 2])
    figures.grey_exemplar.assert_within({"spread": float(px[:, 0].std())}, "Blender")


def test_packed_and_generated_exemplars_with_weights(bpy: ModuleType, scene: Scene) -> None:
    scene.plane()
    packed = scene.load("bark64.png")
    packed.pack()
    source = pixels_of(scene.load("leather64.png"))
    generated = bpy.data.images.new("generated", 64, 64)
    generated.pixels.foreach_set(source)
    scene.add_exemplar(packed, 0.7)
    scene.add_exemplar(generated, 0.3)
    scene.configure()
    generated_before = pixels_of(generated)
    names = {im.name for im in bpy.data.images}
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    assert result_image(bpy, names).packed_file is not None
    assert np.array_equal(pixels_of(generated), generated_before)


def test_material_without_nodes(bpy: ModuleType, scene: Scene) -> None:
    """4.2: new materials have use_nodes off; 5.0: they always have a node tree (use_nodes is deprecated)."""
    _, mat, _ = scene.ready()
    if bpy.app.version < (5, 0, 0):
        mat.use_nodes = False
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    assert base_color_source(mat) is not None
    if bpy.app.version < (5, 0, 0):
        assert mat.use_nodes


def test_save_and_reopen_keeps_the_result(bpy: ModuleType, scene: Scene, tmp_path: Path) -> None:
    _, mat, exemplar = scene.ready()
    float_ex = scene.load("gravel64_16bit.png")
    names = {im.name for im in bpy.data.images}
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    byte_out = result_image(bpy, names)
    # a second material with a float result
    scene.plane()
    scene.settings.exemplars[0].image = float_ex
    exemplar.use_fake_user = True  # no longer used by anything: keep it in the saved file for the check below
    names = {im.name for im in bpy.data.images}
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    float_out = result_image(bpy, names)
    saved = {byte_out.name: pixels_of(byte_out), float_out.name: pixels_of(float_out)}
    spaces = {byte_out.name: byte_out.colorspace_settings.name, float_out.name: float_out.colorspace_settings.name}
    byte_name, material_name, exemplar_name, float_ex_name = byte_out.name, mat.name, exemplar.name, float_ex.name
    exemplar_pixels = pixels_of(exemplar)
    path = tmp_path / "saved.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))

    bpy.ops.wm.read_homefile(use_empty=True)  # forget everything in memory
    bpy.ops.wm.open_mainfile(filepath=str(path))
    for name, before in saved.items():
        image = bpy.data.images[name]
        assert image.packed_file is not None and image.colorspace_settings.name == spaces[name]
        after = pixels_of(image)
        tolerance = 0.0 if not image.is_float else 1e-3  # PNG is exact; OpenEXR nearly
        assert np.abs(after - before).max() <= tolerance, name
    assert base_color_source(bpy.data.materials[material_name]).image.name == byte_name
    assert bpy.context.scene.gass.exemplars[0].image.name == float_ex_name
    assert np.array_equal(pixels_of(bpy.data.images[exemplar_name]), exemplar_pixels)


def test_undo_and_redo(bpy: ModuleType, scene: Scene, images_of: Callable[[], set[str]]) -> None:
    """Blender pushes an undo step when the operator finishes; undo restores the file, redo the result.

    Scripts do not push undo steps, so this pushes them around the call the
    way the UI does.
    """
    _, mat, _ = scene.ready()
    material = mat.name  # Python references to data do not survive an undo
    window = bpy.context.window_manager.windows[0]
    with bpy.context.temp_override(window=window, screen=window.screen, area=window.screen.areas[0]):
        before_images = images_of()
        before_tree = tree_state(mat)
        bpy.ops.ed.undo_push(message="before")
        assert bpy.ops.gass.synthesize() == {"FINISHED"}
        bpy.ops.ed.undo_push(message="Synthesize")
        out_name = (images_of() - before_images).pop()
        result = pixels_of(bpy.data.images[out_name])

        bpy.ops.ed.undo()
        assert images_of() == before_images
        assert tree_state(bpy.data.materials[material]) == before_tree

        bpy.ops.ed.redo()
        assert np.array_equal(pixels_of(bpy.data.images[out_name]), result)
        assert base_color_source(bpy.data.materials[material]).image.name == out_name


def test_second_run_is_refused_while_one_runs(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    scene.ready()
    running = gass.session.SynthesisSession.from_context(bpy.context)
    running.begin()
    try:
        assert not bpy.ops.gass.synthesize.poll()
        with pytest.raises(RuntimeError, match="already running"):
            bpy.ops.gass.synthesize()
        with pytest.raises(gass.session.BusyError):
            gass.session.SynthesisSession.from_context(bpy.context)
    finally:
        running.cancel()
    assert bpy.ops.gass.synthesize.poll()


def test_add_active_image_and_list_operators(bpy: ModuleType, scene: Scene) -> None:
    _, mat = scene.plane()
    image = scene.load("bark64.png")
    s = scene.settings
    assert not bpy.ops.gass.exemplar_add_active.poll()  # no active Image Texture node yet
    node = mat.node_tree.nodes.new("ShaderNodeTexImage")
    mat.node_tree.nodes.active = node
    assert not bpy.ops.gass.exemplar_add_active.poll()  # node without image
    node.image = image
    assert bpy.ops.gass.exemplar_add_active() == {"FINISHED"}
    assert [item.image for item in s.exemplars] == [image]
    assert bpy.ops.gass.exemplar_add_active() == {"CANCELLED"}  # already there: not added twice
    assert bpy.ops.gass.exemplar_add() == {"FINISHED"}
    assert len(s.exemplars) == 2 and s.exemplars[1].image is None and s.active_exemplar == 1
    assert bpy.ops.gass.exemplar_remove() == {"FINISHED"}
    assert len(s.exemplars) == 1


def test_equalize_lighting_runs_through_the_operator(bpy: ModuleType, scene: Scene) -> None:
    scene.ready("bark64.png")
    scene.settings.equalize = True
    names = {im.name for im in bpy.data.images}
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    px = pixels_of(result_image(bpy, names)).reshape(-1, 4)
    assert px[:, :3].std() > 0.0 and np.all(np.isfinite(px))
