"""Operators: the four jobs (modal in the UI, synchronous in scripts), cancel, the input lists.

The jobs share one operator body (:class:`JobOperator`): ``gass.synthesize``
(a new texture), ``gass.synthesize_pbr`` (aligned PBR maps),
``gass.make_tileable`` and ``gass.fill``. The operator drives one
:class:`session.SynthesisSession`; whether the run was asked to stop is its
job's to know (``session.runner.cancel_requested``), and every error reaches the
artist through :func:`runner.describe_error`.
"""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
import types
from typing import TYPE_CHECKING

import bpy

from . import material
from .core import GassError
from .properties import scene_settings as _settings
from .runner import JobState, describe_error
from .session import BUSY_MESSAGE, SynthesisSession, active_session

if TYPE_CHECKING:
    from bpy.stub_internal.rna_enums import OperatorReturnItems

    Result = set[OperatorReturnItems]

#: Seconds between timer events of the modal operator. Each event runs a slice of
#: engine steps and, a few times per second, copies a preview into the image.
TIMER_STEP = 0.05
#: Seconds of engine steps per timer event, on Blender's main thread: the UI answers between slices
#: (a single step may take longer at large sizes; it is never split).
STEP_SECONDS = 0.08

_REDRAW_AREAS = {"NODE_EDITOR", "IMAGE_EDITOR", "VIEW_3D", "PROPERTIES"}


def _redraw(context: bpy.types.Context) -> None:
    screen = context.screen
    if screen is None:
        return
    for area in screen.areas:
        if area.type in _REDRAW_AREAS:
            area.tag_redraw()


#: The report of a synchronous run interrupted with Ctrl-C.
INTERRUPTED_MESSAGE = "GASS: interrupted (Ctrl-C); the synthesis was cancelled and the file is as it was before"


def interrupt_caller(frame: types.FrameType) -> None:
    """Raise KeyboardInterrupt in the code that called the operator, once ``frame`` has returned.

    For Ctrl-C during ``execute()``: an exception escaping an operator
    becomes a printed traceback and a RuntimeError in the script, which a
    script that handles bad input (RuntimeError) would step over; and
    ``_thread.interrupt_main()`` alone fires at the very next line of
    ``execute``. So a one-shot profile hook on this thread waits until
    Python runs again in one of the frames that called the operator (the
    ``bpy.ops`` wrapper; the first event there is the wrapper's return)
    and raises KeyboardInterrupt there: the calling script stops, as on
    Ctrl-C anywhere else. (It raised through ``interrupt_main()`` there
    before: a pending signal, delivered at some later bytecode check,
    possibly inside code that swallows it; the suite saw the script go on
    once.) Python that Blender runs in between (report printing, handlers)
    is left alone. Without a calling Python frame nothing is raised. A
    profiler running before is not restored: CPython unsets the profile hook
    that raises (the pending signal used to interrupt the profiler's own
    code, with the same result).
    """
    callers: set[types.FrameType] = set()
    outer = frame.f_back
    while outer is not None:
        callers.add(outer)
        outer = outer.f_back
    if not callers:
        return

    def hook(current: types.FrameType, event: str, arg: object) -> None:
        if current in callers:
            raise KeyboardInterrupt  # CPython unsets a profile hook that raises: it fires once

    sys.setprofile(hook)


def stopped_message(reason: str) -> str:
    """The report of a run that undo, redo or a file load stopped ("Undo" -> one line)."""
    return f"GASS: {reason} cancelled the running synthesis; its new image and node changes were taken back first"


class JobOperator(bpy.types.Operator):
    """The body of every job operator (never registered itself); subclasses set ``kind`` (one of
    core.job.JOB_KINDS), ``bl_idname``, ``bl_label`` and ``missing_input()``."""

    kind = "new"
    # No REGISTER: "Repeat Last" would re-run a minutes-long synthesis synchronously.
    bl_options = {"UNDO"}

    _session: SynthesisSession | None = None
    _timer: bpy.types.Timer | None = None
    _space_image: str | None = None
    _space: bpy.types.SpaceImageEditor | None = None
    _last_update = 0.0

    @classmethod
    def missing_input(cls, context: bpy.types.Context) -> str:
        """What the job still needs before it can start, as a hint ("" when nothing is missing)."""
        return ""

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if active_session() is not None:
            cls.poll_message_set(BUSY_MESSAGE)
            return False
        why = "No scene" if _settings(context) is None else cls.missing_input(context)
        if why:
            cls.poll_message_set(why)
            return False
        return True

    # -- synchronous: scripts, blender -b, module mode ---------------------------

    def execute(self, context: bpy.types.Context) -> Result:
        """Run the whole job on this thread (scripts, ``blender -b``, module mode).

        Ctrl-C (KeyboardInterrupt) during the run: the file is restored, the
        operator reports one warning and returns CANCELLED without a
        traceback, and the interrupt is raised again in the calling script
        (:func:`interrupt_caller`) so that the script stops as it would on
        any Ctrl-C instead of going on with the next line.
        """
        session: SynthesisSession | None = None
        try:
            session = SynthesisSession.from_context(context, self.kind)
            session.begin()
            snap = session.run_to_end()
            if snap.state is not JobState.FINISHED:
                raise GassError(snap.why_unfinished())
            image = session.finish()
        except BaseException as err:
            if session is not None:
                session.cancel()  # never leave a half-made image or changed link behind
            if isinstance(err, GassError):
                self.report({"ERROR"}, describe_error(err))
                return {"CANCELLED"}
            if isinstance(err, KeyboardInterrupt):
                self.report({"WARNING"}, INTERRUPTED_MESSAGE)
                interrupt_caller(sys._getframe())
                return {"CANCELLED"}
            raise
        self._report_done(session, image)
        return {"FINISHED"}

    # -- modal: the UI -----------------------------------------------------------

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> Result:
        if bpy.app.background or context.window is None:
            return self.execute(context)
        try:
            session = SynthesisSession.from_context(context, self.kind)
            session.begin()
            session.modal = True
        except GassError as err:
            self.report({"ERROR"}, describe_error(err))
            return {"CANCELLED"}
        self._session = session
        space = context.space_data
        if isinstance(space, bpy.types.SpaceImageEditor):
            self._space = space
            self._space_image = space.image.name if space.image is not None else None
            space.image = session.image()
        wm = context.window_manager
        assert wm is not None
        self._timer = wm.event_timer_add(TIMER_STEP, window=context.window)
        wm.modal_handler_add(self)
        self._show_status(context)
        for warning in session.warnings:
            self.report({"WARNING"}, warning)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> Result:
        session = self._session
        if session is None or session.closed:
            self._stop(context)
            if session is not None and session.stop_reason is not None:
                self.report({"WARNING"}, stopped_message(session.stop_reason))
            return {"CANCELLED"}
        if event.type in {"ESC", "RIGHTMOUSE"} and event.value == "PRESS":
            session.runner.cancel()
        if session.runner.cancel_requested:  # Esc, or the Cancel button (gass.cancel)
            self._abort(context, session)
            self.report({"INFO"}, "GASS: synthesis cancelled; nothing was changed")
            return {"CANCELLED"}
        if event.type in {"Z", "Y"} and (event.ctrl or event.oskey):
            self.report({"WARNING"}, "Undo is off while GASS synthesizes: press Esc to cancel first")
            return {"RUNNING_MODAL"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        now = time.perf_counter()
        if now - self._last_update < TIMER_STEP * 0.5:  # another add-on's timer: nothing new yet
            return {"PASS_THROUGH"}
        self._last_update = now
        try:
            session.step_for(STEP_SECONDS)
            snap = session.update()
            _redraw(context)
            image = session.finish() if snap.state is JobState.FINISHED else None
        except GassError as err:
            return self._fail(context, session, describe_error(err))
        if snap.state in (JobState.FAILED, JobState.CANCELLED):
            if session.runner.internal_error is not None:
                traceback.print_exception(session.runner.internal_error)
            return self._fail(context, session, f"GASS: {snap.why_unfinished()}")
        if image is None:
            self._show_status(context)
            return {"PASS_THROUGH"}
        self._stop(context)
        self._report_done(session, image)
        return {"FINISHED"}

    def cancel(self, context: bpy.types.Context) -> None:
        """Blender ends the operator (window closed, another file loaded): stop and restore.

        The editor remembered in invoke() may already be freed here, so it is
        not touched; a load_pre handler has restored the file before a load.
        """
        if self._session is not None:
            self._session.cancel()
        self._space = None
        self._stop(context)

    # -- helpers -----------------------------------------------------------------

    def _fail(self, context: bpy.types.Context, session: SynthesisSession, message: str) -> Result:
        """End the modal run with an error report: stop, restore the file, report ``message``."""
        self._abort(context, session)
        self.report({"ERROR"}, message)
        return {"CANCELLED"}

    def _abort(self, context: bpy.types.Context, session: SynthesisSession) -> None:
        session.cancel()
        if self._space is not None:
            with contextlib.suppress(ReferenceError):  # the editor may be gone
                self._space.image = bpy.data.images.get(self._space_image) if self._space_image else None
        self._stop(context)

    def _stop(self, context: bpy.types.Context) -> None:
        wm = context.window_manager
        if self._timer is not None and wm is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        _redraw(context)

    def _show_status(self, context: bpy.types.Context) -> None:
        if context.workspace is not None and self._session is not None:
            context.workspace.status_text_set(self._session.status_text())

    def _report_done(self, session: SynthesisSession, image: bpy.types.Image) -> None:
        seconds = time.perf_counter() - session.started
        for warning in session.warnings:
            self.report({"WARNING"}, warning)
        names = ", ".join(f"'{im.name}'" for im in session.images().values()) or f"'{image.name}'"
        self.report(
            {"INFO"},
            f"GASS: {names} ({session.width}x{session.height}) made in {seconds:.1f} s, shown in "
            f"{session.destination}; kept in the file (fake user) even when a later run replaces it",
        )


class GASS_OT_synthesize(JobOperator):
    """Synthesize a new seamless texture from the exemplars into the active material"""

    bl_idname = "gass.synthesize"
    bl_label = "Synthesize"
    kind = "new"

    @classmethod
    def missing_input(cls, context: bpy.types.Context) -> str:
        settings = _settings(context)
        if settings is None or not any(item.image is not None for item in settings.exemplars):
            return "Add an exemplar image first (the + button or Add Active Image)"
        return ""


class GASS_OT_synthesize_pbr(JobOperator):
    """Synthesize new aligned PBR maps from the map list into the nodes that feed them in the active material"""

    bl_idname = "gass.synthesize_pbr"
    bl_label = "Synthesize PBR Set"
    kind = "pbr"

    @classmethod
    def missing_input(cls, context: bpy.types.Context) -> str:
        settings = _settings(context)
        if settings is None or not any(row.image is not None for row in settings.maps):
            return "Add the material's maps first (From Material, or + and pick images)"
        return ""


class _ImageJobOperator(JobOperator):
    """The body of the jobs that change one picked image (make tileable, fill, equalize; never registered
    itself): they cannot start before the image is picked."""

    @classmethod
    def missing_input(cls, context: bpy.types.Context) -> str:
        settings = _settings(context)
        return "Pick the image in the Image field first" if settings is None or settings.source is None else ""


class GASS_OT_make_tileable(_ImageJobOperator):
    """Make the chosen image tile seamlessly, in about a second: cut against a shifted copy of itself where the
    two agree best, into a new image of the same size"""

    bl_idname = "gass.make_tileable"
    bl_label = "Make Tileable"
    kind = "tile"


class GASS_OT_fill(_ImageJobOperator):
    """Fill the masked (or transparent) region of the chosen image from its surroundings, into a new image"""

    bl_idname = "gass.fill"
    bl_label = "Fill Region"
    kind = "fill"


class GASS_OT_equalize_lighting(_ImageJobOperator):
    """Take large-scale lighting (a lit corner, a vignette, a colour cast) out of the chosen image, into a new
    image; its texture and mean colour stay"""

    bl_idname = "gass.equalize_lighting"
    bl_label = "Equalize Lighting"
    kind = "equalize"


class GASS_OT_cancel(bpy.types.Operator):
    """Stop the running synthesis; the file stays as it was before it started"""

    bl_idname = "gass.cancel"
    bl_label = "Cancel Synthesis"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if active_session() is None:
            cls.poll_message_set("No synthesis is running")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> Result:
        session = active_session()
        if session is not None:
            if session.modal:
                session.runner.cancel()  # the modal operator restores the file on its next event
            else:
                session.cancel()
        return {"FINISHED"}


class GASS_OT_exemplar_add(bpy.types.Operator):
    """Add an empty row to the exemplar list; pick its image in the row"""

    bl_idname = "gass.exemplar_add"
    bl_label = "Add Exemplar"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _settings(context) is not None

    def execute(self, context: bpy.types.Context) -> Result:
        settings = _settings(context)
        assert settings is not None
        settings.exemplars.add()
        settings.active_exemplar = len(settings.exemplars) - 1
        return {"FINISHED"}


class GASS_OT_exemplar_remove(bpy.types.Operator):
    """Remove the selected row of the exemplar list (the image itself stays)"""

    bl_idname = "gass.exemplar_remove"
    bl_label = "Remove Exemplar"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        settings = _settings(context)
        if settings is None or len(settings.exemplars) == 0:
            cls.poll_message_set("The exemplar list is empty")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> Result:
        settings = _settings(context)
        assert settings is not None
        index = min(settings.active_exemplar, len(settings.exemplars) - 1)
        settings.exemplars.remove(index)
        settings.active_exemplar = max(0, index - 1)
        return {"FINISHED"}


def active_image(context: bpy.types.Context) -> tuple[bpy.types.Image | None, str]:
    """The image 'Add Active Image' would add, or None and why not."""
    space = context.space_data
    if isinstance(space, bpy.types.SpaceImageEditor):
        if space.image is None:
            return None, "Open or pick an image in this Image Editor first"
        return space.image, ""
    node = None
    if isinstance(space, bpy.types.SpaceNodeEditor) and space.edit_tree is not None:
        active = space.edit_tree.nodes.active
        node = active if isinstance(active, bpy.types.ShaderNodeTexImage) else None
        if active is not None and node is None:
            return None, f"The active node '{active.name}' is not an Image Texture node: click one"
    else:
        obj = context.active_object
        node = material.active_image_node(obj.active_material if obj is not None else None)
    if node is None:
        return None, "Click an Image Texture node (it becomes the active node) in the Shader Editor"
    if node.image is None:
        return None, f"The active Image Texture node '{node.name}' has no image"
    return node.image, ""


class GASS_OT_exemplar_add_active(bpy.types.Operator):
    """Add the image of the active Image Texture node (or of this Image Editor) as an exemplar"""

    bl_idname = "gass.exemplar_add_active"
    bl_label = "Add Active Image"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if _settings(context) is None:
            return False
        image, why = active_image(context)
        if image is None:
            cls.poll_message_set(why)
            return False
        return True

    def execute(self, context: bpy.types.Context) -> Result:
        settings = _settings(context)
        image, why = active_image(context)
        if settings is None or image is None:
            self.report({"ERROR"}, why or "No scene")
            return {"CANCELLED"}
        items = settings.exemplars
        for i, item in enumerate(items):
            if item.image == image:
                settings.active_exemplar = i
                self.report({"INFO"}, f"'{image.name}' is already an exemplar")
                return {"CANCELLED"}
        item = items.add()
        item.image = image
        item.weight = 1.0
        settings.active_exemplar = len(items) - 1
        return {"FINISHED"}


class GASS_OT_maps_from_material(bpy.types.Operator):
    """Fill the PBR map list from the Image Texture nodes that feed the active material's BSDF"""

    bl_idname = "gass.maps_from_material"
    bl_label = "From Material"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        obj = context.active_object
        if _settings(context) is None or obj is None or obj.active_material is None:
            cls.poll_message_set("Select an object with a material whose Image Texture nodes feed its BSDF")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> Result:
        settings = _settings(context)
        obj = context.active_object
        mat = obj.active_material if obj is not None else None
        if settings is None or mat is None:
            return {"CANCELLED"}
        found = material.material_maps(mat)
        tree = mat.node_tree
        images: dict[str, bpy.types.Image] = {}
        for kind, node_name in found.items():
            node = tree.nodes.get(node_name) if tree is not None else None
            if isinstance(node, bpy.types.ShaderNodeTexImage) and node.image is not None:
                images[kind] = node.image
        if not images:
            self.report(
                {"ERROR"},
                f"Material '{mat.name}' has no Image Texture node feeding Base Color, Normal (via Normal Map), "
                "Roughness, Metallic or Height (via Bump or Displacement)",
            )
            return {"CANCELLED"}
        settings.maps.clear()
        for kind, image in images.items():
            row = settings.maps.add()
            row.kind = kind
            row.image = image
        settings.active_map = 0
        settings.job_kind = "pbr"
        self.report({"INFO"}, f"GASS: {len(images)} maps from '{mat.name}': {', '.join(images)}")
        return {"FINISHED"}


class GASS_OT_map_add(bpy.types.Operator):
    """Add a row to the PBR map list; pick its kind and image in the row"""

    bl_idname = "gass.map_add"
    bl_label = "Add Map"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> Result:
        settings = _settings(context)
        if settings is None:
            return {"CANCELLED"}
        taken = {row.kind for row in settings.maps}
        row = settings.maps.add()
        row.kind = next(
            (k for k in ("color", "normal", "roughness", "height", "metallic", "ao") if k not in taken), "color"
        )
        settings.active_map = len(settings.maps) - 1
        return {"FINISHED"}


class GASS_OT_map_remove(bpy.types.Operator):
    """Remove the selected row of the PBR map list (the image itself stays)"""

    bl_idname = "gass.map_remove"
    bl_label = "Remove Map"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        settings = _settings(context)
        return settings is not None and len(settings.maps) > 0

    def execute(self, context: bpy.types.Context) -> Result:
        settings = _settings(context)
        assert settings is not None
        index = min(settings.active_map, len(settings.maps) - 1)
        settings.maps.remove(index)
        settings.active_map = max(0, index - 1)
        return {"FINISHED"}


class GASS_OT_source_from_active(bpy.types.Operator):
    """Use the image of the active Image Texture node (or of this Image Editor) as the image to work on"""

    bl_idname = "gass.source_from_active"
    bl_label = "Use Active Image"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        image, why = active_image(context)
        if image is None:
            cls.poll_message_set(why)
            return False
        return _settings(context) is not None

    def execute(self, context: bpy.types.Context) -> Result:
        settings = _settings(context)
        image, why = active_image(context)
        if settings is None or image is None:
            self.report({"ERROR"}, why or "No scene")
            return {"CANCELLED"}
        settings.source = image
        return {"FINISHED"}
