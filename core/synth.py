"""The synthesis job: a stepping :class:`Synthesizer` and one-call :func:`synthesize`.

Coarse to fine: the exemplars are shrunk by ``scale_factor`` per level until
their short side reaches ``coarsest_size``; the output starts as coloured
noise at the coarsest level, is optimized there, upsampled (periodically) to
the next level, optimized again, and so on up to the requested size. Every
level is periodic, so the result tiles.

Hosts that must stay responsive iterate :meth:`Synthesizer.steps`: each
step is one optimizer iteration and yields a :class:`Progress`; not asking
for the next step cancels.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

import numpy as np

from .blas import single_threaded_blas
from .config import SynthesisConfig, check_seed
from .errors import InvalidExemplarError, MemoryBudgetError
from .exemplars import PreparedExemplars, check_image_size, check_weights, prepare_exemplars
from .known import KnownRegion, LevelConstraints, fill_region, level_masks, valid_corners
from .lattice import Lattice, find_lattice, fitted_size, lattice_quilt_steps, torus_periods
from .maps import MapSet, prepare_map_sets
from .nearest import PatchMatcher
from .optim import Optimizer, make_optimizer
from .quilt import MIN_QUILT_SIDE, block_aspect, guided_quilt_steps, quilt_rows
from .resample import nearest, resize
from .style import AnchoredTerm, CoherenceTerm, SlicedPatchTerm, SpectrumTerm, grid_count, patch_stride
from .task import Progress


@dataclass(frozen=True)
class Level:
    """One pyramid level: output size, exemplar scale and how it is synthesized.

    Attributes
    ----------
    height, width:
        Output size at this level.
    scale:
        Exemplar (and output) scale relative to full size, in (0, 1].
    iterations:
        Optimizer iterations.
    coherence:
        The nearest-patch coherence term joins the sliced term.
    learning_rate:
        The optimizer's step size at this level.
    """

    height: int
    width: int
    scale: float
    iterations: int
    coherence: bool
    learning_rate: float


#: With the detail finish (``detail="exemplar"``) the ascent stops at the first level whose scale is at
#: most this (0.18 of the output's side at the default scale factor) and the quilt makes the full-size
#: texture from it. 0.3 (0.24 of the side) gave the same textures (blind, seed 0 at 1024 px: 7 ties,
#: brick_gray slightly to 0.3; at 2048 px brick_gray slightly to 0.2, onyx a tie; brick_gray's lattice
#: order 0.87 against 0.88 over seeds 0-3 at 1024 px) and took a quarter to a third longer: its last
#: level, at the quilt's scoring scale, refined detail the quilt replaces. 0.15 is a fifth faster again
#: but too coarse a layout at 512 px: brick_gray's lattice order 0.65 and 0.76 (0.95, 0.92 at 0.2; seeds 0-1).
GUIDE_SCALE = 0.2
#: Levels of the layout's ascent (before the detail finish) that pull toward nearest exemplar patches: the
#: last one only. The quilt makes every pixel from the exemplar; pulled at the coarser levels too (the
#: ascent's own 3), the layout took in exemplar fragments that the blocks then followed, onyx's steep
#: bright streaks across its bands; with no pull at all, washed-out stretches of the layout drew flat grey
#: blocks on bark. Blind, no pull against the pull at 3 levels: 8 to 3 over 8 exemplars (seeds 0-2 at
#: 512 px, 0-1 at 1024; clearly on onyx and slate), 15 ties, but 0 to 3 on bark (seeds 0-5, 3 ties). The
#: last level only: against 3 levels on onyx and slate 4 to 0, against none on bark 1 to 0 (seeds 0-2,
#: ties otherwise). brick_gray's lattice order 0.81/0.84/0.92 at 512 px and 0.86/0.92 at 1024
#: (0.95/0.92/0.71 and 0.87/0.85 with 3 levels).
GUIDE_COHERENCE_LEVELS = 1
#: Progress.fraction's model of the run's time, in ms on a 2-core machine: an ascent iteration costs
#: ITERATION_MS, plus PATCH_MS per output patch it projects and COHERENCE_MS per pixel at levels with
#: the nearest-patch pull; the detail finish QUILT_MS per output pixel (it is linear: about 10 ms a
#: block). Fitted to bark and gravel_gray at 256-2048 px (32 levels: 2.7-49 ms an iteration; the
#: finish 0.92-1.59 us a pixel). The old model (pixels x iterations, the finish 2 iterations at full
#: size) put the finish at a third of the bar at every size, while it took 9 % of the time at 512 px
#: and 41-52 % at 2048 px: the bar ran up to 0.27 of the run ahead or behind.
_ITERATION_MS = 4.5
_PATCH_MS = 1.2e-3
_COHERENCE_MS = 1.2e-4
_QUILT_MS = 1.4e-3


def level_work(level: Level, config: SynthesisConfig) -> float:
    """The modelled time of one level of the ascent (for Progress.fraction; see _ITERATION_MS).

    Fitted at standard quality on RGB and grey single exemplars; it leaves out what else moves the cost
    (channels, directions, the pull's stride, several exemplars, fill's free region). Scaling the patch
    cost by the channels and the pull's by the exemplars matched made it worse: the bar strayed 0.11
    on grey gravel at 1024 px (0.02-0.07 unscaled) and 0.13 on a two-exemplar blend at 512 px (0.07-0.09)."""
    stride = patch_stride(level.height, level.width, config.patch_size, config.max_patches)
    patches = grid_count(level.height, level.width, stride)
    per_iteration = _ITERATION_MS + _PATCH_MS * patches
    if level.coherence and config.coherence_weight > 0:
        per_iteration += _COHERENCE_MS * level.height * level.width
    return level.iterations * per_iteration


def plan_levels(config: SynthesisConfig, exemplar_sides: Sequence[int], *, guide: bool = False) -> list[Level]:
    """The coarse-to-fine schedule of the ascent for these exemplar short sides (finest last).

    ``guide``: the ascent only lays the texture out for the detail finish
    (:func:`core.quilt.guided_quilt_steps`), so it stops at the first level
    at or below :data:`GUIDE_SCALE` (the coarsest if none is); the iteration
    and learning-rate schedules span the levels kept, and only the last
    has the coherence term (:data:`GUIDE_COHERENCE_LEVELS`).
    """
    smallest = min(exemplar_sides)
    r = config.scale_factor
    count = 1
    if smallest > config.coarsest_size:
        count = 1 + math.floor(math.log(config.coarsest_size / smallest) / math.log(r) + 1e-9)
    min_out = max(2 * config.patch_size, 16)
    while count > 1 and min(config.width, config.height) * r ** (count - 1) < min_out:
        count -= 1
    skipped = 0  # finest levels left to the detail finish
    while guide and skipped < count - 1 and r**skipped > GUIDE_SCALE:
        skipped += 1
    kept = count - skipped
    pulled = config.coherence_levels
    levels = []
    for i in range(kept):
        depth = count - 1 - i
        scale = r**depth
        t = i / (kept - 1) if kept > 1 else 1.0
        iters = round(config.iterations_coarse * (config.iterations_fine / config.iterations_coarse) ** t)
        levels.append(
            Level(
                height=max(1, round(config.height * scale)),
                width=max(1, round(config.width * scale)),
                scale=scale,
                iterations=max(1, iters),
                learning_rate=config.learning_rate * (config.learning_rate_fine / config.learning_rate) ** t,
                coherence=depth - skipped < (min(pulled, GUIDE_COHERENCE_LEVELS) if guide else pulled)
                and smallest * scale >= 2 * config.patch_size,
            )
        )
    return levels


def estimate_memory(config: SynthesisConfig, shapes: Sequence[tuple[int, int, int]], scale: float = 1.0) -> int:
    """Estimated peak memory in bytes of a synthesis whose ascent ends at ``scale`` (the finest level
    dominates; below 1, the detail finish's full-size canvases are added)."""
    c = shapes[0][2]
    pixels = round(config.width * scale) * round(config.height * scale)
    quilt = 0 if scale >= 1.0 else config.width * config.height * (c * 4 * 3 + 1)  # canvas, preview, roll, mask
    dim = config.patch_size**2 * c
    images = pixels * c * 4 * 16  # x, gradients, optimizer state, previews, targets
    if config.optimizer == "lbfgs":
        images += pixels * c * 4 * 16
    patches = min(pixels, config.max_patches)
    sliced = patches * config.directions * 4 * 6 + (1 << 25) * 3
    samples = sum(min(config.exemplar_samples, h * w) for h, w, _ in shapes) * dim * 4 * 2
    coherence = 0
    if config.coherence_levels:
        queries = pixels // config.coherence_stride**2
        coherence = sum(h * w for h, w, _ in shapes) * 16 * 4 + queries * (16 * 4 * 6 + dim * 4 * 3)
    exemplars = sum(h * w * c * 4 * 4 for h, w, _ in shapes)
    return int(images + sliced + samples + coherence + exemplars + quilt + (64 << 20))


def scale_exemplar(image: np.ndarray, scale: float) -> np.ndarray:
    """An exemplar shrunk by ``scale`` (antialiased, edges clamped)."""
    if scale == 1.0:
        return image
    h, w = image.shape[:2]
    return resize(image, max(1, round(h * scale)), max(1, round(w * scale)), periodic=False)


@dataclass
class _Carry:
    """What one level hands to the next: the coherence term's matchers and their scale."""

    matchers: list[PatchMatcher] | None = None
    scale: float = 1.0


class LevelObjective:
    """The style loss at one level: the sliced term plus anchored terms.

    An anchored term (:class:`~core.style.CoherenceTerm`,
    :class:`~core.style.SpectrumTerm`) pulls toward a target it computes in
    ``refresh(x)`` and holds until the next refresh. Its weight is relative:
    at each refresh its multiplier is set so that its gradient norm is
    ``weight`` times the sliced term's.

    ``free`` (H, W, 1) float32 of 0 and 1, if given, masks the gradient: the
    pixels where it is 0 are known and never move, whatever the optimizer.
    """

    def __init__(
        self,
        sliced: SlicedPatchTerm,
        anchored: Sequence[tuple[AnchoredTerm, float]] = (),
        *,
        refresh_every: int,
        free: np.ndarray | None = None,
    ) -> None:
        self.sliced = sliced
        self.free = free
        self.anchored = [(term, weight) for term, weight in anchored if weight > 0]
        self.refresh_every = refresh_every
        self.draws = 0
        self.multipliers = [0.0] * len(self.anchored)

    def resample(self, x: np.ndarray) -> None:
        """New projections; every ``refresh_every`` draws, new anchored targets."""
        self.sliced.resample(x.shape[0], x.shape[1])
        if self.anchored and self.draws % self.refresh_every == 0:
            norm_s = float(np.linalg.norm(self._masked(self.sliced.value_and_grad(x)[1])))
            for i, (term, weight) in enumerate(self.anchored):
                term.refresh(x)
                norm = float(np.linalg.norm(self._masked(term.value_and_grad(x)[1])))
                self.multipliers[i] = weight * norm_s / norm if norm > 0 else 0.0
        self.draws += 1

    def _masked(self, grad: np.ndarray) -> np.ndarray:
        return grad if self.free is None else grad * self.free

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = self.sliced.value_and_grad(x)
        for (term, _), lam in zip(self.anchored, self.multipliers):
            if lam > 0:
                value, g = term.value_and_grad(x)
                loss += lam * value
                grad += np.float32(lam) * g
        if self.free is not None:
            grad *= self.free
        return loss, grad


class Synthesizer:
    """A texture synthesis that runs a step at a time.

    Parameters
    ----------
    exemplars:
        One or more images (H, W[, C]): float32 in [0, 1] (any finite range
        is kept) or integer. C is 1, 3 or 4 (alpha ignored unless
        ``config.synthesize_alpha``). Sizes may differ. Or one or more
        :class:`~core.maps.MapSet` (PBR maps synthesized jointly): the
        output is then the maps stacked, see :meth:`result_maps`.
    weights:
        One weight >= 0 per exemplar (default: equal). Styles blend in
        proportion; weight 0 means no influence.
    config:
        A :class:`SynthesisConfig` (default: the "standard" preset at 512 x 512).
    seed:
        Seed of every random draw: same inputs, config and seed give the same
        output bit for bit on the same machine.
    names:
        Optional names of the exemplars (file or image names), used in error
        messages instead of "exemplar 1", "exemplar 2", ...
    known:
        Optional :class:`~core.known.KnownRegion`: its pixels stay, the
        others are synthesized from the image itself (fill). Use
        :func:`region_synthesizer` or :func:`core.fill_synthesizer` rather
        than building one by hand.

    Raises
    ------
    GassError
        On bad exemplars or weights, or when the run would exceed
        ``config.memory_budget_mb``; nothing heavy has been allocated then.

    Examples
    --------
    >>> synth = Synthesizer([exemplar], config=SynthesisConfig(width=256, height=256))
    >>> for progress in synth.steps():
    ...     print(progress.stage, progress.fraction)
    >>> image = synth.result
    """

    def __init__(
        self,
        exemplars: Sequence[object],
        *,
        weights: Sequence[float] | None = None,
        config: SynthesisConfig | None = None,
        seed: int = 0,
        names: Sequence[str] | None = None,
        known: KnownRegion | None = None,
    ) -> None:
        self.config = config if config is not None else SynthesisConfig()
        self.seed = check_seed(seed)
        self.known = known
        self.prepared: PreparedExemplars = self._prepare(exemplars, weights, names)
        if known is not None and (
            len(self.prepared.images) != 1
            or self.prepared.images[0].shape[:2] != known.known.shape
            or (self.config.height, self.config.width) != known.known.shape
        ):
            raise ValueError("a known region needs its own image as the one exemplar and the config at its size")
        shapes = [im.shape for im in self.prepared.images]
        # A regular single exemplar is quilted on its lattice (core.lattice) instead of optimized.
        self.lattice: Lattice | None = None
        if known is None and len(self.prepared.images) == 1:
            self.lattice = find_lattice(self.prepared.images[0], self.config.regularity)
        # The detail finish copies: blends keep the pixel optimization (the barycenter) to the end, and
        # fill keeps its known pixels.
        self.detail = (
            self.config.detail == "exemplar"
            and self.lattice is None
            and known is None
            and len(self.prepared.images) == 1
            and min(shapes[0][:2]) >= MIN_QUILT_SIDE
        )
        # The detail finish's blocks: elongated along a strong grain (core.quilt.block_aspect).
        self.block_aspect = block_aspect(self.prepared.images[0]) if self.detail else 1.0
        self.levels = plan_levels(self.config, [min(s[0], s[1]) for s in shapes], guide=self.detail)
        if known is not None:
            self.levels = self._levels_with_exemplar_patches(known)
        need = estimate_memory(self.config, shapes, self.levels[-1].scale)  # type: ignore[arg-type]
        if need > self.config.memory_budget_mb * (1 << 20):
            raise MemoryBudgetError(
                f"a {self.config.width}x{self.config.height} texture would need about "
                f"{need / (1 << 30):.1f} GiB of memory; the budget (memory_budget_mb) is "
                f"{self.config.memory_budget_mb / 1024:.1f} GiB. Choose a smaller size or raise the budget"
            )
        work = [level_work(lv, self.config) for lv in self.levels]
        if self.detail:
            work.append(self.config.height * self.config.width * _QUILT_MS)
        self._work_before = np.concatenate([[0.0], np.cumsum(work, dtype=np.float64)])
        self._x: np.ndarray | None = None
        self._result: np.ndarray | None = None
        self.evaluations = 0
        self.history: list[float] = []

    def _prepare(
        self, exemplars: Sequence[object], weights: Sequence[float] | None, names: Sequence[str] | None
    ) -> PreparedExemplars:
        min_side = self.config.min_exemplar_side
        sets = [isinstance(e, MapSet) for e in exemplars] if not isinstance(exemplars, np.ndarray) else [False]
        if not any(sets):
            return prepare_exemplars(
                exemplars, weights, names=names, min_side=min_side, synthesize_alpha=self.config.synthesize_alpha
            )
        if not all(sets):
            raise InvalidExemplarError("exemplars mix map sets and plain images; use one kind")
        w = check_weights(weights, len(exemplars))
        kept = [i for i in range(len(exemplars)) if w[i] > 0]
        norm = tuple(float(w[i] / w[kept].sum()) for i in kept)
        images, layout = prepare_map_sets(
            [exemplars[i] for i in kept],  # type: ignore[misc]
            norm,
            min_side=min_side,
            names=[names[i] for i in kept] if names is not None and len(names) == len(exemplars) else None,
        )
        return PreparedExemplars(
            images=tuple(images),
            weights=norm,
            output_channels=layout.output_channels,
            low=-np.inf,  # each map is clipped to its own range by the layout
            high=np.inf,
            layout=layout,
        )

    def _levels_with_exemplar_patches(self, known: KnownRegion) -> list[Level]:
        """The levels whose shrunk known part still holds a whole patch (the coarsest may not)."""
        kept = [
            lv
            for lv in self.levels
            if valid_corners(level_masks(known, lv.height, lv.width)[1], self.config.patch_size).any()
        ]
        if not kept:
            raise InvalidExemplarError(
                f"the image has no {self.config.patch_size}x{self.config.patch_size} area outside the mask to learn "
                "from; make the masked region smaller"
            )
        return kept

    def result_maps(self) -> dict[str, np.ndarray]:
        """The finished PBR maps, kind -> (height, width, channels) float32 (map-set runs only)."""
        if self.prepared.layout is None:
            raise RuntimeError("this synthesis has no map sets; use result")
        return self.prepared.layout.split(self.result)

    @property
    def finished(self) -> bool:
        """True once every step has run."""
        return self._result is not None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the result."""
        return self.config.width, self.config.height

    @property
    def total_steps(self) -> int:
        """Steps :meth:`steps` yields: the iterations of every level and the detail finish's rows of blocks,
        or the rows of blocks and the final resampling on a lattice."""
        if self.lattice is not None:
            return quilt_rows(self.prepared.images[0].shape, self._lattice_size()) + 1
        size = (self.config.height, self.config.width)
        rows = quilt_rows(self.prepared.images[0].shape, size, self.block_aspect) if self.detail else 0
        return sum(level.iterations for level in self.levels) + rows

    def _lattice_size(self) -> tuple[int, int]:
        """The torus the lattice quilt fills: whole periods nearest the output size."""
        assert self.lattice is not None
        periods = torus_periods(self.lattice)
        assert periods is not None
        return fitted_size(periods, self.config.height, self.config.width)

    @property
    def channels(self) -> int:
        """Channels of :attr:`result`: the known image's for fill, else the output's (maps stacked)."""
        return self.known.original.shape[2] if self.known is not None else self.prepared.output_channels

    def output_slices(self) -> dict[str, slice]:
        """Which channels of :attr:`result` each output takes: {"": all}, or map kind -> its channels."""
        layout = self.prepared.layout
        if layout is None:
            return {"": slice(None)}
        return {kind: layout.output[kind] for kind in layout.kinds}

    def results(self) -> dict[str, np.ndarray]:
        """The finished outputs by key: {"": image}, or map kind -> map for a PBR set."""
        if self.prepared.layout is not None:
            return dict(self.result_maps())
        return {"": self.result}

    @property
    def result(self) -> np.ndarray:
        """The finished texture: (height, width, C) float32."""
        if self._result is None:
            raise RuntimeError("the synthesis has not finished; iterate steps() or call run()")
        return self._result

    def preview(self, smooth: bool = True) -> np.ndarray:
        """The current image at output size: (height, width, C) float32.

        Coarse levels are enlarged by periodic cubic interpolation, or by
        nearest neighbour (cheaper) when ``smooth`` is False. Black before
        the first step.
        """
        if self._result is not None:
            return self._result
        cfg = self.config
        if self._x is None:
            if self.known is not None:
                return self._output(self.prepared.images[0])
            return np.zeros((cfg.height, cfg.width, self.prepared.output_channels), dtype=np.float32)
        x = self._x
        if x.shape[:2] == (cfg.height, cfg.width):
            return self._output(x)
        if smooth:
            return self._output(resize(x, cfg.height, cfg.width, periodic=True))
        # Decoding and clipping are per pixel: done before enlarging, one full-size array is made, not
        # three (the first preview at 4096 px took 1.6 s, mostly in fresh full-size allocations).
        return self._finish(nearest(self.prepared.to_output(x), cfg.height, cfg.width))

    def _output(self, x: np.ndarray) -> np.ndarray:
        """A working image at output size as the output: decoded, clipped, known pixels pasted back."""
        return self._finish(self.prepared.to_output(x))

    def _finish(self, out: np.ndarray) -> np.ndarray:
        """An output-size image with the known pixels pasted back (when some are known)."""
        return out if self.known is None else self.known.finish(out)

    def _initial(self, level: Level, exemplars: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
        """Coloured white noise with the exemplars' weighted mean and colour covariance."""
        c = exemplars[0].shape[2]
        mean = np.zeros(c)
        cov = np.zeros((c, c))
        for w, e in zip(self.prepared.weights, exemplars):
            flat = e.reshape(-1, c).astype(np.float64)
            mean += w * flat.mean(axis=0)
            cov += w * np.cov(flat, rowvar=False).reshape(c, c)
        chol = np.linalg.cholesky(cov + 1e-6 * np.eye(c))
        noise = rng.standard_normal((level.height * level.width, c)) @ chol.T + mean
        return noise.reshape(level.height, level.width, c).astype(np.float32)

    def steps(self) -> Generator[Progress, None, None]:
        """Run the synthesis, yielding a :class:`Progress` after every iteration and every row of blocks
        (the detail finish's, or the lattice quilt's)."""
        if self.lattice is not None:
            yield from self._lattice_steps()
            return
        cfg = self.config
        rng = np.random.default_rng(self.seed)
        optimizer = make_optimizer(cfg.optimizer, learning_rate=cfg.learning_rate, resample_every=cfg.resample_every)
        carry = _Carry()
        for li, level in enumerate(self.levels):
            exemplars = [scale_exemplar(im, level.scale) for im in self.prepared.images]
            constraints = LevelConstraints.at(self.known, level.height, level.width, cfg.patch_size)
            stage = f"level {li + 1} of {len(self.levels)} ({level.width}x{level.height})"
            with single_threaded_blas():
                self._x = self._start_image(level, exemplars, constraints, rng)
            for it, loss in enumerate(self._optimize_level(level, exemplars, constraints, rng, carry, optimizer)):
                if not np.all(np.isfinite(self._x)):
                    raise FloatingPointError(f"the synthesis diverged at {stage}, iteration {it + 1}")
                self.history.append(loss)
                done = self._work_before[li] + (self._work_before[li + 1] - self._work_before[li]) * (
                    (it + 1) / level.iterations
                )
                yield Progress(
                    stage=stage,
                    level=li + 1,
                    levels=len(self.levels),
                    iteration=it + 1,
                    iterations=level.iterations,
                    fraction=min(1.0, done / float(self._work_before[-1])),
                    loss=loss,
                    _preview=self.preview,
                )
        self.evaluations = optimizer.evaluations
        if self.detail:
            yield from self._detail_steps(rng)
        assert self._x is not None
        self._result = self._output(self._x)

    def _copied_channels(self) -> tuple[int, ...]:
        """The working channels the seam blend leaves as copied: alpha (the last of 2 or 4 channels of a
        plain image: a cutout keeps hard edges) and a metallic map (metal or not, nothing between)."""
        layout = self.prepared.layout
        if layout is None:
            channels = self.prepared.images[0].shape[2]
            return (channels - 1,) if channels in (2, 4) else ()
        metallic = layout.working.get("metallic")
        return tuple(range(metallic.start, metallic.stop)) if metallic is not None else ()

    def _detail_steps(self, rng: np.random.Generator) -> Generator[Progress, None, None]:
        """Quilt the full-size texture from exemplar blocks that follow the ascent's layout (self._x)."""
        cfg = self.config
        assert self._x is not None
        guide, size = self._x, (cfg.height, cfg.width)
        # The canvas, shown as the preview until blocks cover it (every pixel is, and none is read before).
        # Nearest neighbour: a cubic enlargement took 1.4-2.4 s at 4096 px for a picture seen for a moment.
        start = nearest(guide, *size)
        self._x = start
        exemplar = self.prepared.images[0]
        work = guided_quilt_steps(
            exemplar, guide, size, rng, canvas=start, aspect=self.block_aspect, keep=self._copied_channels()
        )
        rows = quilt_rows(exemplar.shape, size, self.block_aspect)
        before, total = float(self._work_before[-2]), float(self._work_before[-1])
        for row, stage in enumerate(work, start=1):  # the canvas fills in place
            yield Progress(
                stage=stage,
                level=len(self.levels),
                levels=len(self.levels),
                iteration=row,
                iterations=rows,
                fraction=min(1.0, (before + (total - before) * row / rows) / total),
                loss=0.0,
                _preview=self.preview,
            )

    def _lattice_steps(self) -> Generator[Progress, None, None]:
        """Quilt on the exemplar's lattice (:mod:`core.lattice`), then resample to the output size."""
        assert self.lattice is not None
        cfg = self.config
        exemplar = self.prepared.images[0]
        size = self._lattice_size()
        periods = torus_periods(self.lattice)
        assert periods is not None
        total = self.total_steps
        fit = (
            f"{self.lattice.describe()}; {size[1] // periods[1]}x{size[0] // periods[0]} periods of "
            f"{periods[1]}x{periods[0]} px"
        )
        self._x = np.zeros((*size, exemplar.shape[2]), dtype=np.float32)
        work = lattice_quilt_steps(exemplar, self.lattice, size, np.random.default_rng(self.seed), canvas=self._x)

        def progress(stage: str, done: int) -> Progress:
            return Progress(stage, 1, 1, done, total, done / total, 0.0, self.preview)

        for done, row in enumerate(work, start=1):  # the canvas fills in place
            yield progress(f"{row} ({fit})", done)
        x = self._x
        if size != (cfg.height, cfg.width):
            x = resize(x, cfg.height, cfg.width, periodic=True)
        self._x = x
        self._result = self._output(x)
        yield progress(f"lattice: {size[1]}x{size[0]} fitted to {cfg.width}x{cfg.height}", total)

    def _start_image(
        self,
        level: Level,
        exemplars: list[np.ndarray],
        constraints: LevelConstraints,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """The level's starting image: noise at the coarsest level, else the previous level upsampled.

        A random whole-pixel roll comes first when positions are free (no
        known pixels): a texture's position is arbitrary, and without it every
        level's resampling grid meets the wrap at the same phase, which
        accumulates into a visible seam (measured: seam score 1.3 -> 2.4 over
        five levels on periodic noise).
        """
        if self._x is None:
            return constraints.paste(self._initial(level, exemplars, rng), exemplars[0])
        shift = (0, 0)
        if self.known is None:
            shift = (int(rng.integers(self._x.shape[0])), int(rng.integers(self._x.shape[1])))
        x = resize(np.roll(self._x, shift, axis=(0, 1)), level.height, level.width, periodic=True)
        return constraints.paste(x, exemplars[0])

    def _optimize_level(
        self,
        level: Level,
        exemplars: list[np.ndarray],
        constraints: LevelConstraints,
        rng: np.random.Generator,
        carry: _Carry,
        optimizer: Optimizer,
    ) -> Generator[float, None, None]:
        """Climb the style score at one level; yields the loss after every iteration (x in self._x)."""
        cfg = self.config
        with single_threaded_blas():
            per_iteration = min(level.height * level.width, cfg.max_patches)
            sliced = SlicedPatchTerm(
                exemplars,
                self.prepared.weights,
                patch_size=cfg.patch_size,
                directions=cfg.directions,
                max_patches=cfg.max_patches,
                exemplar_samples=min(cfg.exemplar_samples, max(4096, per_iteration)),
                rng=rng,
                valid=constraints.valid,
                region=constraints.region,
            )
            anchored: list[tuple[AnchoredTerm, float]] = []
            if level.coherence and cfg.coherence_weight > 0:
                coherence = CoherenceTerm(
                    exemplars,
                    self.prepared.weights,
                    patch_size=cfg.patch_size,
                    stride=cfg.coherence_stride,
                    rng=rng,
                    valid=constraints.valid,
                )
                if carry.matchers is not None:
                    for m, pm in zip(coherence.matchers, carry.matchers):
                        m.seed_from(pm, level.scale / carry.scale)
                carry.matchers, carry.scale = coherence.matchers, level.scale
                anchored.append((coherence, cfg.coherence_weight))
            if cfg.spectrum_weight > 0:
                spectrum = SpectrumTerm(exemplars, self.prepared.weights, level.height, level.width)
                anchored.append((spectrum, cfg.spectrum_weight))
        objective = LevelObjective(
            sliced, anchored, refresh_every=optimizer.draws_in(cfg.coherence_every), free=constraints.free
        )
        optimizer.reset()
        optimizer.learning_rate = level.learning_rate
        assert self._x is not None
        for _ in range(level.iterations):
            with single_threaded_blas():
                self._x, loss = optimizer.step(self._x, objective)
            yield loss

    def run(self, callback: Callable[[Progress], bool | None] | None = None) -> np.ndarray:
        """Run to the end and return the result.

        ``callback`` is called with every :class:`Progress`; returning False
        cancels (a :class:`Cancelled` is raised, no result is kept).
        """
        for progress in self.steps():
            if callback is not None and callback(progress) is False:
                raise Cancelled(f"cancelled at {progress.stage}")
        return self.result


class Cancelled(Exception):
    """A synthesis was cancelled by its progress callback."""


def synthesize(
    exemplars: Sequence[object],
    *,
    weights: Sequence[float] | None = None,
    config: SynthesisConfig | None = None,
    seed: int = 0,
    callback: Callable[[Progress], bool | None] | None = None,
) -> np.ndarray:
    """Synthesize a seamless texture in one call. See :class:`Synthesizer`.

    Returns
    -------
    (config.height, config.width, C) float32, in [0, 1] for [0, 1] exemplars.
    """
    return Synthesizer(exemplars, weights=weights, config=config, seed=seed).run(callback)


def synthesize_maps(
    sets: Sequence[MapSet],
    *,
    weights: Sequence[float] | None = None,
    config: SynthesisConfig | None = None,
    seed: int = 0,
    callback: Callable[[Progress], bool | None] | None = None,
) -> dict[str, np.ndarray]:
    """Synthesize aligned PBR maps from one or more :class:`~core.maps.MapSet` in one call.

    Returns
    -------
    kind -> (config.height, config.width, channels) float32: colour and
    normal maps RGB, the others one channel; all correspond pixel for pixel.
    """
    synth = Synthesizer(sets, weights=weights, config=config, seed=seed)
    synth.run(callback)
    return synth.result_maps()


def region_synthesizer(
    region: KnownRegion, config: SynthesisConfig | None = None, seed: int = 0, *, name: str = "image"
) -> Synthesizer:
    """The run that synthesizes the free pixels of ``region``'s image from its known ones, at its own size
    (after checking that the image is large enough to fill)."""
    h, w, c = region.original.shape
    base = config if config is not None else SynthesisConfig()
    check_image_size(w, h, name, job="fill", min_side=base.min_image_side)
    sized = dataclasses.replace(base, width=w, height=h, synthesize_alpha=c in (2, 4) and not region.alpha_is_mask)
    return Synthesizer([region.exemplar()], config=sized, seed=seed, names=[name], known=region)


def fill_synthesizer(
    image: object,
    mask: object | None = None,
    *,
    config: SynthesisConfig | None = None,
    seed: int = 0,
    name: str = "image",
) -> Synthesizer:
    """A stepping :class:`Synthesizer` that fills a masked region (see :func:`fill`)."""
    return region_synthesizer(fill_region(image, mask, name=name), config, seed, name=name)


def fill(
    image: object,
    mask: object | None = None,
    *,
    config: SynthesisConfig | None = None,
    seed: int = 0,
    callback: Callable[[Progress], bool | None] | None = None,
) -> np.ndarray:
    """``image`` with its masked region synthesized from the rest of it.

    ``mask``: same size, white (> 0.5) = fill; None = the image's
    transparent pixels (alpha < 0.5), which come out opaque. Known pixels
    are returned exactly as given; the region is filled with patches of the
    known part only, continuing the structures around it.

    Returns
    -------
    (H, W, C) float32 with the image's channels.
    """
    return fill_synthesizer(image, mask, config=config, seed=seed).run(callback)
