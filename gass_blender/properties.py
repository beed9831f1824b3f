"""The settings an artist edits: ``scene.gass`` (a :class:`GASS_PG_settings`).

Scripting contract (kept stable, see README "Batch and pipelines")::

    s = bpy.context.scene.gass
    item = s.exemplars.add(); item.image = bpy.data.images["bricks.png"]; item.weight = 1.0
    s.width, s.height, s.seed = 1024, 1024, 7
    bpy.ops.gass.synthesize()

:meth:`GASS_PG_settings.to_config` is the one place where these properties
become a :class:`core.SynthesisConfig`.
"""

# No "from __future__ import annotations" here: Blender reads these class
# annotations as property definitions at registration.

from typing import TYPE_CHECKING

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from .core import QUALITIES, SynthesisConfig
from .core.config import MAX_OUTPUT_SIDE, MIN_OUTPUT_SIDE

_QUALITY_HELP = {
    "draft": "Fast preview of the look: fewer iterations and directions",
    "standard": "Balanced speed and quality (default)",
    "high": "More iterations and statistics: slower, cleaner structure",
}
QUALITY_ITEMS = [(q, q.capitalize(), _QUALITY_HELP.get(q, q)) for q in QUALITIES]


class GASS_PG_exemplar(bpy.types.PropertyGroup):
    """One exemplar: an image of the file and how much its style counts."""

    if TYPE_CHECKING:
        image: bpy.types.Image | None
        weight: float
    else:
        image: PointerProperty(
            name="Image",
            type=bpy.types.Image,
            description="Example image whose look the new texture copies (read, never modified)",
        )
        weight: FloatProperty(
            name="Weight",
            description="How much this exemplar's style counts relative to the others (0: ignored)",
            default=1.0,
            min=0.0,
            soft_max=1.0,
            max=100.0,
        )


class GASS_PG_settings(bpy.types.PropertyGroup):
    """Everything a synthesis needs; stored in the scene, so saved with the .blend."""

    if TYPE_CHECKING:
        exemplars: bpy.types.bpy_prop_collection_idprop[GASS_PG_exemplar]
        active_exemplar: int
        width: int
        height: int
        seed: int
        quality: str
        regularity: float
        alpha: bool
        output_name: str
    else:
        exemplars: CollectionProperty(type=GASS_PG_exemplar, name="Exemplars")
        active_exemplar: IntProperty(name="Active Exemplar", default=0, min=0)
        width: IntProperty(
            name="Width",
            description="Width of the new texture in pixels",
            default=1024,
            min=MIN_OUTPUT_SIDE,
            max=MAX_OUTPUT_SIDE,
            soft_max=4096,
            subtype="PIXEL",
        )
        height: IntProperty(
            name="Height",
            description="Height of the new texture in pixels",
            default=1024,
            min=MIN_OUTPUT_SIDE,
            max=MAX_OUTPUT_SIDE,
            soft_max=4096,
            subtype="PIXEL",
        )
        seed: IntProperty(
            name="Seed",
            description="Same exemplars, settings and seed give the same texture; change it for a variation",
            default=0,
            min=0,
            max=2**31 - 1,
        )
        quality: EnumProperty(name="Quality", items=QUALITY_ITEMS, default="standard")
        regularity: FloatProperty(
            name="Regularity",
            description=(
                "Pull toward the exemplar's Fourier spectrum: keeps grids of dots, quilting and tiles in a regular "
                "layout (try 0.5). Leave at 0 for natural textures and photos with perspective"
            ),
            default=0.0,
            min=0.0,
            max=10.0,
            soft_max=2.0,
        )
        alpha: BoolProperty(
            name="Synthesize Alpha",
            description="Also synthesize the exemplars' alpha channel (off: alpha is ignored, the result opaque)",
            default=False,
        )
        output_name: StringProperty(
            name="Name",
            description="Name of the new image (Blender adds .001 etc. if it is taken)",
            default="GASS Texture",
        )

    def to_config(self, *, memory_budget_mb: int | None = None) -> SynthesisConfig:
        """The engine configuration these settings ask for (validated by the engine)."""
        overrides: dict[str, object] = {
            "width": int(self.width),
            "height": int(self.height),
            "spectrum_weight": float(self.regularity),
            "synthesize_alpha": bool(self.alpha),
        }
        if memory_budget_mb is not None:
            overrides["memory_budget_mb"] = int(memory_budget_mb)
        return SynthesisConfig.preset(str(self.quality), **overrides)

    def weights(self) -> list[float]:
        """The exemplar weights, in list order."""
        return [float(item.weight) for item in self.exemplars]


def scene_settings(context: bpy.types.Context) -> "GASS_PG_settings | None":
    """``context.scene.gass``, or None without a scene or before registration."""
    scene = context.scene
    if scene is None:
        return None
    return getattr(scene, "gass", None)
