"""The stepping object behind every synthesis, and its texts: NumPy only, never bpy.

:class:`Runner` wraps one job's run (a :class:`core.task.Task`) and runs its
``steps()`` on the calling thread, always Blender's main thread: a few steps
per timer event in the modal operator (``step()``), or all of them in
``execute()``, the command line and tests (``run()``). It publishes progress,
a preview already in Blender's pixel layout and the result through
:meth:`Runner.snapshot` and :meth:`Runner.take_preview`. No Python thread runs
the engine: Blender runs some of its data-freeing code (undo, redo, file
load) without holding Python's GIL, and a Python thread running meanwhile
crashed it (measured: 1 of 66 undo/redo/load repetitions with bpy 5.0.1,
every 6-process run with 4.2.23, even with the run stopped in the undo_pre
handler). The runner is the one place that
knows whether a run was asked to stop (:meth:`Runner.cancel`,
:attr:`Runner.cancel_requested`) and :func:`describe_error` the one
place that turns an error into the line a user reads.

bpy is not thread-safe: nothing in this module imports it, so it is tested
without Blender (tests/test_addon_helpers.py).
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass

import numpy as np

from . import pixels
from .core import GassError, Progress
from .core.task import Task

#: Errors of a run that are the user's input, not a bug: shown as a report.
USER_ERRORS: tuple[type[BaseException], ...] = (GassError, FloatingPointError, MemoryError)

#: Least seconds between two live previews, unless the add-on's preferences say otherwise.
PREVIEW_INTERVAL = 0.25


class JobState(enum.Enum):
    """Where a run is; FINISHED, CANCELLED and FAILED are final."""

    READY = "ready"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"


def describe_error(err: BaseException) -> str:
    """The one-line, user-readable message for an error of a synthesis (the one place errors become text)."""
    if isinstance(err, MemoryError):
        return "the synthesis ran out of memory; choose a smaller output size or fewer/smaller exemplars"
    if isinstance(err, FloatingPointError):
        return f"{err}; try another seed or the 'standard' quality"
    if isinstance(err, GassError):
        return str(err)
    return f"internal error: {type(err).__name__}: {err}"


@dataclass(frozen=True)
class Snapshot:
    """What the main thread may know about a run at one moment.

    Attributes
    ----------
    state:
        The :class:`JobState`.
    fraction:
        Overall progress, 0 to 1, non-decreasing; 1 when finished.
    stage:
        Human-readable stage, e.g. "level 3 of 9 (128x128)".
    steps:
        Engine steps done so far.
    error:
        One-line message (:func:`describe_error`) when ``state`` is FAILED, else None.
    """

    state: JobState
    fraction: float
    stage: str
    steps: int
    error: str | None

    def why_unfinished(self) -> str:
        """Why a run that has ended did not finish: its error, or 'the synthesis stopped (cancelled)'."""
        return self.error or f"the synthesis stopped ({self.state.value})"


class Runner:
    """One engine run, a step at a time, on the calling thread.

    Parameters
    ----------
    synth:
        The job's run (:meth:`core.job.Job.task`: a :class:`core.Synthesizer` or a quick
        :class:`core.task.ImageTask`), already validated.
    outputs:
        Output key -> channels of the run's (stacked) result that form that
        image; default ``{"": all channels}``. A PBR run has one key per map;
        the first output is the one shown as live preview.
    preview_interval:
        Least time in seconds between two previews (0: after every step).
        A preview costs an enlargement to output size (nearest neighbour), so
        it is also spaced to at least ``preview_cost_factor`` (4) times its
        own cost (at most ~20% of the run's time).

    Notes
    -----
    :meth:`run` makes no previews: nobody can look at them while the
    calling thread is busy until the end.
    """

    def __init__(
        self,
        synth: Task,
        *,
        outputs: Mapping[str, slice] | None = None,
        preview_interval: float = PREVIEW_INTERVAL,
    ) -> None:
        self.synth = synth
        self.size = synth.size
        self.outputs = dict(outputs) if outputs is not None else {"": slice(None)}
        self.preview_interval = preview_interval
        #: Previews are also spaced by this many times their own cost (0: only preview_interval counts).
        self.preview_cost_factor = 4.0
        self._steps: Generator[Progress, None, None] = self.synth.steps()
        self._cancel_requested = False
        self._state = JobState.READY
        self._fraction = 0.0
        self._stage = "starting"
        self._count = 0
        self._error: str | None = None
        self._exception: BaseException | None = None
        self._preview: np.ndarray | None = None
        self._preview_serial = 0
        self._taken_serial = 0
        self._next_preview = 0.0
        self._output_pixels: dict[str, np.ndarray] | None = None

    # -- running -------------------------------------------------------------

    def step(self, count: int = 1, *, capture_all: bool = False) -> bool:
        """Run up to ``count`` engine steps on the calling thread; True while work remains.

        ``capture_all``: a bug in the engine (not only bad input) fails the run
        instead of raising, for the modal operator, which reports it.
        """
        return all(self._advance(capture_all=capture_all, previews=True) for _ in range(count))

    def step_for(self, seconds: float, *, capture_all: bool = False) -> bool:
        """Run engine steps for about ``seconds`` (at least one); True while work remains."""
        end = time.perf_counter() + seconds
        while self.step(capture_all=capture_all):
            if time.perf_counter() >= end:
                return True
        return False

    def run(self, callback: Callable[[Snapshot], None] | None = None) -> Snapshot:
        """Run to the end on the calling thread (no previews), calling ``callback`` after every step."""
        while self._advance(capture_all=False, previews=False):
            if callback is not None:
                callback(self.snapshot())
        final = self.snapshot()
        if callback is not None:
            callback(final)
        return final

    def cancel(self) -> None:
        """Stop the run: CANCELLED at once (unless it has already ended). Idempotent."""
        self._cancel_requested = True
        if self._state in (JobState.READY, JobState.RUNNING):
            self._state = JobState.CANCELLED

    @property
    def cancel_requested(self) -> bool:
        """True once :meth:`cancel` has been called (by anyone: Esc, the Cancel button, undo)."""
        return self._cancel_requested

    def _advance(self, *, capture_all: bool, previews: bool) -> bool:
        """One engine step; publishes progress, maybe a preview, or the end state."""
        if self._state in (JobState.FINISHED, JobState.CANCELLED, JobState.FAILED):
            return False
        self._state = JobState.RUNNING
        if self._cancel_requested:
            self._steps.close()
            self._state = JobState.CANCELLED
            return False
        try:
            progress = next(self._steps)
        except StopIteration:
            result = {key: pixels.to_blender(self.synth.result[:, :, part]) for key, part in self.outputs.items()}
            self._output_pixels = result
            self._fraction = 1.0
            self._stage = "finished"
            self._state = JobState.FINISHED
            return False
        except USER_ERRORS as err:
            self._fail(err)
            return False
        except Exception as err:
            if not capture_all:
                raise
            self._fail(err)
            return False
        preview = self._make_preview(progress) if previews else None
        self._count += 1
        self._fraction = max(self._fraction, min(1.0, float(progress.fraction)))
        self._stage = progress.stage
        if preview is not None:
            self._preview = preview
            self._preview_serial += 1
        return True

    def _make_preview(self, progress: Progress) -> np.ndarray | None:
        """The first output's current image in Blender's layout, when a preview is due; else None."""
        now = time.perf_counter()
        if now < self._next_preview:
            return None
        preview = pixels.to_blender(progress.preview(smooth=False)[:, :, next(iter(self.outputs.values()))])
        cost = time.perf_counter() - now
        self._next_preview = time.perf_counter() + max(self.preview_interval, self.preview_cost_factor * cost)
        return preview

    def _fail(self, err: BaseException) -> None:
        self._exception = err
        self._error = describe_error(err)
        self._state = JobState.FAILED

    # -- reading ------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The current state, progress and stage (cheap: a few numbers)."""
        return Snapshot(self._state, self._fraction, self._stage, self._count, self._error)

    def take_preview(self) -> np.ndarray | None:
        """The newest preview not taken yet, as Blender's flat RGBA float32; else None."""
        if self._preview is None or self._preview_serial == self._taken_serial:
            return None
        self._taken_serial = self._preview_serial
        return self._preview

    @property
    def exception(self) -> BaseException | None:
        """The exception that made the run fail, if any."""
        return self._exception

    @property
    def internal_error(self) -> BaseException | None:
        """The exception that made the run fail when it is a bug (not in :data:`USER_ERRORS`), else None."""
        err = self._exception
        return err if err is not None and not isinstance(err, USER_ERRORS) else None

    def output(self, key: str = "") -> np.ndarray:
        """One finished output image: (height, width, C) float32, top row first."""
        return self.synth.result[:, :, self.outputs[key]]

    def output_pixels(self, key: str = "") -> np.ndarray:
        """One finished output as Blender's flat RGBA float32 (bottom row first)."""
        if self._output_pixels is None:
            raise RuntimeError("the run has not finished")
        return self._output_pixels[key]

    @property
    def total_steps(self) -> int:
        """Engine steps of the whole run (sum of the iterations of all levels)."""
        return self.synth.total_steps


def eta_text(fraction: float, elapsed: float) -> str:
    """'about 2 min left' from the fraction done and the seconds spent so far ('' while unknown)."""
    if fraction <= 0.02 or elapsed < 2.0:
        return ""
    left = elapsed * (1.0 - fraction) / fraction
    if not math.isfinite(left):
        return ""
    if left < 60:
        return f"about {max(1, round(left))} s left"
    return f"about {round(left / 60)} min left"


def status_line(snap: Snapshot, elapsed: float) -> str:
    """One line for the status bar: percent, stage, time left, how to cancel."""
    parts = [f"GASS {snap.fraction * 100:.0f}%", snap.stage]
    eta = eta_text(snap.fraction, elapsed)
    if eta:
        parts.append(eta)
    parts.append("Esc or right-click to cancel")
    return "  ·  ".join(parts)
