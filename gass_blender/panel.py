"""The GASS tab in the sidebar (N) of the Shader Editor and of the Image Editor."""

from __future__ import annotations

import bpy

from . import images, material
from .core.job import EQUALIZABLE_JOBS, IMAGE_JOBS, SYNTHESIS_JOBS, TEXTURE_JOBS
from .properties import GASS_PG_exemplar, GASS_PG_map, GASS_PG_settings, scene_settings
from .session import active_session


class GASS_UL_exemplars(bpy.types.UIList):
    """Exemplar rows: image (any image of the file) and weight."""

    def draw_item(
        self,
        context: bpy.types.Context | None,
        layout: bpy.types.UILayout,
        data: object,
        item: object,
        icon: int | None,
        active_data: object,
        active_property: str | None,
        index: int | None = 0,
        flt_flag: int | None = 0,
    ) -> None:
        if not isinstance(item, GASS_PG_exemplar):
            return
        row = layout.row(align=True)
        image = item.image
        row.alert = image is None or images.file_missing(image)
        row.prop(item, "image", text="")
        sub = row.row(align=True)
        sub.ui_units_x = 3.5
        sub.prop(item, "weight", text="")


class GASS_UL_maps(bpy.types.UIList):
    """PBR map rows: kind and image."""

    def draw_item(
        self,
        context: bpy.types.Context | None,
        layout: bpy.types.UILayout,
        data: object,
        item: object,
        icon: int | None,
        active_data: object,
        active_property: str | None,
        index: int | None = 0,
        flt_flag: int | None = 0,
    ) -> None:
        if not isinstance(item, GASS_PG_map):
            return
        row = layout.row(align=True)
        row.alert = item.image is None or images.file_missing(item.image)
        sub = row.row(align=True)
        sub.ui_units_x = 4.5
        sub.prop(item, "kind", text="")
        row.prop(item, "image", text="")


_OPERATORS = {
    "new": ("gass.synthesize", "TEXTURE"),
    "pbr": ("gass.synthesize_pbr", "MATERIAL"),
    "tile": ("gass.make_tileable", "MOD_ARRAY"),
    "fill": ("gass.fill", "BRUSH_DATA"),
    "equalize": ("gass.equalize_lighting", "LIGHT_SUN"),
}


def _draw_inputs(layout: bpy.types.UILayout, settings: GASS_PG_settings) -> None:
    """The inputs of the chosen job."""
    kind = str(settings.job_kind)
    if kind == "new":
        layout.label(text="Exemplars")
        row = layout.row()
        row.template_list("GASS_UL_exemplars", "", settings, "exemplars", settings, "active_exemplar", rows=3)
        col = row.column(align=True)
        col.operator("gass.exemplar_add", icon="ADD", text="")
        col.operator("gass.exemplar_remove", icon="REMOVE", text="")
        layout.operator("gass.exemplar_add_active", icon="IMAGE_DATA")
    elif kind == "pbr":
        layout.label(text="Maps of one material")
        row = layout.row()
        row.template_list("GASS_UL_maps", "", settings, "maps", settings, "active_map", rows=3)
        col = row.column(align=True)
        col.operator("gass.map_add", icon="ADD", text="")
        col.operator("gass.map_remove", icon="REMOVE", text="")
        layout.operator("gass.maps_from_material", icon="MATERIAL")
    else:
        layout.prop(settings, "source")
        layout.operator("gass.source_from_active", icon="IMAGE_DATA")
        if kind == "fill":
            layout.prop(settings, "mask")
            if settings.mask is None:
                layout.label(text="No mask: transparent pixels are filled", icon="INFO")
        elif kind == "tile":
            layout.prop(settings, "border")
        else:
            layout.prop(settings, "equalize_scale")


class GASS_PT_main_base:
    """Shared drawing of the two panels (each sets bl_space_type, bl_region_type "UI", bl_category "GASS")."""

    bl_label = "Texture Synthesis"

    def draw(self, context: bpy.types.Context) -> None:
        layout: bpy.types.UILayout = self.layout  # type: ignore[attr-defined]
        settings = scene_settings(context)
        if settings is None:
            layout.label(text="No scene")
            return
        session = active_session()
        kind = str(settings.job_kind)
        row = layout.row()
        row.enabled = session is None
        row.prop(settings, "job_kind", expand=True)
        _draw_inputs(layout, settings)

        if kind in TEXTURE_JOBS:
            col = layout.column(align=True)
            col.enabled = session is None
            col.prop(settings, "width")
            col.prop(settings, "height")
        col = layout.column()
        col.enabled = session is None
        if kind in SYNTHESIS_JOBS:
            col.prop(settings, "seed")
            col.prop(settings, "quality")
        if kind in TEXTURE_JOBS:
            col.prop(settings, "regularity")
            col.prop(settings, "detail")
        if kind in EQUALIZABLE_JOBS:
            col.prop(settings, "equalize")
            if settings.equalize:
                col.prop(settings, "equalize_scale")
        if kind == "new":
            col.prop(settings, "alpha")
        if kind in TEXTURE_JOBS:
            col.prop(settings, "output_name")

        if session is not None:
            snap = session.runner.snapshot()
            layout.progress(factor=snap.fraction, type="BAR", text=f"{snap.fraction * 100:.0f}%  {snap.stage}")
            layout.operator("gass.cancel", icon="CANCEL", text="Cancel (Esc)")
            return
        op, icon = _OPERATORS.get(kind, _OPERATORS["new"])
        layout.operator(op, icon=icon)  # type: ignore[arg-type]
        if kind in IMAGE_JOBS:
            box = layout.box()
            for line in _wrap("Into a new image; nodes of the active material that show the image get it", 40):
                box.label(text=line)
            return
        try:
            target = material.find_target(context)
        except material.SetupError as err:
            box = layout.box()
            box.alert = True
            for line in _wrap(str(err), 40):
                box.label(text=line)
            return
        box = layout.box()
        for line in _wrap(f"Into {target.describe()}", 40):
            box.label(text=line)


def _wrap(text: str, width: int) -> list[str]:
    """Split a message into short lines for panel labels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


class GASS_PT_main(GASS_PT_main_base, bpy.types.Panel):
    """GASS in the Shader Editor sidebar"""

    bl_space_type = "NODE_EDITOR"
    bl_region_type = "UI"
    bl_category = "GASS"
    bl_idname = "GASS_PT_main"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        space = context.space_data
        return isinstance(space, bpy.types.SpaceNodeEditor) and space.tree_type == "ShaderNodeTree"


class GASS_PT_main_image(GASS_PT_main_base, bpy.types.Panel):
    """GASS in the Image Editor sidebar"""

    bl_space_type = "IMAGE_EDITOR"
    bl_region_type = "UI"
    bl_category = "GASS"
    bl_idname = "GASS_PT_main_image"
