"""One engine run inside a .blend: the object the operators (modal or not) and the tests drive.

A :class:`SynthesisSession` is made by :meth:`SynthesisSession.from_context`
for one job (a new texture, a PBR set, make-tileable, fill), which validates
everything and copies the input pixels but changes nothing in the file.
:meth:`begin` creates the output image(s) and wires them into the material
(recording what it changed in one :class:`material.MaterialEdit`); then
:meth:`step_for` (a slice of engine steps per timer event of the modal
operator) or :meth:`run_to_end` advances the engine on Blender's main thread,
and :meth:`update` copies the newest preview into the image. :meth:`finish` writes the
results and packs them; :meth:`cancel` stops the job, removes the images and
reverts the material edit. Whether a run was asked to stop is the job's to
know (:attr:`Runner.cancel_requested`).

At most one session runs at a time (:func:`active_session`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np

from . import images, material, preferences
from .core import GassError, InvalidExemplarError
from .core.exemplars import check_image_size
from .core.job import JOB_KINDS, JOB_VERBS, Job, JobKind, JobSettings, min_image_side
from .core.maps import MapSet
from .properties import GASS_PG_settings, scene_settings
from .runner import PREVIEW_INTERVAL, JobState, Runner, Snapshot, status_line


class BusyError(GassError):
    """A synthesis is already running."""


_ACTIVE: SynthesisSession | None = None


BUSY_MESSAGE = "A synthesis is already running: wait for it to finish or press Esc to cancel it"


def active_session() -> SynthesisSession | None:
    """The session that is running, if any."""
    return _ACTIVE


def abort_active(reason: str | None = None) -> None:
    """Cancel the running session, if any, and restore the file.

    Called by the add-on's ``undo_pre``, ``redo_pre`` and ``load_pre``
    handlers: undo, redo and file load free or rebuild the datablocks a run
    has created or changed (its image, its node), so the run is stopped and
    its changes are taken back *before* Blender does that. ``reason`` (e.g.
    "Undo") is kept in :attr:`SynthesisSession.stop_reason` for the modal
    operator's report.
    """
    session = _ACTIVE
    if session is not None:
        session.cancel(reason)


@dataclass(frozen=True)
class PlannedImage:
    """One output image of a session.

    Attributes
    ----------
    key:
        The job's output key ("" for a single image, the map kind for PBR).
    name:
        Wanted datablock name (Blender adds .001 if it is taken).
    fmt:
        Its :class:`images.OutputFormat`.
    alpha:
        An RGBA image.
    """

    key: str
    name: str
    fmt: images.OutputFormat
    alpha: bool = False


#: Wires the new images (by output key) into the file; returns the record of what it changed, or None.
Wire = Callable[[dict[str, bpy.types.Image]], "material.MaterialEdit | None"]


class SynthesisSession:
    """An engine run from the scene's GASS settings into new images, wired into a material.

    Parameters
    ----------
    runner:
        The :class:`Runner` (validated engine run).
    planned:
        The output images to create, in the order of the job's outputs (the
        first is the live preview).
    wire:
        Puts the new images into the material, recording the change.
    destination:
        Where the results go, for messages (replaced by the edit's own
        :attr:`material.MaterialEdit.destination` once it is made).
    """

    def __init__(self, runner: Runner, planned: list[PlannedImage], wire: Wire, destination: str) -> None:
        self.runner = runner
        self.planned = planned
        self.wire = wire
        self.destination = destination
        self.width, self.height = runner.size
        self.edit: material.MaterialEdit | None = None
        self.warnings: list[str] = []
        #: Why the session was cancelled from outside the operator (e.g. "Undo"), else None.
        self.stop_reason: str | None = None
        #: True while a modal operator drives this session (it then restores the file on Esc or Cancel).
        self.modal = False
        self.started = 0.0
        self.previews_written = 0
        self._images: dict[str, tuple[str, int]] = {}  # key -> (name, address)
        self._closed = False

    # -- creation --------------------------------------------------------------

    @classmethod
    def from_context(cls, context: bpy.types.Context, kind: str = "new") -> SynthesisSession:
        """Validate the scene's settings for a job of ``kind`` (one of :data:`core.job.JOB_KINDS`) and read
        the inputs.

        Changes nothing in the file.

        Raises
        ------
        GassError
            Busy, no active object or material, bad images or settings,
            with a message that says what to do.
        """
        if _ACTIVE is not None:
            raise BusyError(BUSY_MESSAGE)
        settings = scene_settings(context)
        if settings is None:
            raise material.SetupError("No scene")
        prefs = preferences.get(context)
        interval = prefs.preview_interval if prefs is not None else PREVIEW_INTERVAL
        budget = prefs.memory_budget_mb if prefs is not None else None
        builders = {
            "new": _plan_new,
            "pbr": _plan_pbr,
            "tile": _plan_tileable,
            "fill": _plan_fill,
            "equalize": _plan_equalized,
        }
        if kind not in builders:
            raise ValueError(f"unknown job {kind!r}; one of {', '.join(JOB_KINDS)}")
        session = builders[kind](context, settings.job_settings(memory_budget_mb=budget), settings)
        session.runner.preview_interval = interval
        return session

    # -- running ---------------------------------------------------------------

    def begin(self) -> None:
        """Create the output image and link it into the material; then call :meth:`step_for` (the modal
        operator, a slice per timer event) or :meth:`run_to_end` on this thread."""
        global _ACTIVE
        if _ACTIVE is not None:
            raise BusyError(BUSY_MESSAGE)
        created: dict[str, bpy.types.Image] = {}
        try:
            for plan in self.planned:
                image = images.new_output_image(plan.name, self.width, self.height, plan.fmt, alpha=plan.alpha)
                created[plan.key] = image
                self._images[plan.key] = (image.name, image.as_pointer())
            self.edit = self.wire(created)
        except BaseException:
            for image in created.values():
                bpy.data.images.remove(image)
            self._images.clear()
            raise
        if self.edit is not None:
            self.warnings.extend(self.edit.warnings)
            self.destination = self.edit.destination  # what was really done (4.2 may have turned nodes on)
        _ACTIVE = self
        self.started = time.perf_counter()

    def step(self, count: int = 1) -> bool:
        """Run up to ``count`` engine steps on this thread; True while work remains."""
        return self.runner.step(count)

    def step_for(self, seconds: float) -> bool:
        """One timer event of the modal operator: engine steps for about ``seconds`` (at least one).

        True while work remains. A bug in the engine fails the run (see
        :attr:`Runner.internal_error`) instead of raising out of the modal handler.
        """
        return self.runner.step_for(seconds, capture_all=True)

    def run_to_end(self, callback: Callable[[Snapshot], None] | None = None) -> Snapshot:
        """Run the remaining steps on this thread (no previews: nobody can see them)."""
        return self.runner.run(callback)

    def update(self) -> Snapshot:
        """Main thread, a few times per second: copy the newest preview into the image.

        Returns the job's :class:`Snapshot`. Costs one ``foreach_set`` when a
        new preview is there, else microseconds (``scripts/measure_timer.py``).
        """
        snap = self.runner.snapshot()
        if not self._closed and snap.state is JobState.RUNNING:
            flat = self.runner.take_preview()
            if flat is not None:
                image = self.image()
                if image is None:
                    raise GassError("The output image was removed while it was being synthesized")
                images.write_pixels(image, flat)
                self.previews_written += 1
        return snap

    def finish(self) -> bpy.types.Image:
        """Write the finished results into the images and pack them; the session ends.

        Returns the first (preview) image.
        """
        global _ACTIVE
        snap = self.runner.snapshot()
        if snap.state is not JobState.FINISHED:
            raise RuntimeError(f"the synthesis has not finished (state {snap.state.value})")
        outputs = self.images()
        if len(outputs) != len(self.planned):
            raise GassError("An output image was removed while it was being synthesized")
        for key, image in outputs.items():
            images.write_pixels(image, self.runner.output_pixels(key))
            image.pack()  # PNG for byte, OpenEXR for float images: survives save and reload
            # Kept even when a later run replaces it in the node (no user left): the artist made it,
            # and Blender drops images without users on save. Delete it in Blender File view.
            image.use_fake_user = True
        self._closed = True
        if _ACTIVE is self:
            _ACTIVE = None
        return outputs[self.planned[0].key]

    def cancel(self, reason: str | None = None) -> None:
        """Stop the engine, remove the output image and restore the material. Idempotent.

        Everything is found again by name (nothing is kept as a Python
        reference to Blender data), so this is safe after the user deleted or
        renamed things; it must run *before* an undo, redo or file load frees
        the datablocks (see :func:`abort_active`). ``reason`` says who
        cancelled, for the report.
        """
        global _ACTIVE
        self.runner.cancel()
        if not self._closed:
            self.stop_reason = reason
            self._closed = True
            try:
                if self.edit is not None:
                    self.edit.revert()
                for image in self.images().values():
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

    def image(self, key: str | None = None) -> bpy.types.Image | None:
        """An output image (default: the preview one), found by name, or by address if renamed."""
        key = self.planned[0].key if key is None else key
        if key not in self._images:
            return None
        name, pointer = self._images[key]
        image = bpy.data.images.get(name)
        if image is not None and image.as_pointer() == pointer:
            return image
        for candidate in bpy.data.images:
            if candidate.as_pointer() == pointer:
                self._images[key] = (candidate.name, pointer)
                return candidate
        return None

    def images(self) -> dict[str, bpy.types.Image]:
        """The output images that still exist, by output key."""
        found = {key: self.image(key) for key in self._images}
        return {key: image for key, image in found.items() if image is not None}

    def status_text(self) -> str:
        """One line for the status bar: percent, stage, time left, how to cancel."""
        return status_line(self.runner.snapshot(), time.perf_counter() - self.started)


# -- one builder per job: validate, read the inputs, plan the outputs ------------------


def _plan_new(context: bpy.types.Context, job_settings: JobSettings, settings: GASS_PG_settings) -> SynthesisSession:
    """A new texture from the exemplar list into the active material."""
    if len(settings.exemplars) == 0:
        raise material.SetupError("No exemplars: add an image to the exemplar list first")
    target = material.find_target(context)
    min_side = job_settings.config().min_exemplar_side
    exemplars = [images.read_exemplar(item.image, i, min_side=min_side) for i, item in enumerate(settings.exemplars, 1)]
    fmt, arrays = images.plan_output(exemplars, alpha=job_settings.alpha)
    weights = tuple(settings.weights())
    job = Job("new", tuple(arrays), job_settings, weights, tuple(e.name for e in exemplars), linear=fmt.linear)
    name = str(settings.output_name) or "GASS Texture"
    session = SynthesisSession(
        Runner(job.task()),
        [PlannedImage("", name, fmt)],
        lambda outputs: material.link_output(target, outputs[""]),
        target.describe(),
    )
    if not job_settings.alpha:
        session.warnings.extend(w for w in map(hidden_colour_warning, exemplars) if w)
    return session


#: Share of (nearly) transparent pixels above which dropping alpha is reported.
HIDDEN_COLOUR_SHARE = 0.01


def hidden_colour_warning(exemplar: images.ExemplarPixels) -> str | None:
    """A warning when alpha is ignored but the exemplar has many transparent pixels, else None.

    Without Synthesize Alpha the colour under alpha 0 (often black or left
    over from editing) counts like any other colour, and becomes part of the
    texture: say so instead of surprising the artist.
    """
    image = exemplar.pixels
    if image.shape[2] not in (2, 4):
        return None
    share = float(np.mean(image[:, :, -1] < 0.5))
    if share < HIDDEN_COLOUR_SHARE:
        return None
    return (
        f"Exemplar '{exemplar.name}' is {share * 100:.0f}% transparent and Synthesize Alpha is off: the colours "
        "hidden under its transparent pixels were used like the others; turn on Synthesize Alpha, or paint "
        "those pixels opaque, if that is not wanted"
    )


def _plan_pbr(context: bpy.types.Context, job_settings: JobSettings, settings: GASS_PG_settings) -> SynthesisSession:
    """Aligned PBR maps from the map list into the nodes that feed them in the active material."""
    rows = list(settings.maps)
    if not rows:
        raise material.SetupError("No PBR maps: click 'From Material' or add map rows first")
    target = material.find_target(context)
    min_side = job_settings.config().min_exemplar_side
    maps: dict[str, np.ndarray] = {}
    formats: dict[str, images.OutputFormat] = {}
    warnings: list[str] = []
    for i, row in enumerate(rows, start=1):
        kind = str(row.kind)
        if kind in maps:
            raise InvalidExemplarError(f"Map row {i} is a second {kind} map; keep one map of each kind")
        pixels = images.read_exemplar(row.image, i, min_side=min_side)
        formats[kind], (maps[kind],) = images.plan_output([pixels])
        warnings.extend(w for w in [hidden_colour_warning(pixels)] if w)
    colour_is_linear = "color" in formats and formats["color"].linear
    synth = Job("pbr", (MapSet(maps),), job_settings, linear=colour_is_linear).task()
    slices = synth.output_slices()
    order = sorted(slices, key=lambda k: k != "color")  # the colour map is the preview
    base = str(settings.output_name) or "GASS Texture"
    session = SynthesisSession(
        Runner(synth, outputs={k: slices[k] for k in order}),
        [PlannedImage(k, f"{base} {k}", formats[k]) for k in order],
        lambda outputs: material.wire_maps(target.material_name, outputs),
        f"material '{target.material_name}'",
    )
    session.warnings.extend(warnings)
    return session


def _read_source(
    settings: GASS_PG_settings, job_settings: JobSettings, kind: str, *, alpha_is_mask: bool
) -> tuple[images.OutputFormat, np.ndarray, str]:
    """The source image of make-tileable or fill: (output format, pixels, name).

    Its size is checked before its pixels are read; its alpha is kept where it
    is used (:func:`images.keeps_alpha`).
    """
    verb = JOB_VERBS[kind]
    if settings.source is None:
        raise material.SetupError(f"No image: pick the image to {verb} in the Image field (or Use Active Image)")
    min_side = min_image_side(kind, job_settings)
    width, height = images.image_size(settings.source)
    if width * height > 0:  # (an image without pixels gets read_exemplar's message)
        check_image_size(width, height, f"Image '{settings.source.name}'", job=verb, min_side=min_side)
    pixels = images.read_exemplar(settings.source, 1, min_side=min_side)
    fmt, (array,) = images.plan_output([pixels], alpha=images.keeps_alpha(pixels, alpha_is_mask=alpha_is_mask))
    return fmt, array, settings.source.name


def _into_source_nodes(context: bpy.types.Context, source: str) -> tuple[Wire, str]:
    """Wiring that shows the result wherever the active material shows ``source``."""
    obj = context.active_object
    mat = obj.active_material if obj is not None else None
    name = mat.name if mat is not None else None
    if mat is not None and material.replace_image_targets(mat, source):
        where = f"the nodes of material '{mat.name}' that showed '{source}'"
    else:
        where = "a new image (no node of the active material showed the source)"

    def wire(outputs: dict[str, bpy.types.Image]) -> material.MaterialEdit | None:
        return material.replace_image(bpy.data.materials.get(name) if name else None, source, outputs[""])

    return wire, where


def _plan_image_job(
    context: bpy.types.Context, job_settings: JobSettings, settings: GASS_PG_settings, kind: JobKind, suffix: str
) -> SynthesisSession:
    """The source image changed by a one-image job without a mask (tile, equalize), into a new image."""
    fmt, array, name = _read_source(settings, job_settings, kind, alpha_is_mask=False)
    task = Job(kind, (array,), job_settings, names=(name,), linear=fmt.linear).task()
    wire, where = _into_source_nodes(context, name)
    alpha = array.shape[2] in (2, 4)
    return SynthesisSession(Runner(task), [PlannedImage("", f"{Path(name).stem} {suffix}", fmt, alpha)], wire, where)


def _plan_tileable(
    context: bpy.types.Context, job_settings: JobSettings, settings: GASS_PG_settings
) -> SynthesisSession:
    """The source image made tileable, into a new image."""
    return _plan_image_job(context, job_settings, settings, "tile", "tileable")


def _plan_equalized(
    context: bpy.types.Context, job_settings: JobSettings, settings: GASS_PG_settings
) -> SynthesisSession:
    """The source image with its lighting equalized, into a new image."""
    return _plan_image_job(context, job_settings, settings, "equalize", "equalized")


def _plan_fill(context: bpy.types.Context, job_settings: JobSettings, settings: GASS_PG_settings) -> SynthesisSession:
    """The source image with its masked region filled, into a new image."""
    with_mask = settings.mask is not None
    fmt, array, name = _read_source(settings, job_settings, "fill", alpha_is_mask=not with_mask)
    mask = None
    if settings.mask is not None:
        mask = images.read_exemplar(settings.mask, 2, min_side=1).pixels[:, :, :3]
    else:  # the image's transparent pixels are the region: say so, not "the mask", when there are none
        transparent = array[:, :, -1] < 0.5 if array.shape[2] in (2, 4) else np.zeros(array.shape[:2], dtype=bool)
        if not transparent.any():
            raise material.SetupError(
                f"Image '{name}' has no transparent pixels and no Mask is set, so there is no pixel to fill: pick "
                "a Mask image (white = fill), or use an image whose transparent pixels mark the region to fill"
            )
        if transparent.all():
            raise material.SetupError(
                f"Image '{name}' is transparent everywhere and no Mask is set: fill needs opaque pixels to learn "
                "from; pick a Mask image (white = fill) instead"
            )
    try:
        synth = Job("fill", (array,), job_settings, names=(name,), mask=mask).task()
    except InvalidExemplarError as err:
        if mask is not None:
            raise
        raise InvalidExemplarError(str(err).replace("outside the mask", "among the opaque pixels")) from err
    wire, where = _into_source_nodes(context, name)
    alpha = array.shape[2] in (2, 4)
    return SynthesisSession(Runner(synth), [PlannedImage("", f"{Path(name).stem} filled", fmt, alpha)], wire, where)
