"""GASS core: exemplar-based seamless texture synthesis in pure NumPy.

Gradient ascent in the style space: a style score S(x) = sum_i w_i phi_i(x)
measures how well an image x matches the patch statistics of exemplar i; the
engine climbs S from noise, coarse to fine, until x is a new texture of the
same kind. Never imports bpy.

Public API, one entry point per job (each has a stepping ``*_synthesizer``/
:class:`Synthesizer` form for hosts that show progress or cancel)::

    from core import MapSet, SynthesisConfig, fill, make_tileable, synthesize, synthesize_maps
    texture = synthesize([exemplar], config=SynthesisConfig.preset("standard", width=1024, height=1024), seed=7)
    maps = synthesize_maps([MapSet({"color": c, "normal": n, "roughness": r})], config=...)  # aligned PBR maps
    seamless = make_tileable(photo, border=0.1)       # same size, only a band along the edges changes
    restored = fill(photo, mask)                      # white mask pixels filled, the rest kept exactly
"""

from .config import OPTIMIZERS, QUALITIES, SynthesisConfig
from .errors import GassError, ImageFileError, InvalidConfigError, InvalidExemplarError, MemoryBudgetError
from .maps import MAP_KINDS, MapSet
from .synth import (
    Cancelled,
    Progress,
    Synthesizer,
    estimate_memory,
    fill,
    fill_synthesizer,
    make_tileable,
    plan_levels,
    synthesize,
    synthesize_maps,
    tileable_synthesizer,
)

__version__ = "0.1.0"

__all__ = [
    "MAP_KINDS",
    "OPTIMIZERS",
    "QUALITIES",
    "Cancelled",
    "GassError",
    "ImageFileError",
    "InvalidConfigError",
    "InvalidExemplarError",
    "MapSet",
    "MemoryBudgetError",
    "Progress",
    "SynthesisConfig",
    "Synthesizer",
    "__version__",
    "estimate_memory",
    "fill",
    "fill_synthesizer",
    "make_tileable",
    "plan_levels",
    "synthesize",
    "synthesize_maps",
    "tileable_synthesizer",
]
