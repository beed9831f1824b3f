"""GASS core: exemplar-based seamless texture synthesis in pure NumPy.

Gradient ascent in the style space: a style score S(x) = sum_i w_i phi_i(x)
measures how well an image x matches the patch statistics of exemplar i; the
engine climbs S from noise, coarse to fine, until x is a new texture of the
same kind. Never imports bpy.

Public API, one entry point per job (every job also has a stepping form for
hosts that show progress or cancel: :meth:`core.job.Job.task`)::

    from core import MapSet, SynthesisConfig, fill, make_tileable, synthesize, synthesize_maps
    texture = synthesize([exemplar], config=SynthesisConfig.preset("standard", width=1024, height=1024), seed=7)
    maps = synthesize_maps([MapSet({"color": c, "normal": n, "roughness": r})], config=...)  # aligned PBR maps
    seamless = make_tileable(photo, border=0.1)       # same size, cut against itself where it agrees best
    restored = fill(photo, mask)                      # white pixels filled (copied, blended); the rest kept
"""

from .config import OPTIMIZERS, QUALITIES, SynthesisConfig
from .errors import GassError, ImageFileError, InvalidConfigError, InvalidExemplarError, MemoryBudgetError
from .maps import MAP_KINDS, MapSet
from .patchfill import fill
from .seamless import make_tileable
from .synth import (
    Cancelled,
    Progress,
    Synthesizer,
    estimate_memory,
    fill_synthesizer,
    plan_levels,
    synthesize,
    synthesize_maps,
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
]
