"""One synthesis inside a .blend: the object the operator (modal or not) and the tests drive.

A :class:`SynthesisSession` is made by :meth:`SynthesisSession.from_context`,
which validates everything and copies the exemplars' pixels but changes
nothing in the file. :meth:`begin` creates the output image and links it into
the material (remembering what it changed); then either :meth:`step` (on the
calling thread) or a worker thread (``begin(threaded=True)``) advances the
engine, and :meth:`update` (main thread) copies the newest preview into the
image. :meth:`finish` writes the result and packs it; :meth:`cancel` removes
the image and restores the material exactly.

At most one session runs at a time (:func:`active_session`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import bpy

from . import bridge, preferences
from .core import GassError
from .job import JobState, Snapshot, SynthesisJob, eta_text
from .properties import scene_settings


class BusyError(GassError):
    """A synthesis is already running."""


_ACTIVE: SynthesisSession | None = None

BUSY_MESSAGE = "A synthesis is already running: wait for it to finish or press Esc to cancel it"


def active_session() -> SynthesisSession | None:
    """The session that is running, if any."""
    return _ACTIVE


def abort_active() -> None:
    """Cancel the running session, if any (e.g. before another file is loaded)."""
    if _ACTIVE is not None:
        _ACTIVE.cancel()


class SynthesisSession:
    """A synthesis from the scene's GASS settings into the active material.

    Parameters
    ----------
    job:
        The :class:`SynthesisJob` (validated engine run).
    target:
        Where the result goes (:func:`bridge.find_target`).
    fmt:
        The output's :class:`bridge.OutputFormat`.
    output_name:
        Wanted name of the new image.
    """

    def __init__(self, job: SynthesisJob, target: bridge.Target, fmt: bridge.OutputFormat, output_name: str) -> None:
        self.job = job
        self.target = target
        self.fmt = fmt
        self.output_name = output_name or "GASS Texture"
        self.width = job.config.width
        self.height = job.config.height
        self.change: bridge.LinkChange | None = None
        self.warnings: list[str] = []
        self.cancel_requested = False
        self.started = 0.0
        self.update_seconds_max = 0.0
        self.update_seconds_total = 0.0
        self.updates = 0
        self.previews_written = 0
        self._image_name: str | None = None
        self._image_pointer = 0
        self._closed = False

    # -- creation --------------------------------------------------------------

    @classmethod
    def from_context(cls, context: bpy.types.Context) -> SynthesisSession:
        """Validate the scene's settings and read the exemplars; changes nothing.

        Raises
        ------
        GassError
            Busy, no active object or material, bad exemplars or settings,
            with a message that says what to do.
        """
        if _ACTIVE is not None:
            raise BusyError(BUSY_MESSAGE)
        settings = scene_settings(context)
        if settings is None:
            raise bridge.SetupError("No scene")
        if len(settings.exemplars) == 0:
            raise bridge.SetupError("No exemplars: add an image to the exemplar list first")
        target = bridge.find_target(context)
        prefs = preferences.get(context)
        config = settings.to_config(memory_budget_mb=prefs.memory_budget_mb if prefs is not None else None)
        exemplars = [
            bridge.read_exemplar(item.image, i, min_side=2 * config.patch_size)
            for i, item in enumerate(settings.exemplars, start=1)
        ]
        fmt, arrays = bridge.plan_output(exemplars, alpha=config.synthesize_alpha)
        interval = prefs.preview_interval if prefs is not None else 0.25
        job = SynthesisJob(
            arrays,
            settings.weights(),
            config,
            int(settings.seed),
            preview_interval=interval,
            names=[e.name for e in exemplars],
        )
        return cls(job, target, fmt, str(settings.output_name))

    # -- running ---------------------------------------------------------------

    def begin(self, *, threaded: bool) -> None:
        """Create the output image, link it into the material, start the job.

        With ``threaded`` the engine runs on a worker thread (modal operator);
        otherwise call :meth:`step` or :meth:`run_to_end` on this thread.
        """
        global _ACTIVE
        if _ACTIVE is not None:
            raise BusyError(BUSY_MESSAGE)
        image = bridge.new_output_image(self.output_name, self.width, self.height, self.fmt)
        self._image_name = image.name
        self._image_pointer = image.as_pointer()
        try:
            self.change = bridge.link_output(self.target, image)
        except BaseException:
            bpy.data.images.remove(image)
            raise
        self.warnings.extend(self.change.warnings)
        _ACTIVE = self
        self.started = time.perf_counter()
        if threaded:
            self.job.start()

    def step(self, count: int = 1) -> bool:
        """Run up to ``count`` engine steps on this thread; True while work remains."""
        return self.job.step(count)

    def run_to_end(self, callback: Callable[[Snapshot], None] | None = None) -> Snapshot:
        """Run the remaining steps on this thread (no previews: nobody can see them)."""
        self.job.preview_interval = math.inf
        return self.job.run(callback)

    def update(self) -> Snapshot:
        """Main thread, a few times per second: copy the newest preview into the image.

        Returns the job's :class:`Snapshot`. Costs one ``foreach_set`` when a
        new preview is there, else microseconds; see ``update_seconds_max``.
        """
        start = time.perf_counter()
        snap = self.job.snapshot()
        if not self._closed and snap.state is JobState.RUNNING:
            flat = self.job.take_preview()
            if flat is not None:
                image = self.image()
                if image is None:
                    raise GassError("The output image was removed while it was being synthesized")
                bridge.write_pixels(image, flat)
                self.previews_written += 1
        spent = time.perf_counter() - start
        self.updates += 1
        self.update_seconds_total += spent
        self.update_seconds_max = max(self.update_seconds_max, spent)
        return snap

    def finish(self) -> bpy.types.Image:
        """Write the finished result into the image and pack it; the session ends."""
        global _ACTIVE
        snap = self.job.snapshot()
        if snap.state is not JobState.FINISHED:
            raise RuntimeError(f"the synthesis has not finished (state {snap.state.value})")
        image = self.image()
        if image is None:
            raise GassError("The output image was removed while it was being synthesized")
        bridge.write_pixels(image, self.job.result_pixels)
        bridge.pack(image)
        self._closed = True
        if _ACTIVE is self:
            _ACTIVE = None
        return image

    def cancel(self) -> None:
        """Stop the engine, remove the output image and restore the material. Idempotent."""
        global _ACTIVE
        self.job.cancel()
        if not self._closed:
            self._closed = True
            try:
                if self.change is not None:
                    self.change.revert()
                image = self.image()
                if image is not None:
                    bpy.data.images.remove(image)
            except ReferenceError:  # data freed under us (e.g. file reloaded): nothing left to restore
                pass
        if _ACTIVE is self:
            _ACTIVE = None

    # -- reading -----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True after :meth:`finish` or :meth:`cancel`."""
        return self._closed

    def image(self) -> bpy.types.Image | None:
        """The output image, found by name (or by address if the user renamed it)."""
        if self._image_name is None:
            return None
        image = bpy.data.images.get(self._image_name)
        if image is not None and image.as_pointer() == self._image_pointer:
            return image
        for candidate in bpy.data.images:
            if candidate.as_pointer() == self._image_pointer:
                self._image_name = candidate.name
                return candidate
        return None

    @property
    def image_name(self) -> str | None:
        """Name of the output image (after Blender made it unique)."""
        return self._image_name

    def status_text(self) -> str:
        """One line for the status bar: percent, stage, time left, how to cancel."""
        snap = self.job.snapshot()
        eta = eta_text(snap.fraction, time.perf_counter() - self.started)
        parts = [f"GASS {snap.fraction * 100:.0f}%", snap.stage]
        if eta:
            parts.append(eta)
        parts.append("Esc or right-click to cancel")
        return "  ·  ".join(parts)
