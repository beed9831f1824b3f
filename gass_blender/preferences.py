"""Add-on preferences (Edit > Preferences > Add-ons > GASS)."""

# No "from __future__ import annotations": Blender reads the annotations below.

from typing import TYPE_CHECKING, cast

import bpy
from bpy.props import FloatProperty, IntProperty

from .core.config import MEMORY_BUDGET_RANGE, SynthesisConfig
from .runner import PREVIEW_INTERVAL

#: The extension's root package, e.g. "bl_ext.user_default.gass_blender" (never hard-coded).
PACKAGE = cast(str, __package__)


class GASS_AP_preferences(bpy.types.AddonPreferences):
    """Limits and preview rate of GASS."""

    bl_idname = PACKAGE

    if TYPE_CHECKING:
        memory_budget_mb: int
        preview_interval: float
    else:
        memory_budget_mb: IntProperty(
            name="Memory Budget",
            description="Largest estimated memory a synthesis may use, in MiB; larger runs are refused up front",
            default=SynthesisConfig.memory_budget_mb,
            min=MEMORY_BUDGET_RANGE[0],
            max=MEMORY_BUDGET_RANGE[1],
            subtype="NONE",
        )
        preview_interval: FloatProperty(
            name="Preview Interval",
            description="Seconds between two live preview updates of the texture while it is synthesized",
            default=PREVIEW_INTERVAL,
            min=0.05,
            max=10.0,
            subtype="TIME_ABSOLUTE",
            unit="TIME_ABSOLUTE",
        )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "memory_budget_mb")
        layout.prop(self, "preview_interval")


def get(context: bpy.types.Context | None = None) -> GASS_AP_preferences | None:
    """This add-on's preferences, or None when it is not enabled as an add-on."""
    prefs = (context or bpy.context).preferences
    if prefs is None:
        return None
    addon = prefs.addons.get(PACKAGE)
    if addon is None:
        return None
    return cast(GASS_AP_preferences, addon.preferences)
