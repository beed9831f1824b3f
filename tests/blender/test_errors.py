"""Every error path: a clear message (an ERROR report raises RuntimeError in scripts), and nothing changed."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .helpers import Scene, tree_state

pytestmark = pytest.mark.blender


@pytest.fixture
def unchanged(bpy: ModuleType, scene: Scene) -> Iterator[Callable[[], None]]:
    """Call to record the file's state; checked again after the test body."""
    state: dict[str, Any] = {}

    def record() -> None:
        state["images"] = sorted(im.name for im in bpy.data.images)
        state["trees"] = {m.name: tree_state(m) for m in bpy.data.materials if m.node_tree is not None}

    yield record
    if not state:  # the test failed before recording
        return
    assert sorted(im.name for im in bpy.data.images) == state["images"]
    assert {m.name: tree_state(m) for m in bpy.data.materials if m.node_tree is not None} == state["trees"]


def synthesize_fails(bpy: ModuleType, match: str) -> None:
    with pytest.raises(RuntimeError, match=match):
        bpy.ops.gass.synthesize()


def test_no_exemplars_disables_the_button(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.plane()
    unchanged()
    assert not bpy.ops.gass.synthesize.poll()
    synthesize_fails(bpy, "Add an exemplar image first")


def test_no_active_object(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.ready()
    bpy.context.view_layer.objects.active = None
    unchanged()
    synthesize_fails(bpy, "No active object: click the object")


def test_object_without_material(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.plane(material=False)
    scene.add_exemplar(scene.load("bark64.png"))
    scene.configure()
    unchanged()
    synthesize_fails(bpy, "has no material: add one")


def test_object_that_cannot_have_a_material(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.ready()
    empty = bpy.data.objects.new("Empty", None)
    bpy.context.scene.collection.objects.link(empty)
    bpy.context.view_layer.objects.active = empty
    unchanged()
    synthesize_fails(bpy, "cannot have a material")


def test_empty_exemplar_row(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.ready()
    scene.settings.exemplars.add()
    unchanged()
    synthesize_fails(bpy, "Exemplar row 2 has no image")


def test_missing_file(bpy: ModuleType, scene: Scene, tmp_path: Path, unchanged: Callable[[], None]) -> None:
    scene.plane()
    copy = tmp_path / "gone.png"
    shutil.copy(scene.dir / "bark64.png", copy)
    image = bpy.data.images.load(str(copy))
    copy.unlink()
    image.reload()
    scene.add_exemplar(image)
    scene.configure()
    unchanged()
    synthesize_fails(bpy, "has no pixels: its file .* is missing")


def test_file_blender_cannot_read(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.plane()
    image = bpy.data.images.new("broken", 8, 8)
    image.source = "FILE"
    image.filepath = str(scene.dir / "not_an_image.png")
    scene.add_exemplar(image)
    scene.configure()
    unchanged()
    synthesize_fails(bpy, "has no pixels: Blender cannot read its file")


def test_one_pixel_image(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.ready("dot1x1.png")
    unchanged()
    synthesize_fails(bpy, r"is 1x1 pixels; exemplars need at least 14x14")


def test_huge_image(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.plane()
    huge = bpy.data.images.new("huge", 4100, 4100)  # 16.8 megapixels: one row of pixels too many
    scene.add_exemplar(huge)
    scene.configure()
    unchanged()
    synthesize_fails(bpy, r"'huge' is 4100x4100 pixels \(16.8 megapixels\); exemplars may have at most")
    bpy.data.images.remove(huge)
    unchanged()


def test_all_weights_zero(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.ready()
    scene.settings.exemplars[0].weight = 0.0
    unchanged()
    synthesize_fails(bpy, "at least one must be > 0")


def test_mixed_colour_and_data_maps(bpy: ModuleType, scene: Scene, unchanged: Callable[[], None]) -> None:
    scene.ready()
    data = scene.load("leather64.png")
    data.colorspace_settings.name = "Non-Color"
    scene.add_exemplar(data)
    unchanged()
    synthesize_fails(bpy, "mix a Non-Color data map")


def test_output_over_the_memory_budget(
    bpy: ModuleType, scene: Scene, addon_name: str, unchanged: Callable[[], None]
) -> None:
    scene.ready(width=8192, height=8192)
    prefs = bpy.context.preferences.addons[addon_name].preferences
    prefs.memory_budget_mb = 256
    try:
        unchanged()
        synthesize_fails(bpy, "would need about .* GiB of memory")
    finally:
        prefs.memory_budget_mb = 8192


def test_failure_during_the_run_restores_everything(
    bpy: ModuleType, gass: ModuleType, scene: Scene, unchanged: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error raised by the engine mid-run is reported and leaves no trace."""
    scene.ready()
    unchanged()
    real_steps = gass.core.Synthesizer.steps

    def diverging(self: Any) -> Any:
        for i, progress in enumerate(real_steps(self)):
            if i == 5:
                raise FloatingPointError("the synthesis diverged at level 1 of 2 (16x16), iteration 6")
            yield progress

    monkeypatch.setattr(gass.core.Synthesizer, "steps", diverging)
    synthesize_fails(bpy, "diverged .* try another seed")
    assert gass.session.active_session() is None
