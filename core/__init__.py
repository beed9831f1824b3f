"""GASS core: exemplar-based seamless texture synthesis in pure NumPy.

Gradient ascent in the style space: a style score S(x) = sum_i w_i phi_i(x)
measures how well an image x matches the patch statistics of exemplar i; the
engine climbs S from noise, coarse to fine, until x is a new texture of the
same kind. Never imports bpy.

Public API::

    from core import SynthesisConfig, synthesize
    texture = synthesize([exemplar], config=SynthesisConfig.preset("standard", width=1024, height=1024), seed=7)
"""

from .config import OPTIMIZERS, QUALITIES, SynthesisConfig
from .errors import GassError, ImageFileError, InvalidConfigError, InvalidExemplarError, MemoryBudgetError
from .synth import Cancelled, Progress, Synthesizer, estimate_memory, plan_levels, synthesize

__version__ = "0.1.0"

__all__ = [
    "OPTIMIZERS",
    "QUALITIES",
    "Cancelled",
    "GassError",
    "ImageFileError",
    "InvalidConfigError",
    "InvalidExemplarError",
    "MemoryBudgetError",
    "Progress",
    "SynthesisConfig",
    "Synthesizer",
    "__version__",
    "estimate_memory",
    "plan_levels",
    "synthesize",
]
