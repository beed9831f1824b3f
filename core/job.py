"""One job description for every front end: what to make, from what, and how.

``python -m core``, ``blender -c gass``, the panel's operators and the
benchmark each read their own inputs (files through Pillow, Blender images
through the add-on's image module) into arrays, build a :class:`Job`, and start it
with :meth:`Job.task`, the one entry point of every job. A job is validated
once, here, so every front end reports the same message for the same
mistake; ranges and defaults live in :mod:`core.config`.

    job = Job("new", (bark, slate), JobSettings(width=1024, height=1024, seed=7), weights=(0.7, 0.3))
    task = job.task()                  # a stepping Task: steps(), results()
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from .config import (
    BORDER_RANGE,
    DEFAULT_BORDER,
    DETAILS,
    MIN_OUTPUT_SIDE,
    OPTIMIZERS,
    QUALITIES,
    REGULARITIES,
    SynthesisConfig,
    check_choice,
    check_seed,
)
from .equalize import DEFAULT_SCALE, SCALE_RANGE, equalize_lighting, equalize_task
from .errors import InvalidConfigError, InvalidExemplarError
from .exemplars import check_image_size, check_weights
from .maps import MAP_KINDS, MapSet
from .seamless import MIN_SIDE as SEAMLESS_MIN_SIDE

if TYPE_CHECKING:
    from .task import Task

JobKind = Literal["new", "pbr", "tile", "fill", "equalize"]

#: The jobs: a new texture from exemplars, aligned PBR maps, an image made tileable, a region filled,
#: an image's lighting equalized.
JOB_KINDS: tuple[JobKind, ...] = ("new", "pbr", "tile", "fill", "equalize")

#: The jobs that change one image (and keep its size).
IMAGE_JOBS: tuple[JobKind, ...] = ("tile", "fill", "equalize")
#: The jobs that make a new texture of a chosen size (weights, size, regularity, an output name).
TEXTURE_JOBS: tuple[JobKind, ...] = ("new", "pbr")
#: The jobs that synthesize: a seed, a quality preset and an optimizer apply (tile and equalize draw
#: nothing at random and have no presets).
SYNTHESIS_JOBS: tuple[JobKind, ...] = ("new", "pbr", "fill")
#: The jobs whose inputs may have their lighting equalized first (fill keeps its pixels as they are).
EQUALIZABLE_JOBS: tuple[JobKind, ...] = ("new", "pbr", "tile")

#: What each job does, as a verb for messages ("... needs an image of at least 16x16 to make tileable").
JOB_VERBS: dict[str, str] = {
    "new": "synthesize",
    "pbr": "synthesize PBR maps",
    "tile": "make tileable",
    "fill": "fill",
    "equalize": "equalize lighting",
}


def min_image_side(kind: str, settings: JobSettings) -> int:
    """The least side of the image a one-image job takes: fill's patches need the preset's
    (:attr:`SynthesisConfig.min_image_side`); make-tileable :data:`core.seamless.MIN_SIDE`; equalize 2."""
    if kind == "fill":
        return settings.config().min_image_side
    return SEAMLESS_MIN_SIDE if kind == "tile" else 2


def _check_number(name: str, value: float, low: float, high: float) -> None:
    if not (np.isfinite(value) and low <= value <= high):
        raise InvalidConfigError(f"{name} is {value!r}; allowed: {low:g} to {high:g}")


@dataclass(frozen=True)
class JobSettings:
    """What a user sets, in the words of the panel and the command lines.

    Attributes
    ----------
    quality:
        Preset: "draft", "standard" (default) or "high" (:meth:`SynthesisConfig.preset`).
    width, height:
        Size of a new texture or PBR set in pixels (default: :class:`SynthesisConfig`'s,
        512 x 512). Make-tileable and fill keep their image's size instead.
    seed:
        0 to :data:`core.config.MAX_SEED` (default 0). Same inputs, settings and
        seed give the same result on one machine.
    optimizer:
        One of :data:`core.config.OPTIMIZERS`, or None for the preset's (default).
    regularity:
        "auto" (default), "off" or "on": synthesize a regular exemplar on its lattice
        (:attr:`SynthesisConfig.regularity`, :mod:`core.lattice`).
    detail:
        "exemplar" (default): the finished pixels are quilted from the exemplar along the
        ascent's layout; "ascent": optimized to the end (:attr:`SynthesisConfig.detail`).
    alpha:
        Synthesize the exemplars' alpha channel too (new textures; default False).
    border:
        Make-tileable's band at each edge, a fraction of the side, :data:`BORDER_RANGE`
        (default :data:`DEFAULT_BORDER`).
    memory_budget_mb:
        Largest estimated peak memory, or None for the config's default.
    advanced:
        Any other :class:`SynthesisConfig` field by name, applied over the
        preset (for experts and the benchmark, e.g. ``{"iterations_fine": 20}``);
        validated by the config like the rest.
    equalize:
        Take large-scale lighting out of the inputs first (:func:`core.equalize.equalize_lighting`;
        "new" and "tile": every image; "pbr": the colour maps only; refused for "fill", whose kept
        pixels must stay as they are). Default False.
    equalize_scale:
        Variation slower than this fraction of the short side is lighting, :data:`core.equalize.SCALE_RANGE`
        (default :data:`core.equalize.DEFAULT_SCALE`).
    """

    quality: str = "standard"
    width: int = SynthesisConfig.width
    height: int = SynthesisConfig.height
    seed: int = 0
    optimizer: str | None = None
    regularity: str = "auto"
    detail: str = "exemplar"
    alpha: bool = False
    border: float = DEFAULT_BORDER
    memory_budget_mb: int | None = None
    advanced: Mapping[str, object] = field(default_factory=dict)
    equalize: bool = False
    equalize_scale: float = DEFAULT_SCALE

    def __post_init__(self) -> None:
        check_choice("quality", self.quality, QUALITIES)
        if self.optimizer is not None:
            check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_seed(self.seed)
        check_choice("regularity", self.regularity, REGULARITIES)
        check_choice("detail", self.detail, DETAILS)
        _check_number("border", float(self.border), *BORDER_RANGE)
        _check_number("equalize_scale", float(self.equalize_scale), *SCALE_RANGE)

    def config(self, size: tuple[int, int] | None = None) -> SynthesisConfig:
        """The engine configuration, at ``size`` (width, height) if given, else at width x height."""
        width, height = size if size is not None else (self.width, self.height)
        overrides: dict[str, object] = {
            "width": int(width),
            "height": int(height),
            "regularity": self.regularity,
            "detail": self.detail,
            "synthesize_alpha": bool(self.alpha),
        }
        if self.optimizer is not None:
            overrides["optimizer"] = self.optimizer
        if self.memory_budget_mb is not None:
            overrides["memory_budget_mb"] = int(self.memory_budget_mb)
        fields = {f.name for f in dataclasses.fields(SynthesisConfig)}
        unknown = sorted(set(self.advanced) - fields)
        if unknown:
            raise InvalidConfigError(f"unknown setting(s) {unknown}; allowed: the fields of SynthesisConfig")
        return SynthesisConfig.preset(self.quality, **{**overrides, **self.advanced})


@dataclass(frozen=True)
class Job:
    """One synthesis job, as every front end describes it.

    Attributes
    ----------
    kind:
        "new", "pbr", "tile" or "fill" (:data:`JOB_KINDS`).
    images:
        "new": the exemplars, each (H, W[, C]) float in [0, 1] or integer;
        "pbr": one :class:`~core.maps.MapSet` per material; "tile" and
        "fill": the one image to change.
    settings:
        :class:`JobSettings`.
    weights:
        One weight >= 0 per exemplar or map set ("new", "pbr"), or None for equal weights.
    names:
        A name per image (file or datablock names) for messages, or empty.
    mask:
        "fill" only: (H, W[, C]) image, white = fill; None = the image's transparent pixels.
    linear:
        The images hold linear-light values (float EXR data), for equalizing; default False:
        sRGB-encoded colour, as 8- and 16-bit files are.
    """

    kind: JobKind
    images: tuple[object, ...]
    settings: JobSettings = field(default_factory=JobSettings)
    weights: tuple[float, ...] | None = None
    names: tuple[str, ...] = ()
    mask: object | None = None
    linear: bool = False

    def __post_init__(self) -> None:
        check_choice("job", self.kind, JOB_KINDS)
        count = len(self.images)
        if count == 0:
            raise InvalidExemplarError("no exemplars: give at least one image")
        if self.kind in IMAGE_JOBS and count != 1:
            raise InvalidExemplarError(f"{JOB_VERBS[self.kind]} takes one image, not {count}")
        if self.mask is not None and self.kind != "fill":
            raise InvalidConfigError(f"a mask is for fill, not for {JOB_VERBS[self.kind]}")
        if self.settings.equalize and self.kind == "fill":
            raise InvalidConfigError("equalize is for new textures, PBR sets and make tileable, not for fill")
        if self.weights is not None:
            check_weights(self.weights, count)
        if self.names and len(self.names) != count:
            raise ValueError(f"names has {len(self.names)} entries for {count} images")
        if self.kind == "pbr":
            if not all(isinstance(image, MapSet) for image in self.images):
                raise InvalidExemplarError("a PBR job takes map sets (kind -> image), one per material")
            kinds = {tuple(k for k in MAP_KINDS if k in image.maps) for image in self.images}  # type: ignore[attr-defined]
            if len(kinds) > 1:
                raise InvalidConfigError("every map set needs the same kinds of maps, e.g. color and normal in each")

    @property
    def verb(self) -> str:
        """What the job does, for messages: "synthesize", "make tileable", ..."""
        return JOB_VERBS[self.kind]

    def name(self, index: int = 0) -> str:
        """The name of image ``index`` for messages."""
        if self.names:
            return self.names[index]
        return "image" if self.kind in IMAGE_JOBS else f"exemplar {index + 1}"

    def config(self) -> SynthesisConfig:
        """The engine configuration: the settings' size, or the image's own for the one-image jobs."""
        if self.kind in IMAGE_JOBS:
            height, width = self.image_shape()
            config = self.settings.config(size=(max(width, MIN_OUTPUT_SIDE), max(height, MIN_OUTPUT_SIDE)))
            min_side = min_image_side(self.kind, self.settings)
            check_image_size(width, height, self.name(), job=self.verb, min_side=min_side)
            return config
        return self.settings.config()

    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the one image of tile, fill and equalize."""
        shape = tuple(getattr(self.images[0], "shape", ()))
        if len(shape) not in (2, 3):
            raise InvalidExemplarError(f"{self.name()} is not an image (shape {shape})")
        return int(shape[0]), int(shape[1])

    def task(self) -> Task:
        """The run of this job, a step at a time (:class:`~core.task.Task`).

        New textures and PBR sets are a :class:`~core.synth.Synthesizer`;
        make-tileable (:func:`core.seamless.seamless_task`), equalize and fill
        (:func:`core.patchfill.copy_fill_task`, or a Synthesizer when no single
        copy fits the hole) are quick :class:`~core.task.ImageTask` s.

        Raises
        ------
        GassError
            Bad images, weights or settings, or a run beyond the memory budget;
            nothing heavy has been allocated then.
        """
        from .patchfill import fill_task
        from .seamless import seamless_task
        from .synth import Synthesizer

        config = self.config()
        seed = self.settings.seed
        if self.kind == "equalize":
            return equalize_task(self.images[0], self.settings.equalize_scale, linear=self.linear, name=self.name())
        images = self.inputs()
        if self.kind == "tile":
            return seamless_task(images[0], self.settings.border, name=self.name())
        if self.kind == "fill":
            return fill_task(images[0], self.mask, config=config, seed=seed, name=self.name())
        names = list(self.names) if self.names else None
        return Synthesizer(list(images), weights=self.weights, config=config, seed=seed, names=names)

    def inputs(self) -> tuple[object, ...]:
        """The images the engine gets: as given, or with their lighting equalized (``settings.equalize``)."""
        if not self.settings.equalize:
            return self.images
        scale = self.settings.equalize_scale

        def flat(image: object, index: int) -> np.ndarray:
            return equalize_lighting(image, scale, linear=self.linear, name=self.name(index))

        if self.kind == "pbr":
            sets = []
            for i, image in enumerate(self.images):
                assert isinstance(image, MapSet)
                maps = dict(image.maps)
                if "color" in maps:  # one illumination estimate, from the colour map, for the colour only
                    maps["color"] = flat(maps["color"], i)
                sets.append(MapSet(maps))
            return tuple(sets)
        return tuple(flat(image, i) for i, image in enumerate(self.images))

    def output_keys(self) -> tuple[str, ...]:
        """The results' keys: ("",) for one image, the map kinds (stacking order) for "pbr"."""
        if self.kind != "pbr":
            return ("",)
        first = self.images[0]
        assert isinstance(first, MapSet)
        return tuple(k for k in MAP_KINDS if k in first.maps)
