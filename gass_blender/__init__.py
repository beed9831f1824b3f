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
    session.abort_active()


def register() -> None:
    for cls in classes:
        bpy.utils.register_class(cls)
    bpy.types.Scene.gass = bpy.props.PointerProperty(type=properties.GASS_PG_settings)  # type: ignore[attr-defined]
    bpy.app.handlers.load_pre.append(_abort_before_load)
    cli.register()


def unregister() -> None:
    cli.unregister()
    session.abort_active()
    if _abort_before_load in bpy.app.handlers.load_pre:
        bpy.app.handlers.load_pre.remove(_abort_before_load)
    del bpy.types.Scene.gass  # type: ignore[attr-defined]
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
