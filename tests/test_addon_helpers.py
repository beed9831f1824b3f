"""The add-on's Blender-free helpers, tested without Blender: the thread runner, pixel layout, ETA text.

``gass_blender/runner.py`` (:class:`Runner`, ``describe_error``, ``eta_text``,
``status_line``) and ``gass_blender/pixels.py`` only use NumPy and the vendored
engine, which the add-on imports relatively as ``.core``: that package exists
only in the staged extension, and the add-on's ``__init__`` imports bpy. So
the ``addon`` fixture stages the extension with ``build.stage`` into a
temporary folder and imports these two modules from there, as submodules of
a bare package (its ``__init__`` is not run), while ``import bpy`` is made to
fail. A helper that starts importing bpy, or a module that is missing, makes
these tests ERROR; nothing here skips.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The name the staged add-on package is imported under here (never the installed add-on's).
PACKAGE = "gass_addon_under_test"


def _load_build_script() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("gass_build_script", ROOT / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def addon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[types.SimpleNamespace]:
    """The staged add-on's ``runner``, ``pixels`` and vendored ``core`` modules, imported with bpy absent."""
    staged = _load_build_script().stage(tmp_path_factory.mktemp("stage"))
    package = types.ModuleType(PACKAGE)
    package.__path__ = [str(staged)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "bpy", None)  # "import bpy" raises ImportError while these tests run
        patch.setitem(sys.modules, PACKAGE, package)
        runner = importlib.import_module(f"{PACKAGE}.runner")
        pixels = importlib.import_module(f"{PACKAGE}.pixels")
        yield types.SimpleNamespace(runner=runner, pixels=pixels, core=importlib.import_module(f"{PACKAGE}.core"))
    for name in [n for n in sys.modules if n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def small_synth(addon: types.SimpleNamespace, *, seed: int = 3, cls: Any = None) -> Any:
    """A draft 16x24 synthesis of a random 32x32 RGB exemplar: 15 engine steps, milliseconds each."""
    core = addon.core
    config = core.SynthesisConfig.preset("draft", width=16, height=24)
    exemplar = np.random.default_rng(0).random((32, 32, 3), dtype=np.float32)
    return (cls or core.Synthesizer)([exemplar], config=config, seed=seed)


def failing_synth(addon: types.SimpleNamespace, error: BaseException, *, after: int = 2) -> Any:
    """A synthesis whose engine raises ``error`` after ``after`` steps."""

    class Failing(addon.core.Synthesizer):  # type: ignore[misc,name-defined]
        def steps(self) -> Iterator[Any]:
            for i, progress in enumerate(super().steps()):
                if i == after:
                    raise error
                yield progress

    return small_synth(addon, cls=Failing)


# -- the runner ---------------------------------------------------------------------------------------


def test_the_helpers_import_without_bpy(addon: types.SimpleNamespace) -> None:
    assert sys.modules["bpy"] is None  # any "import bpy" in runner, pixels or core would have raised
    assert addon.runner.Runner and addon.pixels.to_blender


def test_progress_is_monotonic_and_the_run_ends_finished(addon: types.SimpleNamespace) -> None:
    runner = addon.runner.Runner(small_synth(addon))
    assert runner.snapshot().state is addon.runner.JobState.READY
    fractions = []
    while runner.step():
        snap = runner.snapshot()
        assert snap.state is addon.runner.JobState.RUNNING and snap.error is None
        fractions.append(snap.fraction)
    final = runner.snapshot()
    assert final.state is addon.runner.JobState.FINISHED and final.fraction == 1.0 and final.stage == "finished"
    assert all(b >= a for a, b in itertools.pairwise(fractions)) and 0 < fractions[0] < 1
    assert final.steps == len(fractions) == runner.total_steps
    output = runner.output()
    assert output.shape == (24, 16, 3) and output.dtype == np.float32
    np.testing.assert_array_equal(runner.output_pixels(), addon.pixels.to_blender(output))
    assert not runner.step()  # nothing left


def test_run_calls_back_after_every_step_and_makes_no_previews(addon: types.SimpleNamespace) -> None:
    runner = addon.runner.Runner(small_synth(addon), preview_interval=0.0)
    seen: list[Any] = []
    final = runner.run(seen.append)
    assert final.state is addon.runner.JobState.FINISHED
    assert len(seen) == runner.total_steps + 1 and seen[-1] == final
    assert runner.take_preview() is None


def test_previews_are_in_blender_layout_and_taken_once(addon: types.SimpleNamespace) -> None:
    runner = addon.runner.Runner(small_synth(addon), preview_interval=0.0)
    runner.preview_cost_factor = 0.0
    assert runner.take_preview() is None  # nothing yet
    runner.step()
    preview = runner.take_preview()
    assert preview is not None and preview.shape == (24 * 16 * 4,) and preview.dtype == np.float32
    assert np.all(preview.reshape(-1, 4)[:, 3] == 1.0)  # RGB output: opaque
    assert runner.take_preview() is None  # the same preview is not handed out twice
    runner.step()
    assert runner.take_preview() is not None


def test_previews_are_spaced_by_the_interval(addon: types.SimpleNamespace) -> None:
    runner = addon.runner.Runner(small_synth(addon), preview_interval=3600.0)
    runner.step()
    assert runner.take_preview() is not None  # the first step always shows something
    runner.step(5)
    assert runner.take_preview() is None  # the next one is due in an hour


def test_the_first_output_is_the_preview(addon: types.SimpleNamespace) -> None:
    synth = small_synth(addon)
    runner = addon.runner.Runner(synth, outputs={"red": slice(0, 1), "rest": slice(1, 3)}, preview_interval=0.0)
    runner.preview_cost_factor = 0.0
    runner.run()
    assert runner.output("red").shape == (24, 16, 1) and runner.output("rest").shape == (24, 16, 2)
    grey = runner.output_pixels("red").reshape(-1, 4)
    assert np.array_equal(grey[:, 0], grey[:, 1]) and np.array_equal(grey[:, 1], grey[:, 2])
    fresh = addon.runner.Runner(small_synth(addon), outputs={"red": slice(0, 1), "rest": slice(1, 3)})
    fresh.preview_interval = fresh.preview_cost_factor = 0.0
    fresh.step()
    preview = fresh.take_preview()
    assert preview is not None
    assert np.array_equal(preview.reshape(-1, 4)[:, 0], preview.reshape(-1, 4)[:, 1])  # grey: the red output


def test_cancel_stops_at_once(addon: types.SimpleNamespace) -> None:
    runner = addon.runner.Runner(small_synth(addon))
    runner.step(2)
    assert not runner.cancel_requested
    runner.cancel()
    assert runner.cancel_requested and runner.snapshot().state is addon.runner.JobState.CANCELLED
    assert not runner.step()
    runner.cancel()  # idempotent
    assert runner.snapshot().state is addon.runner.JobState.CANCELLED and runner.snapshot().steps == 2
    with pytest.raises(RuntimeError, match="has not finished"):
        runner.output_pixels()


def test_cancel_after_the_end_keeps_the_result(addon: types.SimpleNamespace) -> None:
    runner = addon.runner.Runner(small_synth(addon))
    runner.run()
    runner.cancel()
    assert runner.cancel_requested and runner.snapshot().state is addon.runner.JobState.FINISHED


def test_step_for_runs_a_slice_and_the_slices_give_the_whole_run(addon: types.SimpleNamespace) -> None:
    """What the modal operator does on each timer event: a slice of steps; slices add up to :meth:`run`."""
    whole = addon.runner.Runner(small_synth(addon, seed=11))
    whole.run()
    sliced = addon.runner.Runner(small_synth(addon, seed=11))
    assert sliced.step_for(0.0)  # at least one step, even with no time
    assert sliced.snapshot().steps == 1
    events = 1
    while sliced.step_for(0.0):
        events += 1
    assert events == sliced.total_steps and sliced.snapshot().state is addon.runner.JobState.FINISHED
    np.testing.assert_array_equal(sliced.output_pixels(), whole.output_pixels())


@pytest.mark.parametrize("kind", ["tile", "equalize"])
def test_the_quick_one_image_jobs_run_like_a_synthesis(addon: types.SimpleNamespace, kind: str) -> None:
    """Make-tileable and equalize are ImageTasks: the same runner steps them, sized by the task (not a config)."""
    job = importlib.import_module(f"{PACKAGE}.core.job")  # imports no bpy either
    equalize = importlib.import_module(f"{PACKAGE}.core.equalize")
    image = np.random.default_rng(2).random((40, 48, 4), dtype=np.float32)  # RGBA, not square
    task = job.Job(kind, (image,)).task()
    runner = addon.runner.Runner(task, preview_interval=0.0)
    runner.preview_cost_factor = 0.0
    assert runner.size == (48, 40) and runner.total_steps == (5 if kind == "tile" else 1)
    assert not hasattr(runner, "config")
    fractions = []
    while runner.step():
        fractions.append(runner.snapshot().fraction)
        preview = runner.take_preview()
        assert preview is not None and preview.shape == (40 * 48 * 4,)  # the input, until the result exists
    final = runner.snapshot()
    assert final.state is addon.runner.JobState.FINISHED and final.steps == runner.total_steps == len(fractions)
    assert all(b >= a for a, b in itertools.pairwise(fractions)) and fractions[-1] == 1.0
    expected = addon.core.make_tileable(image) if kind == "tile" else equalize.equalize_lighting(image)
    np.testing.assert_array_equal(runner.output(), expected)
    np.testing.assert_array_equal(runner.output_pixels(), addon.pixels.to_blender(expected))


# -- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sliced", [False, True])
def test_a_user_error_of_the_engine_fails_the_job_with_one_line(addon: types.SimpleNamespace, sliced: bool) -> None:
    runner = addon.runner.Runner(failing_synth(addon, FloatingPointError("the synthesis diverged at level 1")))
    if sliced:
        while runner.step_for(0.0):
            pass
    else:
        runner.run()
    snap = runner.snapshot()
    assert snap.state is addon.runner.JobState.FAILED and snap.steps == 2
    assert snap.error == "the synthesis diverged at level 1; try another seed or the 'standard' quality"
    assert snap.why_unfinished() == snap.error
    assert isinstance(runner.exception, FloatingPointError) and runner.internal_error is None


def test_a_bug_fails_a_captured_run_and_propagates_from_a_plain_step(addon: types.SimpleNamespace) -> None:
    bug = KeyError("oops")
    captured = addon.runner.Runner(failing_synth(addon, bug))
    while captured.step_for(0.0, capture_all=True):  # the modal operator's way: it reports the failure
        pass
    snap = captured.snapshot()
    assert snap.state is addon.runner.JobState.FAILED and snap.error == "internal error: KeyError: 'oops'"
    assert captured.internal_error is bug
    sync = addon.runner.Runner(failing_synth(addon, KeyError("oops")))
    with pytest.raises(KeyError):  # on the calling thread a bug is a traceback, not a report
        sync.step(5)


def test_describe_error_is_one_line_per_kind(addon: types.SimpleNamespace) -> None:
    describe = addon.runner.describe_error
    assert describe(addon.core.InvalidConfigError("width is 8; allowed: 16 to 16384")) == (
        "width is 8; allowed: 16 to 16384"
    )
    assert describe(MemoryError()).startswith("the synthesis ran out of memory; choose a smaller output size")
    assert describe(FloatingPointError("diverged")) == "diverged; try another seed or the 'standard' quality"
    assert describe(ValueError("bad")) == "internal error: ValueError: bad"


def test_why_unfinished_names_the_state_without_an_error(addon: types.SimpleNamespace) -> None:
    snap = addon.runner.Snapshot(addon.runner.JobState.CANCELLED, 0.5, "level 1", 3, None)
    assert snap.why_unfinished() == "the synthesis stopped (cancelled)"


# -- status bar text ----------------------------------------------------------------------------------


def test_eta_text(addon: types.SimpleNamespace) -> None:
    eta = addon.runner.eta_text
    assert eta(0.5, 30.0) == "about 30 s left"
    assert eta(0.25, 60.0) == "about 3 min left"
    assert eta(0.99, 10.0) == "about 1 s left"  # never "0 s"
    assert eta(0.01, 60.0) == ""  # too early to say
    assert eta(0.5, 1.0) == ""  # too soon to say


def test_status_line(addon: types.SimpleNamespace) -> None:
    snap = addon.runner.Snapshot(addon.runner.JobState.RUNNING, 0.5, "level 2 of 3 (64x64)", 10, None)
    assert addon.runner.status_line(snap, 30.0) == (
        "GASS 50%  ·  level 2 of 3 (64x64)  ·  about 30 s left  ·  Esc or right-click to cancel"
    )
    assert addon.runner.status_line(snap, 0.5) == "GASS 50%  ·  level 2 of 3 (64x64)  ·  Esc or right-click to cancel"


# -- pixel layout --------------------------------------------------------------------------------------


def test_blender_rows_start_at_the_bottom(addon: types.SimpleNamespace) -> None:
    image = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)  # 2 rows, 3 columns, RGBA; top row first
    flat = addon.pixels.to_blender(image)
    assert flat.shape == (24,) and flat.dtype == np.float32 and flat.flags.c_contiguous
    np.testing.assert_array_equal(flat[:12], image[1].ravel())  # Blender's first row is the image's last
    back = addon.pixels.from_blender(flat, 3, 2, 4)
    np.testing.assert_array_equal(back, image)
    assert back.flags.c_contiguous


@pytest.mark.parametrize(("channels", "alpha"), [(1, None), (2, 1), (3, None), (4, 3)])
def test_to_blender_fills_rgb_and_alpha(addon: types.SimpleNamespace, channels: int, alpha: int | None) -> None:
    image = np.random.default_rng(channels).random((4, 5, channels), dtype=np.float32)
    rgba = addon.pixels.to_blender(image).reshape(4, 5, 4)[::-1]
    colour = image[:, :, :3] if channels >= 3 else np.repeat(image[:, :, :1], 3, axis=2)
    np.testing.assert_array_equal(rgba[:, :, :3], colour)
    np.testing.assert_array_equal(rgba[:, :, 3], image[:, :, alpha] if alpha is not None else 1.0)


def test_to_blender_refuses_five_channels(addon: types.SimpleNamespace) -> None:
    with pytest.raises(ValueError, match="5 channels"):
        addon.pixels.to_blender(np.zeros((2, 2, 5), dtype=np.float32))


def test_srgb_round_trips_and_known_values(addon: types.SimpleNamespace) -> None:
    to_linear, to_srgb = addon.pixels.srgb_to_linear, addon.pixels.linear_to_srgb
    values = np.linspace(0.0, 1.0, 1001, dtype=np.float32)
    np.testing.assert_allclose(to_srgb(to_linear(values)), values, atol=2e-6)
    np.testing.assert_allclose(to_linear(to_srgb(values)), values, atol=2e-6)
    np.testing.assert_allclose(to_linear(np.array([0.0, 0.04045, 0.5, 1.0])), [0.0, 0.04045 / 12.92, 0.21404, 1.0],
                               atol=1e-5)  # fmt: skip
    assert to_linear(values).dtype == np.float32 and to_srgb(values).dtype == np.float32


def test_convert_rgb_never_touches_alpha(addon: types.SimpleNamespace) -> None:
    rgba = np.random.default_rng(1).random((3, 3, 4), dtype=np.float32)
    out = addon.pixels.convert_rgb(rgba, addon.pixels.srgb_to_linear)
    np.testing.assert_array_equal(out[:, :, 3], rgba[:, :, 3])
    np.testing.assert_allclose(out[:, :, :3], addon.pixels.srgb_to_linear(rgba[:, :, :3]))
    grey_alpha = rgba[:, :, :2]
    out = addon.pixels.convert_rgb(grey_alpha, addon.pixels.linear_to_srgb)
    np.testing.assert_array_equal(out[:, :, 1], grey_alpha[:, :, 1])
    np.testing.assert_allclose(out[:, :, 0], addon.pixels.linear_to_srgb(grey_alpha[:, :, 0]))
    assert not np.shares_memory(out, grey_alpha)
