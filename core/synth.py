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

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .blas import single_threaded_blas
from .config import SynthesisConfig
from .errors import MemoryBudgetError
from .exemplars import PreparedExemplars, prepare_exemplars
from .optim import make_optimizer
from .resample import resize
from .style import AnchoredTerm, CoherenceTerm, SlicedPatchTerm, SpectrumTerm


@dataclass(frozen=True)
class Progress:
    """Where a synthesis is, reported after every step.

    Attributes
    ----------
    stage:
        Human-readable stage, e.g. "level 3 of 9 (128x128)".
    level, levels:
        Current pyramid level (1 = coarsest) and their number.
    iteration, iterations:
        Iterations done at this level and planned for it.
    fraction:
        Overall fraction of the work done, 0 to 1, non-decreasing.
    loss:
        Style loss L = -S at the last evaluation (comparable within a level).
    """

    stage: str
    level: int
    levels: int
    iteration: int
    iterations: int
    fraction: float
    loss: float
    _preview: Callable[[bool], np.ndarray] = field(repr=False, compare=False)

    def preview(self, *, smooth: bool = True) -> np.ndarray:
        """The current image at output size: (height, width, C) float32.

        ``smooth=False`` enlarges coarse levels by nearest neighbour, several
        times cheaper at large sizes (for live previews).
        """
        return self._preview(smooth)


@dataclass(frozen=True)
class Level:
    """One pyramid level: output size, exemplar scale and iteration count."""

    height: int
    width: int
    scale: float
    iterations: int
    coherence: bool
    learning_rate: float


def plan_levels(config: SynthesisConfig, exemplar_sides: Sequence[int]) -> list[Level]:
    """The coarse-to-fine schedule for these exemplar short sides (finest last)."""
    smallest = min(exemplar_sides)
    r = config.scale_factor
    count = 1
    if smallest > config.coarsest_size:
        count = 1 + math.floor(math.log(config.coarsest_size / smallest) / math.log(r) + 1e-9)
    min_out = max(2 * config.patch_size, 16)
    while count > 1 and min(config.width, config.height) * r ** (count - 1) < min_out:
        count -= 1
    levels = []
    for i in range(count):
        depth = count - 1 - i
        scale = r**depth
        t = i / (count - 1) if count > 1 else 1.0
        iters = round(config.iterations_coarse * (config.iterations_fine / config.iterations_coarse) ** t)
        levels.append(
            Level(
                height=max(1, round(config.height * scale)),
                width=max(1, round(config.width * scale)),
                scale=scale,
                iterations=max(1, iters),
                learning_rate=config.learning_rate * (config.learning_rate_fine / config.learning_rate) ** t,
                coherence=depth < config.coherence_levels and smallest * scale >= 2 * config.patch_size,
            )
        )
    return levels


def estimate_memory(config: SynthesisConfig, shapes: Sequence[tuple[int, int, int]]) -> int:
    """Estimated peak memory in bytes of a synthesis (finest level dominates)."""
    c = shapes[0][2]
    pixels = config.width * config.height
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
    return int(images + sliced + samples + coherence + exemplars + (64 << 20))


def scale_exemplar(image: np.ndarray, scale: float) -> np.ndarray:
    """An exemplar shrunk by ``scale`` (antialiased, edges clamped)."""
    if scale == 1.0:
        return image
    h, w = image.shape[:2]
    return resize(image, max(1, round(h * scale)), max(1, round(w * scale)), periodic=False)


class LevelObjective:
    """The style loss at one level: the sliced term plus anchored terms.

    An anchored term (:class:`~core.style.CoherenceTerm`,
    :class:`~core.style.SpectrumTerm`) pulls toward a target it computes in
    ``refresh(x)`` and holds until the next refresh. Its weight is relative:
    at each refresh its multiplier is set so that its gradient norm is
    ``weight`` times the sliced term's.
    """

    def __init__(
        self,
        sliced: SlicedPatchTerm,
        anchored: Sequence[tuple[AnchoredTerm, float]] = (),
        *,
        refresh_every: int,
    ) -> None:
        self.sliced = sliced
        self.anchored = [(term, weight) for term, weight in anchored if weight > 0]
        self.refresh_every = refresh_every
        self.draws = 0
        self.multipliers = [0.0] * len(self.anchored)

    def resample(self, x: np.ndarray) -> None:
        """New projections; every ``refresh_every`` draws, new anchored targets."""
        self.sliced.resample(x.shape[0], x.shape[1])
        if self.anchored and self.draws % self.refresh_every == 0:
            norm_s = float(np.linalg.norm(self.sliced.value_and_grad(x)[1]))
            for i, (term, weight) in enumerate(self.anchored):
                term.refresh(x)
                norm = float(np.linalg.norm(term.value_and_grad(x)[1]))
                self.multipliers[i] = weight * norm_s / norm if norm > 0 else 0.0
        self.draws += 1

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = self.sliced.value_and_grad(x)
        for (term, _), lam in zip(self.anchored, self.multipliers):
            if lam > 0:
                value, g = term.value_and_grad(x)
                loss += lam * value
                grad += np.float32(lam) * g
        return loss, grad


class Synthesizer:
    """A texture synthesis that runs a step at a time.

    Parameters
    ----------
    exemplars:
        One or more images (H, W[, C]): float32 in [0, 1] (any finite range
        is kept) or integer. C is 1, 3 or 4 (alpha ignored unless
        ``config.synthesize_alpha``). Sizes may differ.
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
        weights: Sequence[float] | None = None,
        config: SynthesisConfig | None = None,
        seed: int = 0,
        *,
        names: Sequence[str] | None = None,
    ) -> None:
        self.config = config if config is not None else SynthesisConfig()
        self.seed = int(seed)
        self.prepared: PreparedExemplars = prepare_exemplars(
            exemplars,
            weights,
            names=names,
            min_side=2 * self.config.patch_size,
            synthesize_alpha=self.config.synthesize_alpha,
        )
        shapes = [im.shape for im in self.prepared.images]
        need = estimate_memory(self.config, shapes)  # type: ignore[arg-type]
        if need > self.config.memory_budget_mb * (1 << 20):
            raise MemoryBudgetError(
                f"a {self.config.width}x{self.config.height} texture would need about "
                f"{need / (1 << 30):.1f} GiB of memory; the budget (memory_budget_mb) is "
                f"{self.config.memory_budget_mb / 1024:.1f} GiB. Choose a smaller size or raise the budget"
            )
        self.levels = plan_levels(self.config, [min(s[0], s[1]) for s in shapes])
        work = [lv.height * lv.width * lv.iterations for lv in self.levels]
        self._work_before = np.concatenate([[0.0], np.cumsum(work, dtype=np.float64)])
        self._x: np.ndarray | None = None
        self._result: np.ndarray | None = None
        self.evaluations = 0
        self.history: list[float] = []

    @property
    def finished(self) -> bool:
        """True once every step has run."""
        return self._result is not None

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
            return np.zeros((cfg.height, cfg.width, self.prepared.output_channels), dtype=np.float32)
        x = self._x
        if smooth:
            x = resize(x, cfg.height, cfg.width, periodic=True)
        elif x.shape[:2] != (cfg.height, cfg.width):
            rows = np.arange(cfg.height) * x.shape[0] // cfg.height
            cols = np.arange(cfg.width) * x.shape[1] // cfg.width
            x = x[rows][:, cols]
        return self.prepared.to_output(x)

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
        """Run the synthesis, yielding a :class:`Progress` after every iteration."""
        cfg = self.config
        rng = np.random.default_rng(self.seed)
        total = float(self._work_before[-1])
        prev_matchers: list | None = None
        prev_scale = 1.0
        optimizer = make_optimizer(cfg.optimizer, learning_rate=cfg.learning_rate, resample_every=cfg.resample_every)
        for li, level in enumerate(self.levels):
            exemplars = [scale_exemplar(im, level.scale) for im in self.prepared.images]
            with single_threaded_blas():
                if self._x is None:
                    self._x = self._initial(level, exemplars, rng)
                else:
                    # A random whole-pixel roll first: a texture's position is arbitrary, and
                    # without it every level's resampling grid meets the wrap at the same phase,
                    # which accumulates into a visible seam (measured: seam score 1.3 -> 2.4
                    # over five levels on periodic noise).
                    shift = (int(rng.integers(self._x.shape[0])), int(rng.integers(self._x.shape[1])))
                    self._x = resize(np.roll(self._x, shift, axis=(0, 1)), level.height, level.width, periodic=True)
                per_iteration = min(level.height * level.width, cfg.max_patches)
                sliced = SlicedPatchTerm(
                    exemplars,
                    self.prepared.weights,
                    patch_size=cfg.patch_size,
                    directions=cfg.directions,
                    max_patches=cfg.max_patches,
                    exemplar_samples=min(cfg.exemplar_samples, max(4096, per_iteration)),
                    rng=rng,
                )
                coherence = None
                if level.coherence and cfg.coherence_weight > 0:
                    coherence = CoherenceTerm(
                        exemplars,
                        self.prepared.weights,
                        patch_size=cfg.patch_size,
                        stride=cfg.coherence_stride,
                        rng=rng,
                    )
                    if prev_matchers is not None:
                        for m, pm in zip(coherence.matchers, prev_matchers):
                            m.seed_from(pm, level.scale / prev_scale)
                    prev_matchers, prev_scale = coherence.matchers, level.scale
            draws_per_refresh = (
                cfg.coherence_every
                if cfg.optimizer in ("gradient", "adam")
                else max(1, round(cfg.coherence_every / cfg.resample_every))
            )
            anchored: list[tuple[AnchoredTerm, float]] = []
            if coherence is not None:
                anchored.append((coherence, cfg.coherence_weight))
            if cfg.spectrum_weight > 0:
                spectrum = SpectrumTerm(exemplars, self.prepared.weights, level.height, level.width)
                anchored.append((spectrum, cfg.spectrum_weight))
            objective = LevelObjective(sliced, anchored, refresh_every=draws_per_refresh)
            optimizer.reset()
            optimizer.learning_rate = level.learning_rate
            stage = f"level {li + 1} of {len(self.levels)} ({level.width}x{level.height})"
            for it in range(level.iterations):
                with single_threaded_blas():
                    self._x, loss = optimizer.step(self._x, objective)
                if not np.all(np.isfinite(self._x)):
                    raise FloatingPointError(f"the synthesis diverged at {stage}, iteration {it + 1}")
                self.history.append(loss)
                done = self._work_before[li] + level.height * level.width * (it + 1)
                yield Progress(
                    stage=stage,
                    level=li + 1,
                    levels=len(self.levels),
                    iteration=it + 1,
                    iterations=level.iterations,
                    fraction=min(1.0, done / total),
                    loss=loss,
                    _preview=self.preview,
                )
        self.evaluations = optimizer.evaluations
        assert self._x is not None
        self._result = self.prepared.to_output(self._x)

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
    weights: Sequence[float] | None = None,
    config: SynthesisConfig | None = None,
    seed: int = 0,
    *,
    callback: Callable[[Progress], bool | None] | None = None,
) -> np.ndarray:
    """Synthesize a seamless texture in one call. See :class:`Synthesizer`.

    Returns
    -------
    (config.height, config.width, C) float32, in [0, 1] for [0, 1] exemplars.
    """
    return Synthesizer(exemplars, weights, config, seed).run(callback)
