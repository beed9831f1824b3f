"""GASS for Blender: new seamless textures and PBR sets from examples; make tileable; fill.

The engine is ``core`` (pure NumPy, vendored into the extension by build.py);
this package is the Blender side: settings (properties), preferences,
operators, the sidebar panel and the ``blender -c gass`` command.
"""

from __future__ import annotations

import bpy

from . import cli, operators, panel, preferences, properties, session

#: Registration order; unregistered in reverse.
classes: tuple[type, ...] = (
    properties.GASS_PG_exemplar,
    properties.GASS_PG_map,
    properties.GASS_PG_settings,
    preferences.GASS_AP_preferences,
    operators.GASS_OT_synthesize,
    operators.GASS_OT_synthesize_pbr,
    operators.GASS_OT_make_tileable,
    operators.GASS_OT_fill,
    operators.GASS_OT_equalize_lighting,
    operators.GASS_OT_cancel,
    operators.GASS_OT_exemplar_add,
    operators.GASS_OT_exemplar_remove,
    operators.GASS_OT_exemplar_add_active,
    operators.GASS_OT_maps_from_material,
    operators.GASS_OT_map_add,
    operators.GASS_OT_map_remove,
    operators.GASS_OT_source_from_active,
    panel.GASS_UL_exemplars,
    panel.GASS_UL_maps,
    panel.GASS_PT_main,
    panel.GASS_PT_main_image,
)


@bpy.app.handlers.persistent
def _abort_before_load(*_args: object) -> None:
    """Loading another file while a synthesis runs: stop it and restore this file first."""
    session.abort_active("Another file was loaded")


@bpy.app.handlers.persistent
def _abort_before_undo(*_args: object) -> None:
    """Undo while a synthesis runs: stop it and take its image and node back before undo frees them.

    Memfile undo keeps a material it believes unchanged and frees the image
    created since the last undo step, which left the run's Image Texture node
    pointing at freed memory (a crash on the next access).
    """
    session.abort_active("Undo")


@bpy.app.handlers.persistent
def _abort_before_redo(*_args: object) -> None:
    """Redo while a synthesis runs: as for undo."""
    session.abort_active("Redo")


#: (handler list name, handler): stop a run before Blender replaces the data it works on.
_HANDLERS = (("load_pre", _abort_before_load), ("undo_pre", _abort_before_undo), ("redo_pre", _abort_before_redo))


def register() -> None:
    for cls in classes:
        bpy.utils.register_class(cls)
    bpy.types.Scene.gass = bpy.props.PointerProperty(type=properties.GASS_PG_settings)  # type: ignore[attr-defined]
    for list_name, handler in _HANDLERS:
        getattr(bpy.app.handlers, list_name).append(handler)
    cli.register()


def unregister() -> None:
    cli.unregister()
    session.abort_active()
    for list_name, handler in reversed(_HANDLERS):
        handlers = getattr(bpy.app.handlers, list_name)
        if handler in handlers:
            handlers.remove(handler)
    del bpy.types.Scene.gass  # type: ignore[attr-defined]
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
