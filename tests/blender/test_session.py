"""The stepping object the modal operator drives: progress, preview, cancel, threads.

Module mode never runs timers or modal operators, so these tests call what the
modal operator's timer events call (``SynthesisSession.update``) directly.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from .helpers import Scene, pixels_of, tree_state

pytestmark = pytest.mark.blender


def start(bpy: ModuleType, gass: ModuleType) -> Any:
    session = gass.session.SynthesisSession.from_context(bpy.context)
    session.begin()
    return session


def test_nothing_changes_before_begin(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    _, mat, _ = scene.ready()
    images, tree = {im.name for im in bpy.data.images}, tree_state(mat)
    session = gass.session.SynthesisSession.from_context(bpy.context)
    assert {im.name for im in bpy.data.images} == images and tree_state(mat) == tree
    assert session.image() is None and gass.session.active_session() is None


def test_progress_is_monotonic_reaches_one_and_previews_are_written(
    bpy: ModuleType, gass: ModuleType, scene: Scene
) -> None:
    scene.ready()
    session = start(bpy, gass)
    session.runner.preview_interval = 0.0  # a preview after every step,
    session.runner.preview_cost_factor = 0.0  # however long a preview takes on a loaded machine
    image = session.image()
    assert image is not None and tuple(image.size) == (32, 32)
    assert gass.session.active_session() is session
    fractions = []
    previews = []
    while session.step():
        snap = session.update()
        fractions.append(snap.fraction)
        if len(previews) < 3 or snap.steps % 50 == 0:
            previews.append(pixels_of(image))
    snap = session.update()
    assert snap.state is gass.runner.JobState.FINISHED and snap.fraction == 1.0
    assert all(b >= a for a, b in itertools.pairwise(fractions))
    # The bar starts with about one step's share (the model weighs steps by their modelled time), not a jump.
    assert 0 < fractions[0] <= 1.5 / len(fractions) and fractions[-1] <= 1.0
    assert snap.steps == session.runner.total_steps == len(fractions)
    assert session.previews_written == snap.steps
    assert previews[0].reshape(-1, 4)[:, :3].std() > 0  # the first preview is already an image
    assert not np.array_equal(previews[0], previews[-1])  # and it changes while the engine works
    out = session.finish()
    assert out.packed_file is not None and gass.session.active_session() is None
    assert np.abs(pixels_of(out) - session.runner.output_pixels("")).max() <= 1 / 255  # stored as bytes


def test_cancel_leaves_no_datablock_and_no_changed_link(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    """New node case: the Base Color was fed by another node; it is fed by it again after cancel."""
    _, mat, _ = scene.ready()
    tree = mat.node_tree
    bsdf = next(n for n in tree.nodes if n.type == "BSDF_PRINCIPLED")
    rgb = tree.nodes.new("ShaderNodeRGB")
    tree.links.new(rgb.outputs[0], bsdf.inputs["Base Color"])
    tree.nodes.active = rgb
    images, before = {im.name for im in bpy.data.images}, tree_state(mat)
    session = start(bpy, gass)
    session.runner.preview_interval = 0.0
    assert tree_state(mat) != before  # linked for the live preview
    session.step(20)
    session.update()
    session.cancel()
    assert {im.name for im in bpy.data.images} == images
    assert tree_state(mat) == before
    assert gass.session.active_session() is None
    session.cancel()  # idempotent


def test_cancel_restores_the_active_image_node(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    _, mat, exemplar = scene.ready()
    node = mat.node_tree.nodes.new("ShaderNodeTexImage")
    node.image = exemplar
    mat.node_tree.nodes.active = node
    before = tree_state(mat)
    session = start(bpy, gass)
    assert node.image == session.image()
    session.step(3)
    session.cancel()
    assert node.image == exemplar and tree_state(mat) == before


def test_cancel_turns_use_nodes_off_again_on_blender_4(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    _, mat, _ = scene.ready()
    if bpy.app.version < (5, 0, 0):
        mat.use_nodes = False
    session = start(bpy, gass)
    session.cancel()
    if bpy.app.version < (5, 0, 0):
        assert not mat.use_nodes


def test_timer_slices_give_the_synchronous_result(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    """The modal operator's way (a slice of steps per timer event, previews between) gives execute()'s image."""
    scene.ready(seed=11)
    sync = start(bpy, gass)
    sync.run_to_end()
    expected = pixels_of(sync.finish())
    sliced = start(bpy, gass)
    sliced.runner.preview_interval = 0.0
    sliced.runner.preview_cost_factor = 0.0
    first = pixels_of(sliced.image()).copy()
    events = 0
    while sliced.step_for(0.0):
        snap = sliced.update()
        events += 1
        if events == 2:
            assert sliced.previews_written == 2 and not np.array_equal(pixels_of(sliced.image()), first)
    assert sliced.update().state is gass.runner.JobState.FINISHED
    assert np.array_equal(pixels_of(sliced.finish()), expected)
    assert snap.steps == events


def test_cancel_mid_run(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    _, mat, _ = scene.ready(width=64, height=64)
    images, before = {im.name for im in bpy.data.images}, tree_state(mat)
    session = start(bpy, gass)
    session.step_for(0.0)
    session.cancel()
    assert session.runner.snapshot().state is gass.runner.JobState.CANCELLED
    assert {im.name for im in bpy.data.images} == images and tree_state(mat) == before
    assert not session.step_for(0.0)  # nothing runs after a cancel


def test_output_image_removed_during_the_run(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    _, mat, _ = scene.ready()
    before = tree_state(mat)
    session = start(bpy, gass)
    session.runner.preview_interval = 0.0
    bpy.data.images.remove(session.image())
    session.step()
    with pytest.raises(gass.core.GassError, match="removed"):
        session.update()
    session.cancel()
    assert tree_state(mat) == before


def test_renamed_output_image_is_still_found(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    scene.ready()
    session = start(bpy, gass)
    session.image().name = "renamed by the artist"
    session.run_to_end()
    assert session.finish().name == "renamed by the artist"


def test_loading_another_file_cancels_the_run(
    bpy: ModuleType, gass: ModuleType, scene: Scene, images_of: Callable[[], set[str]]
) -> None:
    scene.ready()
    session = start(bpy, gass)
    session.step(2)
    bpy.ops.wm.read_homefile(use_empty=True)  # load_pre handler aborts and restores first
    assert gass.session.active_session() is None and session.closed
    assert bpy.ops.gass.synthesize.poll() is False  # no exemplars in the new file; not "busy"


def test_eta_text(gass: ModuleType) -> None:
    assert gass.runner.eta_text(0.5, 30.0) == "about 30 s left"
    assert gass.runner.eta_text(0.25, 60.0) == "about 3 min left"
    assert gass.runner.eta_text(0.01, 60.0) == ""
