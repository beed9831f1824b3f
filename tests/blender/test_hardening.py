"""Issue 11: undo, redo and file load during a run; the command line's output file; messages; surprises."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from .helpers import Scene, tree_state

pytestmark = pytest.mark.blender


# -- undo, redo and file load while a run is going --------------------------------------------------

#: One process: install the built zip, then ``reps`` times: a scene, a run stepped as the modal operator
#: steps it, then undo / undo and redo / a file load mid-run, and checks that the run was stopped and the file
#: restored first. A crash (the bug: 8 of 85 undo runs on 5.0.1) kills the process with a signal.
_UNDO_SCRIPT = textwrap.dedent(
    """
    import importlib, os, sys, time
    import bpy

    zip_path, reps, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    name = [n for n in bpy.context.preferences.addons.keys() if n.endswith(".gass_blender")][0]
    session_mod = importlib.import_module(name + ".session")
    RUNNING = importlib.import_module(name + ".runner").JobState.RUNNING
    VARIANTS = ("undo", "undo+redo", "load")

    def tree(mat):
        t = mat.node_tree
        nodes = sorted((n.name, n.bl_idname, getattr(getattr(n, "image", None), "name", None)) for n in t.nodes)
        links = sorted((k.from_node.name, k.to_node.name, k.to_socket.identifier) for k in t.links)
        return nodes, links

    for rep in range(first, first + reps):
        variant = VARIANTS[rep % len(VARIANTS)]
        bpy.ops.wm.read_homefile(use_empty=True)
        mesh = bpy.data.meshes.new("Plane")
        mesh.from_pydata([(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0)], [], [(0, 1, 2, 3)])
        obj = bpy.data.objects.new("Plane", mesh)
        bpy.context.scene.collection.objects.link(obj)
        bpy.context.view_layer.objects.active = obj
        mat = bpy.data.materials.new("Material")
        if bpy.app.version < (5, 0, 0):
            mat.use_nodes = True
        mesh.materials.append(mat)
        exemplar = bpy.data.images.load(os.environ["GASS_EXEMPLAR"], check_existing=False)
        if rep % 2:  # into the active Image Texture node (else: a new node linked to Base Color)
            node = mat.node_tree.nodes.new("ShaderNodeTexImage")
            node.image = exemplar
            mat.node_tree.nodes.active = node
        s = bpy.context.scene.gass
        item = s.exemplars.add()
        item.image, item.weight = exemplar, 1.0
        s.width, s.height, s.seed, s.quality = 128, 128, rep, "draft"
        before_images, before_tree = sorted(i.name for i in bpy.data.images), tree(mat)
        del mesh, obj, mat, exemplar, item  # Python references to data never survive an undo
        window = bpy.context.window_manager.windows[0]
        with bpy.context.temp_override(window=window, screen=window.screen, area=window.screen.areas[0]):
            bpy.ops.ed.undo_push(message="setup")
            s.seed = rep + 1
            bpy.ops.ed.undo_push(message="seed")
            session = session_mod.SynthesisSession.from_context(bpy.context)
            session.runner.preview_interval = 0.0
            session.begin()
            while session.previews_written < 2:  # two timer events of the modal operator
                assert session.step_for(0.0), "the run must still be going during the undo"
                session.update()
            assert session.runner.snapshot().state is RUNNING
            if variant == "load":
                bpy.ops.wm.read_homefile(use_empty=True)
                assert session.closed and session.stop_reason == "Another file was loaded", session.stop_reason
            else:
                bpy.ops.ed.undo()
                assert session.closed and session.stop_reason == "Undo", session.stop_reason
                assert sorted(i.name for i in bpy.data.images) == before_images
                assert tree(bpy.data.materials["Material"]) == before_tree
                if variant == "undo+redo":
                    bpy.ops.ed.redo()
                    assert sorted(i.name for i in bpy.data.images) == before_images
                    assert tree(bpy.data.materials["Material"]) == before_tree
            assert session_mod.active_session() is None
            session.update()  # what the modal operator's next timer event does: harmless
            session.cancel()  # idempotent
            assert not session.step_for(0.0)  # the modal operator's next slice does nothing
        print("rep", rep, variant, "ok", flush=True)
    sys.stdout.flush()
    os._exit(0)  # the bpy 4.2 module crashes at exit (see conftest.pytest_unconfigure)
    """
)


def test_undo_redo_and_load_during_runs_never_crash(built: Path, tmp_path: Path, bpy: ModuleType) -> None:
    """66 repetitions in 6 processes. Before the fixes about 1 in 11 undos crashed the process (the run's
    image freed under its node); with the run on a worker thread stopped in undo_pre, 1 in 66 still did on
    bpy 5.0.1 and most 6-process runs on 4.2.23, so the engine now runs on the main thread only."""
    processes, reps = 6, 11
    env = dict(os.environ, GASS_EXEMPLAR=str(Path(__file__).parents[1] / "data" / "bark.png"))
    done = []
    for p in range(processes):
        env["BLENDER_USER_RESOURCES"] = str(tmp_path / f"user{p}")
        proc = subprocess.run(
            [sys.executable, "-c", _UNDO_SCRIPT, str(built), str(reps), str(p * reps)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert proc.returncode == 0, f"process {p} ended with {proc.returncode}:\n{proc.stderr[-3000:]}"
        done += [line for line in proc.stdout.splitlines() if line.startswith("rep ") and line.endswith(" ok")]
    assert len(done) == processes * reps
    assert sum(" undo+redo " in line for line in done) >= 20 and sum(" load " in line for line in done) >= 20


def _undo_pushed(bpy: ModuleType) -> Any:
    """A context override with a window, and two undo steps pushed (so that undo is possible)."""
    window = bpy.context.window_manager.windows[0]
    return bpy.context.temp_override(window=window, screen=window.screen, area=window.screen.areas[0])


def test_undo_during_a_run_stops_it_and_the_operator_reports_why(
    bpy: ModuleType, gass: ModuleType, scene: Scene
) -> None:
    _, mat, _ = scene.ready(width=64, height=64)
    material = mat.name
    images, before = sorted(im.name for im in bpy.data.images), tree_state(mat)
    with _undo_pushed(bpy):
        bpy.ops.ed.undo_push(message="one")
        bpy.ops.ed.undo_push(message="two")
        session = gass.session.SynthesisSession.from_context(bpy.context)
        session.begin()
        session.step_for(0.0)
        bpy.ops.ed.undo()
    assert session.closed and session.stop_reason == "Undo"
    assert gass.session.active_session() is None
    assert session.runner.snapshot().state is gass.runner.JobState.CANCELLED
    assert sorted(im.name for im in bpy.data.images) == images
    assert tree_state(bpy.data.materials[material]) == before
    # The modal operator's next event: it ends cancelled with one warning that says what happened.
    reports: list[tuple[set[str], str]] = []
    stopped: list[object] = []
    op = types.SimpleNamespace(
        _session=session, _stop=stopped.append, report=lambda kind, text: reports.append((kind, text))
    )
    assert gass.operators.JobOperator.modal(op, bpy.context, None) == {"CANCELLED"}
    assert stopped and reports == [({"WARNING"}, gass.operators.stopped_message("Undo"))]
    assert "\n" not in reports[0][1] and reports[0][1].startswith("GASS: Undo cancelled the running synthesis")


def test_the_undo_handlers_are_registered_and_removed(bpy: ModuleType, gass: ModuleType, addon_name: str) -> None:
    names = {list_name: [h.__name__ for h in getattr(bpy.app.handlers, list_name)] for list_name in
             ("undo_pre", "redo_pre", "load_pre")}  # fmt: skip
    assert "_abort_before_undo" in names["undo_pre"]
    assert "_abort_before_redo" in names["redo_pre"]
    assert "_abort_before_load" in names["load_pre"]
    bpy.ops.preferences.addon_disable(module=addon_name)
    try:
        for list_name in ("undo_pre", "redo_pre", "load_pre"):
            assert not [h for h in getattr(bpy.app.handlers, list_name) if h.__name__.startswith("_abort_before")]
    finally:
        bpy.ops.preferences.addon_enable(module=addon_name)


# -- Ctrl-C during the synchronous operator ---------------------------------------------------------


def test_ctrl_c_in_execute_restores_the_file_and_stops_the_script(
    bpy: ModuleType, gass: ModuleType, scene: Scene, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C arrives during the engine (as a KeyboardInterrupt at a Python line of it)."""
    _, mat, _ = scene.ready()
    images, before = sorted(im.name for im in bpy.data.images), tree_state(mat)

    def interrupted(session: Any, callback: object = None) -> None:
        session.step(3)
        raise KeyboardInterrupt

    monkeypatch.setattr(gass.session.SynthesisSession, "run_to_end", interrupted)
    capfd.readouterr()
    went_on = False
    with pytest.raises(KeyboardInterrupt):
        bpy.ops.gass.synthesize()
        went_on = True  # the script must not go on after Ctrl-C
    assert not went_on
    out, err = capfd.readouterr()
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert lines == [f"Warning: {gass.operators.INTERRUPTED_MESSAGE}"], lines
    assert sorted(im.name for im in bpy.data.images) == images and tree_state(mat) == before
    assert gass.session.active_session() is None
    assert bpy.ops.gass.synthesize.poll()


# -- blender -c gass: the output file -----------------------------------------------------------------


def run(gass: ModuleType, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = gass.cli.command(list(argv))
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, err


def fast(scene: Scene, out: Path | str, *extra: str) -> list[str]:
    return [str(scene.dir / "bark64.png"), "-o", str(out), "--size", "32", "--quality", "draft", *extra]


def one_error(code: int, err: list[str], pattern: str) -> None:
    """Exit 2, exactly one line, ``gass: error: ...`` matching ``pattern``, no Blender internals."""
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("gass: error: "), err
    assert re.search(pattern, err[0]), err[0]
    assert "gass-cli-output" not in err[0] and "internal error" not in err[0] and "Traceback" not in err[0]


def test_output_that_is_a_directory_is_refused_before_the_run(
    gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "already_a_folder.png"
    folder.mkdir()
    code, err = run(gass, capsys, *fast(scene, folder))  # not --quiet: a started run would print progress
    one_error(code, err, "is a directory")
    assert folder.is_dir() and not list(folder.iterdir())


def test_output_in_a_read_only_folder_is_refused_before_the_run(
    gass: ModuleType, scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    read_only = Path("/proc/gass_out.png")  # on every Linux, even as root: nothing can be created in /proc
    code, err = run(gass, capsys, *fast(scene, read_only))
    one_error(code, err, "not writable")


@pytest.mark.parametrize("mode", ["synth", "tile", "fill-mask", "equalize"])
def test_output_equal_to_an_input_is_refused(
    gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    src = tmp_path / "photo.png"
    src.write_bytes((scene.dir / "bark64.png").read_bytes())
    original = src.read_bytes()
    argv = {
        "synth": [str(src), "-o", str(tmp_path / "." / "photo.png")],  # another spelling of the same path
        "tile": ["tile", str(src), "-o", str(src)],
        "fill-mask": ["fill", str(scene.dir / "bark64.png"), "--mask", str(src), "-o", str(src)],
        "equalize": ["equalize", str(src), "-o", str(src)],
    }[mode]
    quality = [] if mode in ("tile", "equalize") else ["--quality", "draft"]  # nothing to choose for these
    code, err = run(gass, capsys, *argv, *quality)
    one_error(code, err, "is the input file")
    assert src.read_bytes() == original


def test_output_is_written_beside_and_renamed(
    gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"previous file")
    written: list[Path] = []
    original = gass.files._write_with_blender

    def spy(values: Any, path: Path, *args: Any, **kwargs: Any) -> None:
        written.append(path)
        original(values, path, *args, **kwargs)
        assert out.read_bytes() == b"previous file"  # the target is untouched until the rename

    monkeypatch.setattr(gass.files, "_write_with_blender", spy)
    code, err = run(gass, capsys, *fast(scene, out, "--quiet"))
    assert code == 0, err
    assert len(written) == 1 and written[0].parent == tmp_path and written[0].name.startswith(".gass-")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]  # no temporary file left


def test_sigterm_during_the_write_keeps_the_previous_file(
    gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"previous file")
    original = gass.files._write_with_blender

    def terminated_while_writing(values: Any, path: Path, *args: Any, **kwargs: Any) -> None:
        original(values, path, *args, **kwargs)  # Blender has written (part of) the temporary file
        os.kill(os.getpid(), signal.SIGTERM)  # the handler raises at the next line of Python

    monkeypatch.setattr(gass.files, "_write_with_blender", terminated_while_writing)
    code, err = run(gass, capsys, *fast(scene, out, "--quiet"))
    assert code == 143
    assert err == ["gass: terminated; no output written"]
    assert out.read_bytes() == b"previous file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back


def test_ctrl_c_after_the_output_was_renamed_says_it_was_written(
    gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.png"
    original = gass.files.write_atomically

    def interrupted_after(path: Any, write: Any) -> None:
        original(path, write)
        raise KeyboardInterrupt  # Ctrl-C right after the rename, still "during the final write"

    monkeypatch.setattr(gass.files, "write_atomically", interrupted_after)
    code, err = run(gass, capsys, *fast(scene, out, "--quiet"))
    assert code == 130
    assert len(err) == 1 and "no output written" not in err[0] and str(out) in err[0], err
    assert err[0].startswith("gass: cancelled after every output was written completely")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ctrl_c_between_two_pbr_outputs_names_each(
    gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = gass.files._write_with_blender
    calls: list[Path] = []

    def second_interrupted(values: Any, path: Path, *args: Any, **kwargs: Any) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        original(values, path, *args, **kwargs)

    monkeypatch.setattr(gass.files, "_write_with_blender", second_interrupted)
    src, gravel = scene.dir / "bark64.png", scene.dir / "gravel64.png"
    argv = ["pbr", f"color={src},height={gravel}", "-o", str(tmp_path / "s_{map}.png"), "--size", "32"]
    code, err = run(gass, capsys, *argv, "--quality", "draft", "--quiet")
    assert code == 130
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 1 and len(err) == 1, (written, err)
    assert err[0].startswith(f"gass: cancelled after writing {tmp_path / written[0]}; not written: ")


def test_negative_seed_is_one_line(
    gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(gass, capsys, *fast(scene, tmp_path / "o.png", "--seed", "-1"))
    assert code == 2 and len(err) == 1 and "seed" in err[0] and "Traceback" not in err[0], err
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("value", [1e10, 3.0e38])
def test_huge_float_values_in_an_exr_are_one_line(
    bpy: ModuleType, gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: float
) -> None:
    path = tmp_path / "huge.exr"
    image = bpy.data.images.new("huge", 32, 32, float_buffer=True)
    px = np.random.default_rng(0).random((32, 32, 4), dtype=np.float32)
    px[:8, :8, :3] = value
    image.pixels.foreach_set(px.ravel())
    image.filepath_raw, image.file_format = str(path), "OPEN_EXR"
    image.save()
    bpy.data.images.remove(image)
    names = {im.name for im in bpy.data.images}
    code, err = run(gass, capsys, str(path), "-o", str(tmp_path / "o.png"), "--size", "32", "--quality", "draft")
    one_error(code, err, "values beyond")
    assert not (tmp_path / "o.png").exists() and {im.name for im in bpy.data.images} == names


# -- messages -------------------------------------------------------------------------------------------


def test_fill_without_a_mask_does_not_talk_about_a_mask(bpy: ModuleType, scene: Scene) -> None:
    s = scene.settings
    s.source, s.mask, s.quality = scene.load("bark64.png"), None, "draft"  # opaque, no mask
    with pytest.raises(RuntimeError) as info:
        bpy.ops.gass.fill()
    message = str(info.value)
    assert "has no transparent pixels and no Mask is set, so there is no pixel to fill: pick a Mask image" in message
    assert "the mask" not in message.lower()


@pytest.mark.parametrize(
    ("job", "side", "least"),
    [
        ("make_tileable", 12, 32),
        ("make_tileable", 31, 32),  # core.seamless.MIN_SIDE, not fill's 16
        ("fill", 12, 16),
        ("fill", 15, 16),
        ("equalize_lighting", 1, 2),
    ],
)
def test_one_image_job_on_a_too_small_image_says_what_the_image_needs(
    bpy: ModuleType, scene: Scene, job: str, side: int, least: int
) -> None:
    small = bpy.data.images.new("small", side, side, alpha=True)
    s = scene.settings
    s.source, s.quality = small, "draft"
    names = {im.name for im in bpy.data.images}
    with pytest.raises(RuntimeError) as info:
        getattr(bpy.ops.gass, job)()
    what = {"make_tileable": "make tileable", "fill": "fill", "equalize_lighting": "equalize lighting"}[job]
    assert f"Image 'small' is {side}x{side} pixels; {what} needs an image of at least {least}x{least}" in str(
        info.value
    )
    assert "width is" not in str(info.value) and "exemplars need" not in str(info.value)
    assert {im.name for im in bpy.data.images} == names


def test_report_says_linked_when_blender_4_had_nodes_off(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    _, mat, _ = scene.ready()
    if bpy.app.version < (5, 0, 0):
        mat.use_nodes = False  # the node tree is there, nodes are off: GASS turns them on and links
    session = gass.session.SynthesisSession.from_context(bpy.context)
    session.begin()
    try:
        assert (
            session.destination == "a new Image Texture node in material 'Material' (Base Color of 'Principled BSDF')"
        )
        bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
        assert bsdf.inputs["Base Color"].links[0].from_node.image == session.image()
    finally:
        session.cancel()


# -- silent surprises -------------------------------------------------------------------------------------


def test_hidden_colour_under_transparent_pixels_is_reported(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    scene.ready(exemplar="bark64_alpha.png")  # alpha 0 at the top, 1 at the bottom
    session = gass.session.SynthesisSession.from_context(bpy.context)
    assert len(session.warnings) == 1
    assert session.warnings[0].startswith("Exemplar 'bark64_alpha.png' is 50% transparent and Synthesize Alpha is off")
    scene.settings.alpha = True
    assert gass.session.SynthesisSession.from_context(bpy.context).warnings == []


def test_opaque_exemplar_gives_no_transparency_warning(bpy: ModuleType, gass: ModuleType, scene: Scene) -> None:
    scene.ready()
    assert gass.session.SynthesisSession.from_context(bpy.context).warnings == []


def test_a_replaced_result_survives_save_and_reload(bpy: ModuleType, scene: Scene, tmp_path: Path) -> None:
    scene.ready()
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    first = bpy.data.images["GASS Texture"]
    assert first.use_fake_user
    bpy.context.scene.gass.seed = 8
    assert bpy.ops.gass.synthesize() == {"FINISHED"}  # the new image replaces it in the active node
    assert bpy.data.images["GASS Texture.001"].use_fake_user
    path = tmp_path / "two_runs.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))
    assert {"GASS Texture", "GASS Texture.001"} <= {im.name for im in bpy.data.images}
    assert bpy.data.images["GASS Texture"].packed_file is not None


def test_size_and_weight_ranges_are_hard_limits_shown_in_the_tooltip(
    bpy: ModuleType, gass: ModuleType, scene: Scene
) -> None:
    """The panel clamps to the property's hard range (as Blender does for every property); the tooltip says it."""
    lo, hi = gass.core.config.MIN_OUTPUT_SIDE, gass.core.config.MAX_OUTPUT_SIDE
    props = bpy.context.scene.gass.bl_rna.properties
    for name in ("width", "height"):
        assert (props[name].hard_min, props[name].hard_max) == (lo, hi)
        assert f"{lo} to {hi}" in props[name].description
    s = scene.settings
    s.width = 5
    assert s.width == lo
    item = s.exemplars.add()
    weight = item.bl_rna.properties["weight"]
    assert (weight.hard_min, weight.hard_max) == (0.0, 100.0) and "0 to 100" in weight.description
    item.weight = 1000.0
    assert item.weight == 100.0
