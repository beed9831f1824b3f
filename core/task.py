"""What every job's run looks like to a host: steps with progress, then results.

A :class:`Task` is what :meth:`core.job.Job.task` returns and what the
command lines, the add-on's runner and the benchmark drive, without knowing
which job it is: the synthesis (:class:`core.synth.Synthesizer`: new
textures, PBR sets, fill) and the quick one-image jobs (:class:`ImageTask`:
equalize lighting, make tileable) alike::

    task = job.task()
    for progress in task.steps():     # a Progress after every step; stop iterating to cancel
        show(progress.fraction, progress.stage)
    images = task.results()           # {"": image} or {map kind: map}
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np

from .resample import nearest

T = TypeVar("T")


def result_of(steps: Generator[object, None, T]) -> T:
    """Run a generator of steps to its end and return what it returns (a job without a host to report to)."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


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


class Task(Protocol):
    """One run of a job, a step at a time."""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the results."""
        ...

    @property
    def total_steps(self) -> int:
        """How many :class:`Progress` reports :meth:`steps` yields."""
        ...

    @property
    def channels(self) -> int:
        """Channels of :attr:`result` (all outputs stacked)."""
        ...

    @property
    def result(self) -> np.ndarray:
        """The finished image, (height, width, channels) float32; outputs stacked."""
        ...

    def steps(self) -> Generator[Progress, None, None]:
        """Run, yielding progress after every step."""
        ...

    def output_slices(self) -> dict[str, slice]:
        """Which channels of :attr:`result` each output takes: {"": all}, or map kind -> channels."""
        ...

    def results(self) -> dict[str, np.ndarray]:
        """The finished outputs by key ({"": image} or map kind -> map)."""
        ...


class ImageTask:
    """A job that turns one image into another in a few quick steps (equalize lighting, make tileable).

    Parameters
    ----------
    image:
        The checked input, (H, W, C) float32: shown as the preview until the result exists.
    work:
        A generator that yields a stage text after each step and returns the
        result, (height, width, C) float32.
    total_steps:
        How many texts ``work`` yields.
    size:
        (width, height) of the result.
    """

    def __init__(
        self,
        image: np.ndarray,
        work: Callable[[], Generator[str, None, np.ndarray]],
        *,
        total_steps: int,
        size: tuple[int, int] | None = None,
    ) -> None:
        self._image = image
        self._work = work
        self._total = total_steps
        self._size = size if size is not None else (image.shape[1], image.shape[0])
        self._result: np.ndarray | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def total_steps(self) -> int:
        return self._total

    @property
    def channels(self) -> int:
        return int(self._image.shape[2])

    @property
    def finished(self) -> bool:
        """True once every step has run."""
        return self._result is not None

    @property
    def result(self) -> np.ndarray:
        if self._result is None:
            raise RuntimeError("the job has not finished; iterate steps() first")
        return self._result

    def preview(self, smooth: bool = True) -> np.ndarray:
        """The result once there is one, else the input at the result's size (nearest neighbour)."""
        del smooth
        if self._result is not None:
            return self._result
        width, height = self._size
        return nearest(self._image, height, width)

    def steps(self) -> Generator[Progress, None, None]:
        work = self._work()
        done = 0
        while True:
            try:
                stage = next(work)
            except StopIteration as stop:
                self._result = np.ascontiguousarray(stop.value, dtype=np.float32)
                break
            done += 1
            yield self._progress(stage, done)
        if done < self._total:  # a step that said nothing still counts
            yield self._progress("finished", self._total)

    def _progress(self, stage: str, done: int) -> Progress:
        count = min(done, self._total)
        return Progress(
            stage=stage,
            level=1,
            levels=1,
            iteration=count,
            iterations=self._total,
            fraction=count / self._total,
            loss=0.0,
            _preview=self.preview,
        )

    def output_slices(self) -> dict[str, slice]:
        return {"": slice(None)}

    def results(self) -> dict[str, np.ndarray]:
        return {"": self.result}
