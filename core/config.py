"""The one configuration object of a synthesis, with quality presets.

:class:`SynthesisConfig` is frozen and validated once, when it is made; every
field documents its default and allowed range. Hosts build one with
:meth:`SynthesisConfig.preset` and override fields with
:func:`dataclasses.replace`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .errors import InvalidConfigError

OptimizerName = Literal["gradient", "adam", "cg", "lbfgs"]
QualityName = Literal["draft", "standard", "high"]

OPTIMIZERS: tuple[str, ...] = ("gradient", "adam", "cg", "lbfgs")
RegularityName = Literal["auto", "off", "on"]
#: Regularity: synthesize on the exemplar's lattice when it has one (auto), never (off), or whenever one
#: can be found at all (on).
REGULARITIES: tuple[str, ...] = ("auto", "off", "on")
DetailName = Literal["exemplar", "ascent"]
#: Where the finished pixels come from (:attr:`SynthesisConfig.detail`).
DETAILS: tuple[str, ...] = ("exemplar", "ascent")
QUALITIES: tuple[str, ...] = ("draft", "standard", "high")

MIN_OUTPUT_SIDE = 16
MAX_OUTPUT_SIDE = 16384
#: Seeds are whole numbers from 0 to this (Blender's integer properties hold no more).
MAX_SEED = 2**31 - 1
#: The spectrum term's weight (``spectrum_weight``, an expert setting) and make-tileable's band, as
#: fractions of each side.
REGULARITY_RANGE = (0.0, 10.0)
BORDER_RANGE = (0.02, 0.4)
DEFAULT_BORDER = 0.1
#: Memory budget of a run in MiB (the add-on's preferences offer the same range).
MEMORY_BUDGET_RANGE = (64, 1048576)


def check_seed(seed: object) -> int:
    """``seed`` as an int, or :class:`InvalidConfigError` unless it is a whole number from 0 to MAX_SEED."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InvalidConfigError(f"seed is {seed!r}; it must be a whole number from 0 to {MAX_SEED}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise InvalidConfigError(f"seed is {int(seed)}; allowed: 0 to {MAX_SEED}")
    return int(seed)


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    """:class:`InvalidConfigError` unless ``value`` is one of ``allowed`` (named ``name`` in the message)."""
    if value not in allowed:
        raise InvalidConfigError(f"{name} is {value!r}; allowed: {', '.join(allowed)}")


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high):
        raise InvalidConfigError(f"{name} is {value!r}; allowed: {low} to {high}")


@dataclass(frozen=True)
class SynthesisConfig:
    """How a texture is synthesized. Every field is validated on creation.

    Attributes
    ----------
    width, height:
        Output size in pixels, 16 to 16384 each (default 512 x 512). The
        memory estimate of the whole run must also fit ``memory_budget_mb``.
    patch_size:
        Side of the square patches whose statistics define the style, 3 to
        15 pixels (default 7). Larger captures bigger motifs, costs more.
    scale_factor:
        Size ratio between neighbouring pyramid levels, 0.5 to 0.9
        (default 0.75).
    coarsest_size:
        Short side of the exemplar at the coarsest level, 16 to 256 pixels
        (default 32). Smaller gives larger-scale structure more freedom.
    directions:
        Random projection directions of the sliced Wasserstein term, redrawn
        at each resampling, 4 to 512 (default 48).
    iterations_coarse, iterations_fine:
        Optimizer iterations at the coarsest and at the finest level (levels
        in between interpolate geometrically), 1 to 5000 (defaults 150, 40).
    coherence_levels:
        Number of finest optimized levels that add the nearest-patch
        coherence term, 0 to 8 (default 3), when the ascent makes the
        finished pixels (blends, fill, ``detail="ascent"``, exemplars too
        small to quilt); the layout under the detail finish has it at most
        at its last level (none at 0; :data:`core.synth.GUIDE_COHERENCE_LEVELS`).
    detail:
        Where the finished pixels come from. "exemplar" (default): the
        ascent lays the texture out at about a fifth of the output's size
        and the full-size texture is quilted from exemplar blocks that follow
        it (:func:`core.quilt.guided_quilt_steps`; the tone steps at the cuts
        blended away), so every edge is the exemplar's own, as sharp at any
        size. "ascent": the ascent
        optimizes every pixel up to full size (softer, never copies). Blends
        of several exemplars, fill, lattice exemplars and exemplars under
        48 px always finish by the ascent.
    coherence_weight:
        Strength of the coherence term relative to the sliced term's
        gradient, 0 to 10 (default 0.5; 1 blurred bark at 1024 px, 3 washed it out).
    spectrum_weight:
        Strength of the Fourier spectrum term relative to the sliced term's
        gradient, 0 to 10 (default 0: off). Restores long-range regularity
        of periodic layouts (dot grids, quilting, tiles).
    regularity:
        "auto" (default): a single exemplar whose autocorrelation shows a
        lattice (:func:`core.lattice.detect_lattice`: tiles, bricks shot
        straight on, studs, quilting) is synthesized on it, by lattice-aligned
        quilting, so joints stay straight and the result still tiles; every
        other exemplar by the style-space ascent. "off": always the ascent.
        "on": the lattice whenever any pair of autocorrelation peaks can be
        one, however weak (an error if none). Blends of several exemplars and
        fill always take the ascent.
    coherence_every:
        Iterations between nearest-patch searches (and spectrum projections), 1 to 100 (default 10).
    coherence_stride:
        Grid step of the patches matched by the coherence term, 1 to 8
        (default 3).
    optimizer:
        "gradient" (plain ascent), "adam", "cg" (nonlinear conjugate
        gradient) or "lbfgs" (default "adam", chosen by measurement: see
        benchmarks/).
    learning_rate:
        Step size in pixel-value units at the coarsest level (for "gradient"
        and "adam") or the first line-search trial (for "cg" and "lbfgs"),
        1e-5 to 1 (default 0.01).
    learning_rate_fine:
        The same at the finest level; levels in between interpolate
        geometrically, 1e-5 to 1 (default 0.005). Small steps at fine levels
        refine the layout the coarse levels found instead of redoing it.
    resample_every:
        Iterations between redraws of the projection directions for "cg" and
        "lbfgs" (their memory resets then), 1 to 100 (default 10). "gradient"
        and "adam" redraw every iteration.
    max_patches:
        Most output patches the sliced term uses per iteration; larger
        outputs use a random strided subset (at most one patch per k x k block), 1024 to 4194304 (default 16384).
    exemplar_samples:
        Exemplar patches sampled per level for the target distributions,
        1024 to 1048576 (default 32768).
    synthesize_alpha:
        Synthesize an alpha channel as a fourth channel (default False: the
        alpha of exemplars is ignored and the output is opaque colour).
    memory_budget_mb:
        Largest estimated peak memory allowed, 64 to 1048576 MiB (default
        8192).
    """

    width: int = 512
    height: int = 512
    patch_size: int = 7
    scale_factor: float = 0.75
    coarsest_size: int = 32
    directions: int = 48
    iterations_coarse: int = 150
    iterations_fine: int = 40
    coherence_levels: int = 3
    detail: DetailName = "exemplar"
    coherence_weight: float = 0.5
    spectrum_weight: float = 0.0
    regularity: RegularityName = "auto"
    coherence_every: int = 10
    coherence_stride: int = 3
    optimizer: OptimizerName = "adam"
    learning_rate: float = 0.01
    learning_rate_fine: float = 0.005
    resample_every: int = 10
    max_patches: int = 16384
    exemplar_samples: int = 32768
    synthesize_alpha: bool = False
    memory_budget_mb: int = 8192

    def __post_init__(self) -> None:
        for name in (
            "width",
            "height",
            "patch_size",
            "coarsest_size",
            "directions",
            "iterations_coarse",
            "iterations_fine",
            "coherence_levels",
            "coherence_every",
            "coherence_stride",
            "resample_every",
            "max_patches",
            "exemplar_samples",
            "memory_budget_mb",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidConfigError(f"{name} is {value!r}; it must be a whole number")
        _check_range("width", self.width, MIN_OUTPUT_SIDE, MAX_OUTPUT_SIDE)
        _check_range("height", self.height, MIN_OUTPUT_SIDE, MAX_OUTPUT_SIDE)
        _check_range("patch_size", self.patch_size, 3, 15)
        _check_range("scale_factor", self.scale_factor, 0.5, 0.9)
        _check_range("coarsest_size", self.coarsest_size, 16, 256)
        _check_range("directions", self.directions, 4, 512)
        _check_range("iterations_coarse", self.iterations_coarse, 1, 5000)
        _check_range("iterations_fine", self.iterations_fine, 1, 5000)
        _check_range("coherence_levels", self.coherence_levels, 0, 8)
        _check_range("coherence_weight", self.coherence_weight, 0.0, 10.0)
        _check_range("spectrum_weight (regularity)", self.spectrum_weight, *REGULARITY_RANGE)
        _check_range("coherence_every", self.coherence_every, 1, 100)
        _check_range("coherence_stride", self.coherence_stride, 1, 8)
        _check_range("learning_rate", self.learning_rate, 1e-5, 1.0)
        _check_range("learning_rate_fine", self.learning_rate_fine, 1e-5, 1.0)
        _check_range("resample_every", self.resample_every, 1, 100)
        _check_range("max_patches", self.max_patches, 1024, 4194304)
        _check_range("exemplar_samples", self.exemplar_samples, 1024, 1048576)
        _check_range("memory_budget_mb", self.memory_budget_mb, *MEMORY_BUDGET_RANGE)
        check_choice("detail", self.detail, DETAILS)
        check_choice("regularity", self.regularity, REGULARITIES)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if self.coarsest_size < self.patch_size * 2:
            raise InvalidConfigError(
                f"coarsest_size is {self.coarsest_size}; it must be at least twice patch_size ({2 * self.patch_size})"
            )

    @property
    def min_exemplar_side(self) -> int:
        """The smallest side of an exemplar: two patches."""
        return 2 * self.patch_size

    @property
    def min_image_side(self) -> int:
        """The smallest side of an image to make tileable or fill: the output's minimum, and two patches."""
        return max(MIN_OUTPUT_SIDE, self.min_exemplar_side)

    @classmethod
    def preset(cls, quality: str = "standard", **overrides: object) -> SynthesisConfig:
        """A config for a quality preset, with any field overridden.

        Parameters
        ----------
        quality:
            "draft" (fast preview), "standard" (default) or "high".
        **overrides:
            Any field of :class:`SynthesisConfig`, e.g. ``width=1024``.
        """
        check_choice("quality", quality, QUALITIES)
        base = _PRESETS[quality]
        return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


#: What the quality presets change, side by side (the rest of each is the defaults above).
_PRESET_FIELDS = (
    "directions",
    "iterations_coarse",
    "iterations_fine",
    "coherence_levels",
    "max_patches",
    "exemplar_samples",
)
_PRESET_VALUES: dict[str, tuple[int, ...]] = {
    "draft": (32, 100, 15, 2, 8192, 16384),
    "standard": (48, 150, 40, 3, 16384, 32768),
    "high": (64, 300, 80, 4, 65536, 65536),
}
_PRESETS: dict[str, SynthesisConfig] = {
    quality: SynthesisConfig(**dict(zip(_PRESET_FIELDS, values)))  # type: ignore[arg-type]
    for quality, values in _PRESET_VALUES.items()
}
