"""The settings an artist edits: ``scene.gass`` (a :class:`GASS_PG_settings`).

Scripting contract (kept stable, see README "Batch and pipelines")::

    s = bpy.context.scene.gass
    item = s.exemplars.add(); item.image = bpy.data.images["bricks.png"]; item.weight = 1.0
    s.width, s.height, s.seed = 1024, 1024, 7
    bpy.ops.gass.synthesize()

    # the other jobs read the same settings:
    bpy.ops.gass.maps_from_material(); bpy.ops.gass.synthesize_pbr()   # s.maps: kind + image rows
    s.source = bpy.data.images["photo.png"]; s.border = 0.1; bpy.ops.gass.make_tileable()
    s.source, s.mask = photo, mask_or_None; bpy.ops.gass.fill()          # no mask: transparent = fill

:meth:`GASS_PG_settings.job_settings` is the one place where these properties
become the engine's :class:`core.job.JobSettings`; their ranges and defaults are
read from :mod:`core.config`, never typed here.
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
from .core.config import (
    BORDER_RANGE,
    DEFAULT_BORDER,
    MAX_OUTPUT_SIDE,
    MAX_SEED,
    MIN_OUTPUT_SIDE,
)
from .core.equalize import DEFAULT_SCALE, SCALE_RANGE
from .core.job import EQUALIZABLE_JOBS, JobSettings
from .core.maps import MAP_KINDS

_QUALITY_HELP = {
    "draft": "Fast preview of the look: fewer iterations and directions",
    "standard": "Balanced speed and quality (default)",
    "high": "More iterations and statistics: slower, cleaner structure",
}
QUALITY_ITEMS = [(q, q.capitalize(), _QUALITY_HELP.get(q, q)) for q in QUALITIES]

#: The job kinds of core.job.JOB_KINDS, as the panel's tabs.
JOB_ITEMS = [
    ("new", "New", "A new seamless texture from exemplar images"),
    ("pbr", "PBR", "New aligned PBR maps (colour, normal, roughness...) from one material's maps"),
    ("tile", "Tileable", "Make an existing image tile seamlessly, same size, in about a second"),
    ("fill", "Fill", "Fill a masked region of an image from its surroundings"),
    ("equalize", "Equalize", "Take large-scale lighting (a lit corner, a colour cast) out of a photo"),
]
REGULARITY_ITEMS = [
    ("auto", "Auto", "On a lattice when the exemplar's elements sit on one (tiles, bricks, studs, quilting)"),
    ("off", "Off", "Never on a lattice: for natural textures that only look regular"),
    ("on", "On", "On the best lattice the exemplar shows, even a weak one"),
]
DETAIL_ITEMS = [
    (
        "exemplar",
        "Exemplar",
        "Finished pixels copied from the exemplar along the laid-out texture: as sharp as it",
    ),
    ("ascent", "Ascent", "Every pixel optimized: softer, never copies a piece of the exemplar"),
]
MAP_ITEMS = [(k.name, k.label, f"{k.label} map" + (" (Non-Color data)" if k.data else "")) for k in MAP_KINDS.values()]


class GASS_PG_map(bpy.types.PropertyGroup):
    """One map of a PBR exemplar set: its kind and image."""

    if TYPE_CHECKING:
        kind: str
        image: bpy.types.Image | None
    else:
        kind: EnumProperty(name="Kind", items=MAP_ITEMS, default="color", description="What this map holds")
        image: PointerProperty(name="Image", type=bpy.types.Image, description="The map's image (read, never modified)")


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
            description="How much this exemplar's style counts relative to the others (0: ignored). 0 to 100",
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
        regularity: str
        detail: str
        alpha: bool
        output_name: str
        equalize: bool
        equalize_scale: float
        job_kind: str
        maps: bpy.types.bpy_prop_collection_idprop[GASS_PG_map]
        active_map: int
        source: bpy.types.Image | None
        mask: bpy.types.Image | None
        border: float
    else:
        job_kind: EnumProperty(name="Job", items=JOB_ITEMS, default="new")
        maps: CollectionProperty(type=GASS_PG_map, name="PBR Maps")
        active_map: IntProperty(name="Active Map", default=0, min=0)
        source: PointerProperty(
            name="Image",
            type=bpy.types.Image,
            description="The image to make tileable or to fill (read, never modified: the result is a new image)",
        )
        mask: PointerProperty(
            name="Mask",
            type=bpy.types.Image,
            description="Same size as the image: white = fill. Empty: the image's transparent pixels are filled",
        )
        border: FloatProperty(
            name="Border",
            description=(
                "About how much of each side the cut may take, as a fraction (0.5 to 2 times it is searched "
                "for the place where the image continues itself best)"
            ),
            default=DEFAULT_BORDER,
            min=BORDER_RANGE[0],
            max=BORDER_RANGE[1],
            subtype="FACTOR",
        )
        exemplars: CollectionProperty(type=GASS_PG_exemplar, name="Exemplars")
        active_exemplar: IntProperty(name="Active Exemplar", default=0, min=0)
        width: IntProperty(
            name="Width",
            description=f"Width of the new texture in pixels, {MIN_OUTPUT_SIDE} to {MAX_OUTPUT_SIDE}",
            default=SynthesisConfig.width,
            min=MIN_OUTPUT_SIDE,
            max=MAX_OUTPUT_SIDE,
            soft_max=4096,
            subtype="PIXEL",
        )
        height: IntProperty(
            name="Height",
            description=f"Height of the new texture in pixels, {MIN_OUTPUT_SIDE} to {MAX_OUTPUT_SIDE}",
            default=SynthesisConfig.height,
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
            max=MAX_SEED,
        )
        quality: EnumProperty(name="Quality", items=QUALITY_ITEMS, default="standard")
        regularity: EnumProperty(
            name="Regularity",
            items=REGULARITY_ITEMS,
            default="auto",
            description="Synthesize tiles, bricks, studs and quilting on their lattice, joints straight",
        )
        detail: EnumProperty(
            name="Detail",
            items=DETAIL_ITEMS,
            default="exemplar",
            description="Where the finished pixels come from (several exemplars always blend by the ascent)",
        )
        alpha: BoolProperty(
            name="Synthesize Alpha",
            description="Also synthesize the exemplars' alpha channel (off: alpha is ignored, the result opaque)",
            default=False,
        )
        equalize: BoolProperty(
            name="Equalize Lighting",
            description=(
                "Take large-scale brightness and colour variation (a lit corner, a colour cast) out of the "
                "exemplars first, so it does not repeat as blotches; for PBR sets the colour map only"
            ),
            default=False,
        )
        equalize_scale: FloatProperty(
            name="Lighting Scale",
            description=(
                "Brightness and colour variation slower than this fraction of the short side counts as lighting "
                "and is taken out; smaller removes more"
            ),
            default=DEFAULT_SCALE,
            min=SCALE_RANGE[0],
            max=SCALE_RANGE[1],
            subtype="FACTOR",
        )
        output_name: StringProperty(
            name="Name",
            description="Name of the new image (Blender adds .001 etc. if it is taken)",
            default="GASS Texture",
        )

    def job_settings(self, *, memory_budget_mb: int | None = None) -> JobSettings:
        """What these settings ask the engine for (validated by core.job.JobSettings)."""
        return JobSettings(
            quality=str(self.quality),
            width=int(self.width),
            height=int(self.height),
            seed=int(self.seed),
            regularity=str(self.regularity),
            detail=str(self.detail),
            alpha=bool(self.alpha),
            border=float(self.border),
            memory_budget_mb=memory_budget_mb,
            equalize=bool(self.equalize) and str(self.job_kind) in EQUALIZABLE_JOBS,
            equalize_scale=float(self.equalize_scale),
        )

    def weights(self) -> list[float]:
        """The exemplar weights, in list order."""
        return [float(item.weight) for item in self.exemplars]


def scene_settings(context: bpy.types.Context) -> "GASS_PG_settings | None":
    """``context.scene.gass``, or None without a scene or before registration."""
    scene = context.scene
    if scene is None:
        return None
    return getattr(scene, "gass", None)
